// The continuous-batching engine loop: admission with prefix reuse, one batched forward per
// step, per-sequence sampling, stop conditions and streaming to the request handles.
#include "engine/batch_engine.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/text_stream.h"
#include "sampling/constrained_sampler.h"

namespace rightsize::engine {

using Clock = std::chrono::steady_clock;

// ---- RequestHandle ---------------------------------------------------------------------------

bool RequestHandle::wait(std::vector<ChoiceDelta>& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !pending_.empty() || unfinished_ == 0; });
  for (ChoiceDelta& d : pending_) out.push_back(std::move(d));
  pending_.clear();
  return unfinished_ == 0;
}

int64_t RequestHandle::cached_tokens() const {
  std::lock_guard lock(mu_);
  return cached_tokens_;
}

int64_t RequestHandle::completion_tokens() const {
  std::lock_guard lock(mu_);
  return completion_tokens_;
}

std::string RequestHandle::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

double RequestHandle::seconds_to_first_token() const {
  std::lock_guard lock(mu_);
  return has_first_token_ ? std::chrono::duration<double>(first_token_ - submitted_).count() : 0.0;
}

double RequestHandle::seconds_generating() const {
  std::lock_guard lock(mu_);
  return has_first_token_ ? std::chrono::duration<double>(last_token_ - first_token_).count() : 0.0;
}

void RequestHandle::push(ChoiceDelta d, bool last_of_choice) {
  {
    std::lock_guard lock(mu_);
    if (!error_.empty()) return;  // failed: nothing more is reported
    if (!d.tokens.empty()) {
      last_token_ = Clock::now();
      if (!has_first_token_) first_token_ = last_token_, has_first_token_ = true;
      completion_tokens_ += static_cast<int64_t>(d.tokens.size());
    }
    // Merge with an unread delta of the same choice, so a slow reader gets few large pieces.
    ChoiceDelta* merged = nullptr;
    for (ChoiceDelta& p : pending_)
      if (p.index == d.index && !p.finished) merged = &p;
    if (merged) {
      merged->text += d.text;
      merged->tokens.insert(merged->tokens.end(), d.tokens.begin(), d.tokens.end());
      for (TokenLogprob& l : d.logprobs) merged->logprobs.push_back(std::move(l));
      merged->finished = d.finished;
      merged->finish = d.finish;
    } else {
      pending_.push_back(std::move(d));
    }
    if (last_of_choice) --unfinished_;
  }
  cv_.notify_all();
}

void RequestHandle::fail(const std::string& message) {
  {
    std::lock_guard lock(mu_);
    error_ = message;
    unfinished_ = 0;
  }
  cv_.notify_all();
}

// ---- Engine ----------------------------------------------------------------------------------

struct BatchEngine::Job {
  CompletionRequest request;
  std::shared_ptr<RequestHandle> handle;
};

struct BatchEngine::Sequence {
  std::shared_ptr<Job> job;
  int choice = 0;
  int slot = 0;
  bool prefilling = true;   // choice 0 evaluates the prompt; the others copy its cache
  size_t evaluated = 0;     // prompt positions in the cache
  int32_t next_token = -1;  // sampled, to be fed at the next step
  int32_t generated = 0;
  sampling::ConstrainedSampler sampler;
  TextStream text;
  Sequence(std::shared_ptr<Job> j, int c, const sampling::SamplingParams& p, int64_t n_vocab,
           const tokenizer::Tokenizer& tok, std::shared_ptr<const sampling::grammar::VocabIndex> vocab)
      : job(std::move(j)),
        choice(c),
        sampler(p, n_vocab, job->request.options.grammar, std::move(vocab)),
        text(tok, job->request.options.stop) {}
};

BatchEngine::BatchEngine(const model::Model& model, const tokenizer::Tokenizer& tokenizer,
                         const EngineOptions& options, ThreadPool& pool)
    : tokenizer_(tokenizer),
      vocab_index_(sampling::build_vocab_index(tokenizer)),
      options_(options),
      pool_(pool),
      transformer_(model, options.n_ctx, options.n_slots, pool,
                   std::min<int64_t>(options.step_tokens, model::Transformer::kDefaultMaxBatch), options.kv_type),
      n_vocab_(model.config().n_vocab),
      slots_(static_cast<size_t>(options.n_slots)) {
  RS_CHECK(options.n_slots > 0 && options.n_ctx > 0 && options.step_tokens > 0 && options.max_queue >= 0);
  stats_.n_slots = options.n_slots;
  stats_.kv_cells_total = options.n_ctx * options.n_slots;
  free_slots_ = options.n_slots;
  thread_ = std::thread([this] { run(); });
}

BatchEngine::~BatchEngine() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::shared_ptr<RequestHandle> BatchEngine::submit(CompletionRequest request) {
  const int64_t n_prompt = static_cast<int64_t>(request.prompt.size());
  if (n_prompt == 0) throw Error("the prompt is empty (no tokens)");
  if (n_prompt > options_.n_ctx)
    throw Error("the prompt has " + std::to_string(n_prompt) + " tokens, more than the context of " +
                std::to_string(options_.n_ctx) + " tokens per sequence");
  for (int32_t t : request.prompt)
    if (t < 0 || t >= n_vocab_) throw Error("prompt token id " + std::to_string(t) + " is out of range");
  if (request.n < 1 || request.n > options_.n_slots)
    throw Error("n is " + std::to_string(request.n) + "; this server runs at most " +
                std::to_string(options_.n_slots) + " sequences at once (--parallel)");
  if (request.options.max_tokens < 0) throw Error("max_tokens must not be negative");
  if (request.top_logprobs > 20) throw Error("top_logprobs must be at most 20");
  for (const std::string& s : request.options.stop)
    if (s.empty()) throw Error("a stop string is empty");
  sampling::validate(request.options.sampling, n_vocab_);

  auto job = std::make_shared<Job>();
  job->handle = std::make_shared<RequestHandle>();
  job->handle->prompt_tokens_ = n_prompt;
  job->handle->unfinished_ = request.n;
  job->handle->submitted_ = Clock::now();
  job->request = std::move(request);
  {
    std::lock_guard lock(mu_);
    if (draining_ || stopping_) throw ShuttingDownError("the server is shutting down");
    // Requests that free slots will take at once do not count as waiting.
    if (static_cast<int>(queue_.size()) >= options_.max_queue + free_slots_)
      throw QueueFullError(std::to_string(queue_.size()) + " requests are already waiting for " +
                           std::to_string(options_.n_slots) + " slots; retry shortly");
    queue_.push_back(job);
    stats_.queued = static_cast<int>(queue_.size());
  }
  cv_.notify_all();
  return job->handle;
}

void BatchEngine::drain() {
  std::unique_lock lock(mu_);
  draining_ = true;
  idle_cv_.wait(lock, [&] { return queue_.empty() && stats_.active == 0; });
}

EngineStats BatchEngine::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void BatchEngine::run() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !active_.empty(); });
      if (stopping_) break;
    }
    drop_cancelled();
    admit_waiting();
    if (!active_.empty()) {
      try {
        step();
      } catch (const std::exception& e) {
        // A failure inside the forward pass ends every active request with the error; the
        // engine keeps serving (their slots' caches are dropped, as they may be half written).
        for (auto& s : active_) {
          s->job->handle->fail(e.what());
          slots_[static_cast<size_t>(s->slot)].kv_tokens.clear();
          slots_[static_cast<size_t>(s->slot)].seq = nullptr;
        }
        active_.clear();
      }
    }
    std::lock_guard lock(mu_);
    stats_.active = static_cast<int>(active_.size());
    free_slots_ = 0;
    for (const Slot& sl : slots_) free_slots_ += sl.seq == nullptr;
    stats_.kv_cells_active = stats_.kv_cells_cached = 0;
    for (const Slot& sl : slots_)
      (sl.seq ? stats_.kv_cells_active : stats_.kv_cells_cached) += static_cast<int64_t>(sl.kv_tokens.size());
    if (queue_.empty() && active_.empty()) idle_cv_.notify_all();
  }
  // Stopping: whatever is left ends as cancelled.
  for (auto& s : active_) s->job->handle->fail("the server stopped before the request finished");
  std::lock_guard lock(mu_);
  for (auto& j : queue_) j->handle->fail("the server stopped before the request started");
  queue_.clear();
}

int64_t BatchEngine::reusable(const Slot& slot, const std::vector<int32_t>& prompt) const {
  size_t common = 0;
  const size_t limit = std::min(slot.kv_tokens.size(), prompt.size() - 1);  // last one is evaluated
  while (common < limit && slot.kv_tokens[common] == prompt[common]) ++common;
  return transformer_.kv_cache().reusable_prefix(static_cast<int64_t>(slot.kv_tokens.size()),
                                                 static_cast<int64_t>(common));
}

bool BatchEngine::admit_waiting() {
  bool admitted = false;
  while (true) {
    std::shared_ptr<Job> job;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) break;
      int free = 0;
      for (const Slot& s : slots_) free += s.seq == nullptr;
      // First come, first served: a request for n choices waits for n free slots.
      if (free < queue_.front()->request.n) break;
      job = queue_.front();
      queue_.pop_front();
      stats_.queued = static_cast<int>(queue_.size());
      free_slots_ = free - job->request.n;
    }
    if (job->handle->cancelled()) {
      for (int c = 0; c < job->request.n; ++c) {
        ChoiceDelta d;
        d.index = c;
        d.finished = true;
        d.finish = FinishReason::kCancelled;
        job->handle->push(std::move(d), true);
      }
      continue;
    }
    start_job(std::move(job));
    admitted = true;
  }
  return admitted;
}

void BatchEngine::start_job(std::shared_ptr<Job> job) {
  const std::vector<int32_t>& prompt = job->request.prompt;
  // The primary slot: the idle one whose cache shares the longest reusable prefix with the
  // prompt, else the least recently used idle one.
  int primary = -1;
  int64_t best = -1;
  for (int i = 0; i < options_.n_slots; ++i) {
    const Slot& s = slots_[static_cast<size_t>(i)];
    if (s.seq) continue;
    const int64_t r = reusable(s, prompt);
    if (r > best || (r == best && s.last_used < slots_[static_cast<size_t>(primary)].last_used))
      best = r, primary = i;
  }
  RS_CHECK(primary >= 0);
  Slot& ps = slots_[static_cast<size_t>(primary)];
  // Any other slot, busy or idle, with a longer reusable prefix lends its cache.
  int donor = -1;
  int64_t donor_len = best;
  for (int i = 0; i < options_.n_slots; ++i) {
    if (i == primary) continue;
    const int64_t r = reusable(slots_[static_cast<size_t>(i)], prompt);
    if (r > donor_len) donor_len = r, donor = i;
  }
  if (donor >= 0) {
    const Slot& ds = slots_[static_cast<size_t>(donor)];
    transformer_.copy_prefix(donor, primary, donor_len, static_cast<int64_t>(ds.kv_tokens.size()));
    ps.kv_tokens.assign(prompt.begin(), prompt.begin() + donor_len);
    best = donor_len;
  } else {
    ps.kv_tokens.resize(static_cast<size_t>(best));
  }
  {
    std::lock_guard lock(job->handle->mu_);
    job->handle->cached_tokens_ = best;
  }
  for (int c = 0; c < job->request.n; ++c) {
    int slot = primary;
    if (c > 0) {
      slot = -1;
      for (int i = 0; i < options_.n_slots; ++i) {
        const Slot& s = slots_[static_cast<size_t>(i)];
        if (!s.seq && i != primary && (slot < 0 || s.last_used < slots_[static_cast<size_t>(slot)].last_used))
          slot = i;
      }
      RS_CHECK(slot >= 0);
    }
    // Choices differ by seed; choice 0 keeps the request's seed so n=1 reproduces it.
    sampling::SamplingParams p = job->request.options.sampling;
    p.seed += static_cast<uint64_t>(c);
    auto seq = std::make_unique<Sequence>(job, c, p, n_vocab_, tokenizer_, vocab_index_);
    seq->slot = slot;
    seq->evaluated = c == 0 ? static_cast<size_t>(best) : 0;
    for (int32_t t : prompt) seq->sampler.accept_prompt(t);
    Slot& s = slots_[static_cast<size_t>(slot)];
    s.seq = seq.get();
    s.last_used = ++tick_;
    if (c > 0) s.kv_tokens.clear();
    active_.push_back(std::move(seq));
  }
}

void BatchEngine::drop_cancelled() {
  for (size_t i = 0; i < active_.size();) {
    if (active_[i]->job->handle->cancelled()) {
      finish(*active_[i], FinishReason::kCancelled);  // erases active_[i]
    } else {
      ++i;
    }
  }
}

void BatchEngine::step() {
  // Decode tokens first (one per generating sequence), then prompt chunks in admission order.
  batch_.clear();
  std::vector<Sequence*> rows;  // the sequence of each logits row, in batch order
  for (auto& s : active_) {
    if (s->prefilling || s->next_token < 0) continue;
    const Slot& sl = slots_[static_cast<size_t>(s->slot)];
    batch_.push_back({s->next_token, static_cast<int32_t>(sl.kv_tokens.size()), s->slot, true});
    rows.push_back(s.get());
  }
  int64_t budget = std::max<int64_t>(options_.step_tokens - static_cast<int64_t>(batch_.size()), 16);
  std::vector<std::pair<Sequence*, size_t>> chunks;  // prefilling sequence, tokens this step
  for (auto& s : active_) {
    if (!s->prefilling || s->choice != 0 || budget <= 0) continue;
    const std::vector<int32_t>& prompt = s->job->request.prompt;
    const size_t take = std::min<size_t>(prompt.size() - s->evaluated, static_cast<size_t>(budget));
    for (size_t k = 0; k < take; ++k) {
      const size_t pos = s->evaluated + k;
      const bool last = pos + 1 == prompt.size();
      batch_.push_back({prompt[pos], static_cast<int32_t>(pos), s->slot, last});
      if (last) rows.push_back(s.get());
    }
    chunks.emplace_back(s.get(), take);
    budget -= static_cast<int64_t>(take);
  }
  if (batch_.empty()) return;

  std::span<const float> logits;
  if (options_.compute_lock) {
    std::lock_guard lock(*options_.compute_lock);
    logits = transformer_.forward(batch_);
  } else {
    logits = transformer_.forward(batch_);
  }

  for (auto& [s, take] : chunks) {
    Slot& sl = slots_[static_cast<size_t>(s->slot)];
    const std::vector<int32_t>& prompt = s->job->request.prompt;
    sl.kv_tokens.insert(sl.kv_tokens.end(), prompt.begin() + static_cast<ptrdiff_t>(s->evaluated),
                        prompt.begin() + static_cast<ptrdiff_t>(s->evaluated + take));
    s->evaluated += take;
  }
  for (Sequence* s : rows)
    if (!s->prefilling) slots_[static_cast<size_t>(s->slot)].kv_tokens.push_back(s->next_token);

  // Which sequence draws from which logits row. A finished prompt hands its row to every
  // choice of its request, after the others copied its cache.
  draws_.clear();
  for (size_t r = 0; r < rows.size(); ++r) {
    Sequence* s = rows[r];
    const float* row = logits.data() + r * static_cast<size_t>(n_vocab_);
    if (!s->prefilling) {
      draws_.push_back({s, row});
      continue;
    }
    s->prefilling = false;
    const std::vector<int32_t>& prompt = s->job->request.prompt;
    const int64_t n_prompt = static_cast<int64_t>(prompt.size());
    for (auto& o : active_) {
      if (o->job != s->job) continue;
      if (o.get() != s) {
        transformer_.copy_prefix(s->slot, o->slot, n_prompt, n_prompt);
        slots_[static_cast<size_t>(o->slot)].kv_tokens = prompt;
        o->prefilling = false;
        o->evaluated = prompt.size();
      }
      draws_.push_back({o.get(), row});
    }
  }
  // Sampling is per sequence (its own sampler and grammar state), so the draws run in
  // parallel; applying them (streaming, finishing) is serial.
  auto run_draws = [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) draw(draws_[static_cast<size_t>(i)]);
  };
  if (draws_.size() > 1) {
    if (options_.compute_lock) {
      std::lock_guard lock(*options_.compute_lock);
      pool_.parallel_for(static_cast<int64_t>(draws_.size()), run_draws);
    } else {
      pool_.parallel_for(static_cast<int64_t>(draws_.size()), run_draws);
    }
  } else {
    run_draws(0, static_cast<int64_t>(draws_.size()), 0);
  }
  // Applying may finish sequences, which removes them from active_; the other draws'
  // sequence pointers stay valid because finish() only erases the finished one.
  for (Draw& d : draws_) apply(d);
}

void BatchEngine::draw(Draw& d) {
  Sequence& s = *d.seq;
  const CompletionRequest& req = s.job->request;
  d.token = -1;
  d.error.clear();
  if (s.generated >= req.options.max_tokens) return;  // apply() ends it with "length"
  const std::span<const float> row(d.logits, static_cast<size_t>(n_vocab_));
  try {
    d.token = s.sampler.sample(row);
    if ((req.options.stop_at_eog || s.sampler.constrained()) && tokenizer_.is_eog(d.token)) return;
    s.sampler.accept(d.token);
  } catch (const Error& e) {
    d.error = std::string("constrained sampling failed: ") + e.what();
    return;
  }
  if (req.top_logprobs >= 0) {
    // log-softmax of the raw logits: the model's own distribution.
    float max = -std::numeric_limits<float>::infinity();
    for (float v : row) max = std::max(max, v);
    double sum = 0;
    for (float v : row) sum += std::exp(static_cast<double>(v - max));
    const float log_z = max + static_cast<float>(std::log(sum));
    d.logprob = TokenLogprob{d.token, row[static_cast<size_t>(d.token)] - log_z, {}};
    if (req.top_logprobs > 0) {
      std::vector<int32_t> ids(static_cast<size_t>(n_vocab_));
      for (int32_t i = 0; i < n_vocab_; ++i) ids[static_cast<size_t>(i)] = i;
      const size_t k = std::min<size_t>(static_cast<size_t>(req.top_logprobs), ids.size());
      std::partial_sort(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(k), ids.end(), [&](int32_t a, int32_t b) {
        const float la = row[static_cast<size_t>(a)], lb = row[static_cast<size_t>(b)];
        return la > lb || (la == lb && a < b);
      });
      for (size_t i = 0; i < k; ++i) d.logprob.top.push_back({ids[i], row[static_cast<size_t>(ids[i])] - log_z});
    }
  }
}

void BatchEngine::apply(Draw& dr) {
  Sequence& s = *dr.seq;
  const CompletionRequest& req = s.job->request;
  if (!dr.error.empty()) {
    // A grammar too ambiguous to follow, or one that leaves no token: this request fails alone.
    s.job->handle->fail(dr.error);
    return finish(s, FinishReason::kStop);
  }
  if (dr.token < 0) return finish(s, FinishReason::kLength);  // max_tokens reached
  if ((req.options.stop_at_eog || s.sampler.constrained()) && tokenizer_.is_eog(dr.token))
    return finish(s, FinishReason::kStop);
  const int32_t token = dr.token;
  ChoiceDelta d;
  d.index = s.choice;
  ++s.generated;
  d.tokens.push_back(token);
  if (req.top_logprobs >= 0) d.logprobs.push_back(std::move(dr.logprob));
  const bool stopped = s.text.push(token);
  d.text = std::string(s.text.take_ready());
  const int64_t kv_len = static_cast<int64_t>(slots_[static_cast<size_t>(s.slot)].kv_tokens.size());
  if (stopped || s.sampler.must_end()) {
    s.job->handle->push(std::move(d), false);
    return finish(s, FinishReason::kStop);
  }
  s.job->handle->push(std::move(d), false);
  if (s.generated >= req.options.max_tokens || kv_len >= options_.n_ctx) return finish(s, FinishReason::kLength);
  s.next_token = token;
}

void BatchEngine::finish(Sequence& s, FinishReason reason) {
  s.text.finish();
  ChoiceDelta d;
  d.index = s.choice;
  d.text = std::string(s.text.take_ready());
  d.finished = true;
  d.finish = reason;
  s.job->handle->push(std::move(d), true);
  Slot& sl = slots_[static_cast<size_t>(s.slot)];
  sl.seq = nullptr;
  sl.last_used = ++tick_;
  // A choice that never received its copy of the prompt holds nothing reusable.
  if (s.prefilling && s.choice != 0) sl.kv_tokens.clear();
  const auto it = std::find_if(active_.begin(), active_.end(), [&](const auto& p) { return p.get() == &s; });
  RS_CHECK(it != active_.end());
  active_.erase(it);
}

}  // namespace rightsize::engine
