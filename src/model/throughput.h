// Throughput measurement in the manner of llama-bench: prompt processing (one batch of n
// tokens) and text generation (n single-token steps), repeated, in tokens per second.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/kv_cache.h"
#include "model/model.h"
#include "util/thread_pool.h"

namespace rightsize::model {

struct ThroughputResult {
  std::string test;                 // "pp512", "tg128"
  int64_t n_tokens = 0;
  std::vector<double> tokens_per_s;  // one per repetition
  double mean() const;
  double stddev() const;
};

// Prompt processing: n_prompt random tokens evaluated as one batch from an empty cache.
ThroughputResult measure_prompt(const Model& model, int64_t n_prompt, int repetitions, ThreadPool& pool,
                                KvType kv_type = KvType::F32);
// Text generation: n_gen tokens generated one at a time from an empty cache.
ThroughputResult measure_generation(const Model& model, int64_t n_gen, int repetitions, ThreadPool& pool,
                                    KvType kv_type = KvType::F32);

}  // namespace rightsize::model
