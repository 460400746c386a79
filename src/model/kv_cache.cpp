// KV cache storage.
#include "model/kv_cache.h"

#include "util/error.h"

namespace rightsize::model {

KvCache::KvCache(const ModelConfig& c, int64_t n_ctx, int n_seq)
    : n_ctx_(n_ctx), n_seq_(n_seq), k_row_(c.n_embd_k()), v_row_(c.n_embd_v()) {
  RS_CHECK(n_ctx > 0 && n_seq > 0);
  const size_t cells = static_cast<size_t>(c.n_layer * n_seq * n_ctx);
  k_.assign(cells * static_cast<size_t>(k_row_), 0.0f);
  v_.assign(cells * static_cast<size_t>(v_row_), 0.0f);
}

}  // namespace rightsize::model
