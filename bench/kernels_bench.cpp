// Micro-benchmarks of the hot kernels (Google Benchmark), single-threaded: packed matrix-vector
// (decode: memory-bound, reported in GB/s of weights read) and matrix-matrix with 64 tokens
// (prefill: compute-bound, reported in GOP/s, one multiply-add = 2 ops), each with the
// percentage of this machine's measured peak (read bandwidth of one core; VNNI u8 x s8 rate).
// The _hot decode cases read one small matrix that stays in L2: the speed the instructions
// allow, to compare with the memory-bound figure. Before timing, every kernel is checked
// against its scalar twin.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/attention.h"
#include "kernels/matmul.h"
#include "kernels/packed.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace rs = rightsize::kernels;

namespace {

double g_peak_gbs = 0;    // one core's read bandwidth
double g_peak_gops = 0;   // one core's int8 dot-product rate (2 ops per multiply-add)

// Streams 1 GiB (past the 260 MiB L3 of the machines here), prefetching ahead like the kernels.
double measure_bandwidth() {
  const size_t n = size_t{1} << 30;
  std::vector<uint64_t> buf(n / 8, 1);
  uint64_t sum = 0;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t s[8] = {};
    for (size_t i = 0; i < buf.size(); i += 8) {
      __builtin_prefetch(buf.data() + i + 512);  // 4 KiB ahead, as the kernels do
      for (int j = 0; j < 8; ++j) s[j] += buf[i + static_cast<size_t>(j)];
    }
    for (uint64_t v : s) sum += v;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(n) / secs / 1e9);
  }
  benchmark::DoNotOptimize(sum);
  return best;
}

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512vnni"))) double measure_vnni_gops() {
  __m512i acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_epi32(i);
  __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(5);
  const long iters = 20000000;
  const auto t0 = std::chrono::steady_clock::now();
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; ++j) acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
    __asm__ volatile("" : "+v"(a), "+v"(b));
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  __m512i t = acc[0];
  for (int i = 1; i < 12; ++i) t = _mm512_add_epi32(t, acc[i]);
  benchmark::DoNotOptimize(t);
  return static_cast<double>(iters) * 12 * 64 * 2 / s / 1e9;
}
#endif

struct Fixture {
  rs::QuantType type;
  int64_t n_in, n_out, n_tokens;
  std::vector<uint8_t> wdata;
  rs::PackedMatrix packed;
  std::vector<uint8_t> acts;
  size_t act_row = 0;
  std::vector<float> y;
};

Fixture make(rs::QuantType type, int64_t n_in, int64_t n_out, int64_t n_tokens) {
  Fixture f{type, n_in, n_out, n_tokens, {}, {}, {}, 0, {}};
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const size_t rb = rs::row_size(type, n_in);
  f.wdata.resize(rb * static_cast<size_t>(n_out));
  std::vector<float> row(static_cast<size_t>(n_in));
  for (int64_t r = 0; r < n_out; ++r) {
    for (auto& v : row) v = nd(rng);
    rs::traits(type).from_float(row.data(), f.wdata.data() + static_cast<size_t>(r) * rb, n_in);
  }
  rightsize::ThreadPool pool(1);
  rs::MatrixView w{type, n_in, n_out, f.wdata.data(), rb};
  f.packed = rs::pack_matrix(w, pool);
  f.act_row = rs::packed_activation_row_bytes(type, n_in);
  f.acts.resize(f.act_row * static_cast<size_t>(n_tokens));
  std::vector<float> x(static_cast<size_t>(n_in));
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (auto& v : x) v = nd(rng);
    rs::quantize_activations(type, x.data(), n_in, f.acts.data() + static_cast<size_t>(t) * f.act_row);
  }
  f.y.resize(static_cast<size_t>(n_out * n_tokens));
  // Check: the kernel under test equals its scalar twin.
  std::vector<float> ref(f.y.size());
  rs::packed_kernel(type)(f.packed, 0, n_out / 16, f.acts.data(), f.act_row, n_tokens, f.y.data(), n_out);
  rs::packed_kernel_scalar(type)(f.packed, 0, n_out / 16, f.acts.data(), f.act_row, n_tokens, ref.data(), n_out);
  // Bit for bit where the kernel is exact; otherwise (packed_test bounds the difference) here it
  // only has to be float rounding.
  const bool exact = rs::packed_kernel_is_exact(type, rs::packed_kernel_isa());
  bool same = std::memcmp(ref.data(), f.y.data(), ref.size() * sizeof(float)) == 0;
  if (!exact) {
    same = true;
    for (size_t i = 0; i < ref.size(); ++i) same = same && std::fabs(ref[i] - f.y[i]) <= 1e-4f * (1.0f + std::fabs(ref[i]));
  }
  if (!same) {
    std::fprintf(stderr, "%s: SIMD kernel differs from its scalar twin\n", rs::traits(type).name);
    std::exit(1);
  }
  return f;
}

// hot: decode over one small matrix that stays in L2, so the figure is the kernel's own speed
// (the ceiling its instructions allow), not the memory's.
void run_kernel(benchmark::State& state, rs::QuantType type, int64_t n_tokens, bool hot = false) {
  // Decode reads an 8B model's FFN matrix (n_out 14336 x n_in 4096), cycling through enough
  // copies to exceed the last-level cache, as a real decode step does; prefill reuses one.
  const int64_t n_in = hot ? 1024 : 4096, n_out = hot ? 256 : n_tokens == 1 ? 14336 : 1024;
  Fixture f = make(type, n_in, n_out, n_tokens);
  std::vector<rs::PackedMatrix> copies;
  const size_t copy_bytes = (f.packed.bytes() + 63) / 64 * 64;
  while (n_tokens == 1 && !hot && copies.size() * copy_bytes < (size_t{768} << 20)) {
    rs::PackedMatrix c;
    c.type = f.packed.type;
    c.n_in = f.packed.n_in;
    c.n_out = f.packed.n_out;
    c.block_bytes = f.packed.block_bytes;
    c.group_bytes = f.packed.group_bytes;
    c.data = {static_cast<uint8_t*>(std::aligned_alloc(64, copy_bytes)), [](uint8_t* p) { std::free(p); }};
    std::memcpy(c.data.get(), f.packed.data.get(), f.packed.bytes());
    copies.push_back(std::move(c));
  }
  const auto kernel = rs::packed_kernel(type);
  size_t next = 0;
  for (auto _ : state) {
    const rs::PackedMatrix& m = copies.empty() ? f.packed : copies[next];
    if (!copies.empty()) next = (next + 1) % copies.size();
    kernel(m, 0, n_out / 16, f.acts.data(), f.act_row, n_tokens, f.y.data(), n_out);
    benchmark::ClobberMemory();
  }
  const double iters = static_cast<double>(state.iterations());
  const double bytes = static_cast<double>(f.packed.bytes()) * iters;
  const double ops = 2.0 * static_cast<double>(n_in * n_out * n_tokens) * iters;
  state.counters["GB/s"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsRate);
  state.counters["GOP/s"] = benchmark::Counter(ops / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(hot ? "decode from L2, the kernel's own speed: 'peak%' is GB/s over the read bandwidth" : n_tokens == 1 ? "decode: % of read bandwidth in 'peak%'" : "prefill: % of VNNI int8 peak in 'peak%'");
  state.counters["peak%"] = benchmark::Counter(
      (n_tokens == 1 ? bytes / 1e9 / g_peak_gbs : ops / 1e9 / std::max(g_peak_gops, 1e-9)) * 100.0,
      benchmark::Counter::kIsRate);
}

// Fused attention over one KV head of a Llama-3.2-1B-shaped cache (head_dim 64, groups of 4)
// holding n_ctx positions: decode (one query position) or a prefill block of 16 positions at
// the end of the context. Reported as KV bytes read per second and GFLOP/s (q.k and p.v: 4 flops
// per element per query row). Checked against the scalar twin first.
void run_attention(benchmark::State& state, rs::KvType type, int64_t n_q) {
  const int64_t hd = 64, group = 4, n_ctx = state.range(0);
  const int64_t head_bytes = rs::kv_head_bytes(type, hd);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> row(static_cast<size_t>(hd));
  std::vector<uint8_t> k(static_cast<size_t>(n_ctx * head_bytes)), v(k.size());
  for (int64_t p = 0; p < n_ctx; ++p) {
    for (float& x : row) x = nd(rng);
    rs::kv_store_row(type, row.data(), k.data() + p * head_bytes, hd);
    for (float& x : row) x = nd(rng);
    rs::kv_store_row(type, row.data(), v.data() + p * head_bytes, hd);
  }
  std::vector<float> q(static_cast<size_t>(n_q * group * hd)), out(q.size()), want(q.size()), scratch;
  for (float& x : q) x = nd(rng);
  const rs::KvHeadView kv{k.data(), v.data(), head_bytes, n_ctx, type};
  const rs::AttentionShape shape{hd, group, 0.125f, 0.0f, 0};
  const int64_t pos0 = n_ctx - n_q;
  rs::attend_group(shape, kv, pos0, n_q, q.data(), group * hd, out.data(), group * hd, scratch);
  rs::attend_group_scalar(shape, kv, pos0, n_q, q.data(), group * hd, want.data(), group * hd);
  for (size_t i = 0; i < out.size(); ++i)
    if (std::fabs(out[i] - want[i]) > 1e-4f) {
      state.SkipWithError("attention differs from its scalar twin");
      return;
    }
  for (auto _ : state) {
    rs::attend_group(shape, kv, pos0, n_q, q.data(), group * hd, out.data(), group * hd, scratch);
    benchmark::ClobberMemory();
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["KV GB/s"] = benchmark::Counter(2.0 * double(n_ctx * head_bytes) * iters / 1e9,
                                                 benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * double(n_q * group * hd) * double(n_ctx) * iters / 1e9,
                                                 benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_CAPTURE(run_attention, f32_decode, rs::KvType::F32, 1)->Arg(512)->Arg(4096)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(run_attention, f16_decode, rs::KvType::F16, 1)->Arg(512)->Arg(4096)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(run_attention, q8_0_decode, rs::KvType::Q8_0, 1)->Arg(512)->Arg(4096)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(run_attention, f32_prefill16, rs::KvType::F32, 16)->Arg(4096)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(run_attention, f16_prefill16, rs::KvType::F16, 16)->Arg(4096)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(run_attention, q8_0_prefill16, rs::KvType::Q8_0, 16)->Arg(4096)->Unit(benchmark::kMicrosecond);

#define RS_KERNEL_BENCH(T, N) \
  BENCHMARK_CAPTURE(run_kernel, T##_tokens##N, rs::QuantType::T, N)->Unit(benchmark::kMicrosecond)
RS_KERNEL_BENCH(Q4_0, 1);
RS_KERNEL_BENCH(Q8_0, 1);
RS_KERNEL_BENCH(Q4_K, 1);
RS_KERNEL_BENCH(Q5_K, 1);
RS_KERNEL_BENCH(Q6_K, 1);
#define RS_KERNEL_BENCH_HOT(T) \
  BENCHMARK_CAPTURE(run_kernel, T##_tokens1_hot, rs::QuantType::T, 1, true)->Unit(benchmark::kMicrosecond)
RS_KERNEL_BENCH_HOT(Q4_0);
RS_KERNEL_BENCH_HOT(Q8_0);
RS_KERNEL_BENCH_HOT(Q4_K);
RS_KERNEL_BENCH_HOT(Q5_K);
RS_KERNEL_BENCH_HOT(Q6_K);
RS_KERNEL_BENCH(Q4_0, 64);
RS_KERNEL_BENCH(Q8_0, 64);
RS_KERNEL_BENCH(Q4_K, 64);
RS_KERNEL_BENCH(Q6_K, 64);
RS_KERNEL_BENCH(F16, 1);
RS_KERNEL_BENCH(BF16, 1);
RS_KERNEL_BENCH(F16, 64);
RS_KERNEL_BENCH(BF16, 64);

int main(int argc, char** argv) {
  g_peak_gbs = measure_bandwidth();
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512vnni")) g_peak_gops = measure_vnni_gops();
#endif
  std::printf("machine peak, one core: read bandwidth %.1f GB/s, VNNI int8 %.0f GOP/s; packed kernels: %s\n",
              g_peak_gbs, g_peak_gops, rs::packed_kernel_isa());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
