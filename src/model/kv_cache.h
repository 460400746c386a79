// Attention key/value cache: for every layer and sequence slot, the rotated keys and the
// values of the positions attention can still see. A sliding-window layer keeps only a ring
// of window + max_batch positions (position p lives in cell p mod capacity), so its memory
// follows the window, not the context. Rows are stored as F32 (the reference's setting in the
// conformance data, and the default), F16 or Q8_0 (kernels/attention.h); the conversion
// happens once, when a position is stored, and the attention kernel reads the stored type.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/attention.h"
#include "model/config.h"

namespace rightsize::model {

using kernels::KvType;

class KvCache {
 public:
  // n_ctx positions for each of n_seq sequences; max_batch bounds how many new positions one
  // forward call writes per sequence (it sizes the sliding-window rings). Raises Error when
  // the model's head size does not suit the type (Q8_0 needs a multiple of 32).
  KvCache(const ModelConfig& config, int64_t n_ctx, int n_seq, int64_t max_batch,
          KvType type = KvType::F32);

  int64_t n_ctx() const { return n_ctx_; }
  int n_seq() const { return n_seq_; }
  KvType type() const { return type_; }
  // Positions layer `layer` holds per sequence: n_ctx, or less for a sliding-window layer.
  int64_t capacity(int64_t layer) const { return layers_[static_cast<size_t>(layer)].capacity; }
  uint64_t bytes() const;
  // What a cache of full context length on every layer would take (same type), for comparison.
  uint64_t full_size_bytes() const;

  // How many of the first `common` positions of a sequence whose cache holds `cached_len`
  // positions can be kept when it continues from there: `common`, unless a sliding-window ring
  // has already overwritten cells that the next queries would read (then 0).
  int64_t reusable_prefix(int64_t cached_len, int64_t common) const;
  // Makes sequence `dst` hold the first n_pos positions of sequence `src` (whose cache holds
  // src_len >= n_pos positions), as if it had evaluated them itself. Check reusable_prefix first.
  void copy_prefix(int src, int dst, int64_t n_pos, int64_t src_len);

  // Stores position pos of a sequence: k and v are [n_head_kv * head_dim] floats, converted
  // to the cache's type here.
  void store(int64_t layer, int seq, int64_t pos, const float* k, const float* v);
  // KV head `head` of a sequence in one layer, as the attention kernel reads it.
  kernels::KvHeadView head_view(int64_t layer, int seq, int64_t head) const;
  // Reads position pos of a sequence back as floats (k and v: [n_head_kv * head_dim]).
  void load(int64_t layer, int seq, int64_t pos, float* k, float* v) const;

 private:
  struct Layer {
    int64_t capacity;
    std::vector<uint8_t> k;  // [n_seq, capacity, row_bytes]
    std::vector<uint8_t> v;  // [n_seq, capacity, row_bytes]
  };
  int64_t offset(const Layer& l, int seq, int64_t pos) const {
    return (seq * l.capacity + pos % l.capacity) * row_bytes_;
  }
  int64_t n_ctx_;
  int n_seq_;
  int64_t max_batch_;
  KvType type_;
  int64_t head_dim_;
  int64_t n_head_kv_;
  int64_t head_bytes_;  // one KV head's row in the stored type
  int64_t row_bytes_;   // one position: n_head_kv heads (keys and values alike: head_dim_v == head_dim)
  std::vector<Layer> layers_;
};

}  // namespace rightsize::model
