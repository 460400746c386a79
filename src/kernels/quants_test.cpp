// The quant block formats: round-trip error, dot products against double, lengths and odd
// addresses, special values, Q8 activation details, and byte identity with llama-quantize.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/dispatch.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_rows.h"
#include "kernels/quant_types.h"
#include "util/fp16.h"

namespace rightsize::kernels {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr QuantType kAllTypes[] = {
    QuantType::F32,    QuantType::F16,    QuantType::BF16, QuantType::Q4_0, QuantType::Q4_1,
    QuantType::Q5_0,   QuantType::Q5_1,   QuantType::Q8_0, QuantType::Q8_1, QuantType::Q2_K,
    QuantType::Q3_K,   QuantType::Q4_K,   QuantType::Q5_K, QuantType::Q6_K, QuantType::Q8_K,
    QuantType::IQ4_NL, QuantType::IQ4_XS,
};

// Weight types: those with a dot product.
std::vector<QuantType> weight_types() {
  std::vector<QuantType> out;
  for (QuantType t : kAllTypes)
    if (traits(t).vec_dot_scalar != nullptr) out.push_back(t);
  return out;
}

std::string type_name(const testing::TestParamInfo<QuantType>& info) {
  return traits(info.param).name;
}

std::vector<float> gaussian(int64_t n, uint32_t seed, float sigma = 1.0f, float mean = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

Bytes quantize(QuantType t, const std::vector<float>& x) {
  Bytes out(row_size(t, static_cast<int64_t>(x.size())));
  traits(t).from_float(x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

std::vector<float> dequantize(QuantType t, const Bytes& q, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  traits(t).to_float(q.data(), out.data(), n);
  return out;
}

double rel_rmse(const std::vector<float>& ref, const std::vector<float>& got) {
  double err = 0, norm = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err += (static_cast<double>(got[i]) - ref[i]) * (static_cast<double>(got[i]) - ref[i]);
    norm += static_cast<double>(ref[i]) * ref[i];
  }
  return norm > 0 ? std::sqrt(err / norm) : std::sqrt(err);
}

bool all_finite(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

// Bound on ||dequant(quant(x)) - x|| / ||x|| for N(0, 1) data. A uniform grid of step Δ has
// RMS error Δ/√12; with b bits spread over roughly ±2.5σ (the maximum of a 32-element block)
// that is about 5σ / 2^b / √12 ≈ 1.44 · 2^-b σ. Searched scales (K-quants, IQ4) do better
// than their bit count suggests, sub-block scale quantization a little worse. Each bound is
// ~1.3-1.7x the measured value (in the comment), and RoundTripErrorOnGaussianData also
// checks that it is not 10x loose.
struct ErrorBound {
  QuantType type;
  double rel_rmse;
};
constexpr ErrorBound kErrorBounds[] = {
    {QuantType::F32, 0.0},
    {QuantType::F16, 1e-3},     // 11-bit significand: 2^-11/√3 ≈ 2.8e-4 (measured 2.1e-4)
    {QuantType::BF16, 5e-3},    // 8-bit significand: 2^-8/√3 ≈ 2.3e-3 (1.6e-3)
    {QuantType::Q8_0, 0.008},   // 1.44 · 2^-8 ≈ 5.6e-3 (5.2e-3)
    {QuantType::Q8_1, 0.008},   // as Q8_0 (5.2e-3)
    {QuantType::Q8_K, 0.01},    // 256-element blocks have a larger max (6.7e-3)
    {QuantType::Q6_K, 0.025},   // 6 bits, 8-bit sub-block scales (1.8e-2)
    {QuantType::Q5_0, 0.06},    // 1.44 · 2^-5 ≈ 0.045 (0.042)
    {QuantType::Q5_1, 0.06},    // (0.037)
    {QuantType::Q5_K, 0.05},    // searched scale and min (0.036)
    {QuantType::Q4_0, 0.12},    // 1.44 · 2^-4 ≈ 0.09 (0.084)
    {QuantType::Q4_1, 0.12},    // (0.077)
    {QuantType::Q4_K, 0.10},    // searched scale and min (0.071)
    {QuantType::IQ4_NL, 0.10},  // 16 levels shaped for bell curves (0.075)
    {QuantType::IQ4_XS, 0.10},  // (0.075)
    {QuantType::Q3_K, 0.20},    // 1.44 · 2^-3 ≈ 0.18 (0.150)
    {QuantType::Q2_K, 0.40},    // 2 bits and 4-bit scales and mins (0.295)
};

double rmse_bound(QuantType t) {
  for (const ErrorBound& b : kErrorBounds)
    if (b.type == t) return b.rel_rmse;
  ADD_FAILURE() << "no error bound for " << traits(t).name;
  return 0.0;
}

// Relative tolerance of vec_dot against the double dot of the dequantized rows, as a fraction
// of Σ|w·a|. Integer block sums are exact, so only float accumulation of one product per
// block remains (≤ n_blocks · 2^-24 relative). Float types round every product into the sum.
// Q4_1/Q5_1 fold their min through Q8_1's half-precision block sum s, which carries 2^-11
// relative error of m·s per block.
double dot_tolerance(QuantType t) {
  if (!traits(t).is_quantized) return 1e-4;
  if (t == QuantType::Q4_1 || t == QuantType::Q5_1) return 1e-3;
  return 2e-5;
}

class QuantTypeTest : public testing::TestWithParam<QuantType> {};

TEST_P(QuantTypeTest, TableMatchesBlockGeometry) {
  const TypeTraits& tt = traits(GetParam());
  EXPECT_EQ(tt.type, GetParam());
  EXPECT_EQ(find_traits(static_cast<uint32_t>(GetParam())), &tt);
  EXPECT_EQ(type_from_name(tt.name), GetParam());
  EXPECT_NE(tt.to_float, nullptr);
  EXPECT_NE(tt.from_float, nullptr);
  EXPECT_EQ(tt.vec_dot_scalar != nullptr, tt.vec_dot != nullptr);
  EXPECT_EQ(row_size(GetParam(), tt.block_size * 3), tt.type_size * 3);
  if (tt.vec_dot_scalar != nullptr) {
    const TypeTraits& act = traits(tt.vec_dot_type);
    EXPECT_EQ(tt.block_size % act.block_size, 0) << "activation blocks must tile weight blocks";
    EXPECT_NE(act.from_float, nullptr);
  }
}

TEST_P(QuantTypeTest, RoundTripErrorOnGaussianData) {
  const QuantType t = GetParam();
  const auto x = gaussian(16 * 256, 7);
  const auto y = dequantize(t, quantize(t, x), static_cast<int64_t>(x.size()));
  const double err = rel_rmse(x, y);
  EXPECT_LE(err, rmse_bound(t)) << traits(t).name;
  // A bound that is far too loose would not catch a regression.
  if (traits(t).is_quantized) {
    EXPECT_GE(err, rmse_bound(t) / 10) << traits(t).name;
  }
  std::printf("  %-7s rel. RMSE %.5f (bound %.3f)\n", traits(t).name, err, rmse_bound(t));
}

TEST_P(QuantTypeTest, RoundTripIsStable) {
  // Quantizing dequantized values again must land on (nearly) the same values.
  const QuantType t = GetParam();
  const auto x = gaussian(4 * 256, 11);
  const auto y1 = dequantize(t, quantize(t, x), static_cast<int64_t>(x.size()));
  const auto y2 = dequantize(t, quantize(t, y1), static_cast<int64_t>(x.size()));
  EXPECT_LE(rel_rmse(y1, y2), rmse_bound(t)) << traits(t).name;
}

TEST_P(QuantTypeTest, ZerosStayZero) {
  const QuantType t = GetParam();
  const std::vector<float> x(512, 0.0f);
  const auto q = quantize(t, x);
  const auto y = dequantize(t, q, 512);
  for (float v : y) ASSERT_EQ(v, 0.0f) << traits(t).name;
  const TypeTraits& tt = traits(t);
  if (tt.vec_dot_scalar != nullptr) {
    const auto a = quantize(tt.vec_dot_type, gaussian(512, 3));
    EXPECT_EQ(tt.vec_dot_scalar(512, q.data(), a.data()), 0.0f);
  }
}

TEST_P(QuantTypeTest, ConstantRowsAreNearlyExact) {
  const QuantType t = GetParam();
  // Magnitudes keep every scale a normal half (Q6_K and IQ4_XS store d ≈ max/4096, which
  // goes subnormal below ~0.25 and loses relative precision, as in the reference).
  for (float c : {0.75f, -0.75f, 3.0f, -1.5f}) {
    const std::vector<float> x(512, c);
    const auto y = dequantize(t, quantize(t, x), 512);
    ASSERT_TRUE(all_finite(y)) << traits(t).name << " c=" << c;
    // A constant is one level times one scale (or one min): only the rounding of that scale
    // to half precision, 2^-11 relative, may move it.
    EXPECT_LE(rel_rmse(x, y), 1e-3) << traits(t).name << " c=" << c;
  }
}

TEST_P(QuantTypeTest, LargeAndTinyMagnitudes) {
  const QuantType t = GetParam();
  // Large: blocks reach ~4e4, close to the half-precision limit (65504) that the scales and
  // Q4_1/Q5_1 mins are stored in.
  const auto big = gaussian(2 * 256, 5, 1e4f);
  const auto yb = dequantize(t, quantize(t, big), 512);
  ASSERT_TRUE(all_finite(yb)) << traits(t).name;
  EXPECT_LE(rel_rmse(big, yb), rmse_bound(t)) << traits(t).name;
  // Tiny: scales may underflow half precision, but nothing may become NaN or infinite.
  const auto tiny = gaussian(2 * 256, 6, 1e-9f);
  const auto yt = dequantize(t, quantize(t, tiny), 512);
  ASSERT_TRUE(all_finite(yt)) << traits(t).name;
  for (size_t i = 0; i < tiny.size(); ++i) ASSERT_LE(std::fabs(yt[i]), 1e-6f);
}

// Double-precision dot of the dequantized rows: what vec_dot must compute up to rounding.
double reference_dot(QuantType t, const Bytes& w, const Bytes& a, int64_t n, double* abs_sum) {
  const auto wf = dequantize(t, w, n);
  const auto af = dequantize(traits(t).vec_dot_type, a, n);
  double dot = 0;
  *abs_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    dot += static_cast<double>(wf[i]) * af[i];
    *abs_sum += std::fabs(static_cast<double>(wf[i]) * af[i]);
  }
  return dot;
}

class WeightTypeTest : public testing::TestWithParam<QuantType> {};

TEST_P(WeightTypeTest, DotMatchesDequantizedReferenceAcrossLengths) {
  const QuantType t = GetParam();
  const TypeTraits& tt = traits(t);
  const int64_t unit = std::max<int64_t>(tt.block_size, traits(tt.vec_dot_type).block_size);
  const int64_t step = std::max<int64_t>(unit, 32);
  for (int64_t blocks : {1, 2, 3, 7, 16}) {
    const int64_t n = blocks * step;
    const auto w = quantize(t, gaussian(n, 100 + static_cast<uint32_t>(blocks), 0.05f));
    // Activations with a non-zero mean exercise the min terms of the affine formats.
    const auto a =
        quantize(tt.vec_dot_type, gaussian(n, 200 + static_cast<uint32_t>(blocks), 1.f, 0.3f));
    double abs_sum;
    const double want = reference_dot(t, w, a, n, &abs_sum);
    const float got = tt.vec_dot_scalar(n, w.data(), a.data());
    EXPECT_NEAR(got, want, dot_tolerance(t) * abs_sum + 1e-30) << tt.name << " n=" << n;
    // The table's active vec_dot (SIMD where installed) answers the same question.
    const float active = tt.vec_dot(n, w.data(), a.data());
    EXPECT_NEAR(active, want, 4 * dot_tolerance(t) * abs_sum + 1e-30) << tt.name << " n=" << n;
  }
}

TEST_P(WeightTypeTest, DotApproximatesFloatDot) {
  // End to end: quantized weights · quantized activations against the original floats.
  const QuantType t = GetParam();
  const TypeTraits& tt = traits(t);
  const int64_t n = 4096;
  const auto wf = gaussian(n, 21, 0.05f);
  const auto af = gaussian(n, 22);
  double want = 0, abs_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    want += static_cast<double>(wf[i]) * af[i];
    abs_sum += std::fabs(static_cast<double>(wf[i]) * af[i]);
  }
  const float got =
      tt.vec_dot_scalar(n, quantize(t, wf).data(), quantize(tt.vec_dot_type, af).data());
  // Independent errors of relative size e on n terms: ~e·||w||·||a|| ≈ e·abs_sum/√(n·2/π)·...;
  // bounding by the weight error bound times Σ|w·a| is loose but type-aware.
  EXPECT_NEAR(got, want, (rmse_bound(t) + 0.01) * abs_sum / 8 + 1e-6) << tt.name;
}

TEST_P(WeightTypeTest, MisalignedRowsGiveIdenticalResults) {
  const QuantType t = GetParam();
  const TypeTraits& tt = traits(t);
  const int64_t n = 2 * std::max<int64_t>(256, tt.block_size);
  const auto wf = gaussian(n, 31, 0.1f);
  const auto af = gaussian(n, 32);
  const auto w = quantize(t, wf);
  const auto a = quantize(tt.vec_dot_type, af);
  const float aligned = tt.vec_dot_scalar(n, w.data(), a.data());
  const auto deq = dequantize(t, w, n);
  for (size_t offset : {1u, 3u}) {
    Bytes wbuf(w.size() + offset), abuf(a.size() + offset + 1);
    std::memcpy(wbuf.data() + offset, w.data(), w.size());
    std::memcpy(abuf.data() + offset + 1, a.data(), a.size());
    EXPECT_EQ(tt.vec_dot_scalar(n, wbuf.data() + offset, abuf.data() + offset + 1), aligned)
        << tt.name << " offset " << offset;
    EXPECT_EQ(tt.vec_dot(n, wbuf.data() + offset, abuf.data() + offset + 1),
              tt.vec_dot(n, w.data(), a.data()))
        << tt.name << " offset " << offset;
    // Quantizing into and dequantizing from odd addresses writes and reads the same bytes.
    Bytes qbuf(w.size() + offset);
    tt.from_float(wf.data(), qbuf.data() + offset, n);
    EXPECT_EQ(std::memcmp(qbuf.data() + offset, w.data(), w.size()), 0) << tt.name;
    std::vector<float> out(static_cast<size_t>(n));
    tt.to_float(qbuf.data() + offset, out.data(), n);
    EXPECT_EQ(out, deq) << tt.name;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, QuantTypeTest, testing::ValuesIn(kAllTypes), type_name);
INSTANTIATE_TEST_SUITE_P(WeightTypes, WeightTypeTest, testing::ValuesIn(weight_types()), type_name);

// ---------------------------------------------------------------- table lookups

TEST(QuantTable, LookupsByIdAndName) {
  EXPECT_EQ(find_traits(4), nullptr);  // Q4_2, long removed
  EXPECT_EQ(find_traits(999), nullptr);
  EXPECT_EQ(type_from_name("q4_k"), QuantType::Q4_K);
  EXPECT_EQ(type_from_name("IQ4_xs"), QuantType::IQ4_XS);
  EXPECT_EQ(type_from_name("Q4_K_M"), std::nullopt);  // a file recipe, not a tensor type
  EXPECT_EQ(type_from_name(""), std::nullopt);
  EXPECT_EQ(row_size(QuantType::Q4_K, 4096), 4096u / 256 * 144);
  EXPECT_EQ(row_size(QuantType::F16, 7), 14u);
  EXPECT_EQ(traits(QuantType::Q4_K).vec_dot_type, QuantType::Q8_K);
  EXPECT_EQ(traits(QuantType::Q4_1).vec_dot_type, QuantType::Q8_1);
  EXPECT_EQ(traits(QuantType::IQ4_NL).vec_dot_type, QuantType::Q8_0);
  EXPECT_EQ(traits(QuantType::Q8_K).vec_dot_scalar, nullptr);
  EXPECT_EQ(traits(QuantType::Q8_1).vec_dot_scalar, nullptr);
  EXPECT_EQ(traits(QuantType::Q8_0).type_size, sizeof(BlockQ8_0));
  EXPECT_EQ(traits(QuantType::Q8_K).type_size, sizeof(BlockQ8_K));
  EXPECT_EQ(traits(QuantType::IQ4_XS).type_size, sizeof(BlockIQ4_XS));
}

// ---------------------------------------------------------------- activation quantizers

TEST(ActivationQuant, Q8_0RoundsHalfAwayFromZero) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;  // d = 1 exactly
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.5f;
  const auto q = quantize(QuantType::Q8_0, x);
  BlockQ8_0 b;
  std::memcpy(&b, q.data(), sizeof(b));
  EXPECT_EQ(fp16_to_f32(b.d), 1.0f);
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[2], -3);
  EXPECT_EQ(b.qs[3], 1);
}

TEST(ActivationQuant, Q8_1CarriesScaledSum) {
  const auto x = gaussian(64, 41);
  const auto q = quantize(QuantType::Q8_1, x);
  for (int i = 0; i < 2; ++i) {
    BlockQ8_1 b;
    std::memcpy(&b, q.data() + i * sizeof(b), sizeof(b));
    int sum = 0;
    float amax = 0;
    for (int j = 0; j < 32; ++j) {
      sum += b.qs[j];
      amax = std::max(amax, std::fabs(x[32 * i + j]));
    }
    EXPECT_EQ(b.d, f32_to_fp16(amax / 127));
    EXPECT_EQ(b.s, f32_to_fp16(static_cast<float>(sum) * (amax / 127)));
  }
}

TEST(ActivationQuant, Q8_KMapsSignedMaxTo127AndSumsEach16) {
  auto x = gaussian(3 * 256, 43);
  x[300] = 9.0f;   // block 1's largest element is positive ...
  x[600] = -9.0f;  // ... block 2's negative
  const auto q = quantize(QuantType::Q8_K, x);
  for (int i = 0; i < 3; ++i) {
    BlockQ8_K b;
    std::memcpy(&b, q.data() + i * sizeof(b), sizeof(b));
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b.qs[16 * j + l];
      EXPECT_EQ(b.bsums[j], sum) << "block " << i << " group " << j;
    }
    int arg = 0;
    for (int e = 1; e < 256; ++e)
      if (std::fabs(x[256 * i + e]) > std::fabs(x[256 * i + arg])) arg = e;
    // The signed maximum maps to -127: d carries the opposite sign.
    EXPECT_EQ(b.qs[arg], -127);
    EXPECT_FLOAT_EQ(b.d * b.qs[arg], x[256 * i + arg]);
    for (int e = 0; e < 256; ++e) EXPECT_LE(std::abs(static_cast<int>(b.qs[e])), 127);
  }
}

TEST(ActivationQuant, Q8_KRoundsHalfToEven) {
  std::vector<float> x(256, 0.0f);
  x[0] = -127.0f;  // iscale = 1
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 3.5f;
  const auto q = quantize(QuantType::Q8_K, x);
  BlockQ8_K b;
  std::memcpy(&b, q.data(), sizeof(b));
  EXPECT_EQ(b.d, 1.0f);
  EXPECT_EQ(b.qs[0], -127);
  EXPECT_EQ(b.qs[1], 2);
  EXPECT_EQ(b.qs[2], -2);
  EXPECT_EQ(b.qs[3], 4);
}

// The SIMD Q8_K block quantizer (the packed kernels' activations) against the reference one,
// bit for bit: random blocks of several scales, all zeros, a tie in magnitude between a
// positive and a negative maximum (the first wins), a lone outlier, rounding ties.
TEST(ActivationQuant, Q8_KSimdTwinMatchesReference) {
  std::mt19937 rng(99);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<std::vector<float>> blocks;
  for (int k = 0; k < 200; ++k) {
    std::vector<float> x(256);
    const float scale = std::ldexp(1.0f, k % 40 - 20);
    for (auto& v : x) v = dist(rng) * scale;
    blocks.push_back(x);
  }
  blocks.emplace_back(256, 0.0f);
  std::vector<float> tie(256, 0.25f);
  tie[7] = 3.0f;
  tie[3] = -3.0f;  // first of the two largest magnitudes: negative
  blocks.push_back(tie);
  std::vector<float> lone(256, 0.0f);
  lone[255] = -1e-3f;
  blocks.push_back(lone);
  std::vector<float> ties(256, 0.0f);
  ties[0] = -127.0f;
  for (int i = 1; i < 256; ++i) ties[i] = static_cast<float>(i % 9) - 4.5f;
  blocks.push_back(ties);
  for (size_t k = 0; k < blocks.size(); ++k) {
    SCOPED_TRACE("block " + std::to_string(k));
    BlockQ8_K ref;
    quantize_row_q8_k(blocks[k].data(), &ref, 256);
    float d = -1.0f;
    int8_t qs[256];
    int16_t bsums[16];
    quantize_q8_k_block(blocks[k].data(), &d, qs, bsums);
    EXPECT_EQ(std::memcmp(&d, &ref.d, sizeof(d)), 0) << d << " vs " << ref.d;
    EXPECT_EQ(std::memcmp(qs, ref.qs, sizeof(qs)), 0);
    EXPECT_EQ(std::memcmp(bsums, ref.bsums, sizeof(bsums)), 0);
  }
}

// ---------------------------------------------------------------- golden bytes

// A portable input (mt19937 is fully specified; Irwin-Hall sums avoid libm) with rows that
// reach the quantizers' edge paths: all-zero super-blocks and sub-blocks, outliers, a
// small off-centre row, a constant half and exact rounding ties.
std::vector<float> golden_input() {
  constexpr int kRows = 8, kCols = 512;
  std::mt19937 rng(20250222);
  auto normal = [&] {
    float s = 0;
    for (int k = 0; k < 12; ++k) s += static_cast<float>(rng() >> 8) * (1.0f / 16777216.0f);
    return s - 6.0f;
  };
  std::vector<float> x(kRows * kCols);
  for (int r = 0; r < kRows; ++r) {
    float* row = x.data() + r * kCols;
    for (int c = 0; c < kCols; ++c) {
      const float g = normal();
      switch (r) {
        case 4:
          row[c] = 0.02f * g + 0.01f;
          break;
        case 5:
          row[c] = (c < 256 || (c >= 288 && c < 320)) ? 0.0f : g;
          break;
        case 6:
          row[c] = c % 37 == 0 ? 8.0f * g : g;
          break;
        case 7:
          row[c] = c < 256 ? -0.5f : 0.25f * static_cast<float>(c % 17 - 8);
          break;
        default:
          row[c] = g;
      }
    }
  }
  return x;
}

uint64_t fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

// FNV-1a of the bytes llama.cpp (commit c392e50, ggml-quants.c: quantize_<type> with no
// importance matrix, the path llama-quantize takes; quantize_row_q8_1_ref/q8_K_ref for the
// activation types) writes for golden_input(). Covers the types the reference model files
// do not contain (Q2_K, Q3_K, Q4_1, Q5_1, IQ4_NL, IQ4_XS, Q8_1, Q8_K).
TEST(GoldenBytes, QuantizersMatchTheReferenceQuantizer) {
  struct Golden {
    QuantType type;
    uint64_t hash;
  };
  constexpr Golden kGolden[] = {
      {QuantType::Q4_0, 0x1e53930f118891c5ull},   {QuantType::Q4_1, 0x69abbfa643a3497dull},
      {QuantType::Q5_0, 0x13d0970d60abe9d5ull},   {QuantType::Q5_1, 0x609b2fe69586640eull},
      {QuantType::Q8_0, 0x3daa59ffd741efc4ull},   {QuantType::Q8_1, 0x3ce0790a5e09176eull},
      {QuantType::Q2_K, 0xc8f317844888b597ull},   {QuantType::Q3_K, 0x793fadc42b1db09eull},
      {QuantType::Q4_K, 0xcafc75f5edd09666ull},   {QuantType::Q5_K, 0x87034065ceb2b2d0ull},
      {QuantType::Q6_K, 0xf60fc8dcc090f143ull},   {QuantType::Q8_K, 0x98feb00f7643d735ull},
      {QuantType::IQ4_NL, 0xcaad8a107f634d50ull}, {QuantType::IQ4_XS, 0x82185fa48b9a9462ull},
  };
  const auto x = golden_input();
  for (const Golden& g : kGolden) {
    const auto q = quantize(g.type, x);
    EXPECT_EQ(fnv1a(q.data(), q.size()), g.hash) << traits(g.type).name;
  }
}

// ---------------------------------------------------------------- reference files

std::filesystem::path testdata_dir() {
  if (const char* env = std::getenv("RIGHTSIZE_TESTDATA"); env != nullptr && *env != '\0')
    return env;
  return RS_DEFAULT_TESTDATA;  // defined by the build: <source>/../shared/testdata
}

TEST(ReferenceFiles, QuantizingF32WeightsReproducesLlamaQuantizeBytes) {
  const auto models = testdata_dir() / "models";
  if (!std::filesystem::exists(models)) {
    GTEST_SKIP() << "no reference models at " << models << " (set RIGHTSIZE_TESTDATA)";
  }
  struct Tally {
    int tensors = 0, identical = 0;
    int64_t blocks = 0, blocks_differing = 0;
  };
  std::map<std::string, Tally> by_type;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(models)) {
    const std::string file = entry.path().filename().string();
    const size_t dot = file.find('.');
    if (dot == std::string::npos || file.ends_with(".F32.gguf")) continue;
    const auto f32_path = models / (file.substr(0, dot) + ".F32.gguf");
    if (!std::filesystem::exists(f32_path)) continue;
    const auto quant = gguf::GgufFile::open(entry.path().string());
    const auto f32 = gguf::GgufFile::open(f32_path.string());
    ++files;
    for (const gguf::TensorInfo& qt : quant->tensors()) {
      const TypeTraits* tt = find_traits(qt.type);
      ASSERT_NE(tt, nullptr) << file << ": " << qt.name << " has type " << qt.type;
      if (!tt->is_quantized) continue;
      const gguf::TensorInfo* src = f32->find_tensor(qt.name);
      if (src == nullptr || src->type != 0 || src->shape != qt.shape) continue;
      const int64_t n = qt.n_elements();
      const size_t n_bytes = row_size(tt->type, n);
      ASSERT_EQ(qt.n_bytes, n_bytes) << qt.name;
      std::vector<float> x(static_cast<size_t>(n));
      std::memcpy(x.data(), src->data, x.size() * sizeof(float));
      Bytes ours(n_bytes);
      tt->from_float(x.data(), ours.data(), n);
      Tally& tally = by_type[tt->name];
      ++tally.tensors;
      const auto* theirs = static_cast<const uint8_t*>(qt.data);
      int64_t differing = 0;
      for (size_t off = 0; off < n_bytes; off += tt->type_size)
        differing += std::memcmp(ours.data() + off, theirs + off, tt->type_size) != 0;
      tally.blocks += static_cast<int64_t>(n_bytes / tt->type_size);
      tally.blocks_differing += differing;
      tally.identical += differing == 0;
      EXPECT_EQ(differing, 0) << file << ": " << qt.name << " (" << tt->name << ") differs in "
                              << differing << " of " << n_bytes / tt->type_size << " blocks";
    }
  }
  ASSERT_GT(files, 0) << "no quantized/F32 pairs in " << models;
  for (const auto& [type, t] : by_type) {
    std::printf("  %-6s %3d/%3d tensors byte-identical, %lld/%lld blocks differ\n", type.c_str(),
                t.identical, t.tensors, static_cast<long long>(t.blocks_differing),
                static_cast<long long>(t.blocks));
  }
  for (const char* expected : {"Q4_0", "Q8_0", "Q4_K", "Q6_K"})
    EXPECT_TRUE(by_type.count(expected)) << "no " << expected << " tensors were compared";
}

}  // namespace
}  // namespace rightsize::kernels
