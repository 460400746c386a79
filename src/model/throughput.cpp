// Throughput runs. Each repetition starts from an empty cache; one untimed warm-up run comes
// first, as llama-bench does, so page faults and first-touch costs are not counted.
#include "model/throughput.h"

#include <chrono>
#include <cmath>

#include "model/transformer.h"

namespace rightsize::model {
namespace {

std::vector<int32_t> random_tokens(int64_t n, int64_t n_vocab, uint32_t seed) {
  std::vector<int32_t> out(static_cast<size_t>(n));
  uint32_t s = seed;
  for (auto& t : out) {
    s = s * 1664525u + 1013904223u;
    t = static_cast<int32_t>(s % static_cast<uint32_t>(n_vocab));
  }
  return out;
}

}  // namespace

double ThroughputResult::mean() const {
  double s = 0;
  for (double v : tokens_per_s) s += v;
  return tokens_per_s.empty() ? 0 : s / static_cast<double>(tokens_per_s.size());
}

double ThroughputResult::stddev() const {
  if (tokens_per_s.size() < 2) return 0;
  const double m = mean();
  double s = 0;
  for (double v : tokens_per_s) s += (v - m) * (v - m);
  return std::sqrt(s / static_cast<double>(tokens_per_s.size() - 1));
}

ThroughputResult measure_prompt(const Model& model, int64_t n_prompt, int repetitions, ThreadPool& pool,
                                KvType kv_type) {
  ThroughputResult r;
  r.test = "pp" + std::to_string(n_prompt);
  r.n_tokens = n_prompt;
  const auto tokens = random_tokens(n_prompt, model.config().n_vocab, 1);
  Transformer tf(model, n_prompt, 1, pool, Transformer::kDefaultMaxBatch, kv_type);
  for (int rep = -1; rep < repetitions; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    tf.forward(tokens, 0, false);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rep >= 0) r.tokens_per_s.push_back(static_cast<double>(n_prompt) / s);
  }
  return r;
}

ThroughputResult measure_generation(const Model& model, int64_t n_gen, int repetitions, ThreadPool& pool,
                                    KvType kv_type) {
  ThroughputResult r;
  r.test = "tg" + std::to_string(n_gen);
  r.n_tokens = n_gen;
  const auto tokens = random_tokens(n_gen, model.config().n_vocab, 2);
  Transformer tf(model, n_gen, 1, pool, Transformer::kDefaultMaxBatch, kv_type);
  for (int rep = -1; rep < repetitions; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < n_gen; ++i) {
      const int32_t one[1] = {tokens[static_cast<size_t>(i)]};
      tf.forward(one, static_cast<int32_t>(i), false);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rep >= 0) r.tokens_per_s.push_back(static_cast<double>(n_gen) / s);
  }
  return r;
}

}  // namespace rightsize::model
