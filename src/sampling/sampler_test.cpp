// Sampler: greedy, each filter's effect, penalties, bias, seeded reproducibility, validation.
#include "sampling/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "util/error.h"

namespace rightsize::sampling {
namespace {

std::vector<float> logits_of(std::initializer_list<float> v) { return std::vector<float>(v); }

TEST(Sampler, GreedyTakesArgmaxLowestIdOnTies) {
  SamplingParams p;
  p.temperature = 0.0f;
  Sampler s(p, 4);
  EXPECT_EQ(s.sample(logits_of({1, 3, 3, 2})), 1);
}

TEST(Sampler, AllowedMaskLimitsTheDraw) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  Sampler s(p, 70);
  std::vector<float> logits(70, 0.0f);
  logits[3] = 10.0f;  // the favourite, but masked out
  std::vector<uint64_t> allowed(2, 0);
  allowed[0] |= 1ull << 5;
  allowed[1] |= 1ull << (66 - 64);
  std::map<int32_t, int> seen;
  for (int i = 0; i < 200; ++i) ++seen[s.sample(logits, allowed)];
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_GT(seen[5], 50);
  EXPECT_GT(seen[66], 50);
  p.temperature = 0.0f;
  Sampler greedy(p, 70);
  EXPECT_EQ(greedy.sample(logits, allowed), 5);
  std::vector<uint64_t> none(2, 0);
  EXPECT_THROW(greedy.sample(logits, none), Error);
  EXPECT_THROW(s.sample(logits, none), Error);
}

TEST(Sampler, TopKOneIsGreedyAtAnyTemperature) {
  SamplingParams p;
  p.temperature = 5.0f;
  p.top_k = 1;
  Sampler s(p, 4);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(s.sample(logits_of({0, 1, 4, 2})), 2);
}

TEST(Sampler, SameSeedSameTokensDifferentSeedDiffers) {
  std::vector<float> l(100);
  for (int i = 0; i < 100; ++i) l[static_cast<size_t>(i)] = std::sin(static_cast<float>(i));
  SamplingParams p;
  p.temperature = 1.5f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  auto run = [&](uint64_t seed) {
    p.seed = seed;
    Sampler s(p, 100);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.sample(l));
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(Sampler, DistributionFollowsSoftmax) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 1;
  Sampler s(p, 3);
  const auto l = logits_of({0.0f, std::log(2.0f), std::log(7.0f)});  // probabilities 0.1, 0.2, 0.7
  std::map<int32_t, int> n;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) ++n[s.sample(l)];
  EXPECT_NEAR(n[0] / double(draws), 0.1, 0.01);
  EXPECT_NEAR(n[1] / double(draws), 0.2, 0.015);
  EXPECT_NEAR(n[2] / double(draws), 0.7, 0.015);
}

TEST(Sampler, TopPAndMinPCutTheTail) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.seed = 3;
  const auto l = logits_of({0.0f, std::log(2.0f), std::log(7.0f)});
  p.top_p = 0.65f;  // 0.7 alone covers it
  p.min_p = 0.0f;
  {
    Sampler s(p, 3);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(s.sample(l), 2);
  }
  p.top_p = 1.0f;
  p.min_p = 0.2f;  // keeps tokens with p >= 0.14: ids 2 and 1
  {
    Sampler s(p, 3);
    for (int i = 0; i < 200; ++i) EXPECT_NE(s.sample(l), 0);
  }
}

TEST(Sampler, PenaltiesAndBiasMoveTheChoice) {
  SamplingParams p;
  p.temperature = 0.0f;
  p.frequency_penalty = 1.0f;
  Sampler s(p, 3);
  const auto l = logits_of({1.0f, 1.5f, 0.0f});
  EXPECT_EQ(s.sample(l), 1);
  s.accept(1);
  EXPECT_EQ(s.sample(l), 0);  // 1.5 - 1 < 1
  SamplingParams b;
  b.temperature = 0.0f;
  b.logit_bias = {{2, 10.0f}};
  Sampler sb(b, 3);
  EXPECT_EQ(sb.sample(l), 2);
}

TEST(Sampler, RejectsBadParametersByName) {
  SamplingParams p;
  p.top_p = 0.0f;
  try {
    Sampler s(p, 10);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("top_p"), std::string::npos);
  }
  SamplingParams q;
  q.logit_bias = {{10, 1.0f}};
  EXPECT_THROW(Sampler(q, 10), Error);
}

}  // namespace
}  // namespace rightsize::sampling
