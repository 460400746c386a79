// Attention key/value cache: for every layer and sequence slot, the rotated keys and the
// values of the positions attention can still see. A sliding-window layer keeps only a ring
// of window + max_batch positions (position p lives in cell p mod capacity), so its memory
// follows the window, not the context. Single precision for now (the reference's setting in
// the conformance data); F16 and Q8_0 storage come behind the same accessors.
#pragma once

#include <cstdint>
#include <vector>

#include "model/config.h"

namespace rightsize::model {

class KvCache {
 public:
  // n_ctx positions for each of n_seq sequences; max_batch bounds how many new positions one
  // forward call writes per sequence (it sizes the sliding-window rings).
  KvCache(const ModelConfig& config, int64_t n_ctx, int n_seq, int64_t max_batch);

  int64_t n_ctx() const { return n_ctx_; }
  int n_seq() const { return n_seq_; }
  // Positions layer `layer` holds per sequence: n_ctx, or less for a sliding-window layer.
  int64_t capacity(int64_t layer) const { return layers_[static_cast<size_t>(layer)].capacity; }
  uint64_t bytes() const;
  // What a cache of full context length on every layer would take, for comparison.
  uint64_t full_size_bytes() const;

  // How many of the first `common` positions of a sequence whose cache holds `cached_len`
  // positions can be kept when it continues from there: `common`, unless a sliding-window ring
  // has already overwritten cells that the next queries would read (then 0).
  int64_t reusable_prefix(int64_t cached_len, int64_t common) const;
  // Makes sequence `dst` hold the first n_pos positions of sequence `src` (whose cache holds
  // src_len >= n_pos positions), as if it had evaluated them itself. Check reusable_prefix first.
  void copy_prefix(int src, int dst, int64_t n_pos, int64_t src_len);

  // [n_head_kv * head_dim] for one position.
  float* k(int64_t layer, int seq, int64_t pos) { return cell(layer, seq, pos, true); }
  float* v(int64_t layer, int seq, int64_t pos) { return cell(layer, seq, pos, false); }
  int64_t k_row() const { return k_row_; }  // floats per position
  int64_t v_row() const { return v_row_; }

 private:
  struct Layer {
    int64_t capacity;
    std::vector<float> k;  // [n_seq, capacity, k_row]
    std::vector<float> v;  // [n_seq, capacity, v_row]
  };
  float* cell(int64_t layer, int seq, int64_t pos, bool key) {
    Layer& l = layers_[static_cast<size_t>(layer)];
    const int64_t slot = seq * l.capacity + pos % l.capacity;
    return key ? l.k.data() + slot * k_row_ : l.v.data() + slot * v_row_;
  }
  int64_t n_ctx_;
  int n_seq_;
  int64_t max_batch_;
  int64_t k_row_;
  int64_t v_row_;
  std::vector<Layer> layers_;
};

}  // namespace rightsize::model
