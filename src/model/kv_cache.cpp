// KV cache storage.
#include "model/kv_cache.h"

#include <algorithm>
#include <string>

#include "kernels/quant_types.h"
#include "util/error.h"

namespace rightsize::model {

KvCache::KvCache(const ModelConfig& c, int64_t n_ctx, int n_seq, int64_t max_batch, KvType type)
    : n_ctx_(n_ctx),
      n_seq_(n_seq),
      max_batch_(max_batch),
      type_(type),
      head_dim_(c.head_dim),
      n_head_kv_(c.n_head_kv) {
  RS_CHECK(n_ctx > 0 && n_seq > 0 && max_batch > 0 && c.head_dim_v == c.head_dim);
  if (type == KvType::Q8_0 && c.head_dim % 32 != 0)
    throw Error("KV cache type q8_0 stores blocks of 32 values per head, but this model's head size (" +
                std::to_string(c.head_dim) + ") is not a multiple of 32; use f16 or f32");
  head_bytes_ = kernels::kv_head_bytes(type, head_dim_);
  row_bytes_ = n_head_kv_ * head_bytes_;
  layers_.resize(static_cast<size_t>(c.n_layer));
  for (int64_t il = 0; il < c.n_layer; ++il) {
    Layer& l = layers_[static_cast<size_t>(il)];
    // A windowed query at p reads p - window + 1 .. p; a batch writes up to max_batch new
    // positions before its queries read, so the ring needs window + max_batch - 1 cells.
    l.capacity = c.layer_uses_window(il) ? std::min(n_ctx, c.sliding_window + max_batch - 1) : n_ctx;
    // Zeroed bytes are zeros in every type (a Q8_0 block with d = 0).
    l.k.assign(static_cast<size_t>(n_seq * l.capacity * row_bytes_), 0);
    l.v.assign(static_cast<size_t>(n_seq * l.capacity * row_bytes_), 0);
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
    // Rows are copied as stored bytes, so a copied prefix is bit-identical in every type.
    const int64_t rows = l.capacity >= n_ctx_ ? n_pos : std::min(l.capacity, src_len);
    const auto copy = [&](std::vector<uint8_t>& data) {
      std::copy_n(data.begin() + offset(l, src, 0), rows * row_bytes_, data.begin() + offset(l, dst, 0));
    };
    copy(l.k);
    copy(l.v);
  }
}

void KvCache::store(int64_t layer, int seq, int64_t pos, const float* k, const float* v) {
  Layer& l = layers_[static_cast<size_t>(layer)];
  const int64_t at = offset(l, seq, pos);
  // Q8_0 blocks never straddle heads (head_dim % 32 == 0), so the whole row quantizes at once.
  kernels::kv_store_row(type_, k, l.k.data() + at, n_head_kv_ * head_dim_);
  kernels::kv_store_row(type_, v, l.v.data() + at, n_head_kv_ * head_dim_);
}

kernels::KvHeadView KvCache::head_view(int64_t layer, int seq, int64_t head) const {
  const Layer& l = layers_[static_cast<size_t>(layer)];
  const int64_t at = offset(l, seq, 0) + head * head_bytes_;
  return {l.k.data() + at, l.v.data() + at, row_bytes_, l.capacity, type_};
}

void KvCache::load(int64_t layer, int seq, int64_t pos, float* k, float* v) const {
  const Layer& l = layers_[static_cast<size_t>(layer)];
  const int64_t at = offset(l, seq, pos);
  const int64_t n = n_head_kv_ * head_dim_;
  for (auto [src, dst] : {std::pair{l.k.data() + at, k}, std::pair{l.v.data() + at, v}}) {
    switch (type_) {
      case KvType::F32: std::copy_n(reinterpret_cast<const float*>(src), n, dst); break;
      case KvType::F16: kernels::traits(kernels::QuantType::F16).to_float(src, dst, n); break;
      case KvType::Q8_0: kernels::traits(kernels::QuantType::Q8_0).to_float(src, dst, n); break;
    }
  }
}

uint64_t KvCache::bytes() const {
  uint64_t total = 0;
  for (const Layer& l : layers_) total += l.k.size() + l.v.size();
  return total;
}

uint64_t KvCache::full_size_bytes() const {
  return static_cast<uint64_t>(layers_.size()) * static_cast<uint64_t>(n_seq_) *
         static_cast<uint64_t>(n_ctx_) * static_cast<uint64_t>(2 * row_bytes_);
}

}  // namespace rightsize::model
