// IQ4_NL and IQ4_XS: 4-bit indices into the non-linear table kIQ4Values, one scale per 32
// elements (IQ4_XS: 6-bit scales under a half-precision super-block scale).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/quant_blocks.h"
#include "kernels/quant_rows.h"
#include "util/fp16.h"

namespace rightsize::kernels {
namespace {

constexpr int kSubBlock = 32;
// Scale candidates tried on each side of the max-based one (the reference's setting).
constexpr int kScaleTries = 7;

// Index of the table level nearest to v; a value exactly halfway takes the upper level.
int nearest_level(float v) {
  if (v <= kIQ4Values[0]) return 0;
  if (v >= kIQ4Values[15]) return 15;
  int upper = 1;
  while (v >= kIQ4Values[upper]) ++upper;  // first level above v
  return v - kIQ4Values[upper - 1] < kIQ4Values[upper] - v ? upper - 1 : upper;
}

// Least-squares scale of one 32-element sub-block against the table, weighted by x²: levels
// from the max-based scale, then 2·kScaleTries + 1 stretched candidates; the one maximizing
// Σwqx² / Σwq² wins. Returns 0 for an all-zero sub-block.
float fit_iq4_scale(const float* x) {
  float amax = 0, max = 0;
  for (int j = 0; j < kSubBlock; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  if (amax < kGroupZeroEps) return 0.0f;
  const float first_level = kIQ4Values[0];
  // Sums of w·q·x and w·q² for the levels chosen at inverse scale id.
  auto fit = [&](float id, float* sumqx, float* sumq2) {
    *sumqx = 0;
    *sumq2 = 0;
    for (int j = 0; j < kSubBlock; ++j) {
      const float q = kIQ4Values[nearest_level(id * x[j])];
      const float w = x[j] * x[j];
      *sumqx += w * q * x[j];
      *sumq2 += w * q * q;
    }
  };
  float sumqx, sumq2;
  fit(1 / (-max / first_level), &sumqx, &sumq2);
  float d = sumqx / sumq2;
  float best = d * sumqx;
  for (int t = -kScaleTries; t <= kScaleTries; ++t) {
    fit(static_cast<float>(t + kIQ4Values[0]) / max, &sumqx, &sumq2);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

// Packs 32 level indices: byte j holds element j (low nibble) and j + 16 (high).
void pack_levels(const uint8_t* levels, uint8_t* qs) {
  for (int j = 0; j < kSubBlock / 2; ++j)
    qs[j] = static_cast<uint8_t>(levels[j] | (levels[j + kSubBlock / 2] << 4));
}

void levels_at(const float* x, float inv_scale, uint8_t* levels) {
  for (int j = 0; j < kSubBlock; ++j)
    levels[j] = static_cast<uint8_t>(nearest_level(inv_scale * x[j]));
}

}  // namespace

// ---- IQ4_NL

void dequantize_row_iq4_nl(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, dst += kBlock32) {
    const auto b = load_block<BlockIQ4_NL>(src, i);
    const float d = fp16_to_f32(b.d);
    for (int j = 0; j < kBlock32 / 2; ++j) {
      dst[j] = d * static_cast<float>(kIQ4Values[b.qs[j] & 0x0F]);
      dst[j + kBlock32 / 2] = d * static_cast<float>(kIQ4Values[b.qs[j] >> 4]);
    }
  }
}

// As llama-quantize writes IQ4_NL (its quantize_iq4_nl with no importance matrix, which
// searches; the row "reference" function of the same era skips the search).
void quantize_row_iq4_nl(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, src += kBlock32) {
    const float d = fit_iq4_scale(src);
    BlockIQ4_NL b;
    b.d = f32_to_fp16(d);
    uint8_t levels[kSubBlock];
    levels_at(src, d != 0 ? 1 / d : 0, levels);
    pack_levels(levels, b.qs);
    store_block(dst, i, b);
  }
}

float vec_dot_iq4_nl_q8_0(int64_t n, const void* row, const void* act) {
  float sum = 0;
  for (int64_t i = 0; i < n / kBlock32; ++i) {
    const auto x = load_block<BlockIQ4_NL>(row, i);
    const auto y = load_block<BlockQ8_0>(act, i);
    int sumi = 0;
    for (int j = 0; j < kBlock32 / 2; ++j) {
      sumi += kIQ4Values[x.qs[j] & 0x0F] * y.qs[j];
      sumi += kIQ4Values[x.qs[j] >> 4] * y.qs[j + kBlock32 / 2];
    }
    sum += fp16_to_f32(x.d) * fp16_to_f32(y.d) * static_cast<float>(sumi);
  }
  return sum;
}

// ---- IQ4_XS

namespace {
// Sub-block scale ib (0..7) as stored: 4 low bits in scales_l, 2 high bits in scales_h.
inline int iq4xs_scale(const BlockIQ4_XS& b, int ib) {
  const int low = (b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0x0F;
  const int high = (b.scales_h >> (2 * ib)) & 3;
  return (low | (high << 4)) - 32;
}
}  // namespace

void dequantize_row_iq4_xs(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kSuperBlock; ++i, dst += kSuperBlock) {
    const auto b = load_block<BlockIQ4_XS>(src, i);
    const float d = fp16_to_f32(b.d);
    for (int ib = 0; ib < kSuperBlock / kSubBlock; ++ib) {
      const float dl = d * static_cast<float>(iq4xs_scale(b, ib));
      const uint8_t* qs = b.qs + 16 * ib;
      float* out = dst + kSubBlock * ib;
      for (int j = 0; j < 16; ++j) {
        out[j] = dl * static_cast<float>(kIQ4Values[qs[j] & 0x0F]);
        out[j + 16] = dl * static_cast<float>(kIQ4Values[qs[j] >> 4]);
      }
    }
  }
}

void quantize_row_iq4_xs(const float* src, void* dst, int64_t n) {
  constexpr int kSubBlocks = kSuperBlock / kSubBlock;
  for (int64_t i = 0; i < n / kSuperBlock; ++i, src += kSuperBlock) {
    float scales[kSubBlocks];
    float amax_scale = 0, max_scale = 0;
    for (int ib = 0; ib < kSubBlocks; ++ib) {
      scales[ib] = fit_iq4_scale(src + kSubBlock * ib);
      if (std::fabs(scales[ib]) > amax_scale) {
        amax_scale = std::fabs(scales[ib]);
        max_scale = scales[ib];
      }
    }
    // Sub-block scales become 6-bit multiples of d; the largest maps to -32 with its sign.
    // (An all-zero block stores d = -0, as the reference does.)
    const float d = -max_scale / 32;
    const float id = d != 0 ? 1 / d : 0.f;
    BlockIQ4_XS b{};
    b.d = f32_to_fp16(d);
    for (int ib = 0; ib < kSubBlocks; ++ib) {
      const int l = std::clamp(nearest_int(id * scales[ib]), -32, 31);
      // Levels are refit against the scale as stored, not the searched one.
      const float dl = d * static_cast<float>(l);
      uint8_t levels[kSubBlock];
      levels_at(src + kSubBlock * ib, dl != 0 ? 1 / dl : 0.f, levels);
      pack_levels(levels, b.qs + 16 * ib);
      const int biased = l + 32;
      b.scales_l[ib / 2] |= static_cast<uint8_t>((biased & 0x0F) << (4 * (ib % 2)));
      b.scales_h |= static_cast<uint16_t>((biased >> 4) << (2 * ib));
    }
    store_block(dst, i, b);
  }
}

float vec_dot_iq4_xs_q8_k(int64_t n, const void* row, const void* act) {
  float sum = 0;
  for (int64_t i = 0; i < n / kSuperBlock; ++i) {
    const auto x = load_block<BlockIQ4_XS>(row, i);
    const auto y = load_block<BlockQ8_K>(act, i);
    const float d = fp16_to_f32(x.d) * y.d;
    for (int ib = 0; ib < kSuperBlock / kSubBlock; ++ib) {
      const uint8_t* qs = x.qs + 16 * ib;
      const int8_t* q8 = y.qs + kSubBlock * ib;
      int sumi = 0;
      for (int j = 0; j < 16; ++j) {
        sumi += kIQ4Values[qs[j] & 0x0F] * q8[j];
        sumi += kIQ4Values[qs[j] >> 4] * q8[j + 16];
      }
      sum += d * static_cast<float>(iq4xs_scale(x, ib)) * static_cast<float>(sumi);
    }
  }
  return sum;
}

}  // namespace rightsize::kernels
