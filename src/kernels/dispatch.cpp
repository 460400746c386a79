// Highway runtime dispatch: this file is compiled once per SIMD target (foreach_target), and
// HWY_DYNAMIC_DISPATCH picks the best target the CPU supports on first use.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/dispatch.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace rightsize::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float DotF32(int64_t n, const float* HWY_RESTRICT a, const float* HWY_RESTRICT b) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + i + lanes), hn::LoadU(d, b + i + lanes), s1);
    s2 = hn::MulAdd(hn::LoadU(d, a + i + 2 * lanes), hn::LoadU(d, b + i + 2 * lanes), s2);
    s3 = hn::MulAdd(hn::LoadU(d, a + i + 3 * lanes), hn::LoadU(d, b + i + 3 * lanes), s3);
  }
  for (; i + lanes <= n; i += lanes) s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
  float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void AxpyF32(int64_t n, float a, const float* HWY_RESTRICT x, float* HWY_RESTRICT y) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto va = hn::Set(d, a);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::MulAdd(va, hn::LoadU(d, x + i), hn::LoadU(d, y + i)), d, y + i);
  for (; i < n; ++i) y[i] += a * x[i];
}

// The traits-table signature: one F32 row with one F32 activation row.
float VecDotF32(int64_t n, const void* row, const void* act) {
  return DotF32(n, static_cast<const float*>(row), static_cast<const float*>(act));
}

// F16 and BF16 rows (weights and activations in the same type): widen to f32, multiply-add.
template <typename T>
float DotHalf(int64_t n, const T* HWY_RESTRICT a, const T* HWY_RESTRICT b) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<T, decltype(df)> dh;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  auto s0 = hn::Zero(df), s1 = hn::Zero(df);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    s0 = hn::MulAdd(hn::PromoteTo(df, hn::LoadU(dh, a + i)), hn::PromoteTo(df, hn::LoadU(dh, b + i)), s0);
    s1 = hn::MulAdd(hn::PromoteTo(df, hn::LoadU(dh, a + i + lanes)),
                    hn::PromoteTo(df, hn::LoadU(dh, b + i + lanes)), s1);
  }
  for (; i + lanes <= n; i += lanes)
    s0 = hn::MulAdd(hn::PromoteTo(df, hn::LoadU(dh, a + i)), hn::PromoteTo(df, hn::LoadU(dh, b + i)), s0);
  float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(s0, s1)));
  if (i < n) {
    const hn::CappedTag<float, 1> d1;
    const hn::Rebind<T, decltype(d1)> dh1;
    for (; i < n; ++i)
      sum += hn::GetLane(hn::PromoteTo(d1, hn::LoadU(dh1, a + i))) * hn::GetLane(hn::PromoteTo(d1, hn::LoadU(dh1, b + i)));
  }
  return sum;
}

float VecDotF16(int64_t n, const void* row, const void* act) {
  return DotHalf(n, static_cast<const hwy::float16_t*>(row), static_cast<const hwy::float16_t*>(act));
}
float VecDotBF16(int64_t n, const void* row, const void* act) {
  return DotHalf(n, static_cast<const hwy::bfloat16_t*>(row), static_cast<const hwy::bfloat16_t*>(act));
}

// One 256-value block quantized as quantize_row_q8_k does it, bit for bit: the signed value of
// the first largest magnitude sets iscale = -127 / max; q = min(127, nearest(iscale * x)) by
// the same add-1.5*2^23 rounding; d = 1 / iscale; sums per 16. (Its scalar loops were 7.7% of
// a Q4_K_M prompt batch.)
void QuantizeQ8K(const float* HWY_RESTRICT x, float* d_out, int8_t* HWY_RESTRICT qs, int16_t* HWY_RESTRICT bsums) {
  const hn::CappedTag<float, 16> df;  // 16 % lanes == 0 on every target this builds for
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  constexpr int kN = 256;
  const int lanes = static_cast<int>(hn::Lanes(df));
  auto vmax = hn::Zero(df);
  for (int i = 0; i < kN; i += lanes) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, x + i)));
  const float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
  if (amax == 0.0f) {
    *d_out = 0.0f;
    for (int i = 0; i < kN; ++i) qs[i] = 0;
    for (int j = 0; j < 16; ++j) bsums[j] = 0;
    return;
  }
  float max = 0.0f;
  const auto va = hn::Set(df, amax);
  for (int i = 0; i < kN; i += lanes) {
    const intptr_t k = hn::FindFirstTrue(df, hn::Eq(hn::Abs(hn::LoadU(df, x + i)), va));
    if (k >= 0) {
      max = x[i + k];
      break;
    }
  }
  const float iscale = -127.f / max;
  const auto vs = hn::Set(df, iscale);
  const auto magic = hn::Set(df, 12582912.0f);
  const auto mant = hn::Set(di, 0x007fffff), bias = hn::Set(di, 0x00400000), top = hn::Set(di, 127);
  for (int j = 0; j < 16; ++j) {
    auto sum = hn::Zero(di);
    for (int l = 0; l < 16; l += lanes) {
      const int i = 16 * j + l;
      const auto shifted = hn::Add(hn::Mul(vs, hn::LoadU(df, x + i)), magic);
      const auto q = hn::Min(hn::Sub(hn::And(hn::BitCast(di, shifted), mant), bias), top);
      hn::StoreU(hn::DemoteTo(d8, q), d8, qs + i);
      sum = hn::Add(sum, q);
    }
    bsums[j] = static_cast<int16_t>(hn::GetLane(hn::SumOfLanes(di, sum)));
  }
  *d_out = 1 / iscale;
}

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace rightsize::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <mutex>

#include "kernels/dispatch.h"
#include "kernels/quant_table.h"

namespace rightsize::kernels {

HWY_EXPORT(DotF32);
HWY_EXPORT(AxpyF32);
HWY_EXPORT(VecDotF16);
HWY_EXPORT(VecDotBF16);
HWY_EXPORT(VecDotF32);
HWY_EXPORT(TargetName);
HWY_EXPORT(QuantizeQ8K);

void quantize_q8_k_block(const float* x, float* d, int8_t* qs, int16_t* bsums) {
  HWY_DYNAMIC_DISPATCH(QuantizeQ8K)(x, d, qs, bsums);
}

float dot_f32(int64_t n, const float* a, const float* b) {
  return HWY_DYNAMIC_DISPATCH(DotF32)(n, a, b);
}

void axpy_f32(int64_t n, float a, const float* x, float* y) {
  HWY_DYNAMIC_DISPATCH(AxpyF32)(n, a, x, y);
}

namespace {
float vec_dot_f32_dispatch(int64_t n, const void* row, const void* act) {
  return HWY_DYNAMIC_DISPATCH(VecDotF32)(n, row, act);
}
float vec_dot_f16_dispatch(int64_t n, const void* row, const void* act) {
  return HWY_DYNAMIC_DISPATCH(VecDotF16)(n, row, act);
}
float vec_dot_bf16_dispatch(int64_t n, const void* row, const void* act) {
  return HWY_DYNAMIC_DISPATCH(VecDotBF16)(n, row, act);
}
}  // namespace

std::string simd_target_name() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }

void install_simd_kernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    mutable_traits(QuantType::F32).vec_dot = &vec_dot_f32_dispatch;
    mutable_traits(QuantType::F16).vec_dot = &vec_dot_f16_dispatch;
    mutable_traits(QuantType::BF16).vec_dot = &vec_dot_bf16_dispatch;
  });
}

}  // namespace rightsize::kernels
#endif  // HWY_ONCE
