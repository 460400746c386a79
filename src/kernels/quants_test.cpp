// Tests of the quant block formats: round-trip error per type, dot products against a double
// reference, lengths and misaligned rows, special values, Q8 activation details, and byte
// identity with the tensors llama-quantize wrote into ../shared/testdata.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/quant_blocks.h"
#include "kernels/quant_types.h"
#include "util/fp16.h"

namespace rightsize::kernels {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr QuantType kAllTypes[] = {
    QuantType::F32,  QuantType::F16,  QuantType::BF16, QuantType::Q4_0,   QuantType::Q4_1,
    QuantType::Q5_0, QuantType::Q5_1, QuantType::Q8_0, QuantType::Q8_1,   QuantType::Q2_K,
    QuantType::Q3_K, QuantType::Q4_K, QuantType::Q5_K, QuantType::Q6_K,   QuantType::Q8_K,
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
// RMS error Δ/√12; with b bits over roughly ±2.5σ (the block maximum of 32 Gaussians) that is
// about 5σ / 2^b / √12 ≈ 1.44 · 2^-b σ. Searched scales (K-quants, IQ4) do better than their
// bit count suggests, sub-block scale quantization a little worse; each bound is the
// estimate with ~1.3-1.5x headroom, checked against measured values noted alongside.
double rmse_bound(QuantType t) {
  switch (t) {
    case QuantType::F32: return 0.0;
    case QuantType::F16: return 1e-3;    // 11-bit mantissa: 2^-11/√3 ≈ 2.8e-4 (meas. 2.8e-4)
    case QuantType::BF16: return 5e-3;   // 8-bit mantissa: 2^-8/√3 ≈ 2.3e-3 (meas. 2.2e-3)
    case QuantType::Q8_0:
    case QuantType::Q8_1: return 0.01;   // 1.44 · 2^-8 ≈ 5.6e-3 (meas. 4.7e-3)
    case QuantType::Q8_K: return 0.01;   // 256-element blocks: larger max (meas. 6.5e-3)
    case QuantType::Q6_K: return 0.03;   // 6 bits, 16-element sub-blocks (meas. 1.8e-2)
    case QuantType::Q5_0:
    case QuantType::Q5_1: return 0.06;   // 1.44 · 2^-5 ≈ 0.045 (meas. ~0.04)
    case QuantType::Q5_K: return 0.05;   // searched affine (meas. 0.036)
    case QuantType::Q4_0:
    case QuantType::Q4_1: return 0.12;   // 1.44 · 2^-4 ≈ 0.09 (meas. ~0.085)
    case QuantType::Q4_K: return 0.10;   // searched affine (meas. 0.074)
    case QuantType::IQ4_NL:
    case QuantType::IQ4_XS: return 0.10; // 16 levels shaped for Gaussians (meas. ~0.075)
    case QuantType::Q3_K: return 0.25;   // 1.44 · 2^-3 ≈ 0.18 (meas. 0.17)
    case QuantType::Q2_K: return 0.45;   // 2 bits + 4-bit scales (meas. 0.33)
  }
  return 0.0;
}

// Relative tolerance of vec_dot against the double dot of the dequantized rows, as a fraction
// of Σ|w·a|. Integer block sums are exact, so only float accumulation of one product per
// block remains (≤ n_blocks · 2^-24 relative). Float types round every product into the sum.
// Q4_1/Q5_1 fold their min through Q8_1's half-precision block sum s, which carries 2^-11
// relative error of m·s per block.
double dot_tolerance(QuantType t) {
  switch (t) {
    case QuantType::F32:
    case QuantType::F16:
    case QuantType::BF16: return 1e-4;
    case QuantType::Q4_1:
    case QuantType::Q5_1: return 1e-3;
    default: return 2e-5;
  }
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
    // A constant is one level times one scale: only half-precision scale storage (and Q2_K/
    // Q4_K's 6-bit mins) can move it.
    EXPECT_LE(rel_rmse(x, y), std::max(2e-2, rmse_bound(t) / 4)) << traits(t).name << " c=" << c;
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
    const auto a = quantize(tt.vec_dot_type, gaussian(n, 200 + static_cast<uint32_t>(blocks), 1.f, 0.3f));
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
  const float got = tt.vec_dot_scalar(n, quantize(t, wf).data(), quantize(tt.vec_dot_type, af).data());
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
INSTANTIATE_TEST_SUITE_P(WeightTypes, WeightTypeTest, testing::ValuesIn(weight_types()),
                         type_name);

// ---------------------------------------------------------------- table lookups

TEST(QuantTable, LookupsByIdAndName) {
  EXPECT_EQ(find_traits(4), nullptr);   // Q4_2, long removed
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
  x[300] = 9.0f;  // block 1's largest element is positive ...
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

// ---------------------------------------------------------------- reference files

// Just enough GGUF to find tensors: header, metadata skipped (alignment read), tensor infos.
struct FileTensor {
  uint32_t type;
  std::vector<int64_t> shape;
  uint64_t offset;
};

class TinyGguf {
 public:
  explicit TinyGguf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    bytes_.assign(std::istreambuf_iterator<char>(in), {});
    if (bytes_.size() < 24 || std::memcmp(bytes_.data(), "GGUF", 4) != 0) return;
    pos_ = 8;
    const uint64_t n_tensors = read<uint64_t>();
    const uint64_t n_kv = read<uint64_t>();
    uint64_t alignment = 32;
    for (uint64_t i = 0; i < n_kv && ok_; ++i) {
      const std::string key = read_string();
      const uint32_t type = read<uint32_t>();
      if (key == "general.alignment" && type == 4) {
        alignment = read<uint32_t>();
      } else {
        skip_value(type);
      }
    }
    for (uint64_t i = 0; i < n_tensors && ok_; ++i) {
      const std::string name = read_string();
      FileTensor t;
      const uint32_t n_dims = read<uint32_t>();
      for (uint32_t d = 0; d < n_dims && ok_; ++d) t.shape.push_back(static_cast<int64_t>(read<uint64_t>()));
      t.type = read<uint32_t>();
      t.offset = read<uint64_t>();
      tensors_[name] = t;
    }
    data_ = (pos_ + alignment - 1) / alignment * alignment;
    ok_ = ok_ && data_ <= bytes_.size();
  }
  bool ok() const { return ok_; }
  const std::map<std::string, FileTensor>& tensors() const { return tensors_; }
  const uint8_t* data(const FileTensor& t) const { return bytes_.data() + data_ + t.offset; }
  bool in_bounds(const FileTensor& t, size_t n_bytes) const {
    return data_ + t.offset + n_bytes <= bytes_.size();
  }

 private:
  template <class T>
  T read() {
    T v{};
    if (pos_ + sizeof(T) > bytes_.size()) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string() {
    const uint64_t len = read<uint64_t>();
    if (!ok_ || pos_ + len > bytes_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
    pos_ += len;
    return s;
  }
  void skip_value(uint32_t type) {
    static constexpr size_t kSizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    if (type == 8) {
      read_string();
    } else if (type == 9) {
      const uint32_t elem = read<uint32_t>();
      const uint64_t count = read<uint64_t>();
      for (uint64_t i = 0; i < count && ok_; ++i) skip_value(elem);
    } else if (type < 13) {
      pos_ += kSizes[type];
    } else {
      ok_ = false;
    }
  }

  std::vector<uint8_t> bytes_;
  size_t pos_ = 0;
  size_t data_ = 0;
  bool ok_ = true;
  std::map<std::string, FileTensor> tensors_;
};

std::filesystem::path testdata_dir() {
  if (const char* env = std::getenv("RIGHTSIZE_TESTDATA")) return env;
  return std::filesystem::path(__FILE__).parent_path() / "../../../shared/testdata";
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
    const TinyGguf quant(entry.path().string()), f32(f32_path.string());
    ASSERT_TRUE(quant.ok() && f32.ok()) << file;
    ++files;
    for (const auto& [name, qt] : quant.tensors()) {
      const TypeTraits* tt = find_traits(qt.type);
      ASSERT_NE(tt, nullptr) << file << ": " << name << " has type " << qt.type;
      if (!tt->is_quantized) continue;
      const auto src = f32.tensors().find(name);
      if (src == f32.tensors().end() || src->second.type != 0 || src->second.shape != qt.shape)
        continue;
      int64_t n = 1;
      for (int64_t d : qt.shape) n *= d;
      const size_t n_bytes = row_size(tt->type, n);
      ASSERT_TRUE(quant.in_bounds(qt, n_bytes) && f32.in_bounds(src->second, n * 4)) << name;
      std::vector<float> x(static_cast<size_t>(n));
      std::memcpy(x.data(), f32.data(src->second), x.size() * 4);
      Bytes ours(n_bytes);
      tt->from_float(x.data(), ours.data(), n);
      Tally& tally = by_type[tt->name];
      ++tally.tensors;
      const uint8_t* theirs = quant.data(qt);
      int64_t differing = 0;
      for (size_t off = 0; off < n_bytes; off += tt->type_size)
        differing += std::memcmp(ours.data() + off, theirs + off, tt->type_size) != 0;
      tally.blocks += static_cast<int64_t>(n_bytes / tt->type_size);
      tally.blocks_differing += differing;
      tally.identical += differing == 0;
      EXPECT_EQ(differing, 0) << file << ": " << name << " (" << tt->name << ") differs in "
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
