// Repacking into 16-row interleaved groups, activation quantization for the packed kernels,
// and their scalar twins (the same arithmetic as the SIMD kernels, in the same order, so the
// two agree bit for bit).
#include "kernels/packed.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "kernels/matmul.h"
#include "kernels/packed_internal.h"
#include "kernels/packed_simd.h"
#include "kernels/packed_tiles.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_rows.h"
#include "util/error.h"
#include "util/fp16.h"

namespace rightsize::kernels {
namespace {

size_t block_bytes_for(QuantType t) {
  switch (t) {
    case QuantType::Q4_0: return 32 + 4 * 64;
    case QuantType::Q8_0: return 32 + 8 * 64;
    case QuantType::F16: return 32;   // one column: the 16 rows' values, 2 bytes each
    case QuantType::BF16: return 64;  // two columns, interleaved by row
    case QuantType::Q4_K: return 2368;
    case QuantType::Q5_K: return 2880;
    case QuantType::Q6_K: return 3360;
    default: return 0;
  }
}

void free_aligned(uint8_t* p) { std::free(p); }

// One group of 16 rows, block b.
void pack_block_q4_0(const MatrixView& w, int64_t g, int64_t b, uint8_t* out) {
  uint16_t* d = reinterpret_cast<uint16_t*>(out);
  uint8_t* q = out + 32;
  for (int64_t r = 0; r < kPackRows; ++r) {
    const BlockQ4_0 blk = load_block<BlockQ4_0>(w.row(g * kPackRows + r), b);
    d[r] = blk.d;
    // Source byte j: low nibble = weight j, high nibble = weight j + 16. Target vector v,
    // lane r, byte i: weight 4v + i (low) and 16 + 4v + i (high) — the same pairing.
    for (int v = 0; v < 4; ++v)
      for (int i = 0; i < 4; ++i) q[v * 64 + r * 4 + i] = blk.qs[4 * v + i];
  }
}

void pack_block_q8_0(const MatrixView& w, int64_t g, int64_t b, uint8_t* out) {
  uint16_t* d = reinterpret_cast<uint16_t*>(out);
  uint8_t* q = out + 32;
  for (int64_t r = 0; r < kPackRows; ++r) {
    const BlockQ8_0 blk = load_block<BlockQ8_0>(w.row(g * kPackRows + r), b);
    d[r] = blk.d;
    for (int v = 0; v < 8; ++v)
      for (int i = 0; i < 4; ++i)
        q[v * 64 + r * 4 + i] = static_cast<uint8_t>(blk.qs[4 * v + i] ^ 0x80);  // + 128
  }
}

// F16: column b (one weight of each of the 16 rows), as stored (2 bytes each).
void pack_column_f16(const MatrixView& w, int64_t g, int64_t b, uint8_t* out) {
  for (int64_t r = 0; r < kPackRows; ++r) std::memcpy(out + 2 * r, w.row(g * kPackRows + r) + 2 * b, 2);
}

// BF16: columns 2b and 2b + 1, row r's pair at bytes 4r..4r+3 (the second column zero past the
// last column).
void pack_pair_bf16(const MatrixView& w, int64_t g, int64_t b, uint8_t* out) {
  std::memset(out, 0, 64);
  const int64_t n = std::min<int64_t>(2, w.n_in - 2 * b);
  for (int64_t r = 0; r < kPackRows; ++r) std::memcpy(out + 4 * r, w.row(g * kPackRows + r) + 4 * b, 2 * n);
}

// F16 weights: acc = fma(w, x, acc) per column, in column order.
void kernel_f16_scalar(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                       size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy) {
  for (int64_t g = g0; g < g1; ++g) {
    const uint16_t* col = reinterpret_cast<const uint16_t*>(w.group(g));
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* x = reinterpret_cast<const float*>(acts + static_cast<size_t>(t) * act_row_bytes);
      float acc[kPackRows] = {};
      for (int64_t k = 0; k < w.n_in; ++k) {
        for (int r = 0; r < kPackRows; ++r) acc[r] = std::fma(fp16_to_f32(col[k * kPackRows + r]), x[k], acc[r]);
      }
      std::memcpy(y + t * ldy + g * kPackRows, acc, sizeof(acc));
    }
  }
}

// BF16 weights: per pair of columns, acc = fma(w, x, acc) for the second column, then the first,
// as vdpbf16ps adds them (the padding column past an odd end included: +0). The same sum where
// no product or partial sum is subnormal: a product of two BF16 values is exact in single
// precision, so fma rounds as the instruction's adds do.
void kernel_bf16_scalar(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                        size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy) {
  const int64_t n_pairs = w.n_blocks();
  for (int64_t g = g0; g < g1; ++g) {
    const uint16_t* pairs = reinterpret_cast<const uint16_t*>(w.group(g));
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* x = reinterpret_cast<const float*>(acts + static_cast<size_t>(t) * act_row_bytes);
      float acc[kPackRows] = {};
      for (int64_t j = 0; j < n_pairs; ++j) {
        const uint16_t* p = pairs + j * 2 * kPackRows;
        for (int r = 0; r < kPackRows; ++r) {
          acc[r] = std::fma(bf16_to_f32(p[2 * r + 1]), x[2 * j + 1], acc[r]);
          acc[r] = std::fma(bf16_to_f32(p[2 * r]), x[2 * j], acc[r]);
        }
      }
      std::memcpy(y + t * ldy + g * kPackRows, acc, sizeof(acc));
    }
  }
}

// Scalar twins. acc = fma(float(isum - zero * act_sum), dw * da, acc) per block, as the SIMD
// kernels do it.
template <int kZero, bool kNibbles>
void kernel_32_scalar(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                      size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy) {
  const int64_t nb = w.n_blocks();
  for (int64_t g = g0; g < g1; ++g) {
    const uint8_t* gp = w.group(g);
    for (int64_t t = 0; t < n_tokens; ++t) {
      const ActBlock32* a = reinterpret_cast<const ActBlock32*>(acts + static_cast<size_t>(t) * act_row_bytes);
      float acc[kPackRows] = {};
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* bp = gp + static_cast<size_t>(b) * w.block_bytes;
        const uint16_t* d = reinterpret_cast<const uint16_t*>(bp);
        const uint8_t* q = bp + 32;
        for (int r = 0; r < kPackRows; ++r) {
          int32_t isum = 0;
          for (int v = 0; v < 8; ++v) {
            for (int i = 0; i < 4; ++i) {
              int wq;
              if (kNibbles) {
                const uint8_t byte = q[(v & 3) * 64 + r * 4 + i];
                wq = v < 4 ? (byte & 0x0F) : (byte >> 4);
              } else {
                wq = q[v * 64 + r * 4 + i];
              }
              isum += wq * a[b].qs[4 * v + i];
            }
          }
          isum -= kZero * a[b].sum;
          acc[r] = std::fma(static_cast<float>(isum), fp16_to_f32(d[r]) * a[b].d, acc[r]);
        }
      }
      std::memcpy(y + t * ldy + g * kPackRows, acc, sizeof(acc));
    }
  }
}

}  // namespace

int64_t PackedMatrix::n_blocks() const {
  return type == QuantType::BF16 ? (n_in + 1) / 2 : n_in / traits(type).block_size;
}

bool can_pack(QuantType type, int64_t n_in, int64_t n_out) {
  if (block_bytes_for(type) == 0) return false;
  return n_out % kPackRows == 0 && n_in % traits(type).block_size == 0;
}

PackedMatrix pack_matrix(const MatrixView& w, ThreadPool& pool) {
  RS_CHECK(can_pack(w.type, w.n_in, w.n_out));
  PackedMatrix p;
  p.type = w.type;
  p.n_in = w.n_in;
  p.n_out = w.n_out;
  p.block_bytes = block_bytes_for(w.type);
  p.group_bytes = p.block_bytes * static_cast<size_t>(p.n_blocks());
  const size_t total = (p.bytes() + 63) / 64 * 64;
  void* mem = std::aligned_alloc(64, total);
  if (mem == nullptr) throw Error("out of memory repacking a " + std::to_string(w.n_out) + " x " +
                                  std::to_string(w.n_in) + " matrix");
  p.data = {static_cast<uint8_t*>(mem), free_aligned};
  const int64_t n_groups = w.n_out / kPackRows;
  const int64_t nb = p.n_blocks();
  pool.parallel_for(n_groups, [&](int64_t g0, int64_t g1, int) {
    for (int64_t g = g0; g < g1; ++g) {
      uint8_t* gp = p.data.get() + static_cast<size_t>(g) * p.group_bytes;
      for (int64_t b = 0; b < nb; ++b) {
        uint8_t* bp = gp + static_cast<size_t>(b) * p.block_bytes;
        switch (w.type) {
          case QuantType::Q4_0: pack_block_q4_0(w, g, b, bp); break;
          case QuantType::Q8_0: pack_block_q8_0(w, g, b, bp); break;
          case QuantType::F16: pack_column_f16(w, g, b, bp); break;
          case QuantType::BF16: pack_pair_bf16(w, g, b, bp); break;
          case QuantType::Q4_K: pack_block_q4_k(w, g, b, bp); break;
          case QuantType::Q5_K: pack_block_q5_k(w, g, b, bp); break;
          case QuantType::Q6_K: pack_block_q6_k(w, g, b, bp); break;
          default: RS_CHECK(false);
        }
      }
    }
  });
  return p;
}

namespace {
bool uses_256(QuantType t) {
  return t == QuantType::Q4_K || t == QuantType::Q5_K || t == QuantType::Q6_K;
}
}  // namespace

size_t packed_activation_row_bytes(QuantType weight_type, int64_t n_in) {
  if (weight_type == QuantType::F16) return static_cast<size_t>(n_in) * sizeof(float);
  if (weight_type == QuantType::BF16) {
    const size_t n_pad = static_cast<size_t>((n_in + 1) / 2 * 2);
    return n_pad * sizeof(float) + n_pad / 2 * sizeof(uint32_t);
  }
  if (uses_256(weight_type)) return static_cast<size_t>(n_in / 256) * sizeof(ActBlock256);
  return static_cast<size_t>(n_in / 32) * sizeof(ActBlock32);
}

void quantize_activations(QuantType weight_type, const float* x, int64_t n_in, void* dst) {
  // Half-precision weights meet activations rounded to the same precision, as the reference
  // converts them (its dot product runs in that type).
  if (weight_type == QuantType::F16 || weight_type == QuantType::BF16) {
    float* out = static_cast<float*>(dst);
    if (weight_type == QuantType::F16) {
      for (int64_t i = 0; i < n_in; ++i) out[i] = round_fp16(x[i]);
      return;
    }
    const int64_t n_pairs = (n_in + 1) / 2;
    uint32_t* pairs = reinterpret_cast<uint32_t*>(out + 2 * n_pairs);
    for (int64_t j = 0; j < n_pairs; ++j) {
      const uint16_t lo = f32_to_bf16(x[2 * j]);
      const uint16_t hi = 2 * j + 1 < n_in ? f32_to_bf16(x[2 * j + 1]) : 0;  // zero: the padding column
      out[2 * j] = bf16_to_f32(lo);
      out[2 * j + 1] = bf16_to_f32(hi);
      pairs[j] = static_cast<uint32_t>(lo) | static_cast<uint32_t>(hi) << 16;
    }
    return;
  }
  if (uses_256(weight_type)) {
    quantize_activations_256(x, n_in, dst);
    return;
  }
  // As the reference engine quantizes activations at run time on x86 (its SIMD path): d =
  // max|x| / 127 rounded through half precision for the dot product, q = x * (127 / max|x|)
  // rounded to nearest with ties to even (the scalar reference rounds ties away from zero).
  ActBlock32* out = static_cast<ActBlock32*>(dst);
  for (int64_t b = 0; b < n_in / 32; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 127.0f / amax : 0.0f;
    out[b].d = round_fp16(d);
    int32_t sum = 0;
    for (int i = 0; i < 32; ++i) {
      // Adding and subtracting 1.5 * 2^23 rounds to nearest, ties to even, exactly as
      // nearbyint does in the default rounding mode (|x * id| <= 127), but vectorizes.
      const int q = static_cast<int>((xb[i] * id + 12582912.0f) - 12582912.0f);
      out[b].qs[i] = static_cast<int8_t>(q);
      sum += q;
    }
    out[b].sum = sum;
  }
}

PackedKernelFn packed_kernel_scalar(QuantType type) {
  switch (type) {
    case QuantType::Q4_0: return kernel_32_scalar<8, true>;
    case QuantType::Q8_0: return kernel_32_scalar<128, false>;
    case QuantType::F16: return kernel_f16_scalar;
    case QuantType::BF16: return kernel_bf16_scalar;
    case QuantType::Q4_K: return kernel_q4_k_scalar;
    case QuantType::Q5_K: return kernel_q5_k_scalar;
    case QuantType::Q6_K: return kernel_q6_k_scalar;
    default: return nullptr;
  }
}

namespace {

struct IsaEntry {
  const char* name;
  PackedKernelFn (*kernel)(QuantType);
};
// Best first. Each SIMD lookup returns null when this CPU lacks the ISA; Q4_0 has a kernel in
// every ISA, so it tells whether the CPU runs it.
constexpr IsaEntry kIsas[] = {{"avx512-amx", packed_kernel_amx},
                              {"avx512-bf16", packed_kernel_avx512_bf16},
                              {"avx512-vnni", packed_kernel_avx512_vnni},
                              {"avx-vnni", packed_kernel_avx_vnni},
                              {"avx2", packed_kernel_avx2},
                              {"neon-dotprod", packed_kernel_neon_dotprod},
                              {"scalar", packed_kernel_scalar}};

const IsaEntry* find_isa(std::string_view name) {
  for (const IsaEntry& e : kIsas)
    if (name == e.name && e.kernel(QuantType::Q4_0) != nullptr) return &e;
  return nullptr;
}

const IsaEntry& chosen_isa() {
  static const IsaEntry* chosen = [] {
    const char* env = std::getenv("RIGHTSIZE_PACKED_ISA");
    if (env == nullptr || *env == '\0') return find_isa(packed_kernel_isas().front());
    if (const IsaEntry* e = find_isa(env)) return e;
    std::string choices;
    for (const std::string& n : packed_kernel_isas()) choices += (choices.empty() ? "" : ", ") + n;
    throw Error("RIGHTSIZE_PACKED_ISA=" + std::string(env) + " is not an ISA this CPU runs; choose one of: " +
                choices + " (or unset it for the best)");
  }();
  return *chosen;
}

}  // namespace

std::vector<std::string> packed_kernel_isas() {
  std::vector<std::string> names;
  for (const IsaEntry& e : kIsas)
    if (e.kernel(QuantType::Q4_0) != nullptr) names.emplace_back(e.name);
  return names;
}

PackedKernelFn packed_kernel_for(QuantType type, std::string_view isa) {
  const IsaEntry* e = find_isa(isa);
  return e != nullptr ? e->kernel(type) : nullptr;
}

bool packed_kernel_is_exact(QuantType type, std::string_view isa) {
  return !(type == QuantType::BF16 && isa == "avx512-amx");
}

PackedKernelFn packed_kernel(QuantType type) {
  (void)packed_prefetch_bytes();  // a bad RIGHTSIZE_PREFETCH is reported here, not in a worker
  if (PackedKernelFn f = chosen_isa().kernel(type)) return f;
  return packed_kernel_scalar(type);
}

const char* packed_kernel_isa() { return chosen_isa().name; }

size_t packed_prefetch_bytes() {
  static const size_t bytes = [] {
    const char* env = std::getenv("RIGHTSIZE_PREFETCH");
    if (env != nullptr && *env != '\0') {
      char* end = nullptr;
      const unsigned long v = std::strtoul(env, &end, 10);
      if (*end != '\0' || v % 64 != 0 || v > 65536) {
        throw Error("RIGHTSIZE_PREFETCH=" + std::string(env) +
                    " is not a prefetch distance: give bytes, a multiple of 64 up to 65536 (0: none)");
      }
      return static_cast<size_t>(v);
    }
#if defined(__x86_64__) && defined(__GNUC__)
    // Measured on Zen 4 (EPYC, 2 threads, Llama 3.2 1B shape): software prefetches on top of the
    // hardware's cost decode 13% (Q4_0) to 30% (Q4_K_M). On a Sapphire-Rapids-class Xeon (same
    // shape, tg64): 2048 bytes ahead beat 4096 by 12-15% (Q4_0), 3-7% (Q8_0, Q6_K), 1-6% (Q4_K_M,
    // Q5_K_M), and beat none (0) by 4-10%.
    if (__builtin_cpu_is("amd")) return size_t{0};
#endif
    return size_t{2048};
  }();
  return bytes;
}

}  // namespace rightsize::kernels
