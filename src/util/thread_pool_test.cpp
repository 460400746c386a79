// The pool runs every job on every thread exactly once, back to back.
#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace rightsize {
namespace {

TEST(ThreadPool, RunsEveryThreadOncePerJob) {
  for (int n : {1, 2, 3, 4}) {
    ThreadPool pool(n);
    std::vector<std::atomic<int>> hits(n);
    for (int job = 0; job < 1000; ++job) {
      pool.run([&](int i, int nth) {
        ASSERT_EQ(nth, n);
        hits[i].fetch_add(1);
      });
    }
    for (int i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1000) << "thread " << i;
  }
}

TEST(ThreadPool, ParallelForCoversRangeExactlyOnce) {
  ThreadPool pool(3);
  for (int64_t n : {0, 1, 2, 5, 1000}) {
    std::vector<std::atomic<int>> seen(n);
    pool.parallel_for(n, [&](int64_t b, int64_t e, int) {
      for (int64_t i = b; i < e; ++i) seen[i].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(seen[i].load(), 1);
  }
}

// Chunks shrink as the range runs out (largest first), so the threads finish close together;
// they tile the range with no gap or overlap, and never get smaller than a 32*n_threads-th.
TEST(ThreadPool, ParallelForChunksShrinkAndTileTheRange) {
  ThreadPool pool(2);
  const int64_t n = 1000;
  std::mutex m;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  pool.parallel_for(n, [&](int64_t b, int64_t e, int) {
    std::lock_guard<std::mutex> lock(m);
    chunks.emplace_back(b, e);
  });
  std::sort(chunks.begin(), chunks.end());
  ASSERT_FALSE(chunks.empty());
  EXPECT_EQ(chunks.front().first, 0);
  EXPECT_EQ(chunks.front().second, n / 4);  // the first takes a 2*n_threads-th of all
  EXPECT_EQ(chunks.back().second, n);
  const int64_t min_chunk = n / 64;
  for (size_t i = 1; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].first, chunks[i - 1].second) << "chunk " << i;
    const int64_t size = chunks[i].second - chunks[i].first, prev = chunks[i - 1].second - chunks[i - 1].first;
    EXPECT_LE(size, prev) << "chunk " << i;
    if (i + 1 < chunks.size()) {
      EXPECT_GE(size, min_chunk) << "chunk " << i;
    }
  }
  EXPECT_LE(static_cast<int64_t>(chunks.size()), n / min_chunk + 1);
}

// Workers that have slept (idle past the spin budget) wake for the next job.
TEST(ThreadPool, WorkersWakeAfterSleeping) {
  ThreadPool pool(3);
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::vector<std::atomic<int>> hits(3);
    pool.run([&](int i, int n) {
      EXPECT_EQ(n, 3);
      hits[static_cast<size_t>(i)].fetch_add(1);
    });
    for (int i = 0; i < 3; ++i) EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "round " << round << " thread " << i;
  }
}

}  // namespace
}  // namespace rightsize
