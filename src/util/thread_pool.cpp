// Fixed worker pool with spin-then-sleep waiting.
#include "util/thread_pool.h"

#include <algorithm>
#include <chrono>

#include "util/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RS_CPU_RELAX() _mm_pause()
#else
#define RS_CPU_RELAX() std::this_thread::yield()
#endif

namespace rightsize {
namespace {
// How long a waiting thread spins before it sleeps (workers) or yields (the caller). It must
// outlast the gaps inside a forward pass (a matmul's tail, the serial work between matmuls):
// with 2000 pause instructions (about 50 us on Zen 4) the worker fell asleep in most of a
// decode step's 65 matmuls and each one then paid a futex wake-up; 1 ms bridges them and
// still frees the core soon after the last job. With more threads than cores, spinning
// keeps the thread that has work off a core: there the spin stays short.
constexpr auto kSpinBudget = std::chrono::microseconds(1000);
constexpr auto kOversubscribedSpinBudget = std::chrono::microseconds(50);
// Pause instructions between clock reads.
constexpr int kSpinBatch = 32;

// Spins until ready() or the budget is spent; returns ready().
template <class Ready>
bool spin_until(std::chrono::microseconds budget, Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    for (int i = 0; i < kSpinBatch; ++i) {
      if (ready()) return true;
      RS_CPU_RELAX();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}
}  // namespace

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(std::max(1, n_threads)),
      spin_budget_(n_threads_ <= hardware_threads() ? kSpinBudget : kOversubscribedSpinBudget) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

int ThreadPool::hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void ThreadPool::run(FunctionRef<void(int, int)> fn) {
  if (n_threads_ == 1) {
    fn(0, 1);
    return;
  }
  job_ = &fn;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  {
    // Publishing under the mutex pairs with the sleepers' predicate check.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleepers_.load() > 0) wake_.notify_all();
  fn(0, n_threads_);
  auto done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(spin_budget_, done))
    while (!done()) std::this_thread::yield();
  job_ = nullptr;
}

void ThreadPool::parallel_for(int64_t n, FunctionRef<void(int64_t, int64_t, int)> fn) {
  if (n <= 0) return;
  // Chunks are handed out from a shared counter rather than split evenly up front: a thread
  // that runs slower (another process on its core, less memory bandwidth) takes fewer. They
  // shrink as the range runs out (each takes a 2*n_threads-th of what is left, down to a
  // 32*n_threads-th of the whole), so the threads finish close together: with fixed quarters
  // of each thread's share, the first to finish waited up to a whole chunk (2 ms of the tied
  // 128256-row output in decode), and decode ran 5-9% slower.
  const int64_t threads = n_threads_;
  const int64_t min_chunk = std::max<int64_t>(1, n / (threads * 32));
  std::atomic<int64_t> next{0};
  run([&](int ith, int) {
    int64_t begin = next.load(std::memory_order_relaxed);
    for (;;) {
      int64_t size;
      do {
        if (begin >= n) return;
        size = std::max(min_chunk, (n - begin) / (2 * threads));
      } while (!next.compare_exchange_weak(begin, begin + size, std::memory_order_relaxed));
      fn(begin, std::min(n, begin + size), ith);
      begin = next.load(std::memory_order_relaxed);
    }
  });
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    if (!spin_until(spin_budget_, [&] { return generation_.load(std::memory_order_acquire) != seen; })) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
      sleepers_.fetch_sub(1);
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    (*job_)(index, n_threads_);
    pending_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace rightsize
