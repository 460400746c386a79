// Token sampling: penalties, logit bias, top-k, top-p, min-p, temperature, in the reference
// engine's order, from a seeded generator so that a seed reproduces a run exactly on any
// platform. Temperature 0 is greedy (argmax, ties to the lowest id).
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rightsize::sampling {

struct SamplingParams {
  float temperature = 0.8f;  // <= 0: greedy
  int32_t top_k = 40;        // <= 0: off
  float top_p = 0.95f;       // >= 1: off
  float min_p = 0.05f;       // <= 0: off
  float repeat_penalty = 1.0f;  // 1: off; divides positive logits of recent tokens
  int32_t repeat_last_n = 64;   // how many recent tokens the penalties look at; -1: all
  float presence_penalty = 0.0f;   // subtracted once from every token seen
  float frequency_penalty = 0.0f;  // subtracted per occurrence
  std::vector<std::pair<int32_t, float>> logit_bias;  // added to the logit of a token
  uint64_t seed = 0;
};

// Raises Error naming the field when a parameter is out of its range.
void validate(const SamplingParams& p, int64_t n_vocab);

class Sampler {
 public:
  Sampler(SamplingParams params, int64_t n_vocab);

  // Picks the next token from one row of logits; with `allowed` (a bit per token id), only
  // among the tokens whose bit is set. Raises Error when no token is left.
  int32_t sample(std::span<const float> logits, std::span<const uint64_t> allowed = {});
  // Records a token as generated (or part of the prompt) for the penalties.
  void accept(int32_t token);
  void reset();

  const SamplingParams& params() const { return params_; }

 private:
  double uniform();  // in [0, 1), 53 bits from the generator

  SamplingParams params_;
  int64_t n_vocab_;
  uint64_t state_;                // splitmix64
  std::deque<int32_t> recent_;    // last repeat_last_n tokens
  std::vector<float> work_;       // logits after penalties
  std::vector<std::pair<float, int32_t>> candidates_;
  std::vector<double> probs_;
};

}  // namespace rightsize::sampling
