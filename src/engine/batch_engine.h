// Continuous batching: one engine thread owns a model's transformer and KV cache and advances
// every active sequence by one token per batched forward, prefilling new prompts in chunks
// between decode steps. Finished sequences leave their KV in their slot, so a later request
// sharing a prefix with any slot's cached tokens (idle or busy) skips evaluating it.
// HTTP threads only submit requests and read their output through a RequestHandle.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/session.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace rightsize::engine {

struct EngineOptions {
  int64_t n_ctx = 4096;       // positions per sequence slot
  int n_slots = 4;            // sequences decoded together
  int max_queue = 64;         // requests that may wait for slots; more are refused
  int64_t step_tokens = 256;  // tokens per forward at most (decode tokens + prefill chunks)
  model::KvType kv_type = model::KvType::F32;  // KV cache storage (f16/q8_0 trade accuracy for memory)
  // Held during each forward, so that engines of several models can share one thread pool.
  std::mutex* compute_lock = nullptr;
};

struct TopLogprob {
  int32_t token = 0;
  float logprob = 0;
};
struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0;        // log-probability under the model (before sampling transforms)
  std::vector<TopLogprob> top;  // the most likely tokens at that step, best first
};

struct CompletionRequest {
  std::vector<int32_t> prompt;
  GenerateOptions options;
  int n = 1;              // independent choices; they share the prompt's evaluation
  int top_logprobs = -1;  // -1: no log-probabilities; 0..20: that many alternatives per token
};

// What one choice produced since the last RequestHandle::wait.
struct ChoiceDelta {
  int index = 0;
  std::string text;
  std::vector<int32_t> tokens;
  std::vector<TokenLogprob> logprobs;  // one per token, when requested
  bool finished = false;
  FinishReason finish = FinishReason::kStop;
};

// submit() refuses a request when the wait queue is full (HTTP 429).
class QueueFullError : public Error {
 public:
  using Error::Error;
};
// submit() refuses a request while the engine drains or stops (HTTP 503).
class ShuttingDownError : public Error {
 public:
  using Error::Error;
};

// The requester's side of one request: its output as it arrives, and cancellation.
class RequestHandle {
 public:
  // Waits up to `timeout` for output and appends it to `out`. Returns true once every choice
  // has finished and all their output has been handed out (or the engine failed: see error()).
  bool wait(std::vector<ChoiceDelta>& out, std::chrono::milliseconds timeout);
  // Stops the request's generation; its slots are freed within one engine step.
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

  // Set once the prompt is admitted (prompt_tokens at submit).
  int64_t prompt_tokens() const { return prompt_tokens_; }
  int64_t cached_tokens() const;
  int64_t completion_tokens() const;
  std::string error() const;
  // Time from submit to the first generated token, and from then to the last; 0 until known.
  double seconds_to_first_token() const;
  double seconds_generating() const;

 private:
  friend class BatchEngine;
  void push(ChoiceDelta d, bool last_of_choice);
  void fail(const std::string& message);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ChoiceDelta> pending_;
  int unfinished_ = 0;
  std::string error_;
  std::atomic<bool> cancelled_{false};
  int64_t prompt_tokens_ = 0;
  int64_t cached_tokens_ = 0;
  int64_t completion_tokens_ = 0;
  std::chrono::steady_clock::time_point submitted_, first_token_, last_token_;
  bool has_first_token_ = false;
};

struct EngineStats {
  int queued = 0;            // requests waiting for slots
  int active = 0;            // sequences being prefilled or decoded
  int n_slots = 0;
  int64_t kv_cells_active = 0;  // KV positions held by active sequences
  int64_t kv_cells_cached = 0;  // KV positions kept by idle slots for prefix reuse
  int64_t kv_cells_total = 0;   // n_slots * n_ctx
};

class BatchEngine {
 public:
  BatchEngine(const model::Model& model, const tokenizer::Tokenizer& tokenizer,
              const EngineOptions& options, ThreadPool& pool);
  ~BatchEngine();  // cancels whatever is left and joins the engine thread
  BatchEngine(const BatchEngine&) = delete;
  BatchEngine& operator=(const BatchEngine&) = delete;

  // Queues a request. Raises Error for a request that can never run (prompt empty or longer
  // than the context, n above the slot count, bad sampling parameters), QueueFullError when
  // too many wait, ShuttingDownError while draining.
  std::shared_ptr<RequestHandle> submit(CompletionRequest request);

  // Refuses new requests from now on; returns when the queued and active ones have finished.
  void drain();
  EngineStats stats() const;
  const EngineOptions& options() const { return options_; }

 private:
  struct Job;
  struct Sequence;
  struct Slot {
    std::vector<int32_t> kv_tokens;  // tokens whose keys/values are in the slot, by position
    uint64_t last_used = 0;          // for evicting the least recently used idle slot
    Sequence* seq = nullptr;         // the active sequence, if any
  };

  void run();
  bool admit_waiting();  // moves queued jobs into free slots; false if none could start
  void start_job(std::shared_ptr<Job> job);
  void step();
  // One sequence's next token from one logits row: drawn in parallel, applied in order.
  struct Draw {
    Draw(Sequence* s, const float* l) : seq(s), logits(l) {}
    Sequence* seq = nullptr;
    const float* logits = nullptr;
    int32_t token = -1;  // -1: max_tokens reached (or failed: error set)
    TokenLogprob logprob;
    std::string error;
  };
  void draw(Draw& d);
  void apply(Draw& d);
  void finish(Sequence& s, FinishReason reason);
  void drop_cancelled();
  int64_t reusable(const Slot& slot, const std::vector<int32_t>& prompt) const;

  const tokenizer::Tokenizer& tokenizer_;
  std::shared_ptr<const sampling::grammar::VocabIndex> vocab_index_;
  EngineOptions options_;
  ThreadPool& pool_;
  model::Transformer transformer_;
  int64_t n_vocab_;

  mutable std::mutex mu_;  // guards queue_, draining_, stopping_, stats mirrors
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  int free_slots_ = 0;  // slots without a sequence, as of the engine's last look
  bool draining_ = false;
  bool stopping_ = false;
  std::condition_variable idle_cv_;
  EngineStats stats_;

  // Engine-thread state.
  std::vector<Slot> slots_;
  std::vector<std::unique_ptr<Sequence>> active_;  // in admission order
  uint64_t tick_ = 0;
  std::vector<model::BatchToken> batch_;
  std::vector<Draw> draws_;
  std::thread thread_;
};

}  // namespace rightsize::engine
