// BatchEngine: batched generation matches the one-sequence Session, choices share a prompt,
// the prefix cache skips shared prompts, and cancellation, queue limits and draining behave.
#include "engine/batch_engine.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "gguf/gguf_file.h"
#include "model/random_model.h"

namespace rightsize::engine {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tok;
};

// A small random llama (with the generator's SentencePiece-style vocabulary), loaded once.
const Fixture& fixture() {
  static Fixture f = [] {
    model::RandomModelSpec spec = model::default_spec("llama");
    spec.config.n_vocab = 400;
    spec.config.n_embd = 64;
    spec.config.n_ff = 128;
    spec.config.n_head = 4;
    spec.config.n_head_kv = 2;
    spec.config.head_dim = spec.config.head_dim_v = spec.config.n_rot = 16;
    spec.config.n_layer = 2;
    spec.seed = 11;
    const auto path = std::filesystem::temp_directory_path() / "rs_batch_engine_test.gguf";
    model::write_random_model(spec, path.string());
    Fixture out;
    out.model = model::Model::load(path.string());
    out.tok = tokenizer::Tokenizer::from_gguf(out.model->file());
    std::filesystem::remove(path);
    return out;
  }();
  return f;
}

std::vector<int32_t> prompt_of(int seed, size_t n) {
  std::vector<int32_t> p;
  for (size_t i = 0; i < n; ++i) p.push_back(static_cast<int32_t>(3 + (seed * 131 + i * 17) % 390));
  return p;
}

GenerateOptions greedy(int32_t max_tokens) {
  GenerateOptions o;
  o.max_tokens = max_tokens;
  o.stop_at_eog = false;
  o.sampling.temperature = 0;
  return o;
}

struct Collected {
  std::vector<std::vector<int32_t>> tokens;
  std::vector<std::string> text;
  std::vector<FinishReason> finish;
  int deltas = 0;
};

Collected collect(RequestHandle& h, int n) {
  Collected c;
  c.tokens.resize(static_cast<size_t>(n));
  c.text.resize(static_cast<size_t>(n));
  c.finish.resize(static_cast<size_t>(n), FinishReason::kCancelled);
  std::vector<ChoiceDelta> out;
  bool done = false;
  while (!done) {
    out.clear();
    done = h.wait(out, 1000ms);
    for (ChoiceDelta& d : out) {
      const size_t i = static_cast<size_t>(d.index);
      c.tokens[i].insert(c.tokens[i].end(), d.tokens.begin(), d.tokens.end());
      c.text[i] += d.text;
      if (d.finished) c.finish[i] = d.finish;
      ++c.deltas;
    }
  }
  return c;
}

TEST(BatchEngine, ConcurrentRequestsMatchTheOneSequenceSession) {
  const Fixture& f = fixture();
  ThreadPool pool(2);
  // Reference: each prompt alone through Session.
  std::vector<std::vector<int32_t>> want;
  for (int i = 0; i < 5; ++i) {
    Session session(*f.model, *f.tok, 256, pool);
    want.push_back(session.generate(prompt_of(i, 20 + 7 * static_cast<size_t>(i)), greedy(24)).tokens);
  }
  EngineOptions eo;
  eo.n_ctx = 256;
  eo.n_slots = 3;  // five requests on three slots: two wait, then reuse freed slots
  eo.step_tokens = 16;  // prompts are prefilled over several steps, between decode steps
  BatchEngine engine(*f.model, *f.tok, eo, pool);
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (int i = 0; i < 5; ++i) {
    CompletionRequest r;
    r.prompt = prompt_of(i, 20 + 7 * static_cast<size_t>(i));
    r.options = greedy(24);
    handles.push_back(engine.submit(std::move(r)));
  }
  for (int i = 0; i < 5; ++i) {
    const Collected c = collect(*handles[static_cast<size_t>(i)], 1);
    EXPECT_EQ(c.tokens[0], want[static_cast<size_t>(i)]) << "request " << i;
    EXPECT_EQ(c.finish[0], FinishReason::kLength);
    EXPECT_EQ(handles[static_cast<size_t>(i)]->completion_tokens(), 24);
    EXPECT_EQ(handles[static_cast<size_t>(i)]->error(), "");
  }
  engine.drain();
  EXPECT_EQ(engine.stats().active, 0);
}

TEST(BatchEngine, ChoicesShareThePromptAndDifferBySeed) {
  const Fixture& f = fixture();
  ThreadPool pool(2);
  EngineOptions eo;
  eo.n_ctx = 128;
  eo.n_slots = 4;
  BatchEngine engine(*f.model, *f.tok, eo, pool);
  auto request = [&](int n) {
    CompletionRequest r;
    r.prompt = prompt_of(3, 30);
    r.options.max_tokens = 12;
    r.options.stop_at_eog = false;
    r.options.sampling.temperature = 1.5f;
    r.options.sampling.top_k = 0;
    r.options.sampling.seed = 77;
    r.n = n;
    r.top_logprobs = 3;
    return r;
  };
  const Collected three = collect(*engine.submit(request(3)), 3);
  const Collected one = collect(*engine.submit(request(1)), 1);
  EXPECT_EQ(three.tokens[0], one.tokens[0]) << "choice 0 keeps the request's seed";
  EXPECT_NE(three.tokens[0], three.tokens[1]);
  EXPECT_NE(three.tokens[1], three.tokens[2]);
  for (const auto& t : three.tokens) EXPECT_EQ(t.size(), 12u);
}

TEST(BatchEngine, LogprobsAreANormalisedDistribution) {
  const Fixture& f = fixture();
  ThreadPool pool(1);
  EngineOptions eo;
  eo.n_ctx = 64;
  eo.n_slots = 1;
  BatchEngine engine(*f.model, *f.tok, eo, pool);
  CompletionRequest r;
  r.prompt = prompt_of(5, 10);
  r.options = greedy(5);
  r.top_logprobs = 4;
  auto h = engine.submit(std::move(r));
  std::vector<ChoiceDelta> out;
  while (!h->wait(out, 1000ms)) {
  }
  std::vector<TokenLogprob> lps;
  for (auto& d : out) lps.insert(lps.end(), d.logprobs.begin(), d.logprobs.end());
  ASSERT_EQ(lps.size(), 5u);
  for (const TokenLogprob& lp : lps) {
    ASSERT_EQ(lp.top.size(), 4u);
    // Greedy picks the most likely token, so it heads the alternatives.
    EXPECT_EQ(lp.top[0].token, lp.token);
    EXPECT_FLOAT_EQ(lp.top[0].logprob, lp.logprob);
    EXPECT_LT(lp.logprob, 0.0f);
    for (size_t i = 1; i < lp.top.size(); ++i) EXPECT_LE(lp.top[i].logprob, lp.top[i - 1].logprob);
  }
}

TEST(BatchEngine, PrefixCacheReusesAnySlotsPrompt) {
  const Fixture& f = fixture();
  ThreadPool pool(2);
  EngineOptions eo;
  eo.n_ctx = 256;
  eo.n_slots = 2;
  BatchEngine engine(*f.model, *f.tok, eo, pool);
  const std::vector<int32_t> a = prompt_of(1, 100), b = prompt_of(2, 90);
  auto run = [&](std::vector<int32_t> prompt) {
    CompletionRequest r;
    r.prompt = std::move(prompt);
    r.options = greedy(4);
    auto h = engine.submit(std::move(r));
    const Collected c = collect(*h, 1);
    return std::make_pair(h->cached_tokens(), c.tokens[0]);
  };
  EXPECT_EQ(run(a).first, 0);
  EXPECT_EQ(run(b).first, 0);  // the other idle slot: a's cache stays
  std::vector<int32_t> a2 = a;
  a2.insert(a2.end(), {7, 8, 9});
  const auto [cached, tokens] = run(a2);
  EXPECT_EQ(cached, 100);
  // The result is what a fresh evaluation gives.
  Session session(*f.model, *f.tok, 256, pool);
  EXPECT_EQ(tokens, session.generate(a2, greedy(4)).tokens);
  // A prefix of b, while both slots hold other prompts: b's slot is reused.
  std::vector<int32_t> b2(b.begin(), b.begin() + 60);
  b2.push_back(5);
  EXPECT_EQ(run(b2).first, 60);
}

TEST(BatchEngine, CancelFreesTheSlotAndQueueLimitRefuses) {
  const Fixture& f = fixture();
  ThreadPool pool(1);
  EngineOptions eo;
  eo.n_ctx = 4096;
  eo.n_slots = 1;
  eo.max_queue = 1;
  BatchEngine engine(*f.model, *f.tok, eo, pool);
  CompletionRequest r;
  r.prompt = prompt_of(4, 8);
  r.options = greedy(4000);
  auto first = engine.submit(r);
  std::vector<ChoiceDelta> out;
  while (out.empty()) first->wait(out, 1000ms);  // running: it holds the one slot
  auto second = engine.submit(r);  // waits for the slot
  EXPECT_THROW(engine.submit(r), QueueFullError);
  first->cancel();
  const Collected c1 = collect(*first, 1);
  EXPECT_EQ(c1.finish[0], FinishReason::kCancelled);
  EXPECT_LT(first->completion_tokens(), 4000);
  // The second request got the slot.
  out.clear();
  while (out.empty()) second->wait(out, 1000ms);
  second->cancel();
  EXPECT_EQ(collect(*second, 1).finish[0], FinishReason::kCancelled);
  engine.drain();
  EXPECT_EQ(engine.stats().active, 0);
  EXPECT_THROW(engine.submit(r), ShuttingDownError);
}

TEST(BatchEngine, RefusesRequestsThatCanNeverRun) {
  const Fixture& f = fixture();
  ThreadPool pool(1);
  EngineOptions eo;
  eo.n_ctx = 32;
  eo.n_slots = 2;
  BatchEngine engine(*f.model, *f.tok, eo, pool);
  CompletionRequest r;
  r.prompt = prompt_of(1, 33);
  try {
    engine.submit(r);
    FAIL() << "a 33-token prompt fit a 32-token context";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("33 tokens"), std::string::npos) << e.what();
  }
  r.prompt = prompt_of(1, 4);
  r.n = 3;
  EXPECT_THROW(engine.submit(r), Error);
  r.n = 1;
  r.prompt = {};
  EXPECT_THROW(engine.submit(r), Error);
  r.prompt = {1, 999};
  EXPECT_THROW(engine.submit(r), Error);
}

TEST(BatchEngine, ContextEndsGenerationWithLength) {
  const Fixture& f = fixture();
  ThreadPool pool(1);
  EngineOptions eo;
  eo.n_ctx = 16;
  eo.n_slots = 1;
  BatchEngine engine(*f.model, *f.tok, eo, pool);
  CompletionRequest r;
  r.prompt = prompt_of(1, 10);
  r.options = greedy(100);
  auto h = engine.submit(r);
  const Collected c = collect(*h, 1);
  EXPECT_EQ(c.finish[0], FinishReason::kLength);
  EXPECT_EQ(c.tokens[0].size(), 7u);  // positions 10..15 fed back, the 7th sampled from 15
}

}  // namespace
}  // namespace rightsize::engine

namespace rightsize::engine {
namespace {

TEST(BatchEngine, GrammarConstrainsEveryChoiceAndEndsWithStop) {
  const Fixture& f = fixture();
  ThreadPool pool(1);
  EngineOptions eo;
  eo.n_ctx = 256;
  eo.n_slots = 3;
  BatchEngine engine(*f.model, *f.tok, eo, pool);
  const auto g = sampling::grammar::Grammar::parse(
      R"(root ::= "{\"id\": " [1-9] [0-9]{0,2} ", \"tag\": \"" [a-z]{1,8} "\"}")");
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    CompletionRequest r;
    r.prompt = prompt_of(static_cast<int>(seed), 12);
    r.options.max_tokens = 200;
    r.options.sampling.temperature = 1.0f;
    r.options.sampling.top_k = 0;
    r.options.sampling.seed = seed;
    r.options.grammar = g;
    r.n = 3;
    auto h = engine.submit(std::move(r));
    const Collected c = collect(*h, 3);
    ASSERT_EQ(h->error(), "");
    for (int i = 0; i < 3; ++i) {
      const std::string& text = c.text[static_cast<size_t>(i)];
      EXPECT_EQ(c.finish[static_cast<size_t>(i)], FinishReason::kStop) << text;
      sampling::grammar::Matcher m(g);
      EXPECT_TRUE(m.accept_bytes(text) && m.is_complete()) << "seed " << seed << " choice " << i << ": " << text;
    }
  }
}

}  // namespace
}  // namespace rightsize::engine
