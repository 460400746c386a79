// KV cache storage.
#include "model/kv_cache.h"

#include <algorithm>

#include "util/error.h"

namespace rightsize::model {

KvCache::KvCache(const ModelConfig& c, int64_t n_ctx, int n_seq, int64_t max_batch)
    : n_ctx_(n_ctx), n_seq_(n_seq), max_batch_(max_batch), k_row_(c.n_embd_k()), v_row_(c.n_embd_v()) {
  RS_CHECK(n_ctx > 0 && n_seq > 0 && max_batch > 0);
  layers_.resize(static_cast<size_t>(c.n_layer));
  for (int64_t il = 0; il < c.n_layer; ++il) {
    Layer& l = layers_[static_cast<size_t>(il)];
    // A windowed query at p reads p - window + 1 .. p; a batch writes up to max_batch new
    // positions before its queries read, so the ring needs window + max_batch - 1 cells.
    l.capacity = c.layer_uses_window(il) ? std::min(n_ctx, c.sliding_window + max_batch - 1) : n_ctx;
    l.k.assign(static_cast<size_t>(n_seq * l.capacity * k_row_), 0.0f);
    l.v.assign(static_cast<size_t>(n_seq * l.capacity * v_row_), 0.0f);
  }
}

int64_t KvCache::reusable_prefix(int64_t cached_len, int64_t common) const {
  RS_CHECK(common >= 0 && common <= cached_len);
  for (const Layer& l : layers_) {
    if (l.capacity >= n_ctx_ || cached_len <= l.capacity) continue;  // nothing overwritten
    // The ring holds cached_len - capacity .. cached_len - 1; a query at `common` reads back to
    // common - window + 1, and capacity = window + max_batch - 1.
    if (cached_len - common > max_batch_) return 0;
  }
  return common;
}

void KvCache::copy_prefix(int src, int dst, int64_t n_pos, int64_t src_len) {
  RS_CHECK(src >= 0 && src < n_seq_ && dst >= 0 && dst < n_seq_ && n_pos >= 0 && n_pos <= src_len &&
           src_len <= n_ctx_);
  if (src == dst || n_pos == 0) return;
  for (Layer& l : layers_) {
    // A full layer copies the positions themselves; a ring copies every cell it may read from.
    const int64_t rows = l.capacity >= n_ctx_ ? n_pos : std::min(l.capacity, src_len);
    const auto copy = [&](std::vector<float>& data, int64_t row) {
      std::copy_n(data.begin() + src * l.capacity * row, rows * row, data.begin() + dst * l.capacity * row);
    };
    copy(l.k, k_row_);
    copy(l.v, v_row_);
  }
}

uint64_t KvCache::bytes() const {
  uint64_t total = 0;
  for (const Layer& l : layers_) total += (l.k.size() + l.v.size()) * sizeof(float);
  return total;
}

uint64_t KvCache::full_size_bytes() const {
  return static_cast<uint64_t>(layers_.size()) * static_cast<uint64_t>(n_seq_) *
         static_cast<uint64_t>(n_ctx_) * static_cast<uint64_t>(k_row_ + v_row_) * sizeof(float);
}

}  // namespace rightsize::model
