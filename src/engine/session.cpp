// The single-sequence generation loop.
#include "engine/session.h"

#include <algorithm>
#include <chrono>

#include "tokenizer/stream_decoder.h"
#include "util/error.h"

namespace rightsize::engine {
namespace {

using Clock = std::chrono::steady_clock;

// Length of the longest suffix of `text` that is a proper prefix of some stop string: that
// much must be held back, since the next token may complete the stop string.
size_t held_back(std::string_view text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const std::string& s : stops) {
    for (size_t n = std::min(s.size() - 1, text.size()); n > hold; --n) {
      if (text.substr(text.size() - n) == std::string_view(s).substr(0, n)) {
        hold = n;
        break;
      }
    }
  }
  return hold;
}

}  // namespace

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "?";
}

Session::Session(const model::Model& model, const tokenizer::Tokenizer& tokenizer, int64_t n_ctx,
                 ThreadPool& pool)
    : tokenizer_(tokenizer), transformer_(model, n_ctx, 1, pool) {}

GenerateResult Session::generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                 const TextCallback& on_text) {
  if (prompt.empty()) throw Error("the prompt is empty (no tokens)");
  const int64_t n_ctx = transformer_.n_ctx();
  if (static_cast<int64_t>(prompt.size()) > n_ctx)
    throw Error("the prompt has " + std::to_string(prompt.size()) + " tokens, more than the context of " +
                std::to_string(n_ctx) + " (raise --ctx or shorten the prompt)");
  if (options.max_tokens < 0) throw Error("max_tokens must not be negative");
  for (const std::string& s : options.stop)
    if (s.empty()) throw Error("a stop string is empty");
  sampling::Sampler sampler(options.sampling, transformer_.config().n_vocab);

  GenerateResult r;
  r.prompt_tokens = static_cast<int64_t>(prompt.size());
  // Reuse the cached prefix; at least the last prompt token is evaluated for its logits.
  size_t common = 0;
  while (common < cached_.size() && common < prompt.size() && cached_[common] == prompt[common]) ++common;
  common = std::min(common, prompt.size() - 1);
  r.cached_prompt_tokens = static_cast<int64_t>(common);
  cached_.resize(common);
  for (int32_t t : prompt) sampler.accept(t);

  auto t0 = Clock::now();
  std::span<const float> logits =
      transformer_.forward(prompt.subspan(common), static_cast<int32_t>(common), false);
  cached_.assign(prompt.begin(), prompt.end());
  auto t1 = Clock::now();
  r.prefill_seconds = std::chrono::duration<double>(t1 - t0).count();

  tokenizer::StreamDecoder decoder(tokenizer_);
  size_t emitted = 0;   // bytes of r.text already handed out
  auto emit = [&](bool final) {
    const size_t hold = final ? 0 : held_back(r.text, options.stop);
    const size_t ready = r.text.size() - hold;
    if (ready > emitted) {
      const bool go_on = !on_text || on_text(std::string_view(r.text).substr(emitted, ready - emitted));
      emitted = ready;
      return go_on;
    }
    return true;
  };

  r.finish = FinishReason::kLength;
  bool cut_by_stop = false;
  for (int32_t i = 0; i < options.max_tokens; ++i) {
    const int32_t token = sampler.sample(logits);
    if (options.stop_at_eog && tokenizer_.is_eog(token)) {
      r.finish = FinishReason::kStop;
      break;
    }
    sampler.accept(token);
    r.tokens.push_back(token);
    r.text += decoder.push(token);
    // A stop string ends the text just before it.
    bool stopped = false;
    for (const std::string& s : options.stop) {
      const size_t from = emitted > s.size() ? emitted - s.size() : 0;
      const size_t at = r.text.find(s, from);
      if (at != std::string::npos) {
        r.text.resize(at);
        stopped = true;
      }
    }
    if (stopped) {
      r.finish = FinishReason::kStop;
      cut_by_stop = true;
      break;
    }
    if (!emit(false)) {
      r.finish = FinishReason::kCancelled;
      break;
    }
    if (static_cast<int64_t>(cached_.size()) >= n_ctx) break;  // context full: "length"
    const int32_t one[1] = {token};
    logits = transformer_.forward(one, static_cast<int32_t>(cached_.size()), false);
    cached_.push_back(token);
  }
  // Bytes of a character still incomplete at the end are flushed (as U+FFFD), unless a stop
  // string already cut the text before them.
  if (!cut_by_stop) r.text += decoder.flush();
  if (r.finish != FinishReason::kCancelled) emit(true);
  r.decode_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return r;
}

}  // namespace rightsize::engine
