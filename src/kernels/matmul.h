// Matrix multiplication of a (possibly quantized) weight matrix with a batch of float
// activation rows: activations are converted once to the weight type's vec_dot_type, then
// every output is one vec_dot, with rows split across the thread pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/packed.h"
#include "kernels/quant_types.h"
#include "util/thread_pool.h"

namespace rightsize::kernels {

// A row-major weight matrix as GGUF stores it: n_out rows of n_in elements (ne0 = n_in).
struct MatrixView {
  QuantType type = QuantType::F32;
  int64_t n_in = 0;   // ne0: elements per row (input features)
  int64_t n_out = 0;  // ne1: rows (output features)
  const void* data = nullptr;
  size_t row_bytes = 0;
  const PackedMatrix* packed = nullptr;  // the interleaved copy the fast kernels use, if any

  bool empty() const { return data == nullptr; }
  const uint8_t* row(int64_t i) const {
    return static_cast<const uint8_t*>(data) + static_cast<size_t>(i) * row_bytes;
  }
};

// Reused buffers, so a forward pass allocates nothing once warmed up.
struct MatmulScratch {
  std::vector<uint8_t> activations;
};

// y[t, o] = sum_i W[o, i] * x[t, i] for t < n_tokens, o < n_out.
// x is [n_tokens, w.n_in] with row stride ldx floats; y is [n_tokens, w.n_out] with row stride ldy.
void matmul(const MatrixView& w, const float* x, int64_t ldx, int64_t n_tokens, float* y,
            int64_t ldy, ThreadPool& pool, MatmulScratch& scratch);

// Convenience for dense rows (ldx = n_in, ldy = n_out).
inline void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y,
                   ThreadPool& pool, MatmulScratch& scratch) {
  matmul(w, x, w.n_in, n_tokens, y, w.n_out, pool, scratch);
}

// Several matrices applied to the same input rows (q, k, v; gate, up): y_i = W_i x. With packed
// weights the activations are quantized once per format, and one pass over the pool covers
// every matrix's rows, so the threads meet once instead of once per matrix. x is dense
// [n_tokens, n_in] (every W_i has that n_in); each y_i is dense [n_tokens, W_i.n_out].
struct MatmulOutput {
  const MatrixView* w;
  float* y;
};
void matmul_shared_input(std::span<const MatmulOutput> outs, const float* x, int64_t n_tokens, ThreadPool& pool,
                         MatmulScratch& scratch);

// One row of W as floats (embedding lookup).
void dequantize_row(const MatrixView& w, int64_t row, float* out);

}  // namespace rightsize::kernels
