// Attention key/value cache: for every layer and sequence slot, the rotated keys and the
// values of each position seen so far. Single precision for now (the reference's default in
// the conformance data); the speed work adds F16 and Q8_0 storage behind the same accessors.
#pragma once

#include <cstdint>
#include <vector>

#include "model/config.h"

namespace rightsize::model {

class KvCache {
 public:
  // n_ctx positions for each of n_seq independent sequences.
  KvCache(const ModelConfig& config, int64_t n_ctx, int n_seq);

  int64_t n_ctx() const { return n_ctx_; }
  int n_seq() const { return n_seq_; }
  uint64_t bytes() const { return (k_.size() + v_.size()) * sizeof(float); }

  // [n_head_kv * head_dim] for one position.
  float* k(int64_t layer, int seq, int64_t pos) { return k_.data() + offset(layer, seq, pos, k_row_); }
  float* v(int64_t layer, int seq, int64_t pos) { return v_.data() + offset(layer, seq, pos, v_row_); }
  const float* k(int64_t layer, int seq, int64_t pos) const {
    return k_.data() + offset(layer, seq, pos, k_row_);
  }
  const float* v(int64_t layer, int seq, int64_t pos) const {
    return v_.data() + offset(layer, seq, pos, v_row_);
  }
  int64_t k_row() const { return k_row_; }  // floats between consecutive positions
  int64_t v_row() const { return v_row_; }

 private:
  size_t offset(int64_t layer, int seq, int64_t pos, int64_t row) const {
    return static_cast<size_t>(((layer * n_seq_ + seq) * n_ctx_ + pos) * row);
  }
  int64_t n_ctx_;
  int n_seq_;
  int64_t k_row_;
  int64_t v_row_;
  std::vector<float> k_;
  std::vector<float> v_;
};

}  // namespace rightsize::model
