// Batched matmul over the traits table's vec_dot.
#include "kernels/matmul.h"

#include <algorithm>

#include "util/error.h"

namespace rightsize::kernels {
namespace {
// Rows per work item: small enough to balance two to eight threads on 1-2k row matrices,
// large enough that each item amortizes its loop overhead.
constexpr int64_t kRowsPerChunk = 16;
// Below this many multiply-adds a matmul takes a few microseconds: waking the pool would cost
// more than it saves.
constexpr int64_t kSerialMacs = 1 << 18;
}  // namespace

namespace {

void matmul_packed(const MatrixView& w, const float* x, int64_t ldx, int64_t n_tokens, float* y,
                   int64_t ldy, ThreadPool& pool, MatmulScratch& scratch) {
  const PackedMatrix& p = *w.packed;
  const size_t act_row = packed_activation_row_bytes(p.type, p.n_in);
  const size_t need = act_row * static_cast<size_t>(n_tokens);
  if (scratch.activations.size() < need) scratch.activations.resize(need);
  uint8_t* acts = scratch.activations.data();
  if (n_tokens == 1) {
    quantize_activations(p.type, x, p.n_in, acts);
  } else {
    pool.parallel_for(n_tokens, [&](int64_t b, int64_t e, int) {
      for (int64_t t = b; t < e; ++t) quantize_activations(p.type, x + t * ldx, p.n_in, acts + t * act_row);
    });
  }
  const PackedKernelFn kernel = packed_kernel(p.type);
  const int64_t n_groups = p.n_out / kPackRows;
  if (p.n_in * p.n_out * n_tokens < kSerialMacs) {
    kernel(p, 0, n_groups, acts, act_row, n_tokens, y, ldy);
    return;
  }
  pool.parallel_for(n_groups, [&](int64_t g0, int64_t g1, int) {
    kernel(p, g0, g1, acts, act_row, n_tokens, y, ldy);
  });
}

}  // namespace

void matmul(const MatrixView& w, const float* x, int64_t ldx, int64_t n_tokens, float* y,
            int64_t ldy, ThreadPool& pool, MatmulScratch& scratch) {
  if (w.packed != nullptr) {
    matmul_packed(w, x, ldx, n_tokens, y, ldy, pool, scratch);
    return;
  }
  const TypeTraits& wt = traits(w.type);
  RS_CHECK(wt.vec_dot != nullptr);
  RS_CHECK(w.n_in % wt.block_size == 0);
  const TypeTraits& at = traits(wt.vec_dot_type);

  // Convert activations once per matmul (not per row) into the type the dot product wants.
  const void* act = x;
  size_t act_row_bytes = static_cast<size_t>(ldx) * sizeof(float);
  if (wt.vec_dot_type != QuantType::F32) {
    RS_CHECK(at.from_float != nullptr);
    act_row_bytes = row_size(wt.vec_dot_type, w.n_in);
    const size_t need = act_row_bytes * static_cast<size_t>(n_tokens);
    if (scratch.activations.size() < need) scratch.activations.resize(need);
    uint8_t* dst = scratch.activations.data();
    const int64_t n_in = w.n_in;
    if (n_tokens == 1 || n_in * n_tokens < kSerialMacs) {
      for (int64_t t = 0; t < n_tokens; ++t) at.from_float(x + t * ldx, dst + t * act_row_bytes, n_in);
    } else {
      pool.parallel_for(n_tokens, [&](int64_t b, int64_t e, int) {
        for (int64_t t = b; t < e; ++t) at.from_float(x + t * ldx, dst + t * act_row_bytes, n_in);
      });
    }
    act = dst;
  }

  const uint8_t* act_bytes = static_cast<const uint8_t*>(act);
  const int64_t n_chunks = (w.n_out + kRowsPerChunk - 1) / kRowsPerChunk;
  const VecDotFn dot = wt.vec_dot;
  auto work = [&](int64_t cb, int64_t ce, int) {
    const int64_t r0 = cb * kRowsPerChunk;
    const int64_t r1 = std::min(w.n_out, ce * kRowsPerChunk);
    for (int64_t t = 0; t < n_tokens; ++t) {
      const uint8_t* a = act_bytes + static_cast<size_t>(t) * act_row_bytes;
      float* yt = y + t * ldy;
      for (int64_t r = r0; r < r1; ++r) yt[r] = dot(w.n_in, w.row(r), a);
    }
  };
  if (w.n_in * w.n_out * n_tokens < kSerialMacs) {
    work(0, n_chunks, 0);
  } else {
    pool.parallel_for(n_chunks, work);
  }
}

void dequantize_row(const MatrixView& w, int64_t row, float* out) {
  RS_CHECK(row >= 0 && row < w.n_out);
  traits(w.type).to_float(w.row(row), out, w.n_in);
}

}  // namespace rightsize::kernels
