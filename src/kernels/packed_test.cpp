// Packed kernels: the SIMD kernel equals its scalar twin bit for bit (AMX BF16: to float
// rounding, see below), and both equal the
// per-row reference dot products (vec_dot on the file layout) to float rounding, across
// shapes, token counts (tile remainders) and row-group ranges.
#include "kernels/packed.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "kernels/matmul.h"
#include "util/fp16.h"

namespace rightsize::kernels {
namespace {

struct Shape {
  QuantType type;
  int64_t n_in, n_out;
};

class PackedKernel : public ::testing::TestWithParam<Shape> {};

TEST_P(PackedKernel, MatchesScalarTwinAndRowDots) {
  const Shape s = GetParam();
  std::mt19937 rng(123);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const TypeTraits& tt = traits(s.type);
  const size_t row_bytes = row_size(s.type, s.n_in);
  std::vector<uint8_t> wdata(row_bytes * static_cast<size_t>(s.n_out));
  std::vector<float> row(static_cast<size_t>(s.n_in));
  for (int64_t r = 0; r < s.n_out; ++r) {
    for (auto& v : row) v = dist(rng) * (1.0f + static_cast<float>(r % 7));  // rows of varied scale
    tt.from_float(row.data(), wdata.data() + static_cast<size_t>(r) * row_bytes, s.n_in);
  }
  MatrixView w{s.type, s.n_in, s.n_out, wdata.data(), row_bytes};
  ThreadPool pool(2);
  ASSERT_TRUE(can_pack(s.type, s.n_in, s.n_out));
  const PackedMatrix p = pack_matrix(w, pool);

  // 16 and more: the AMX kernels' token tiles (with a remainder at 17 and 35).
  for (int64_t n_tokens : {1, 2, 3, 4, 5, 7, 9, 16, 17, 35}) {
    SCOPED_TRACE("n_tokens " + std::to_string(n_tokens));
    std::vector<float> x(static_cast<size_t>(n_tokens * s.n_in));
    for (auto& v : x) v = dist(rng);
    const size_t act_row = packed_activation_row_bytes(s.type, s.n_in);
    std::vector<uint8_t> acts(act_row * static_cast<size_t>(n_tokens));
    for (int64_t t = 0; t < n_tokens; ++t)
      quantize_activations(s.type, x.data() + t * s.n_in, s.n_in, acts.data() + t * act_row);
    std::vector<float> y_scalar(static_cast<size_t>(n_tokens * s.n_out), -2.0f);
    const int64_t n_groups = s.n_out / kPackRows;
    packed_kernel_scalar(s.type)(p, 0, n_groups, acts.data(), act_row, n_tokens, y_scalar.data(), s.n_out);
    // Every ISA this CPU runs, not only the one packed_kernel chose.
    std::vector<float> y_simd;
    for (const std::string& isa : packed_kernel_isas()) {
      SCOPED_TRACE("isa " + isa);
      const PackedKernelFn kernel = packed_kernel_for(s.type, isa);
      ASSERT_NE(kernel, nullptr);
      y_simd.assign(y_scalar.size(), -1.0f);
      // Two calls over split group ranges, as threads would.
      kernel(p, 0, n_groups / 2, acts.data(), act_row, n_tokens, y_simd.data(), s.n_out);
      kernel(p, n_groups / 2, n_groups, acts.data(), act_row, n_tokens, y_simd.data(), s.n_out);
      // Bit for bit, or (packed_kernel_is_exact: AMX BF16, whose summation order was measured
      // to be neither pair after pair nor a plain tree) within 2 n_in eps x sum |w x|; a
      // missing or doubled chunk of the row is far outside that.
      const bool exact = packed_kernel_is_exact(s.type, isa);
      for (size_t i = 0; i < y_simd.size(); ++i) {
        if (exact) {
          ASSERT_EQ(y_simd[i], y_scalar[i]) << "output " << i;
        } else {
          const int64_t t = static_cast<int64_t>(i) / s.n_out, r = static_cast<int64_t>(i) % s.n_out;
          tt.to_float(wdata.data() + static_cast<size_t>(r) * row_bytes, row.data(), s.n_in);
          double abs_dot = 0.0;
          for (int64_t k = 0; k < s.n_in; ++k)
            abs_dot += std::fabs(static_cast<double>(row[static_cast<size_t>(k)]) * bf16_to_f32(f32_to_bf16(x[static_cast<size_t>(t * s.n_in + k)])));
          const double bound = 2.0 * static_cast<double>(s.n_in) * 0x1p-24 * abs_dot;
          ASSERT_NEAR(y_simd[i], y_scalar[i], bound) << "output " << i;
        }
      }
    }

    // Against the file-layout path (reference activation quantization and vec_dot).
    std::vector<float> y_ref(y_simd.size());
    MatmulScratch scratch;
    matmul(w, x.data(), n_tokens, y_ref.data(), pool, scratch);
    for (size_t i = 0; i < y_ref.size(); ++i)
      ASSERT_NEAR(y_simd[i], y_ref[i], 1e-4 * (1.0 + std::fabs(y_ref[i]))) << "output " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, PackedKernel,
                         ::testing::Values(Shape{QuantType::Q4_0, 32, 16}, Shape{QuantType::Q4_0, 256, 48},
                                           Shape{QuantType::Q4_0, 2048, 64}, Shape{QuantType::Q8_0, 32, 16},
                                           Shape{QuantType::Q8_0, 96, 32}, Shape{QuantType::Q8_0, 1024, 80},
                                           Shape{QuantType::Q4_K, 256, 16}, Shape{QuantType::Q4_K, 1024, 48},
                                           Shape{QuantType::Q5_K, 256, 16}, Shape{QuantType::Q5_K, 1024, 32},
                                           Shape{QuantType::Q6_K, 256, 16}, Shape{QuantType::F16, 96, 32},
                                           Shape{QuantType::BF16, 256, 48}, Shape{QuantType::Q6_K, 2048, 32},
                                           Shape{QuantType::BF16, 37, 16}, Shape{QuantType::BF16, 1000, 32},
                                           Shape{QuantType::BF16, 2048, 32},
                                           Shape{QuantType::F16, 33, 16}),
                         [](const auto& info) {
                           return std::string(traits(info.param.type).name) + "_" +
                                  std::to_string(info.param.n_in) + "x" + std::to_string(info.param.n_out);
                         });

TEST(PackedKernel, ChoosesTheBestIsaAndListsScalarLast) {
  const std::vector<std::string> isas = packed_kernel_isas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.back(), "scalar");
  if (std::getenv("RIGHTSIZE_PACKED_ISA") == nullptr) {
    EXPECT_EQ(std::string(packed_kernel_isa()), isas.front());
  }
  EXPECT_EQ(packed_kernel_for(QuantType::Q4_0, "no-such-isa"), nullptr);
  EXPECT_EQ(packed_kernel_for(QuantType::Q4_0, "scalar"), packed_kernel_scalar(QuantType::Q4_0));
  std::printf("packed kernel ISAs on this CPU: ");
  for (const std::string& isa : isas) std::printf("%s ", isa.c_str());
  std::printf("(chosen: %s)\n", packed_kernel_isa());
}

}  // namespace
}  // namespace rightsize::kernels

namespace rightsize::kernels {
namespace {

// q/k/v-style matrices of different types over one input: the shared pass (one quantization per
// activation format, one pool pass) gives exactly what separate matmuls give.
TEST(MatmulSharedInput, MatchesSeparateMatmuls) {
  const int64_t n_in = 512;
  const QuantType types[] = {QuantType::Q4_K, QuantType::Q6_K, QuantType::Q8_0, QuantType::Q4_0};
  const int64_t n_outs[] = {128, 64, 96, 32};
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  ThreadPool pool(2);
  std::vector<std::vector<uint8_t>> data(4);
  std::vector<PackedMatrix> packed(4);
  std::vector<MatrixView> views(4);
  for (size_t i = 0; i < 4; ++i) {
    const size_t rb = row_size(types[i], n_in);
    data[i].resize(rb * static_cast<size_t>(n_outs[i]));
    std::vector<float> row(static_cast<size_t>(n_in));
    for (int64_t r = 0; r < n_outs[i]; ++r) {
      for (auto& v : row) v = dist(rng);
      traits(types[i]).from_float(row.data(), data[i].data() + static_cast<size_t>(r) * rb, n_in);
    }
    views[i] = MatrixView{types[i], n_in, n_outs[i], data[i].data(), rb};
    packed[i] = pack_matrix(views[i], pool);
    views[i].packed = &packed[i];
  }
  for (int64_t n_tokens : {1, 5}) {
    SCOPED_TRACE("n_tokens " + std::to_string(n_tokens));
    std::vector<float> x(static_cast<size_t>(n_tokens * n_in));
    for (auto& v : x) v = dist(rng);
    std::vector<std::vector<float>> shared(4), separate(4);
    std::vector<MatmulOutput> outs;
    MatmulScratch scratch;
    for (size_t i = 0; i < 4; ++i) {
      shared[i].assign(static_cast<size_t>(n_tokens * n_outs[i]), -1.0f);
      separate[i].assign(shared[i].size(), -2.0f);
      outs.push_back({&views[i], shared[i].data()});
      matmul(views[i], x.data(), n_tokens, separate[i].data(), pool, scratch);
    }
    matmul_shared_input(outs, x.data(), n_tokens, pool, scratch);
    for (size_t i = 0; i < 4; ++i)
      for (size_t j = 0; j < shared[i].size(); ++j) ASSERT_EQ(shared[i][j], separate[i][j]) << "matrix " << i << " output " << j;
  }
}

}  // namespace
}  // namespace rightsize::kernels
