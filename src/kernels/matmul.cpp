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

namespace {
// Weight types whose packed kernels read the same activation rows.
int activation_format(QuantType t) {
  switch (t) {
    case QuantType::Q4_0:
    case QuantType::Q8_0: return 0;
    case QuantType::Q4_K:
    case QuantType::Q5_K:
    case QuantType::Q6_K: return 1;
    case QuantType::F16: return 2;
    case QuantType::BF16: return 3;
    default: return -1;
  }
}
constexpr int kMaxShared = 4;
}  // namespace

void matmul_shared_input(std::span<const MatmulOutput> outs, const float* x, int64_t n_tokens, ThreadPool& pool,
                         MatmulScratch& scratch) {
  RS_CHECK(!outs.empty());
  bool all_packed = outs.size() <= static_cast<size_t>(kMaxShared);
  for (const MatmulOutput& o : outs) all_packed = all_packed && o.w->packed != nullptr;
  if (!all_packed) {
    for (const MatmulOutput& o : outs) matmul(*o.w, x, n_tokens, o.y, pool, scratch);
    return;
  }
  const int64_t n_in = outs[0].w->n_in;
  // One activation buffer per format, back to back in the scratch; fmt_type is the first
  // weight type that reads each format (it decides how to quantize).
  QuantType fmt_type[4] = {};
  size_t offset[4] = {}, row_bytes[4] = {};
  size_t total = 0;
  for (const MatmulOutput& o : outs) {
    RS_CHECK(o.w->n_in == n_in);
    const int f = activation_format(o.w->type);
    RS_CHECK(f >= 0);
    if (row_bytes[f] != 0) continue;
    fmt_type[f] = o.w->type;
    row_bytes[f] = packed_activation_row_bytes(o.w->type, n_in);
    offset[f] = total;
    total += row_bytes[f] * static_cast<size_t>(n_tokens);
  }
  if (scratch.activations.size() < total) scratch.activations.resize(total);
  uint8_t* acts = scratch.activations.data();
  auto quantize = [&](int64_t t0, int64_t t1) {
    for (int f = 0; f < 4; ++f) {
      if (row_bytes[f] == 0) continue;
      for (int64_t t = t0; t < t1; ++t)
        quantize_activations(fmt_type[f], x + t * n_in, n_in, acts + offset[f] + static_cast<size_t>(t) * row_bytes[f]);
    }
  };
  if (n_tokens == 1) {
    quantize(0, 1);
  } else {
    pool.parallel_for(n_tokens, [&](int64_t b, int64_t e, int) { quantize(b, e); });
  }

  // Row groups of all matrices, numbered consecutively.
  int64_t first_group[kMaxShared + 1] = {};
  int64_t macs = 0;
  for (size_t i = 0; i < outs.size(); ++i) {
    first_group[i + 1] = first_group[i] + outs[i].w->n_out / kPackRows;
    macs += outs[i].w->n_out * n_in * n_tokens;
  }
  auto work = [&](int64_t g0, int64_t g1, int) {
    for (size_t i = 0; i < outs.size(); ++i) {
      const int64_t lo = std::max(g0, first_group[i]), hi = std::min(g1, first_group[i + 1]);
      if (lo >= hi) continue;
      const PackedMatrix& p = *outs[i].w->packed;
      const int f = activation_format(p.type);
      packed_kernel(p.type)(p, lo - first_group[i], hi - first_group[i], acts + offset[f], row_bytes[f], n_tokens,
                            outs[i].y, p.n_out);
    }
  };
  const int64_t n_groups = first_group[outs.size()];
  if (macs < kSerialMacs) {
    work(0, n_groups, 0);
  } else {
    pool.parallel_for(n_groups, work);
  }
}

void dequantize_row(const MatrixView& w, int64_t row, float* out) {
  RS_CHECK(row >= 0 && row < w.n_out);
  traits(w.type).to_float(w.row(row), out, w.n_in);
}

}  // namespace rightsize::kernels
