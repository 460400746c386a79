// ConstrainedSampler: sample-then-verify over a token mask.
#include "sampling/constrained_sampler.h"

namespace rightsize::sampling {

std::shared_ptr<const grammar::VocabIndex> build_vocab_index(const tokenizer::Tokenizer& tok) {
  const int32_t n = tok.n_vocab();
  std::vector<std::string> pieces(static_cast<size_t>(n));
  std::vector<bool> special(static_cast<size_t>(n));
  std::vector<int32_t> eog;
  for (int32_t id = 0; id < n; ++id) {
    pieces[static_cast<size_t>(id)] = tok.token_to_piece(id);
    special[static_cast<size_t>(id)] = tok.is_special(id);
    if (tok.is_eog(id)) eog.push_back(id);
  }
  return grammar::VocabIndex::build(std::move(pieces), std::move(special), std::move(eog));
}

ConstrainedSampler::ConstrainedSampler(const SamplingParams& params, int64_t n_vocab,
                                       std::shared_ptr<const grammar::Grammar> grammar,
                                       std::shared_ptr<const grammar::VocabIndex> vocab)
    : sampler_(params, n_vocab) {
  if (grammar) {
    RS_CHECK(vocab && vocab->n_vocab() == n_vocab);
    constraint_ = std::make_unique<grammar::TokenConstraint>(std::move(grammar), std::move(vocab));
  }
}

int32_t ConstrainedSampler::sample(std::span<const float> logits) {
  const int32_t first = sampler_.sample(logits);
  if (!constraint_ || constraint_->allows(first)) return first;
  constraint_->fill_mask(mask_);
  return sampler_.sample(logits, mask_);
}

void ConstrainedSampler::accept(int32_t token) {
  sampler_.accept(token);
  if (constraint_) constraint_->accept(token);
}

}  // namespace rightsize::sampling
