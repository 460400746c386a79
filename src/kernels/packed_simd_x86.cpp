// AVX-512 VNNI versions of the packed kernels. Highway 1.0.3 has no u8 x s8 → i32 dot product
// (VNNI's vpdpbusd, "SumOfMulQuadAccumulate" in later Highway), so these use the intrinsic
// directly, compiled for that target only and chosen at run time when the CPU has it (see
// packed_kernel_isa); AVX2 CPUs use packed_simd_avx2.cpp, others the scalar twins in packed.cpp.
#include <cstring>

#include "kernels/packed_simd.h"
#include "kernels/packed_tiles.h"

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_ps().
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/packed_avx512_common.h"
#include "kernels/packed_x86_common.h"

#define RS_TARGET_AVX512_BF16 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16,f16c,fma")))

namespace rightsize::kernels {
namespace {

using x86::k4_mins_dot;
using x86::load_i32;
using x86::load_k4_mins;
using x86::prefetch_ahead;
using x86::q6_k_group;
using x86::shift_bit_to_4;

// 16 rows x kT tokens over all blocks of one group. Two partial sums per token keep the
// dependent vpdpbusd chains short enough to fill both vector ports.
template <int kT, int kZero, bool kNibbles>
RS_TARGET_AVX512_VNNI void tile_32(const uint8_t* gp, int64_t nb, size_t block_bytes,
                                   const ActBlock32* const* a, float* const* y) {
  __m512 acc[kT];
  for (int t = 0; t < kT; ++t) acc[t] = _mm512_setzero_ps();
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const size_t pf = packed_prefetch_bytes();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* bp = gp + static_cast<size_t>(b) * block_bytes;
    prefetch_ahead(bp, block_bytes, pf);
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp)));
    __m512i w[8];
    if constexpr (kNibbles) {
      for (int v = 0; v < 4; ++v) {
        const __m512i raw = _mm512_loadu_si512(bp + 32 + 64 * v);
        w[v] = _mm512_and_si512(raw, low4);
        w[v + 4] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low4);
      }
    } else {
      for (int v = 0; v < 8; ++v) w[v] = _mm512_loadu_si512(bp + 32 + 64 * v);
    }
    for (int t = 0; t < kT; ++t) {
      const ActBlock32& ab = a[t][b];
      __m512i s0 = _mm512_set1_epi32(-kZero * ab.sum);
      __m512i s1 = _mm512_setzero_si512();
      for (int v = 0; v < 8; v += 2) {
        s0 = _mm512_dpbusd_epi32(s0, w[v], _mm512_set1_epi32(load_i32(ab.qs + 4 * v)));
        s1 = _mm512_dpbusd_epi32(s1, w[v + 1], _mm512_set1_epi32(load_i32(ab.qs + 4 * v + 4)));
      }
      const __m512i s = _mm512_add_epi32(s0, s1);
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(ab.d)), acc[t]);
    }
  }
  for (int t = 0; t < kT; ++t) _mm512_storeu_ps(y[t], acc[t]);
}

// Q4_K and Q5_K: per super-block, per pair of 32-weight sub-blocks, the 16 rows' integer dots are scaled
// by their 6-bit scales in float; the mins meet the activations' per-32 sums in a 16-bit dot.
template <int kT, bool kFiveBit>
RS_TARGET_AVX512_VNNI void tile_k4(const uint8_t* gp, int64_t nb, size_t block_bytes,
                                     const ActBlock256* const* a, float* const* y) {
  __m512 acc[kT];
  for (int t = 0; t < kT; ++t) acc[t] = _mm512_setzero_ps();
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const size_t pf = packed_prefetch_bytes();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* bp = gp + static_cast<size_t>(b) * block_bytes;
    prefetch_ahead(bp, block_bytes, pf);
    __m512 fsum[kT];
    for (int t = 0; t < kT; ++t) fsum[t] = _mm512_setzero_ps();
    for (int c = 0; c < 4; ++c) {
      // Each weight vector is unpacked once and dotted with every token of the tile, so the
      // unpacking is shared by kT tokens and only 2 x kT sums stay live.
      __m512i s0[kT], s1[kT];
      for (int t = 0; t < kT; ++t) s0[t] = s1[t] = _mm512_setzero_si512();
      __m512i h0 = _mm512_setzero_si512(), h1 = _mm512_setzero_si512();
      if constexpr (kFiveBit) {
        h0 = _mm512_loadu_si512(bp + k5_high_bits(c, 0));
        h1 = _mm512_loadu_si512(bp + k5_high_bits(c, 1));
      }
      for (int v = 0; v < 8; ++v) {
        const __m512i raw = _mm512_loadu_si512(bp + k4_nibbles(kFiveBit, c, v));
        __m512i lo = _mm512_and_si512(raw, low4);
        __m512i hi = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low4);
        if constexpr (kFiveBit) {
          // Bit v of each byte becomes bit 4 of weight group v (16-bit shifts keep bytes apart
          // after the mask).
          const __m512i bit4 = _mm512_set1_epi8(0x10);
          lo = _mm512_or_si512(lo, _mm512_and_si512(shift_bit_to_4(h0, v), bit4));
          hi = _mm512_or_si512(hi, _mm512_and_si512(shift_bit_to_4(h1, v), bit4));
        }
        for (int t = 0; t < kT; ++t) {
          const int8_t* aq = a[t][b].qs + 64 * c;
          s0[t] = _mm512_dpbusd_epi32(s0[t], lo, _mm512_set1_epi32(load_i32(aq + 4 * v)));
          s1[t] = _mm512_dpbusd_epi32(s1[t], hi, _mm512_set1_epi32(load_i32(aq + 32 + 4 * v)));
        }
      }
      const __m512 sc0 = _mm512_cvtepi32_ps(
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bp + 64 + 32 * c))));
      const __m512 sc1 = _mm512_cvtepi32_ps(
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bp + 64 + 32 * c + 16))));
      for (int t = 0; t < kT; ++t) {
        fsum[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s0[t]), sc0, fsum[t]);
        fsum[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s1[t]), sc1, fsum[t]);
      }
    }
    __m512i mins[4];
    load_k4_mins(bp, mins);
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp)));
    const __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 32)));
    for (int t = 0; t < kT; ++t) {
      const ActBlock256& ab = a[t][b];
      const __m512i mn = k4_mins_dot(mins, ab);
      const __m512 da = _mm512_set1_ps(ab.d);
      acc[t] = _mm512_fmadd_ps(fsum[t], _mm512_mul_ps(dw, da), acc[t]);
      acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(mn), _mm512_mul_ps(dmin, da), acc[t]);
    }
  }
  for (int t = 0; t < kT; ++t) _mm512_storeu_ps(y[t], acc[t]);
}

// Q6_K: per chunk of 64 weights, the 6-bit values are rebuilt from the low-nibble and
// high-pair vectors once for the whole token tile; each 16-weight sub-block's dot starts at
// -32 x its activation sum (the offset) and is scaled by the signed 8-bit scale in float.
// kWide (prefill tiles): the same arithmetic one 16-weight sub-block at a time, so only its 4
// rebuilt vectors stay live while kT tokens use them; keeping all 16 of a chunk takes fewer
// instructions for the one token of a decode step.
template <int kT, bool kWide = false>
RS_TARGET_AVX512_VNNI void tile_q6_k(const uint8_t* gp, int64_t nb, size_t block_bytes,
                                     const ActBlock256* const* a, float* const* y) {
  __m512 acc[kT];
  for (int t = 0; t < kT; ++t) acc[t] = _mm512_setzero_ps();
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i bits45 = _mm512_set1_epi8(0x30);
  const size_t pf = packed_prefetch_bytes();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* bp = gp + static_cast<size_t>(b) * block_bytes;
    prefetch_ahead(bp, block_bytes, pf);
    __m512 fsum[kT];
    for (int t = 0; t < kT; ++t) fsum[t] = _mm512_setzero_ps();
    if constexpr (!kWide) {
      for (int u = 0; u < 4; ++u) {
        const uint8_t* L = bp + 288 + u * 768;
        const uint8_t* H = L + 512;
        __m512i q[16];
        for (int yv = 0; yv < 8; ++yv) {
          const __m512i raw = _mm512_loadu_si512(L + 64 * yv);
          q[yv] = _mm512_and_si512(raw, low4);
          q[yv + 8] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low4);
        }
        for (int z = 0; z < 4; ++z) {
          const __m512i h = _mm512_loadu_si512(H + 64 * z);
          q[z] = _mm512_or_si512(q[z], _mm512_and_si512(_mm512_slli_epi16(h, 4), bits45));
          q[z + 4] = _mm512_or_si512(q[z + 4], _mm512_and_si512(_mm512_slli_epi16(h, 2), bits45));
          q[z + 8] = _mm512_or_si512(q[z + 8], _mm512_and_si512(h, bits45));
          q[z + 12] = _mm512_or_si512(q[z + 12], _mm512_and_si512(_mm512_srli_epi16(h, 2), bits45));
        }
        __m512 sc[4];
        for (int sl = 0; sl < 4; ++sl)
          sc[sl] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(
              _mm_loadu_si128(reinterpret_cast<const __m128i*>(bp + 32 + (4 * u + sl) * 16))));
        for (int t = 0; t < kT; ++t) {
          const ActBlock256& ab = a[t][b];
          const int8_t* aq = ab.qs + 64 * u;
          __m512i is[4];
          for (int sl = 0; sl < 4; ++sl) is[sl] = _mm512_set1_epi32(-32 * ab.bsum16[4 * u + sl]);
          for (int gi = 0; gi < 4; ++gi)
            for (int sl = 0; sl < 4; ++sl) {
              const int x = 4 * sl + gi;
              is[sl] = _mm512_dpbusd_epi32(is[sl], q[x], _mm512_set1_epi32(load_i32(aq + 4 * x)));
            }
          for (int sl = 0; sl < 4; ++sl) fsum[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is[sl]), sc[sl], fsum[t]);
        }
      }
    } else {
      for (int u = 0; u < 4; ++u) {
        const uint8_t* L = bp + 288 + u * 768;
        const uint8_t* H = L + 512;
        // One 16-weight sub-block (4 groups of 4) at a time: its 4 weight vectors are rebuilt
        // once and dotted with every token of the tile.
        for (int sl = 0; sl < 4; ++sl) {
          __m512i q[4];
          for (int gi = 0; gi < 4; ++gi) q[gi] = q6_k_group(L, H, 4 * sl + gi);  // group within the chunk
          const __m512 sc = _mm512_cvtepi32_ps(
              _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bp + 32 + (4 * u + sl) * 16))));
          for (int t = 0; t < kT; ++t) {
            const ActBlock256& ab = a[t][b];
            const int8_t* aq = ab.qs + 64 * u + 16 * sl;
            __m512i is = _mm512_set1_epi32(-32 * ab.bsum16[4 * u + sl]);
            for (int gi = 0; gi < 4; ++gi) is = _mm512_dpbusd_epi32(is, q[gi], _mm512_set1_epi32(load_i32(aq + 4 * gi)));
            fsum[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is), sc, fsum[t]);
          }
        }
      }
    }
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp)));
    for (int t = 0; t < kT; ++t)
      acc[t] = _mm512_fmadd_ps(fsum[t], _mm512_mul_ps(dw, _mm512_set1_ps(a[t][b].d)), acc[t]);
  }
  for (int t = 0; t < kT; ++t) _mm512_storeu_ps(y[t], acc[t]);
}

// F16: each column of 16 rows widens to one vector of floats, reused by kT tokens. (Two row
// groups per tile, as BF16 does, measured no faster: F16 prefill already runs near the FMA peak.)
template <int kT>
RS_TARGET_AVX512_VNNI void tile_f16(const uint8_t* gp, int64_t n_in, size_t, const float* const* x,
                                    float* const* y) {
  __m512 acc[kT];
  for (int t = 0; t < kT; ++t) acc[t] = _mm512_setzero_ps();
  const size_t pf = packed_prefetch_bytes();
  for (int64_t k = 0; k < n_in; ++k) {
    const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(gp + 32 * k));
    if (pf != 0 && (k & 1) == 0) _mm_prefetch(reinterpret_cast<const char*>(gp + 32 * k + pf), _MM_HINT_T0);
    const __m512 w = _mm512_cvtph_ps(raw);
    for (int t = 0; t < kT; ++t) acc[t] = _mm512_fmadd_ps(w, _mm512_set1_ps(x[t][k]), acc[t]);
  }
  for (int t = 0; t < kT; ++t) _mm512_storeu_ps(y[t], acc[t]);
}

// BF16 without the BF16 instructions: each pair of columns (one 512-bit vector, a 32-bit lane
// per row) splits into two vectors of floats by masking and shifting; FMAs take the second
// column first, as vdpbf16ps does.
template <int kT>
RS_TARGET_AVX512_VNNI void tile_bf16(const uint8_t* gp, int64_t n_pairs, size_t, const float* const* x,
                                     float* const* y) {
  __m512 acc[kT];
  for (int t = 0; t < kT; ++t) acc[t] = _mm512_setzero_ps();
  const size_t pf = packed_prefetch_bytes();
  const __m512i high = _mm512_set1_epi32(static_cast<int32_t>(0xFFFF0000u));
  for (int64_t j = 0; j < n_pairs; ++j) {
    const __m512i raw = _mm512_loadu_si512(gp + 64 * j);
    if (pf != 0) _mm_prefetch(reinterpret_cast<const char*>(gp + 64 * j + pf), _MM_HINT_T0);
    const __m512 w1 = _mm512_castsi512_ps(_mm512_and_si512(raw, high));
    const __m512 w0 = _mm512_castsi512_ps(_mm512_slli_epi32(raw, 16));
    for (int t = 0; t < kT; ++t) {
      acc[t] = _mm512_fmadd_ps(w1, _mm512_set1_ps(x[t][2 * j + 1]), acc[t]);
      acc[t] = _mm512_fmadd_ps(w0, _mm512_set1_ps(x[t][2 * j]), acc[t]);
    }
  }
  for (int t = 0; t < kT; ++t) _mm512_storeu_ps(y[t], acc[t]);
}

// BF16 on CPUs with AVX-512 BF16: vdpbf16ps multiplies a pair of columns' weights (one packed
// vector, as loaded) by a pair of activations (the row's BF16 pairs, broadcast) and adds both
// products per row, the second column first: twice the work of an FMA per instruction. Tiles of
// two row groups (run_group_pairs): one broadcast feeds two instructions, and with the pairs
// prepared once per matmul, one-core prefill went from 175 to 214 GOP/s (93% of this Zen 4's
// one vdpbf16ps per cycle).
struct TileBf16Pairs {
  template <int kT, int kG>
  RS_TARGET_AVX512_BF16 static void run(const uint8_t* gp, size_t group_bytes, int64_t n_pairs,
                                        const float* const* x, float* const* y) {
    __m512 acc[kG][kT];
    const uint32_t* pairs[kT];
    for (int t = 0; t < kT; ++t) {
      for (int g = 0; g < kG; ++g) acc[g][t] = _mm512_setzero_ps();
      pairs[t] = reinterpret_cast<const uint32_t*>(x[t] + 2 * n_pairs);
    }
    const size_t pf = packed_prefetch_bytes();
    for (int64_t j = 0; j < n_pairs; ++j) {
      __m512bh w[kG];
      for (int g = 0; g < kG; ++g) {
        const uint8_t* p = gp + g * group_bytes + 64 * j;
        if (pf != 0) _mm_prefetch(reinterpret_cast<const char*>(p + pf), _MM_HINT_T0);
        w[g] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(p));
      }
      for (int t = 0; t < kT; ++t) {
        const __m512bh a = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int32_t>(pairs[t][j])));
        for (int g = 0; g < kG; ++g) acc[g][t] = _mm512_dpbf16_ps(acc[g][t], w[g], a);
      }
    }
    for (int t = 0; t < kT; ++t)
      for (int g = 0; g < kG; ++g) _mm512_storeu_ps(y[t] + kPackRows * g, acc[g][t]);
  }
};

bool have_avx512_bf16() {
  static const bool ok = __builtin_cpu_supports("avx512bf16");
  return ok;
}

bool have_avx512_vnni() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("f16c") &&
                         __builtin_cpu_supports("fma");
  return ok;
}

}  // namespace

PackedKernelFn packed_kernel_avx512_vnni(QuantType type) {
  if (!have_avx512_vnni()) return nullptr;
  switch (type) {
    case QuantType::Q4_0:
      return run_tiles<ActBlock32, 8, tile_32<1, 8, true>, tile_32<2, 8, true>, tile_32<3, 8, true>,
                       tile_32<8, 8, true>>;
    case QuantType::Q8_0:
      return run_tiles<ActBlock32, 8, tile_32<1, 128, false>, tile_32<2, 128, false>,
                       tile_32<3, 128, false>, tile_32<8, 128, false>>;
    case QuantType::F16:
      return run_tiles<float, 8, tile_f16<1>, tile_f16<2>, tile_f16<3>, tile_f16<8>>;
    case QuantType::BF16:
      return run_tiles<float, 8, tile_bf16<1>, tile_bf16<2>, tile_bf16<3>, tile_bf16<8>>;
    case QuantType::Q4_K:
      return run_tiles<ActBlock256, 8, tile_k4<1, false>, tile_k4<2, false>, tile_k4<3, false>, tile_k4<8, false>>;
    case QuantType::Q5_K:
      return run_tiles<ActBlock256, 8, tile_k4<1, true>, tile_k4<2, true>, tile_k4<3, true>, tile_k4<8, true>>;
    case QuantType::Q6_K:
      return run_tiles<ActBlock256, 8, tile_q6_k<1>, tile_q6_k<2>, tile_q6_k<3>, tile_q6_k<8, true>>;
    default: return nullptr;
  }
}

PackedKernelFn packed_kernel_avx512_bf16(QuantType type) {
  if (!have_avx512_vnni() || !have_avx512_bf16()) return nullptr;
  if (type == QuantType::BF16) {
    return run_group_pairs<float, TileBf16Pairs>;
  }
  return packed_kernel_avx512_vnni(type);
}

}  // namespace rightsize::kernels

#else  // not x86-64 with GCC/Clang: the other ISAs' files serve.

namespace rightsize::kernels {
PackedKernelFn packed_kernel_avx512_bf16(QuantType) { return nullptr; }
PackedKernelFn packed_kernel_avx512_vnni(QuantType) { return nullptr; }
}  // namespace rightsize::kernels

#endif
