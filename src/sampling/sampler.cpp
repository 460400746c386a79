// Sampling chain: penalties → bias → top-k → softmax → top-p → min-p → temperature → draw.
#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "util/error.h"

namespace rightsize::sampling {

void validate(const SamplingParams& p, int64_t n_vocab) {
  auto bad = [](const std::string& what) { throw Error("sampling: " + what); };
  if (!std::isfinite(p.temperature) || p.temperature < 0.0f || p.temperature > 100.0f)
    bad("temperature must be within [0, 100], got " + std::to_string(p.temperature));
  if (!std::isfinite(p.top_p) || p.top_p <= 0.0f || p.top_p > 1.0f)
    bad("top_p must be within (0, 1], got " + std::to_string(p.top_p));
  if (!std::isfinite(p.min_p) || p.min_p < 0.0f || p.min_p > 1.0f)
    bad("min_p must be within [0, 1], got " + std::to_string(p.min_p));
  if (!std::isfinite(p.repeat_penalty) || p.repeat_penalty <= 0.0f)
    bad("repeat_penalty must be positive, got " + std::to_string(p.repeat_penalty));
  if (p.repeat_last_n < -1) bad("repeat_last_n must be -1 (all) or more");
  if (!std::isfinite(p.presence_penalty) || std::fabs(p.presence_penalty) > 2.0f)
    bad("presence_penalty must be within [-2, 2], got " + std::to_string(p.presence_penalty));
  if (!std::isfinite(p.frequency_penalty) || std::fabs(p.frequency_penalty) > 2.0f)
    bad("frequency_penalty must be within [-2, 2], got " + std::to_string(p.frequency_penalty));
  for (const auto& [id, bias] : p.logit_bias) {
    if (id < 0 || id >= n_vocab)
      bad("logit_bias names token " + std::to_string(id) + ", outside the vocabulary [0, " +
          std::to_string(n_vocab) + ")");
    if (std::isnan(bias)) bad("logit_bias for token " + std::to_string(id) + " is not a number");
  }
}

Sampler::Sampler(SamplingParams params, int64_t n_vocab)
    : params_(std::move(params)), n_vocab_(n_vocab), state_(params_.seed) {
  validate(params_, n_vocab);
  work_.resize(static_cast<size_t>(n_vocab));
}

void Sampler::reset() {
  recent_.clear();
  state_ = params_.seed;
}

void Sampler::accept(int32_t token) {
  recent_.push_back(token);
  if (params_.repeat_last_n >= 0)
    while (static_cast<int32_t>(recent_.size()) > params_.repeat_last_n) recent_.pop_front();
}

double Sampler::uniform() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const uint64_t> allowed) {
  RS_CHECK(static_cast<int64_t>(logits.size()) == n_vocab_);
  std::copy(logits.begin(), logits.end(), work_.begin());
  if (!allowed.empty()) {
    RS_CHECK(static_cast<int64_t>(allowed.size()) * 64 >= n_vocab_);
    for (int64_t i = 0; i < n_vocab_; ++i)
      if (!(allowed[static_cast<size_t>(i >> 6)] >> (i & 63) & 1)) work_[static_cast<size_t>(i)] = -INFINITY;
  }
  const SamplingParams& p = params_;

  // Penalties over the recent window.
  if (!recent_.empty() && (p.repeat_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f)) {
    std::unordered_map<int32_t, int> counts;
    for (int32_t t : recent_) ++counts[t];
    for (const auto& [t, n] : counts) {
      if (t < 0 || t >= n_vocab_) continue;
      float& l = work_[static_cast<size_t>(t)];
      l = l > 0.0f ? l / p.repeat_penalty : l * p.repeat_penalty;
      l -= static_cast<float>(n) * p.frequency_penalty + p.presence_penalty;
    }
  }
  for (const auto& [t, bias] : p.logit_bias) work_[static_cast<size_t>(t)] += bias;

  if (p.temperature <= 0.0f) {
    int32_t best = 0;
    for (int64_t i = 1; i < n_vocab_; ++i)
      if (work_[static_cast<size_t>(i)] > work_[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
    if (work_[static_cast<size_t>(best)] == -INFINITY) throw Error("sampling: every token is excluded");
    return best;
  }

  // Candidates: every token that is not excluded. The truncations need them in order of logit
  // (ties by id, so the order is deterministic); without any, the draw runs in id order and
  // nothing is sorted, which keeps a full-vocabulary draw at one pass over the logits.
  candidates_.clear();
  for (int64_t i = 0; i < n_vocab_; ++i) {
    const float l = work_[static_cast<size_t>(i)];
    if (l != -INFINITY) candidates_.emplace_back(l, static_cast<int32_t>(i));
  }
  if (candidates_.empty()) throw Error("sampling: every token is excluded (all logits are -inf)");
  auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  const bool truncates = (p.top_k > 0 && static_cast<size_t>(p.top_k) < candidates_.size()) || p.top_p < 1.0f ||
                         p.min_p > 0.0f;
  float max = candidates_[0].first;
  for (const auto& c : candidates_) max = std::max(max, c.first);
  if (truncates) {
    if (p.top_k > 0 && static_cast<size_t>(p.top_k) < candidates_.size()) {
      const auto kth = candidates_.begin() + p.top_k;
      std::nth_element(candidates_.begin(), kth - 1, candidates_.end(), by_logit);
      candidates_.resize(static_cast<size_t>(p.top_k));
    }
    // Probabilities at temperature 1 over the candidates, for top-p and min-p.
    double sum = 0.0;
    for (const auto& c : candidates_) sum += std::exp(static_cast<double>(c.first - max));
    // Sort only as far as top-p needs: a growing prefix until it holds top_p of the mass.
    size_t sorted = std::min<size_t>(candidates_.size(), 64);
    size_t keep = candidates_.size();
    while (true) {
      std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(sorted),
                        candidates_.end(), by_logit);
      if (p.top_p >= 1.0f) break;
      double cum = 0.0;
      size_t i = 0;
      for (; i < sorted; ++i) {
        cum += std::exp(static_cast<double>(candidates_[i].first - max)) / sum;
        if (cum >= p.top_p) break;
      }
      if (i < sorted) {
        keep = i + 1;
        break;
      }
      if (sorted == candidates_.size()) break;
      sorted = std::min(candidates_.size(), sorted * 4);
    }
    if (p.top_p >= 1.0f && p.min_p > 0.0f) {
      // min-p alone needs no order: everything within a factor min_p of the best stays.
      const float floor = max + std::log(p.min_p);
      size_t n = 0;
      for (size_t i = 0; i < candidates_.size(); ++i)
        if (i == 0 || candidates_[i].first >= floor) candidates_[n++] = candidates_[i];
      keep = n;
      std::sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep), by_logit);
    } else if (p.min_p > 0.0f) {
      size_t i = 1;
      while (i < keep && std::exp(static_cast<double>(candidates_[i].first - max)) >= p.min_p) ++i;
      keep = i;
    }
    if (p.top_p >= 1.0f && p.min_p <= 0.0f)  // top-k alone: the k in order
      std::sort(candidates_.begin(), candidates_.end(), by_logit), keep = candidates_.size();
    candidates_.resize(keep);
  }

  // Temperature, then a draw.
  const float top = truncates ? candidates_[0].first : max;
  probs_.resize(candidates_.size());
  double sum = 0.0;
  // Single-precision exp: a full-vocabulary draw is 128k of them per token, per sequence.
  const float inv_t = 1.0f / p.temperature;
  for (size_t i = 0; i < candidates_.size(); ++i)
    sum += probs_[i] = std::exp((candidates_[i].first - top) * inv_t);
  double r = uniform() * sum;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    r -= probs_[i];
    if (r < 0.0) return candidates_[i].second;
  }
  return candidates_.back().second;
}

}  // namespace rightsize::sampling
