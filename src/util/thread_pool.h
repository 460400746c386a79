// A fixed pool of worker threads that run one job at a time on every thread (the caller
// included), the way a forward pass splits a matmul: fn(thread_index, n_threads).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "util/function_ref.h"

namespace rightsize {

class ThreadPool {
 public:
  // n_threads counts the caller: a pool of 1 runs everything on the calling thread.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn(i, n) on every thread i in [0, n) and returns when all have finished.
  // Not reentrant: fn must not call run() on the same pool.
  void run(FunctionRef<void(int, int)> fn);

  // Splits [0, n) into contiguous ranges that the threads take as they become free, largest
  // first: fn(begin, end, thread). Every index is covered exactly once.
  void parallel_for(int64_t n, FunctionRef<void(int64_t, int64_t, int)> fn);

  // Number of hardware threads, at least 1.
  static int hardware_threads();

 private:
  void worker(int index);

  int n_threads_;
  std::chrono::microseconds spin_budget_;  // how long a waiting thread spins first
  std::vector<std::thread> workers_;
  const FunctionRef<void(int, int)>* job_ = nullptr;
  // Workers spin on generation_ for about a millisecond before sleeping, so back-to-back jobs
  // (one per matmul) do not pay a futex wake-up each.
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<int> sleepers_{0};
};

}  // namespace rightsize
