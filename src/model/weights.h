// Model weights as zero-copy views into the mapped GGUF file, bound by name and checked
// against the configuration's shapes. All problems are collected and reported together.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/matmul.h"
#include "model/config.h"

namespace rightsize::model {

// A 1-D float tensor (norm weights, biases, rope factors); empty when absent.
struct VectorView {
  const float* data = nullptr;
  int64_t n = 0;
  bool empty() const { return data == nullptr; }
};

struct LayerWeights {
  VectorView attn_norm;         // [n_embd]
  kernels::MatrixView wq;       // [n_embd → n_embd_q]
  kernels::MatrixView wk;       // [n_embd → n_embd_k]
  kernels::MatrixView wv;       // [n_embd → n_embd_v]
  kernels::MatrixView wqkv;     // [n_embd → n_embd_q + n_embd_k + n_embd_v] when fused
  VectorView bq, bk, bv;        // [n_embd_q], [n_embd_k], [n_embd_v]; optional
  kernels::MatrixView wo;       // [n_embd_q → n_embd]
  VectorView post_attn_norm;    // [n_embd] when config.post_norms
  VectorView ffn_norm;          // [n_embd]
  kernels::MatrixView w_gate;   // [n_embd → n_ff]; empty when fused into w_up
  kernels::MatrixView w_up;     // [n_embd → n_ff], or [n_embd → 2 n_ff] fused (gate first)
  kernels::MatrixView w_down;   // [n_ff → n_embd]
  VectorView post_ffw_norm;     // [n_embd] when config.post_norms
};

struct ModelWeights {
  kernels::MatrixView token_embd;  // [n_embd → n_vocab]: one row per token
  VectorView output_norm;          // [n_embd]
  kernels::MatrixView output;      // [n_embd → n_vocab]; token_embd when tied
  bool tied_output = false;
  VectorView rope_freqs;           // [n_rot / 2] frequency divisors (Llama 3.1), optional
  VectorView rope_factors_long;    // [n_rot / 2] LongRoPE, optional
  VectorView rope_factors_short;   // [n_rot / 2] LongRoPE, optional
  std::vector<LayerWeights> layers;

  // Float copies of the 1-D tensors (norms, biases, rope factors); deque keeps pointers stable.
  std::deque<std::vector<float>> owned;
};

// Binds every tensor the configuration needs. Raises Error listing each missing tensor,
// wrong shape or unsupported type, with the tensor's name.
ModelWeights bind_weights(const gguf::GgufFile& file, const ModelConfig& config);

// Bytes of weight data in the file (for `info` and memory accounting).
uint64_t weight_bytes(const gguf::GgufFile& file);

}  // namespace rightsize::model
