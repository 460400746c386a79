// One conversation's generation: prompt → prefill (reusing the KV cache for the prefix it
// shares with the previous call) → sample/decode loop with streamed text, stop strings,
// end-of-generation tokens and a token budget. The batched multi-sequence engine of the server
// builds on the same pieces.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/transformer.h"
#include "sampling/constrained_sampler.h"
#include "tokenizer/tokenizer.h"

namespace rightsize::engine {

struct GenerateOptions {
  int32_t max_tokens = 256;
  std::vector<std::string> stop;  // generation ends before the first occurrence of any
  bool stop_at_eog = true;        // end at the model's end-of-generation tokens
  sampling::SamplingParams sampling;
  // Output constrained to this grammar (null: free). Generation ends ("stop") when the grammar
  // allows nothing more; end-of-generation tokens are allowed only where the output is complete.
  std::shared_ptr<const sampling::grammar::Grammar> grammar;
};

enum class FinishReason { kStop, kLength, kCancelled };
const char* finish_reason_name(FinishReason r);  // "stop", "length", "cancelled"

struct GenerateResult {
  std::string text;
  std::vector<int32_t> tokens;
  FinishReason finish = FinishReason::kStop;
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // reused from the cache, not evaluated
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

// Receives text as it becomes final (whole UTF-8 characters, stop strings held back until
// they can no longer match). Returning false cancels the generation.
using TextCallback = std::function<bool(std::string_view)>;

class Session {
 public:
  Session(const model::Model& model, const tokenizer::Tokenizer& tokenizer, int64_t n_ctx,
          ThreadPool& pool, model::KvType kv_type = model::KvType::F32);

  // Raises Error when the prompt is empty or does not fit the context (with the numbers).
  GenerateResult generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                          const TextCallback& on_text = nullptr);
  void reset() { cached_.clear(); }
  int64_t n_ctx() const { return transformer_.n_ctx(); }

 private:
  const tokenizer::Tokenizer& tokenizer_;
  model::Transformer transformer_;
  std::shared_ptr<const sampling::grammar::VocabIndex> vocab_index_;  // built on the first grammar
  std::vector<int32_t> cached_;  // tokens whose keys/values are in the cache, in order
};

}  // namespace rightsize::engine
