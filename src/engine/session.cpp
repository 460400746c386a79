// The single-sequence generation loop.
#include "engine/session.h"

#include <algorithm>
#include <chrono>

#include "engine/text_stream.h"
#include "util/error.h"

namespace rightsize::engine {

using Clock = std::chrono::steady_clock;

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "?";
}

Session::Session(const model::Model& model, const tokenizer::Tokenizer& tokenizer, int64_t n_ctx,
                 ThreadPool& pool, model::KvType kv_type)
    : tokenizer_(tokenizer),
      transformer_(model, n_ctx, 1, pool, model::Transformer::kDefaultMaxBatch, kv_type) {}

GenerateResult Session::generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                 const TextCallback& on_text) {
  if (prompt.empty()) throw Error("the prompt is empty (no tokens)");
  const int64_t n_ctx = transformer_.n_ctx();
  if (static_cast<int64_t>(prompt.size()) > n_ctx)
    throw Error("the prompt has " + std::to_string(prompt.size()) + " tokens, more than the context of " +
                std::to_string(n_ctx) + " (raise --ctx or shorten the prompt)");
  if (options.max_tokens < 0) throw Error("max_tokens must not be negative");
  if (options.grammar && !vocab_index_) vocab_index_ = sampling::build_vocab_index(tokenizer_);
  sampling::ConstrainedSampler sampler(options.sampling, transformer_.config().n_vocab, options.grammar,
                                       vocab_index_);
  TextStream out(tokenizer_, options.stop);

  GenerateResult r;
  r.prompt_tokens = static_cast<int64_t>(prompt.size());
  // Reuse the cached prefix; at least the last prompt token is evaluated for its logits.
  size_t common = 0;
  while (common < cached_.size() && common < prompt.size() && cached_[common] == prompt[common]) ++common;
  common = std::min(common, prompt.size() - 1);
  common = static_cast<size_t>(transformer_.kv_cache().reusable_prefix(
      static_cast<int64_t>(cached_.size()), static_cast<int64_t>(common)));
  r.cached_prompt_tokens = static_cast<int64_t>(common);
  cached_.resize(common);
  for (int32_t t : prompt) sampler.accept_prompt(t);

  auto t0 = Clock::now();
  std::span<const float> logits =
      transformer_.forward(prompt.subspan(common), static_cast<int32_t>(common), false);
  cached_.assign(prompt.begin(), prompt.end());
  auto t1 = Clock::now();
  r.prefill_seconds = std::chrono::duration<double>(t1 - t0).count();

  auto emit = [&] {
    const std::string_view ready = out.take_ready();
    return ready.empty() || !on_text || on_text(ready);
  };
  r.finish = FinishReason::kLength;
  for (int32_t i = 0; i < options.max_tokens; ++i) {
    const int32_t token = sampler.sample(logits);
    if ((options.stop_at_eog || sampler.constrained()) && tokenizer_.is_eog(token)) {
      r.finish = FinishReason::kStop;
      break;
    }
    sampler.accept(token);
    r.tokens.push_back(token);
    if (out.push(token) || sampler.must_end()) {
      r.finish = FinishReason::kStop;
      break;
    }
    if (!emit()) {
      r.finish = FinishReason::kCancelled;
      break;
    }
    if (static_cast<int64_t>(cached_.size()) >= n_ctx) break;  // context full: "length"
    const int32_t one[1] = {token};
    logits = transformer_.forward(one, static_cast<int32_t>(cached_.size()), false);
    cached_.push_back(token);
  }
  out.finish();
  if (r.finish != FinishReason::kCancelled) emit();
  r.text = out.text();
  r.decode_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return r;
}

}  // namespace rightsize::engine
