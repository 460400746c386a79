// A warmed-up forward pass allocates nothing: decoding a token must not touch the heap (no
// per-token vectors, no std::function captures that spill to the heap in the thread pool).
// Counts every operator new in this test binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>

#include "model/model.h"
#include "model/random_model.h"
#include "model/transformer.h"
#include "util/thread_pool.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace rightsize::model {
namespace {

void expect_no_allocation_per_token(const std::string& arch, const std::string& target, int threads) {
  SCOPED_TRACE(arch + " " + target + " threads " + std::to_string(threads));
  RandomModelSpec spec = default_spec(arch);
  // Wide enough that the matmuls go to the pool (small ones run on the calling thread).
  spec.config.n_embd = 512;
  spec.config.head_dim = spec.config.head_dim_v = spec.config.n_rot = 64;
  spec.config.n_ff = 1024;
  spec.target = target;
  const auto path = std::filesystem::temp_directory_path() / ("rs_alloc_" + arch + ".gguf");
  write_random_model(spec, path.string());
  auto m = Model::load(path.string());
  std::filesystem::remove(path);
  ThreadPool pool(threads);
  Transformer tf(*m, 64, 2, pool);
  const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8};
  tf.forward(prompt, 0, false);
  int32_t pos = static_cast<int32_t>(prompt.size());
  const int32_t first[] = {9};
  tf.forward(first, pos++, false);  // warm-up: scratch sized for one token
  const long before = g_allocations.load();
  for (int i = 0; i < 16; ++i) {
    const int32_t tok[] = {static_cast<int32_t>(10 + i)};
    tf.forward(tok, pos++, false);
  }
  EXPECT_EQ(g_allocations.load() - before, 0) << "heap allocations in 16 decode steps";
}

TEST(DecodeAllocations, NoneOnceWarmedUp) {
  expect_no_allocation_per_token("llama", "Q4_0", 2);
  expect_no_allocation_per_token("llama", "Q4_K_M", 1);
  expect_no_allocation_per_token("gemma2", "F32", 2);
}

}  // namespace
}  // namespace rightsize::model
