// Weights repacked at load for the integer matmul kernels: 16 rows interleaved so that one
// 512-bit vector holds 4 consecutive weights of each of the 16 rows. A dot-product instruction
// (u8 x s8 → i32, four per lane) then advances 16 rows at once with no horizontal sums, and
// the same layout serves one token (decode) and many (prefill, tiled over tokens). It is also one
// row of AMX's B tile operand (16 columns x 4 bytes; BF16: 16 x 2 pairs), which the AMX prefill
// kernels load from it (packed_simd_amx.cpp).
//
// Group layout (16 rows), per block of the source type:
//   Q4_0 (32 weights): d[16] half | 4 x 64 bytes: byte 4r+i of vector v holds row r's weight
//                      4v+i in the low nibble and 16+4v+i in the high nibble (0..15, offset 8)
//   Q8_0 (32 weights): d[16] half | 8 x 64 bytes: byte 4r+i of vector v = row r's weight 4v+i
//                      + 128 (unsigned, offset 128)
//   Q4_K (256 weights): d[16] half | dmin[16] half | scale[8 sub-blocks][16] u8 |
//                      min pairs[4][16][2] u8 | 4 pairs of sub-blocks x 8 x 64 bytes: byte 4r+i of
//                      vector (c, v): low nibble row r's weight 64c+4v+i, high nibble 64c+32+4v+i
//   Q5_K (256 weights): the Q4_K header, then per pair of sub-blocks c its 2 fifth-bit vectors
//                      (vector (c, half) byte 4r+i bit v is the high bit of row r's weight
//                      64c + 32 half + 4v + i) before its 8 nibble vectors, as in Q4_K
//   Q6_K (256 weights): d[16] half | scale[16 sub-blocks][16] i8 | 4 chunks of 64 weights, each
//                      8 x 64 bytes of low nibbles (vector y: groups 16u+y low, 16u+8+y high; a group
//                      is 4 consecutive weights) then 4 x 64 bytes of high bit pairs (vector z:
//                      groups 16u+z+4w at bits 2w..2w+1), values 0..63 with offset 32
//   F16 (1 weight): the 16 rows' values of one column, 2 bytes each, as stored
//   BF16 (2 weights): columns 2b and 2b + 1 interleaved by row: bytes 4r..4r+3 hold row r's
//                      weight 2b (low half of the 32-bit lane) and 2b + 1 (high half; zero past
//                      an odd last column), so one 512-bit vector feeds vdpbf16ps as loaded
// A group is n_blocks of these back to back; groups follow each other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/quant_types.h"
#include "util/thread_pool.h"

namespace rightsize::kernels {

struct MatrixView;

inline constexpr int64_t kPackRows = 16;

struct PackedMatrix {
  QuantType type = QuantType::F32;  // the source type
  int64_t n_in = 0;
  int64_t n_out = 0;                // a multiple of kPackRows
  size_t block_bytes = 0;           // one block of 16 rows
  size_t group_bytes = 0;           // all blocks of one group of 16 rows
  std::unique_ptr<uint8_t[], void (*)(uint8_t*)> data{nullptr, nullptr};

  int64_t n_blocks() const;
  const uint8_t* group(int64_t g) const { return data.get() + static_cast<size_t>(g) * group_bytes; }
  size_t bytes() const { return group_bytes * static_cast<size_t>(n_out / kPackRows); }
};

// Whether a matrix of this type and shape has a packed form.
bool can_pack(QuantType type, int64_t n_in, int64_t n_out);

// Repacks a matrix (rows split over the pool). The result is 64-byte aligned.
PackedMatrix pack_matrix(const MatrixView& w, ThreadPool& pool);

// Activations quantized for the packed kernels, one row per token:
//   32-weight types: per block {float d; int32 sum; int8 q[32]} (40 bytes), d and q exactly as
//   the reference's Q8_0 activations (d rounded through half precision), sum = sum of q.
//   F16 / BF16 weights: floats, rounded to the weight's precision. BF16: an even count (a zero
//   after an odd last one), then the same values as BF16 pairs, one 32-bit word per pair of
//   columns (the first in the low half): the FMA kernels read the floats, vdpbf16ps the pairs
//   (converting them in the kernel cost a third of its prefill speed on Zen 4).
//   K-quant types: per 256 {float d; int16 sums per 16 and per 32; int8 q[256]}, d and q exactly
//   as the reference's Q8_K activations.
struct ActBlock32 {
  float d;
  int32_t sum;
  int8_t qs[32];
};
static_assert(sizeof(ActBlock32) == 40);

struct ActBlock256 {
  float d;
  int16_t bsum16[16];  // sums of each 16 quants
  int16_t bsum32[8];   // sums of each 32 quants
  int8_t qs[256];
};
static_assert(sizeof(ActBlock256) == 308);

size_t packed_activation_row_bytes(QuantType weight_type, int64_t n_in);
void quantize_activations(QuantType weight_type, const float* x, int64_t n_in, void* dst);

// y[t, o] for t < n_tokens and o in [g0 * 16, g1 * 16): row groups g0..g1 of the matrix.
// acts holds n_tokens rows of packed_activation_row_bytes; y has row stride ldy.
using PackedKernelFn = void (*)(const PackedMatrix& w, int64_t g0, int64_t g1, const uint8_t* acts,
                                size_t act_row_bytes, int64_t n_tokens, float* y, int64_t ldy);

// The scalar twin (always available) and the kernel of the chosen ISA (its scalar twin where
// that ISA has none for the type).
PackedKernelFn packed_kernel_scalar(QuantType type);
PackedKernelFn packed_kernel(QuantType type);

// ISAs with packed kernels that this CPU runs, best first, "scalar" last: some of
// "avx512-amx" (AMX-INT8 tile products for batches of 16 tokens and more of the integer types,
// the next ISA's kernels for the rest), "avx512-bf16" (the AVX-512 VNNI kernels, with vdpbf16ps
// for BF16 weights), "avx512-vnni", "avx-vnni", "avx2" (x86-64) or "neon-dotprod" (AArch64),
// then "scalar".
std::vector<std::string> packed_kernel_isas();
// The kernel of one of those ISAs for a type, or null where it has none.
PackedKernelFn packed_kernel_for(QuantType type, std::string_view isa);
// Whether that kernel equals its scalar twin bit for bit. All do but AMX's for BF16: its tile
// instruction (TDPBF16PS) adds products in an order Intel leaves open, so it meets the twin
// within what two summation orders of n_in products may differ by (2 n_in eps sum |w x|).
bool packed_kernel_is_exact(QuantType type, std::string_view isa);
// The ISA packed_kernel uses: the best this CPU runs, or the one the environment variable
// RIGHTSIZE_PACKED_ISA names (to compare ISAs or work around a bad one). Throws an Error naming
// the variable and the choices if it names an ISA this CPU lacks.
const char* packed_kernel_isa();

// How far ahead (bytes) the decode kernels ask for weights with software prefetches; 0: they
// leave it to the hardware prefetcher. Chosen once: 0 on AMD CPUs (Zen 4 decoded 7-30% faster
// without them), 2048 elsewhere, or the value of RIGHTSIZE_PREFETCH (a multiple of 64, at most
// 65536; an Error names the variable otherwise).
size_t packed_prefetch_bytes();

}  // namespace rightsize::kernels
