// Sampling under a grammar: draw from the unconstrained distribution, keep the token if the
// grammar allows it, otherwise mask every token the grammar rejects and draw again. The result
// follows the masked distribution exactly, while most steps cost one cheap single-token check.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sampling/grammar/gbnf.h"
#include "sampling/grammar/token_mask.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace rightsize::sampling {

// The vocabulary index grammars need: every token's bytes, control tokens, end-of-generation ids.
std::shared_ptr<const grammar::VocabIndex> build_vocab_index(const tokenizer::Tokenizer& tokenizer);

class ConstrainedSampler {
 public:
  // Without a grammar this is a plain Sampler. Raises Error for bad parameters.
  ConstrainedSampler(const SamplingParams& params, int64_t n_vocab, std::shared_ptr<const grammar::Grammar> grammar,
                     std::shared_ptr<const grammar::VocabIndex> vocab);

  // The next token; with a grammar, one it allows (an end-of-generation token only once the
  // output is complete). Raises Error when the grammar leaves no token with a finite logit.
  int32_t sample(std::span<const float> logits);
  // A prompt token: counts for the penalties only.
  void accept_prompt(int32_t token) { sampler_.accept(token); }
  // A generated token: penalties, and the grammar advances.
  void accept(int32_t token);
  // True when the grammar allows nothing but ending: the output is complete.
  bool must_end() const { return constraint_ && !constraint_->can_continue(); }
  bool constrained() const { return constraint_ != nullptr; }

 private:
  Sampler sampler_;
  std::unique_ptr<grammar::TokenConstraint> constraint_;
  std::vector<uint64_t> mask_;
};

}  // namespace rightsize::sampling
