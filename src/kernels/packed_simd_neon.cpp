// NEON versions of the packed kernels for ARMv8.2 CPUs with the dot-product extension (sdot:
// four s8 x s8 products summed into each 32-bit lane). Highway 1.0.3 has no such op
// ("SumOfMulQuadAccumulate" in later Highway), so the intrinsics are used directly, compiled
// for armv8.2-a+dotprod only (the rest of the build stays armv8-a) and chosen at run time when
// the CPU has it; other CPUs use the scalar twins in packed.cpp and packed_k.cpp.
//
// A 64-byte vector of the packed layout (packed.h) is four 16-byte quarters of 4 rows each
// (bytes 4r+i). Each tile runs the quarters of every block in the scalar twins' float order, so
// it matches them bit for bit; the integer dots within a block are exact in any order. sdot is
// signed on both sides: nibbles, 5- and 6-bit weights are non-negative and fit s8 as they are,
// and Q8_0's bytes (+128) go back to the signed weight by flipping the top bit, which gives the
// same integer as the scalar twin's offset-and-correct without the correction.
#include <cstring>

#include "kernels/packed_simd.h"
#include "kernels/packed_tiles.h"

#if defined(__aarch64__) && defined(__GNUC__)
#include <arm_neon.h>
#if defined(__linux__)
#include <sys/auxv.h>
#endif

#define RS_NEON_TARGET __attribute__((target("arch=armv8.2-a+dotprod")))

namespace rightsize::kernels {
namespace {

// As the x86 kernels do: decoding streams each weight once from memory, and asking for the data
// a few blocks ahead (packed_prefetch_bytes; 0 = not at all) can keep more cache-line requests in
// flight than the hardware prefetcher alone.
RS_NEON_TARGET inline void prefetch_ahead(const uint8_t* bp, size_t block_bytes, size_t distance) {
  if (distance == 0) return;
  for (size_t off = 0; off < block_bytes; off += 64) __builtin_prefetch(bp + distance + off, 0, 3);
}

// Four weight vectors (groups of 4 weights g..g+3 of 4 rows) against the 16 activation bytes of
// those groups: lane g of a is broadcast to every row. Two sums keep the dependent chains short.
RS_NEON_TARGET inline void dot4(int32x4_t& s0, int32x4_t& s1, const int8x16_t* w, int8x16_t a) {
  s0 = vdotq_laneq_s32(s0, w[0], a, 0);
  s1 = vdotq_laneq_s32(s1, w[1], a, 1);
  s0 = vdotq_laneq_s32(s0, w[2], a, 2);
  s1 = vdotq_laneq_s32(s1, w[3], a, 3);
}

RS_NEON_TARGET inline float32x4_t load_half4(const uint8_t* p) {
  uint16_t h[4];
  std::memcpy(h, p, sizeof(h));
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h)));
}

// Four consecutive scale bytes (one per row of a quarter) as floats.
RS_NEON_TARGET inline float32x4_t load_u8x4_f32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  const uint16x8_t wide = vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(v)));
  return vcvtq_f32_u32(vmovl_u16(vget_low_u16(wide)));
}
RS_NEON_TARGET inline float32x4_t load_s8x4_f32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  const int16x8_t wide = vmovl_s8(vreinterpret_s8_u32(vdup_n_u32(v)));
  return vcvtq_f32_s32(vmovl_s16(vget_low_s16(wide)));
}

template <int kT>
RS_NEON_TARGET inline void store_tiles(const float32x4_t (&acc)[kT][4], float* const* y) {
  for (int t = 0; t < kT; ++t)
    for (int q = 0; q < 4; ++q) vst1q_f32(y[t] + 4 * q, acc[t][q]);
}

// Q4_0 (kNibbles, zero point 8) and Q8_0 (bytes + 128, flipped back to signed).
template <int kT, bool kNibbles>
RS_NEON_TARGET void tile_32(const uint8_t* gp, int64_t nb, size_t block_bytes, const ActBlock32* const* a,
                            float* const* y) {
  float32x4_t acc[kT][4];
  for (int t = 0; t < kT; ++t)
    for (int q = 0; q < 4; ++q) acc[t][q] = vdupq_n_f32(0.0f);
  const uint8x16_t low4 = vdupq_n_u8(0x0F);
  const uint8x16_t flip = vdupq_n_u8(0x80);
  const size_t pf = packed_prefetch_bytes();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* bp = gp + static_cast<size_t>(b) * block_bytes;
    prefetch_ahead(bp, block_bytes, pf);
    for (int q = 0; q < 4; ++q) {
      // w[v]: row (4q + r)'s weights 4v..4v+3 in lane r.
      int8x16_t w[8];
      if constexpr (kNibbles) {
        for (int v = 0; v < 4; ++v) {
          const uint8x16_t raw = vld1q_u8(bp + 32 + 64 * v + 16 * q);
          w[v] = vreinterpretq_s8_u8(vandq_u8(raw, low4));
          w[v + 4] = vreinterpretq_s8_u8(vshrq_n_u8(raw, 4));
        }
      } else {
        for (int v = 0; v < 8; ++v) w[v] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(bp + 32 + 64 * v + 16 * q), flip));
      }
      const float32x4_t dw = load_half4(bp + 8 * q);
      for (int t = 0; t < kT; ++t) {
        const ActBlock32& ab = a[t][b];
        int32x4_t s0 = vdupq_n_s32(kNibbles ? -8 * ab.sum : 0);
        int32x4_t s1 = vdupq_n_s32(0);
        dot4(s0, s1, w, vld1q_s8(ab.qs));
        dot4(s0, s1, w + 4, vld1q_s8(ab.qs + 16));
        acc[t][q] = vfmaq_f32(acc[t][q], vcvtq_f32_s32(vaddq_s32(s0, s1)), vmulq_n_f32(dw, ab.d));
      }
    }
  }
  store_tiles<kT>(acc, y);
}

// Q4_K and Q5_K: per pair of 32-weight sub-blocks, integer dots scaled by their 6-bit scales in
// float; the mins meet the activations' per-32 sums in 16-bit multiplies widened to 32.
template <int kT, bool kFiveBit>
RS_NEON_TARGET void tile_k4(const uint8_t* gp, int64_t nb, size_t block_bytes, const ActBlock256* const* a,
                            float* const* y) {
  float32x4_t acc[kT][4];
  for (int t = 0; t < kT; ++t)
    for (int q = 0; q < 4; ++q) acc[t][q] = vdupq_n_f32(0.0f);
  const uint8x16_t low4 = vdupq_n_u8(0x0F);
  const uint8x16_t bit4 = vdupq_n_u8(0x10);
  const size_t pf = packed_prefetch_bytes();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* bp = gp + static_cast<size_t>(b) * block_bytes;
    prefetch_ahead(bp, block_bytes, pf);
    for (int q = 0; q < 4; ++q) {
      float32x4_t fsum[kT];
      for (int t = 0; t < kT; ++t) fsum[t] = vdupq_n_f32(0.0f);
      for (int c = 0; c < 4; ++c) {
        int8x16_t lo[8], hi[8];  // sub-blocks 2c (low nibbles) and 2c + 1 (high)
        uint8x16_t h0 = vdupq_n_u8(0), h1 = vdupq_n_u8(0);
        if constexpr (kFiveBit) {
          h0 = vld1q_u8(bp + k5_high_bits(c, 0) + 16 * q);
          h1 = vld1q_u8(bp + k5_high_bits(c, 1) + 16 * q);
        }
        for (int v = 0; v < 8; ++v) {
          const uint8x16_t raw = vld1q_u8(bp + k4_nibbles(kFiveBit, c, v) + 16 * q);
          uint8x16_t l = vandq_u8(raw, low4);
          uint8x16_t h = vshrq_n_u8(raw, 4);
          if constexpr (kFiveBit) {
            // Bit v of the fifth-bit bytes: bit 0 after v shifts, moved to bit 4.
            l = vbslq_u8(bit4, vshlq_n_u8(h0, 4), l);
            h = vbslq_u8(bit4, vshlq_n_u8(h1, 4), h);
            h0 = vshrq_n_u8(h0, 1);
            h1 = vshrq_n_u8(h1, 1);
          }
          lo[v] = vreinterpretq_s8_u8(l);
          hi[v] = vreinterpretq_s8_u8(h);
        }
        const float32x4_t sc0 = load_u8x4_f32(bp + 64 + (2 * c) * 16 + 4 * q);
        const float32x4_t sc1 = load_u8x4_f32(bp + 64 + (2 * c + 1) * 16 + 4 * q);
        for (int t = 0; t < kT; ++t) {
          const int8_t* aq = a[t][b].qs + 64 * c;
          int32x4_t s0 = vdupq_n_s32(0), s0b = vdupq_n_s32(0), s1 = vdupq_n_s32(0), s1b = vdupq_n_s32(0);
          dot4(s0, s0b, lo, vld1q_s8(aq));
          dot4(s0, s0b, lo + 4, vld1q_s8(aq + 16));
          dot4(s1, s1b, hi, vld1q_s8(aq + 32));
          dot4(s1, s1b, hi + 4, vld1q_s8(aq + 48));
          fsum[t] = vfmaq_f32(fsum[t], vcvtq_f32_s32(vaddq_s32(s0, s0b)), sc0);
          fsum[t] = vfmaq_f32(fsum[t], vcvtq_f32_s32(vaddq_s32(s1, s1b)), sc1);
        }
      }
      // Mins of sub-blocks 2k and 2k + 1 of the quarter's rows, interleaved by row: widened to
      // 16 bits they meet the pair (bsum32[2k], bsum32[2k + 1]) repeated, and adding adjacent
      // 32-bit products gives each row's sum.
      int16x8_t mins[4];
      for (int k = 0; k < 4; ++k) mins[k] = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(bp + 192 + 32 * k + 8 * q)));
      const float32x4_t dw = load_half4(bp + 8 * q);
      const float32x4_t dmin = load_half4(bp + 32 + 8 * q);
      for (int t = 0; t < kT; ++t) {
        const ActBlock256& ab = a[t][b];
        int32x4_t m01 = vdupq_n_s32(0), m23 = vdupq_n_s32(0);
        for (int k = 0; k < 4; ++k) {
          int32_t pair;
          std::memcpy(&pair, ab.bsum32 + 2 * k, 4);
          const int16x8_t bs = vreinterpretq_s16_s32(vdupq_n_s32(pair));
          m01 = vmlal_s16(m01, vget_low_s16(mins[k]), vget_low_s16(bs));
          m23 = vmlal_high_s16(m23, mins[k], bs);
        }
        const int32x4_t mn = vpaddq_s32(m01, m23);
        acc[t][q] = vfmaq_f32(acc[t][q], fsum[t], vmulq_n_f32(dw, ab.d));
        acc[t][q] = vfmsq_f32(acc[t][q], vcvtq_f32_s32(mn), vmulq_n_f32(dmin, ab.d));
      }
    }
  }
  store_tiles<kT>(acc, y);
}

// Q6_K: each group of 4 weights is rebuilt from its low-nibble and high-pair vectors, then dotted
// with every token of the tile; a 16-weight sub-block starts at -32 x its activation sum.
template <int kT>
RS_NEON_TARGET void tile_q6_k(const uint8_t* gp, int64_t nb, size_t block_bytes, const ActBlock256* const* a,
                              float* const* y) {
  float32x4_t acc[kT][4];
  for (int t = 0; t < kT; ++t)
    for (int q = 0; q < 4; ++q) acc[t][q] = vdupq_n_f32(0.0f);
  const uint8x16_t low4 = vdupq_n_u8(0x0F);
  const uint8x16_t bits45 = vdupq_n_u8(0x30);
  const size_t pf = packed_prefetch_bytes();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* bp = gp + static_cast<size_t>(b) * block_bytes;
    prefetch_ahead(bp, block_bytes, pf);
    for (int q = 0; q < 4; ++q) {
      float32x4_t fsum[kT];
      for (int t = 0; t < kT; ++t) fsum[t] = vdupq_n_f32(0.0f);
      for (int u = 0; u < 4; ++u) {
        const uint8_t* L = bp + 288 + u * 768 + 16 * q;
        const uint8_t* H = L + 512;
        uint8x16_t low[8], high[4];
        for (int k = 0; k < 8; ++k) low[k] = vld1q_u8(L + 64 * k);
        for (int k = 0; k < 4; ++k) high[k] = vld1q_u8(H + 64 * k);
        // Sub-block sl holds groups x = 4 sl + gi: low nibbles of vector x for x < 8, else high
        // nibbles of x - 8; the high pair sits at bits 2 sl of vector gi (shifted down each sl).
        for (int sl = 0; sl < 4; ++sl) {
          int8x16_t w[4];
          for (int gi = 0; gi < 4; ++gi) {
            const uint8x16_t lo = sl < 2 ? vandq_u8(low[4 * sl + gi], low4) : vshrq_n_u8(low[4 * (sl - 2) + gi], 4);
            w[gi] = vreinterpretq_s8_u8(vorrq_u8(lo, vandq_u8(vshlq_n_u8(high[gi], 4), bits45)));
            high[gi] = vshrq_n_u8(high[gi], 2);
          }
          const float32x4_t sc = load_s8x4_f32(bp + 32 + (4 * u + sl) * 16 + 4 * q);
          for (int t = 0; t < kT; ++t) {
            const ActBlock256& ab = a[t][b];
            int32x4_t s0 = vdupq_n_s32(-32 * ab.bsum16[4 * u + sl]);
            int32x4_t s1 = vdupq_n_s32(0);
            dot4(s0, s1, w, vld1q_s8(ab.qs + 64 * u + 16 * sl));
            fsum[t] = vfmaq_f32(fsum[t], vcvtq_f32_s32(vaddq_s32(s0, s1)), sc);
          }
        }
      }
      const float32x4_t dw = load_half4(bp + 8 * q);
      for (int t = 0; t < kT; ++t) acc[t][q] = vfmaq_f32(acc[t][q], fsum[t], vmulq_n_f32(dw, a[t][b].d));
    }
  }
  store_tiles<kT>(acc, y);
}

// F16: each column of 16 rows widens to four vectors of floats, reused by kT tokens.
template <int kT>
RS_NEON_TARGET void tile_f16(const uint8_t* gp, int64_t n_in, size_t, const float* const* x, float* const* y) {
  float32x4_t acc[kT][4];
  for (int t = 0; t < kT; ++t)
    for (int q = 0; q < 4; ++q) acc[t][q] = vdupq_n_f32(0.0f);
  const size_t pf = packed_prefetch_bytes();
  for (int64_t k = 0; k < n_in; ++k) {
    const uint8_t* col = gp + 32 * k;
    if (pf != 0 && (k & 1) == 0) __builtin_prefetch(col + pf, 0, 3);
    uint16_t h[16];
    std::memcpy(h, col, sizeof(h));
    float32x4_t w[4];
    for (int q = 0; q < 4; ++q) w[q] = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h + 4 * q)));
    for (int t = 0; t < kT; ++t) {
      const float xv = x[t][k];
      for (int q = 0; q < 4; ++q) acc[t][q] = vfmaq_n_f32(acc[t][q], w[q], xv);
    }
  }
  store_tiles<kT>(acc, y);
}

// BF16: each pair of columns (four vectors of 4 rows, a 32-bit lane per row) splits into floats
// by masking (the second column) and shifting (the first); the second column's FMAs come first.
template <int kT>
RS_NEON_TARGET void tile_bf16(const uint8_t* gp, int64_t n_pairs, size_t, const float* const* x, float* const* y) {
  float32x4_t acc[kT][4];
  for (int t = 0; t < kT; ++t)
    for (int q = 0; q < 4; ++q) acc[t][q] = vdupq_n_f32(0.0f);
  const size_t pf = packed_prefetch_bytes();
  const uint32x4_t high = vdupq_n_u32(0xFFFF0000u);
  for (int64_t j = 0; j < n_pairs; ++j) {
    const uint8_t* p = gp + 64 * j;
    if (pf != 0) __builtin_prefetch(p + pf, 0, 3);
    float32x4_t w1[4], w0[4];
    for (int q = 0; q < 4; ++q) {
      uint32_t lanes[4];
      std::memcpy(lanes, p + 16 * q, sizeof(lanes));
      const uint32x4_t raw = vld1q_u32(lanes);
      w1[q] = vreinterpretq_f32_u32(vandq_u32(raw, high));
      w0[q] = vreinterpretq_f32_u32(vshlq_n_u32(raw, 16));
    }
    for (int t = 0; t < kT; ++t) {
      const float x1 = x[t][2 * j + 1];
      const float x0 = x[t][2 * j];
      for (int q = 0; q < 4; ++q) {
        acc[t][q] = vfmaq_n_f32(acc[t][q], w1[q], x1);
        acc[t][q] = vfmaq_n_f32(acc[t][q], w0[q], x0);
      }
    }
  }
  store_tiles<kT>(acc, y);
}

PackedKernelFn kernel(QuantType type) {
  switch (type) {
    case QuantType::Q4_0:
      return run_tiles<ActBlock32, 4, tile_32<1, true>, tile_32<2, true>, tile_32<3, true>, tile_32<4, true>>;
    case QuantType::Q8_0:
      return run_tiles<ActBlock32, 4, tile_32<1, false>, tile_32<2, false>, tile_32<3, false>, tile_32<4, false>>;
    case QuantType::F16:
      return run_tiles<float, 4, tile_f16<1>, tile_f16<2>, tile_f16<3>, tile_f16<4>>;
    case QuantType::BF16:
      return run_tiles<float, 4, tile_bf16<1>, tile_bf16<2>, tile_bf16<3>, tile_bf16<4>>;
    case QuantType::Q4_K:
      return run_tiles<ActBlock256, 4, tile_k4<1, false>, tile_k4<2, false>, tile_k4<3, false>, tile_k4<4, false>>;
    case QuantType::Q5_K:
      return run_tiles<ActBlock256, 4, tile_k4<1, true>, tile_k4<2, true>, tile_k4<3, true>, tile_k4<4, true>>;
    case QuantType::Q6_K:
      return run_tiles<ActBlock256, 4, tile_q6_k<1>, tile_q6_k<2>, tile_q6_k<3>, tile_q6_k<4>>;
    default: return nullptr;
  }
}

bool have_dotprod() {
#if defined(__ARM_FEATURE_DOTPROD)
  return true;  // the whole build already requires it
#elif defined(__linux__)
  // The kernel reports the ARMv8.2 dot-product instructions as HWCAP_ASIMDDP (bit 20).
  constexpr unsigned long kHwcapAsimdDp = 1ul << 20;
  static const bool ok = (getauxval(AT_HWCAP) & kHwcapAsimdDp) != 0;
  return ok;
#else
  return false;  // no run-time check written for this OS yet: the scalar twins run
#endif
}

}  // namespace

PackedKernelFn packed_kernel_neon_dotprod(QuantType type) { return have_dotprod() ? kernel(type) : nullptr; }

}  // namespace rightsize::kernels

#else  // not AArch64 with GCC/Clang

namespace rightsize::kernels {
PackedKernelFn packed_kernel_neon_dotprod(QuantType) { return nullptr; }
}  // namespace rightsize::kernels

#endif
