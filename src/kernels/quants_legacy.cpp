// The 32-element formats Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the Q8_0/Q8_1 activations. Quantizers
// follow the reference operation for operation, so they write llama-quantize's bytes.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/quant_blocks.h"
#include "kernels/quant_rows.h"
#include "util/fp16.h"

namespace rightsize::kernels {
namespace {

constexpr int kHalf = kBlock32 / 2;

// The element of largest magnitude, with its sign (the first one wins a tie).
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void min_max(const float* x, int n, float* lo, float* hi) {
  *lo = x[0];
  *hi = x[0];
  for (int j = 1; j < n; ++j) {
    if (x[j] < *lo) *lo = x[j];
    if (x[j] > *hi) *hi = x[j];
  }
}

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Fifth bit of element j (0..31) from the packed qh word, in position 4.
inline int fifth_bit(uint32_t qh, int j) { return static_cast<int>((qh >> j) & 1u) << 4; }

}  // namespace

// ---- Q4_0: x = d * (q - 8)

void dequantize_row_q4_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, dst += kBlock32) {
    const auto b = load_block<BlockQ4_0>(src, i);
    const float d = fp16_to_f32(b.d);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = static_cast<float>((b.qs[j] & 0x0F) - 8) * d;
      dst[j + kHalf] = static_cast<float>((b.qs[j] >> 4) - 8) * d;
    }
  }
}

void quantize_row_q4_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, src += kBlock32) {
    // The largest-magnitude element maps to level -8 with its own sign, which uses the one
    // level the asymmetric range -8..7 has to spare; everything else rounds toward it.
    const float d = signed_absmax(src, kBlock32) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ4_0 b;
    b.d = f32_to_fp16(d);
    for (int j = 0; j < kHalf; ++j) {
      const int lo = std::min(15, static_cast<int>(src[j] * id + 8.5f));
      const int hi = std::min(15, static_cast<int>(src[j + kHalf] * id + 8.5f));
      b.qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
    store_block(dst, i, b);
  }
}

float vec_dot_q4_0_q8_0(int64_t n, const void* row, const void* act) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kBlock32; ++i) {
    const auto x = load_block<BlockQ4_0>(row, i);
    const auto y = load_block<BlockQ8_0>(act, i);
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi += ((x.qs[j] & 0x0F) - 8) * y.qs[j];
      sumi += ((x.qs[j] >> 4) - 8) * y.qs[j + kHalf];
    }
    sum += fp16_to_f32(x.d) * fp16_to_f32(y.d) * static_cast<float>(sumi);
  }
  return sum;
}

// ---- Q4_1: x = d * q + m

void dequantize_row_q4_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, dst += kBlock32) {
    const auto b = load_block<BlockQ4_1>(src, i);
    const float d = fp16_to_f32(b.d);
    const float m = fp16_to_f32(b.m);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = static_cast<float>(b.qs[j] & 0x0F) * d + m;
      dst[j + kHalf] = static_cast<float>(b.qs[j] >> 4) * d + m;
    }
  }
}

void quantize_row_q4_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, src += kBlock32) {
    float lo, hi;
    min_max(src, kBlock32, &lo, &hi);
    const float d = (hi - lo) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ4_1 b;
    b.d = f32_to_fp16(d);
    b.m = f32_to_fp16(lo);
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = std::min(15, static_cast<int>((src[j] - lo) * id + 0.5f));
      const int q1 = std::min(15, static_cast<int>((src[j + kHalf] - lo) * id + 0.5f));
      b.qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
    store_block(dst, i, b);
  }
}

// The min multiplies the activation block's sum, which Q8_1 carries precomputed as s.
float vec_dot_q4_1_q8_1(int64_t n, const void* row, const void* act) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kBlock32; ++i) {
    const auto x = load_block<BlockQ4_1>(row, i);
    const auto y = load_block<BlockQ8_1>(act, i);
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi += (x.qs[j] & 0x0F) * y.qs[j];
      sumi += (x.qs[j] >> 4) * y.qs[j + kHalf];
    }
    sum += fp16_to_f32(x.d) * fp16_to_f32(y.d) * static_cast<float>(sumi) +
           fp16_to_f32(x.m) * fp16_to_f32(y.s);
  }
  return sum;
}

// ---- Q5_0: x = d * (q - 16)

void dequantize_row_q5_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, dst += kBlock32) {
    const auto b = load_block<BlockQ5_0>(src, i);
    const float d = fp16_to_f32(b.d);
    const uint32_t qh = load_u32(b.qh);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = static_cast<float>(((b.qs[j] & 0x0F) | fifth_bit(qh, j)) - 16) * d;
      dst[j + kHalf] = static_cast<float>(((b.qs[j] >> 4) | fifth_bit(qh, j + kHalf)) - 16) * d;
    }
  }
}

void quantize_row_q5_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, src += kBlock32) {
    // As Q4_0: the largest-magnitude element takes the spare level -16.
    const float d = signed_absmax(src, kBlock32) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ5_0 b;
    b.d = f32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = std::min(31, static_cast<int>(src[j] * id + 16.5f));
      const int q1 = std::min(31, static_cast<int>(src[j + kHalf] * id + 16.5f));
      b.qs[j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + kHalf);
    }
    std::memcpy(b.qh, &qh, sizeof(qh));
    store_block(dst, i, b);
  }
}

float vec_dot_q5_0_q8_0(int64_t n, const void* row, const void* act) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kBlock32; ++i) {
    const auto x = load_block<BlockQ5_0>(row, i);
    const auto y = load_block<BlockQ8_0>(act, i);
    const uint32_t qh = load_u32(x.qh);
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi += (((x.qs[j] & 0x0F) | fifth_bit(qh, j)) - 16) * y.qs[j];
      sumi += (((x.qs[j] >> 4) | fifth_bit(qh, j + kHalf)) - 16) * y.qs[j + kHalf];
    }
    sum += fp16_to_f32(x.d) * fp16_to_f32(y.d) * static_cast<float>(sumi);
  }
  return sum;
}

// ---- Q5_1: x = d * q + m

void dequantize_row_q5_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, dst += kBlock32) {
    const auto b = load_block<BlockQ5_1>(src, i);
    const float d = fp16_to_f32(b.d);
    const float m = fp16_to_f32(b.m);
    const uint32_t qh = load_u32(b.qh);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = static_cast<float>((b.qs[j] & 0x0F) | fifth_bit(qh, j)) * d + m;
      dst[j + kHalf] = static_cast<float>((b.qs[j] >> 4) | fifth_bit(qh, j + kHalf)) * d + m;
    }
  }
}

void quantize_row_q5_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, src += kBlock32) {
    float lo, hi;
    min_max(src, kBlock32, &lo, &hi);
    const float d = (hi - lo) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ5_1 b;
    b.d = f32_to_fp16(d);
    b.m = f32_to_fp16(lo);
    uint32_t qh = 0;
    for (int j = 0; j < kHalf; ++j) {
      // (x - lo) * id never exceeds 31 + rounding, so the clamp is only a guard.
      const int q0 = std::min(31, static_cast<int>((src[j] - lo) * id + 0.5f));
      const int q1 = std::min(31, static_cast<int>((src[j + kHalf] - lo) * id + 0.5f));
      b.qs[j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + kHalf);
    }
    std::memcpy(b.qh, &qh, sizeof(qh));
    store_block(dst, i, b);
  }
}

float vec_dot_q5_1_q8_1(int64_t n, const void* row, const void* act) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kBlock32; ++i) {
    const auto x = load_block<BlockQ5_1>(row, i);
    const auto y = load_block<BlockQ8_1>(act, i);
    const uint32_t qh = load_u32(x.qh);
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi += ((x.qs[j] & 0x0F) | fifth_bit(qh, j)) * y.qs[j];
      sumi += ((x.qs[j] >> 4) | fifth_bit(qh, j + kHalf)) * y.qs[j + kHalf];
    }
    sum += fp16_to_f32(x.d) * fp16_to_f32(y.d) * static_cast<float>(sumi) +
           fp16_to_f32(x.m) * fp16_to_f32(y.s);
  }
  return sum;
}

// ---- Q8_0 (weights and activations) and Q8_1 (activations): x = d * q

void dequantize_row_q8_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, dst += kBlock32) {
    const auto b = load_block<BlockQ8_0>(src, i);
    const float d = fp16_to_f32(b.d);
    for (int j = 0; j < kBlock32; ++j) dst[j] = static_cast<float>(b.qs[j]) * d;
  }
}

namespace {
// Symmetric 8-bit: d = amax / 127 and q = round(x / d), halves away from zero (std::round),
// as the reference quantizer rounds. Returns the float d (before it is stored as half).
float quantize_8bit(const float* x, int8_t* q) {
  float amax = 0.0f;
  for (int j = 0; j < kBlock32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < kBlock32; ++j) q[j] = static_cast<int8_t>(std::round(x[j] * id));
  return d;
}
}  // namespace

void quantize_row_q8_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, src += kBlock32) {
    BlockQ8_0 b;
    b.d = f32_to_fp16(quantize_8bit(src, b.qs));
    store_block(dst, i, b);
  }
}

float vec_dot_q8_0_q8_0(int64_t n, const void* row, const void* act) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kBlock32; ++i) {
    const auto x = load_block<BlockQ8_0>(row, i);
    const auto y = load_block<BlockQ8_0>(act, i);
    int sumi = 0;
    for (int j = 0; j < kBlock32; ++j) sumi += x.qs[j] * y.qs[j];
    sum += fp16_to_f32(x.d) * fp16_to_f32(y.d) * static_cast<float>(sumi);
  }
  return sum;
}

void dequantize_row_q8_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, dst += kBlock32) {
    const auto b = load_block<BlockQ8_1>(src, i);
    const float d = fp16_to_f32(b.d);
    for (int j = 0; j < kBlock32; ++j) dst[j] = static_cast<float>(b.qs[j]) * d;
  }
}

void quantize_row_q8_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kBlock32; ++i, src += kBlock32) {
    BlockQ8_1 b;
    const float d = quantize_8bit(src, b.qs);
    int qsum = 0;
    for (int j = 0; j < kBlock32; ++j) qsum += b.qs[j];
    b.d = f32_to_fp16(d);
    b.s = f32_to_fp16(static_cast<float>(qsum) * d);
    store_block(dst, i, b);
  }
}

}  // namespace rightsize::kernels
