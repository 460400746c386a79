// The unquantized element types: F32, F16 and BF16 rows, their conversions and dot products.
// Dot products accumulate in float, as the SIMD versions that replace them do.
#include <cstring>

#include "kernels/quant_rows.h"
#include "util/fp16.h"

namespace rightsize::kernels {
namespace {

// 16-bit rows may sit at odd addresses; read each element through memcpy.
inline uint16_t load_u16(const void* row, int64_t i) {
  uint16_t v;
  std::memcpy(&v, static_cast<const uint8_t*>(row) + 2 * i, sizeof(v));
  return v;
}
inline void store_u16(void* row, int64_t i, uint16_t v) {
  std::memcpy(static_cast<uint8_t*>(row) + 2 * i, &v, sizeof(v));
}
inline float load_f32(const void* row, int64_t i) {
  float v;
  std::memcpy(&v, static_cast<const uint8_t*>(row) + 4 * i, sizeof(v));
  return v;
}

}  // namespace

void dequantize_row_f32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void quantize_row_f32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

float vec_dot_f32(int64_t n, const void* row, const void* act) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += load_f32(row, i) * load_f32(act, i);
  return sum;
}

void dequantize_row_f16(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_f32(load_u16(src, i));
}

void quantize_row_f16(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) store_u16(dst, i, f32_to_fp16(src[i]));
}

// Both operands are F16 (activations are converted once per matmul); products are exact in
// float, so only the accumulation rounds.
float vec_dot_f16(int64_t n, const void* row, const void* act) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    sum += fp16_to_f32(load_u16(row, i)) * fp16_to_f32(load_u16(act, i));
  return sum;
}

void dequantize_row_bf16(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(load_u16(src, i));
}

void quantize_row_bf16(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) store_u16(dst, i, f32_to_bf16(src[i]));
}

float vec_dot_bf16(int64_t n, const void* row, const void* act) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    sum += bf16_to_f32(load_u16(row, i)) * bf16_to_f32(load_u16(act, i));
  return sum;
}

}  // namespace rightsize::kernels
