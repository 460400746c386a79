// The fused attention kernel against its scalar twin: head sizes, GQA group sizes, context
// lengths with tails, several query positions at once, rings that wrap, soft-capping and
// windows, for every KV storage type; and the storage types against F32 storage.
#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace rightsize::kernels {
namespace {

// A cache of `capacity` cells holding two KV heads per cell (so the head under test sits at
// an offset within a wider row, as in the model), filled from random floats.
struct TestCache {
  KvType type;
  int64_t head_dim, capacity, head_bytes, stride;
  std::vector<float> k_f32, v_f32;  // the floats that were stored, [capacity][2 * head_dim]
  std::vector<uint8_t> k, v;

  TestCache(KvType t, int64_t hd, int64_t cap, std::mt19937& rng)
      : type(t), head_dim(hd), capacity(cap), head_bytes(kv_head_bytes(t, hd)), stride(2 * head_bytes) {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    k_f32.resize(static_cast<size_t>(cap * 2 * hd));
    v_f32.resize(k_f32.size());
    for (float& x : k_f32) x = nd(rng);
    for (float& x : v_f32) x = nd(rng);
    k.resize(static_cast<size_t>(cap * stride));
    v.resize(k.size());
    for (int64_t c = 0; c < cap; ++c)
      for (int64_t h = 0; h < 2; ++h) {
        kv_store_row(t, k_f32.data() + (c * 2 + h) * hd, k.data() + c * stride + h * head_bytes, hd);
        kv_store_row(t, v_f32.data() + (c * 2 + h) * hd, v.data() + c * stride + h * head_bytes, hd);
      }
  }
  KvHeadView head(int64_t h) const {
    return {k.data() + h * head_bytes, v.data() + h * head_bytes, stride, capacity, type};
  }
  // The same floats kept in single precision: the reference for the lossy types.
  KvHeadView head_f32(int64_t h) const {
    return {k_f32.data() + h * head_dim, v_f32.data() + h * head_dim,
            static_cast<int64_t>(2 * head_dim * sizeof(float)), capacity, KvType::F32};
  }
};

struct Queries {
  int64_t stride;
  std::vector<float> q;
  Queries(int64_t n_q, int64_t group, int64_t hd, std::mt19937& rng) : stride(group * hd + 8) {
    // Rows wider than the group, as in the model (the other KV heads' queries sit between).
    std::normal_distribution<float> nd(0.0f, 1.0f);
    q.resize(static_cast<size_t>(n_q * stride));
    for (float& x : q) x = nd(rng);
  }
};

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])));
  return worst;
}

struct SweepCase {
  int64_t pos0, n_q, capacity, window;  // capacity 0: pos0 + n_q (no ring)
};

// SIMD and scalar read the same stored rows, so they differ only by summation order and the
// polynomial exp/tanh (1-2 ulp): outputs, which are weighted means of N(0,1) values, agree
// to a few 1e-6 at any length. The bound is per type only to say so explicitly.
double twin_tolerance(KvType t) {
  switch (t) {
    case KvType::F32: return 2e-5;
    case KvType::F16: return 2e-5;
    case KvType::Q8_0: return 2e-5;
  }
  return 0;
}

TEST(Attention, MatchesScalarTwinAcrossShapesLengthsRingsAndCaps) {
  std::mt19937 rng(123);
  const SweepCase cases[] = {
      {0, 1, 0, 0},       // one key
      {1, 1, 0, 0},       {30, 1, 0, 0},    {31, 1, 0, 0},   {32, 1, 0, 0},  {33, 1, 0, 0},
      {100, 1, 0, 0},     {599, 1, 0, 0},   // decode over up to 600 keys
      {0, 7, 0, 0},       {0, 33, 0, 0},    {5, 16, 0, 0},   {250, 17, 0, 0}, {580, 20, 0, 0},
      {0, 12, 0, 5},      {40, 9, 0, 16},   // windows without a ring
      {500, 1, 40, 40},   {517, 8, 47, 40}, {333, 13, 75, 63},  // rings that wrap
  };
  std::vector<float> scratch;
  for (KvType type : {KvType::F32, KvType::F16, KvType::Q8_0})
    for (int64_t hd : {64, 128, 256})
      for (int64_t group : {1, 4, 8})
        for (const SweepCase& sc : cases)
          for (float cap : {0.0f, 2.0f}) {
            const int64_t capacity = sc.capacity > 0 ? sc.capacity : sc.pos0 + sc.n_q;
            TestCache cache(type, hd, capacity, rng);
            Queries qs(sc.n_q, group, hd, rng);
            AttentionShape shape{hd, group, 1.0f / std::sqrt(static_cast<float>(hd)), cap, sc.window};
            std::vector<float> got(static_cast<size_t>(sc.n_q * qs.stride), 0.0f), want = got;
            attend_group(shape, cache.head(1), sc.pos0, sc.n_q, qs.q.data(), qs.stride, got.data(),
                         qs.stride, scratch);
            attend_group_scalar(shape, cache.head(1), sc.pos0, sc.n_q, qs.q.data(), qs.stride,
                                want.data(), qs.stride);
            ASSERT_LE(max_abs_diff(got, want), twin_tolerance(type))
                << kv_type_name(type) << " head_dim " << hd << " group " << group << " pos0 " << sc.pos0
                << " n_q " << sc.n_q << " capacity " << capacity << " window " << sc.window << " cap " << cap;
          }
}

// Odd head sizes take the per-element tails of the F32 and F16 paths.
TEST(Attention, HandlesHeadSizesThatAreNotWholeVectors) {
  std::mt19937 rng(5);
  std::vector<float> scratch;
  for (KvType type : {KvType::F32, KvType::F16})
    for (int64_t hd : {3, 20, 96}) {
      TestCache cache(type, hd, 70, rng);
      Queries qs(6, 3, hd, rng);
      AttentionShape shape{hd, 3, 0.3f, 0.0f, 0};
      std::vector<float> got(static_cast<size_t>(6 * qs.stride), 0.0f), want = got;
      attend_group(shape, cache.head(0), 64, 6, qs.q.data(), qs.stride, got.data(), qs.stride, scratch);
      attend_group_scalar(shape, cache.head(0), 64, 6, qs.q.data(), qs.stride, want.data(), qs.stride);
      EXPECT_LE(max_abs_diff(got, want), 2e-5) << kv_type_name(type) << " head_dim " << hd;
    }
}

// What storing K/V in fewer bits costs: the kernel over F16 / Q8_0 rows against the exact
// softmax over the single-precision floats they were made from. Half precision keeps 11
// significant bits (relative error 2^-12 per element); Q8_0 keeps amax/254 per block of 32,
// about 1% of a N(0,1) element, which moves both the scores and the averaged values.
TEST(Attention, LossyStorageStaysCloseToSinglePrecision) {
  std::mt19937 rng(9);
  std::vector<float> scratch;
  for (const auto& [type, tol] : {std::pair{KvType::F16, 3e-3}, std::pair{KvType::Q8_0, 4e-2}})
    for (int64_t hd : {64, 128})
      for (int64_t pos0 : {0, 37, 400}) {
        TestCache cache(type, hd, pos0 + 8, rng);
        Queries qs(8, 4, hd, rng);
        AttentionShape shape{hd, 4, 1.0f / std::sqrt(static_cast<float>(hd)), 0.0f, 0};
        std::vector<float> got(static_cast<size_t>(8 * qs.stride), 0.0f), want = got;
        attend_group(shape, cache.head(1), pos0, 8, qs.q.data(), qs.stride, got.data(), qs.stride, scratch);
        attend_group_scalar(shape, cache.head_f32(1), pos0, 8, qs.q.data(), qs.stride, want.data(), qs.stride);
        const double diff = max_abs_diff(got, want);
        EXPECT_LE(diff, tol) << kv_type_name(type) << " head_dim " << hd << " pos0 " << pos0;
        // And the loss is real (the comparison is not vacuous).
        EXPECT_GT(diff, 0.0) << kv_type_name(type);
      }
}

TEST(Attention, KvTypeNamesAndSizes) {
  EXPECT_EQ(kv_type_from_name("F16"), KvType::F16);
  EXPECT_EQ(kv_type_from_name("q8_0"), KvType::Q8_0);
  EXPECT_EQ(kv_type_from_name("f32"), KvType::F32);
  EXPECT_FALSE(kv_type_from_name("q4_0").has_value());
  EXPECT_EQ(kv_head_bytes(KvType::F32, 128), 512);
  EXPECT_EQ(kv_head_bytes(KvType::F16, 128), 256);
  EXPECT_EQ(kv_head_bytes(KvType::Q8_0, 128), 4 * 34);
}

}  // namespace
}  // namespace rightsize::kernels
