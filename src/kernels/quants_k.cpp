// The K-quants Q2_K..Q6_K (256-element super-blocks with quantized sub-block scales) and their
// activation type Q8_K. Quantizers write llama-quantize's bytes (see fit_affine on float order).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/quant_blocks.h"
#include "kernels/quant_rows.h"
#include "util/fp16.h"

namespace rightsize::kernels {
namespace {

// ---------------------------------------------------------------- scale searches

// Fit x ≈ scale * q + offset with q in 0..nmax and offset <= 0, minimizing Σ w·err where err
// is squared (or absolute) error. The range-based scale is the first candidate; then the
// level count is stretched by first_step + k·step for k = 0..n_steps, each candidate's
// levels refit by weighted least squares for both scale and offset; the best fit wins.
// These searches are discontinuous, so every float expression here and in the quantizers
// keeps the reference's operand order (and needs -ffp-contract=off, the ISO C++ default):
// one rounding difference changes the chosen levels and the bytes.
struct AffineSearch {
  int nmax;
  float first_step;
  float step;
  int n_steps;
  bool abs_error;
};

float fit_affine(const float* x, const float* w, int n, const AffineSearch& s, uint8_t* q,
                 float* neg_offset) {
  float lo = x[0], hi = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  // The offset is stored as a non-negative "min" that is subtracted, so it cannot go above 0.
  if (lo > 0) lo = 0;
  if (hi == lo) {
    std::fill(q, q + n, uint8_t{0});
    *neg_offset = -lo;
    return 0.0f;
  }
  const float nmax = static_cast<float>(s.nmax);
  // The offset of the best fit so far; later candidates measure levels from it, so an
  // improvement also moves the grid the remaining candidates are drawn on.
  float offset = lo;
  auto error_of = [&](float scale, float off, const uint8_t* levels) {
    float err = 0;
    for (int i = 0; i < n; ++i) {
      float diff = scale * levels[i] + off - x[i];
      diff = s.abs_error ? std::fabs(diff) : diff * diff;
      err += w[i] * diff;
    }
    return err;
  };
  auto levels_for = [&](float iscale, uint8_t* levels) {
    for (int i = 0; i < n; ++i)
      levels[i] =
          static_cast<uint8_t>(std::clamp(nearest_int(iscale * (x[i] - offset)), 0, s.nmax));
  };

  float iscale = nmax / (hi - offset);
  float scale = 1 / iscale;
  levels_for(iscale, q);
  float best_err = error_of(scale, offset, q);

  uint8_t trial[32];
  for (int k = 0; k <= s.n_steps; ++k) {
    iscale = (s.first_step + s.step * static_cast<float>(k) + nmax) / (hi - offset);
    levels_for(iscale, trial);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const float l = trial[i];
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0)) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float this_offset = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (this_offset > 0) {
      this_offset = 0;
      this_scale = sum_xl / sum_l2;
    }
    const float err = error_of(this_scale, this_offset, trial);
    if (err < best_err) {
      std::copy(trial, trial + n, q);
      best_err = err;
      scale = this_scale;
      offset = this_offset;
    }
  }
  *neg_offset = -offset;
  return scale;
}

// Signed value of largest magnitude (first wins a tie), and that magnitude.
float signed_absmax(const float* x, int n, float* amax_out) {
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  *amax_out = amax;
  return max;
}

// Fit x ≈ scale * l with l in -nmax..nmax-1, weighted by x² (large weights matter most).
// Tries the max-based scale and 18 stretched variants around it, keeping the one with the
// best least-squares fit; q receives l + nmax. Q6_K's search.
float fit_symmetric(const float* x, int n, int nmax, int8_t* q) {
  float amax;
  const float max = signed_absmax(x, n, &amax);
  if (amax < kGroupZeroEps) {
    std::fill(q, q + n, int8_t{0});
    return 0.0f;
  }
  // Fills sums of w·x·l and w·l² for the levels at iscale; writes the levels when asked.
  auto evaluate = [&](float iscale, float* sumlx, float* suml2, int8_t* levels) {
    *sumlx = 0;
    *suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      if (levels != nullptr) levels[i] = static_cast<int8_t>(l + nmax);
      const float w = x[i] * x[i];
      *sumlx += w * x[i] * static_cast<float>(l);
      *suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
  };
  float sumlx, suml2;
  evaluate(static_cast<float>(-nmax) / max, &sumlx, &suml2, q);
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int k = -9; k <= 9; ++k) {
    if (k == 0) continue;
    const float iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(k)) / max;
    evaluate(iscale, &sumlx, &suml2, nullptr);
    // Maximizing sumlx²/suml2 is minimizing the residual of the least-squares scale.
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      evaluate(iscale, &sumlx, &suml2, q);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Q3_K's search: levels from the max-based scale, then up to five sweeps that move single
// elements to the level their leave-one-out least-squares scale asks for, whenever that
// raises sumlx²/suml2. q receives l + nmax.
float fit_symmetric_refined(const float* x, int n, int nmax, int8_t* q) {
  float amax;
  const float max = signed_absmax(x, n, &amax);
  if (amax < kGroupZeroEps) {
    std::fill(q, q + n, int8_t{0});
    return 0.0f;
  }
  const float iscale = static_cast<float>(-nmax) / max;
  int l_of[16];
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    l_of[i] = l;
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int sweep = 0; sweep < 5; ++sweep) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      const float li = static_cast<float>(l_of[i]);
      float slx = sumlx - w * x[i] * li;
      if (!(slx > 0)) continue;
      float sl2 = suml2 - w * li * li;
      const int new_l = std::clamp(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (new_l == l_of[i]) continue;
      const float nl = static_cast<float>(new_l);
      slx += w * x[i] * nl;
      sl2 += w * nl * nl;
      if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
        l_of[i] = new_l;
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) q[i] = static_cast<int8_t>(l_of[i] + nmax);
  return sumlx / suml2;
}

// ---------------------------------------------------------------- shared layout helpers

void pack_scale_min(const uint8_t* scales, const uint8_t* mins, uint8_t* s) {
  std::memset(s, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      s[j] = scales[j];
      s[j + 4] = mins[j];
    } else {
      s[j + 4] = static_cast<uint8_t>((scales[j] & 0x0F) | ((mins[j] & 0x0F) << 4));
      s[j - 4] |= static_cast<uint8_t>((scales[j] >> 4) << 6);
      s[j] |= static_cast<uint8_t>((mins[j] >> 4) << 6);
    }
  }
}

// Q3_K's sixteen signed 6-bit scales (value - 32 already applied).
void unpack_q3_scales(const uint8_t* s, int* out) {
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? s[j] & 0x0F : s[j - 8] >> 4;
    const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[j] = (low | (high << 4)) - 32;
  }
}

// Q2_K and Q3_K store 2-bit fields four to a byte: within each 128 elements, byte l of the
// 32 holds elements l, l+32, l+64, l+96 at bit offsets 0, 2, 4, 6.
inline int two_bits(const uint8_t* qs, int e) {
  return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
}

void pack_two_bits(const uint8_t* levels, uint8_t* qs) {
  for (int base = 0; base < kSuperBlock; base += 128) {
    for (int l = 0; l < 32; ++l) {
      qs[base / 4 + l] =
          static_cast<uint8_t>(levels[base + l] | (levels[base + l + 32] << 2) |
                               (levels[base + l + 64] << 4) | (levels[base + l + 96] << 6));
    }
  }
}

// Affine super-block of Q4_K/Q5_K: searched scale and min per 32-element sub-block, both sets
// quantized to 6 bits against their maxima, then every element re-rounded against the stored
// (rounded) scale and min. Sub-blocks whose stored scale is 0 keep the searched levels.
void quantize_affine_superblock(const float* x, const AffineSearch& search, uint16_t* d_out,
                                uint16_t* dmin_out, uint8_t* scales_out, uint8_t* levels) {
  float scales[8], mins[8], weights[32];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    // Weights favour large elements but keep a floor at the sub-block's RMS.
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float rms = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = rms + std::fabs(xs[l]);
    scales[j] = fit_affine(xs, weights, 32, search, levels + 32 * j, &mins[j]);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  uint8_t q_scales[8], q_mins[8];
  for (int j = 0; j < 8; ++j) {
    // Truncation to a byte before the clamp mirrors the reference for (never seen) negatives.
    q_scales[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
    q_mins[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
  }
  pack_scale_min(q_scales, q_mins, scales_out);
  *d_out = f32_to_fp16(max_scale / 63.f);
  *dmin_out = f32_to_fp16(max_min / 63.f);

  const float d_all = fp16_to_f32(*d_out), dmin_all = fp16_to_f32(*dmin_out);
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    unpack_scale_min(scales_out, j, &sc, &m);
    const float d = d_all * static_cast<float>(sc);
    if (d == 0) continue;
    const float dm = dmin_all * static_cast<float>(m);
    for (int l = 0; l < 32; ++l)
      levels[32 * j + l] =
          static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + l] + dm) / d), 0, search.nmax));
  }
}

}  // namespace

// ================================================================ Q2_K

void dequantize_row_q2_k(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kSuperBlock; ++i, dst += kSuperBlock) {
    const auto b = load_block<BlockQ2_K>(src, i);
    const float d = fp16_to_f32(b.d), dmin = fp16_to_f32(b.dmin);
    for (int e = 0; e < kSuperBlock; ++e) {
      const uint8_t sc = b.scales[e / 16];
      const float dl = d * static_cast<float>(sc & 0x0F);
      const float ml = dmin * static_cast<float>(sc >> 4);
      dst[e] = dl * static_cast<float>(two_bits(b.qs, e)) - ml;
    }
  }
}

void quantize_row_q2_k(const float* src, void* dst, int64_t n) {
  constexpr AffineSearch kSearch{3, -0.5f, 0.1f, 15, true};
  constexpr float kLevels = 15.f;  // 4-bit sub-block scales and mins
  for (int64_t i = 0; i < n / kSuperBlock; ++i, src += kSuperBlock) {
    uint8_t levels[kSuperBlock];
    float scales[16], mins[16], weights[16];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(src[16 * j + l]);
      scales[j] = fit_affine(src + 16 * j, weights, 16, kSearch, levels + 16 * j, &mins[j]);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    BlockQ2_K b{};
    if (max_scale > 0) {
      const float iscale = kLevels / max_scale;
      for (int j = 0; j < 16; ++j)
        b.scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      b.d = f32_to_fp16(max_scale / kLevels);
    } else {
      b.d = f32_to_fp16(0.f);
    }
    if (max_min > 0) {
      const float iscale = kLevels / max_min;
      for (int j = 0; j < 16; ++j)
        b.scales[j] |= static_cast<uint8_t>(nearest_int(iscale * mins[j]) << 4);
      b.dmin = f32_to_fp16(max_min / kLevels);
    } else {
      b.dmin = f32_to_fp16(0.f);
    }
    const float d_all = fp16_to_f32(b.d), dmin_all = fp16_to_f32(b.dmin);
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * static_cast<float>(b.scales[j] & 0x0F);
      if (d == 0) continue;
      const float dm = dmin_all * static_cast<float>(b.scales[j] >> 4);
      for (int l = 0; l < 16; ++l)
        levels[16 * j + l] =
            static_cast<uint8_t>(std::clamp(nearest_int((src[16 * j + l] + dm) / d), 0, 3));
    }
    pack_two_bits(levels, b.qs);
    store_block(dst, i, b);
  }
}

// The mins never meet the quants: Σ min_j·q8 over a sub-block is min_j times its bsums.
float vec_dot_q2_k_q8_k(int64_t n, const void* row, const void* act) {
  float sum = 0;
  for (int64_t i = 0; i < n / kSuperBlock; ++i) {
    const auto x = load_block<BlockQ2_K>(row, i);
    const auto y = load_block<BlockQ8_K>(act, i);
    int sum_mins = 0, sum_q = 0;
    for (int j = 0; j < 16; ++j) {
      sum_mins += y.bsums[j] * (x.scales[j] >> 4);
      int sub = 0;
      for (int l = 0; l < 16; ++l) sub += two_bits(x.qs, 16 * j + l) * y.qs[16 * j + l];
      sum_q += (x.scales[j] & 0x0F) * sub;
    }
    sum += y.d * fp16_to_f32(x.d) * static_cast<float>(sum_q) -
           y.d * fp16_to_f32(x.dmin) * static_cast<float>(sum_mins);
  }
  return sum;
}

// ================================================================ Q3_K

namespace {
inline int q3_level(const BlockQ3_K& b, int e) {
  const bool high = (b.hmask[e % 32] >> (e / 32)) & 1;
  return two_bits(b.qs, e) - (high ? 0 : 4);
}
}  // namespace

void dequantize_row_q3_k(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kSuperBlock; ++i, dst += kSuperBlock) {
    const auto b = load_block<BlockQ3_K>(src, i);
    const float d = fp16_to_f32(b.d);
    int scales[16];
    unpack_q3_scales(b.scales, scales);
    for (int e = 0; e < kSuperBlock; ++e)
      dst[e] = d * static_cast<float>(scales[e / 16]) * static_cast<float>(q3_level(b, e));
  }
}

void quantize_row_q3_k(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kSuperBlock; ++i, src += kSuperBlock) {
    int8_t levels[kSuperBlock];
    float scales[16];
    float amax = 0, max_scale = 0;  // the sub-block scale of largest magnitude, signed
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_symmetric_refined(src + 16 * j, 16, 4, levels + 16 * j);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    BlockQ3_K b{};
    if (max_scale != 0) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        // The reference narrows the rounded value to a signed byte before clamping.
        const int8_t rounded = static_cast<int8_t>(nearest_int(iscale * scales[j]));
        const int l = std::clamp<int>(rounded, -32, 31) + 32;
        if (j < 8) {
          b.scales[j] = static_cast<uint8_t>(l & 0x0F);
        } else {
          b.scales[j - 8] |= static_cast<uint8_t>((l & 0x0F) << 4);
        }
        b.scales[8 + j % 4] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
      }
      b.d = f32_to_fp16(1 / iscale);
    } else {
      b.d = f32_to_fp16(0.f);
    }
    int stored[16];
    unpack_q3_scales(b.scales, stored);
    const float d_all = fp16_to_f32(b.d);
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * static_cast<float>(stored[j]);
      if (d == 0) continue;
      for (int l = 0; l < 16; ++l)
        levels[16 * j + l] =
            static_cast<int8_t>(std::clamp(nearest_int(src[16 * j + l] / d), -4, 3) + 4);
    }
    // Levels 0..7: the high bit goes to hmask (bit e/32 of byte e%32), the rest to qs.
    uint8_t low[kSuperBlock];
    for (int e = 0; e < kSuperBlock; ++e) {
      if (levels[e] > 3) b.hmask[e % 32] |= static_cast<uint8_t>(1u << (e / 32));
      low[e] = static_cast<uint8_t>(levels[e] & 3);
    }
    pack_two_bits(low, b.qs);
    store_block(dst, i, b);
  }
}

float vec_dot_q3_k_q8_k(int64_t n, const void* row, const void* act) {
  float sum = 0;
  for (int64_t i = 0; i < n / kSuperBlock; ++i) {
    const auto x = load_block<BlockQ3_K>(row, i);
    const auto y = load_block<BlockQ8_K>(act, i);
    int scales[16];
    unpack_q3_scales(x.scales, scales);
    int sum_q = 0;
    for (int j = 0; j < 16; ++j) {
      int sub = 0;
      for (int l = 0; l < 16; ++l) sub += q3_level(x, 16 * j + l) * y.qs[16 * j + l];
      sum_q += scales[j] * sub;
    }
    sum += fp16_to_f32(x.d) * y.d * static_cast<float>(sum_q);
  }
  return sum;
}

// ================================================================ Q4_K

namespace {
// Within each 64 elements, sub-block 2k is the low nibbles of 32 bytes, 2k+1 the high.
inline int q4k_level(const uint8_t* qs, int e) {
  const uint8_t byte = qs[32 * (e / 64) + e % 32];
  return (e % 64) < 32 ? byte & 0x0F : byte >> 4;
}
}  // namespace

void dequantize_row_q4_k(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kSuperBlock; ++i, dst += kSuperBlock) {
    const auto b = load_block<BlockQ4_K>(src, i);
    const float d = fp16_to_f32(b.d), dmin = fp16_to_f32(b.dmin);
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      unpack_scale_min(b.scales, j, &sc, &m);
      const float dl = d * static_cast<float>(sc), ml = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l)
        dst[32 * j + l] = dl * static_cast<float>(q4k_level(b.qs, 32 * j + l)) - ml;
    }
  }
}

void quantize_row_q4_k(const float* src, void* dst, int64_t n) {
  constexpr AffineSearch kSearch{15, -1.0f, 0.1f, 20, false};
  for (int64_t i = 0; i < n / kSuperBlock; ++i, src += kSuperBlock) {
    BlockQ4_K b{};
    uint8_t levels[kSuperBlock];
    quantize_affine_superblock(src, kSearch, &b.d, &b.dmin, b.scales, levels);
    for (int base = 0; base < kSuperBlock; base += 64)
      for (int l = 0; l < 32; ++l)
        b.qs[base / 2 + l] = static_cast<uint8_t>(levels[base + l] | (levels[base + l + 32] << 4));
    store_block(dst, i, b);
  }
}

float vec_dot_q4_k_q8_k(int64_t n, const void* row, const void* act) {
  float sum = 0;
  for (int64_t i = 0; i < n / kSuperBlock; ++i) {
    const auto x = load_block<BlockQ4_K>(row, i);
    const auto y = load_block<BlockQ8_K>(act, i);
    int sum_q = 0, sum_mins = 0;
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      unpack_scale_min(x.scales, j, &sc, &m);
      sum_mins += m * (y.bsums[2 * j] + y.bsums[2 * j + 1]);
      int sub = 0;
      for (int l = 0; l < 32; ++l) sub += q4k_level(x.qs, 32 * j + l) * y.qs[32 * j + l];
      sum_q += sc * sub;
    }
    sum += fp16_to_f32(x.d) * y.d * static_cast<float>(sum_q) -
           fp16_to_f32(x.dmin) * y.d * static_cast<float>(sum_mins);
  }
  return sum;
}

// ================================================================ Q5_K

namespace {
inline int q5k_level(const BlockQ5_K& b, int e) {
  return q4k_level(b.qs, e) | (((b.qh[e % 32] >> (e / 32)) & 1) << 4);
}
}  // namespace

void dequantize_row_q5_k(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kSuperBlock; ++i, dst += kSuperBlock) {
    const auto b = load_block<BlockQ5_K>(src, i);
    const float d = fp16_to_f32(b.d), dmin = fp16_to_f32(b.dmin);
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      unpack_scale_min(b.scales, j, &sc, &m);
      const float dl = d * static_cast<float>(sc), ml = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l)
        dst[32 * j + l] = dl * static_cast<float>(q5k_level(b, 32 * j + l)) - ml;
    }
  }
}

void quantize_row_q5_k(const float* src, void* dst, int64_t n) {
  constexpr AffineSearch kSearch{31, -0.5f, 0.1f, 15, false};
  for (int64_t i = 0; i < n / kSuperBlock; ++i, src += kSuperBlock) {
    BlockQ5_K b{};
    uint8_t levels[kSuperBlock];
    quantize_affine_superblock(src, kSearch, &b.d, &b.dmin, b.scales, levels);
    for (int e = 0; e < kSuperBlock; ++e)
      if (levels[e] > 15) b.qh[e % 32] |= static_cast<uint8_t>(1u << (e / 32));
    for (int base = 0; base < kSuperBlock; base += 64)
      for (int l = 0; l < 32; ++l)
        b.qs[base / 2 + l] =
            static_cast<uint8_t>((levels[base + l] & 0x0F) | ((levels[base + l + 32] & 0x0F) << 4));
    store_block(dst, i, b);
  }
}

float vec_dot_q5_k_q8_k(int64_t n, const void* row, const void* act) {
  float sum = 0;
  for (int64_t i = 0; i < n / kSuperBlock; ++i) {
    const auto x = load_block<BlockQ5_K>(row, i);
    const auto y = load_block<BlockQ8_K>(act, i);
    int sum_q = 0, sum_mins = 0;
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      unpack_scale_min(x.scales, j, &sc, &m);
      sum_mins += m * (y.bsums[2 * j] + y.bsums[2 * j + 1]);
      int sub = 0;
      for (int l = 0; l < 32; ++l) sub += q5k_level(x, 32 * j + l) * y.qs[32 * j + l];
      sum_q += sc * sub;
    }
    sum += fp16_to_f32(x.d) * y.d * static_cast<float>(sum_q) -
           fp16_to_f32(x.dmin) * y.d * static_cast<float>(sum_mins);
  }
  return sum;
}

// ================================================================ Q6_K

namespace {
// Within each 128 elements (64 ql bytes, 32 qh bytes), element l + 32g (g = 0..3) takes the
// low or high nibble of ql[l + 32 (g % 2)] and bits 2g..2g+1 of qh[l]. Returns q - 32.
inline int q6k_level(const BlockQ6_K& b, int e) {
  const int half = e / 128, r = e % 128, g = r / 32, l = r % 32;
  const uint8_t lbyte = b.ql[64 * half + l + 32 * (g % 2)];
  const int low = g < 2 ? lbyte & 0x0F : lbyte >> 4;
  const int high = (b.qh[32 * half + l] >> (2 * g)) & 3;
  return (low | (high << 4)) - 32;
}
}  // namespace

void dequantize_row_q6_k(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kSuperBlock; ++i, dst += kSuperBlock) {
    const auto b = load_block<BlockQ6_K>(src, i);
    const float d = fp16_to_f32(b.d);
    for (int e = 0; e < kSuperBlock; ++e)
      dst[e] = d * static_cast<float>(b.scales[e / 16]) * static_cast<float>(q6k_level(b, e));
  }
}

void quantize_row_q6_k(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kSuperBlock; ++i, src += kSuperBlock) {
    int8_t levels[kSuperBlock];
    float scales[16];
    float max_abs_scale = 0, max_scale = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_symmetric(src + 16 * j, 16, 32, levels + 16 * j);
      if (std::fabs(scales[j]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    BlockQ6_K b{};
    if (max_abs_scale < kGroupZeroEps) {
      b.d = f32_to_fp16(0.f);
      store_block(dst, i, b);
      continue;
    }
    // 8-bit signed sub-block scales; the largest maps to -128 with its sign.
    const float iscale = -128.f / max_scale;
    b.d = f32_to_fp16(1 / iscale);
    for (int j = 0; j < 16; ++j)
      b.scales[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[j])));
    const float d_all = fp16_to_f32(b.d);
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * static_cast<float>(b.scales[j]);
      if (d == 0) continue;
      for (int l = 0; l < 16; ++l)
        levels[16 * j + l] =
            static_cast<int8_t>(std::clamp(nearest_int(src[16 * j + l] / d), -32, 31) + 32);
    }
    for (int base = 0; base < kSuperBlock; base += 128) {
      uint8_t* ql = b.ql + base / 2;
      uint8_t* qh = b.qh + base / 4;
      const int8_t* lv = levels + base;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((lv[l] & 0x0F) | ((lv[l + 64] & 0x0F) << 4));
        ql[l + 32] = static_cast<uint8_t>((lv[l + 32] & 0x0F) | ((lv[l + 96] & 0x0F) << 4));
        qh[l] = static_cast<uint8_t>((lv[l] >> 4) | ((lv[l + 32] >> 4) << 2) |
                                     ((lv[l + 64] >> 4) << 4) | ((lv[l + 96] >> 4) << 6));
      }
    }
    store_block(dst, i, b);
  }
}

float vec_dot_q6_k_q8_k(int64_t n, const void* row, const void* act) {
  float sum = 0;
  for (int64_t i = 0; i < n / kSuperBlock; ++i) {
    const auto x = load_block<BlockQ6_K>(row, i);
    const auto y = load_block<BlockQ8_K>(act, i);
    int sum_q = 0;
    for (int j = 0; j < 16; ++j) {
      int sub = 0;
      for (int l = 0; l < 16; ++l) sub += q6k_level(x, 16 * j + l) * y.qs[16 * j + l];
      sum_q += x.scales[j] * sub;
    }
    sum += fp16_to_f32(x.d) * y.d * static_cast<float>(sum_q);
  }
  return sum;
}

// ================================================================ Q8_K (activations)

void dequantize_row_q8_k(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kSuperBlock; ++i, dst += kSuperBlock) {
    const auto b = load_block<BlockQ8_K>(src, i);
    for (int e = 0; e < kSuperBlock; ++e) dst[e] = b.d * static_cast<float>(b.qs[e]);
  }
}

// The scale maps the signed largest element to -127 exactly (not -128: keeping the range
// symmetric lets SIMD dot products use sign tricks without overflow); rounding ties to even.
void quantize_row_q8_k(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kSuperBlock; ++i, src += kSuperBlock) {
    BlockQ8_K b{};
    float amax;
    const float max = signed_absmax(src, kSuperBlock, &amax);
    if (amax == 0) {
      b.d = 0;
      store_block(dst, i, b);
      continue;
    }
    const float iscale = -127.f / max;
    for (int e = 0; e < kSuperBlock; ++e)
      b.qs[e] = static_cast<int8_t>(std::min(127, nearest_int(iscale * src[e])));
    for (int j = 0; j < 16; ++j) {
      int s = 0;
      for (int l = 0; l < 16; ++l) s += b.qs[16 * j + l];
      b.bsums[j] = static_cast<int16_t>(s);
    }
    b.d = 1 / iscale;
    store_block(dst, i, b);
  }
}

}  // namespace rightsize::kernels
