// SentencePiece (BPE mode) tokenization as llama-style GGUF vocabularies need it: adjacent
// pieces merge greedily by token score; characters the vocabulary lacks fall back to <0xNN> bytes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace rightsize::tokenizer {

class SpmTokenizer {
 public:
  explicit SpmTokenizer(const Vocab& vocab);

  // Tokenizes one run of plain text (special tokens already cut out), appending ids to `out`.
  // Spaces become "▁"; `add_space_prefix` puts one before the text first.
  void encode(std::string_view text, bool add_space_prefix, std::vector<int32_t>& out) const;

 private:
  void encode_escaped(std::string_view s, std::vector<int32_t>& out) const;

  const Vocab& vocab_;
  // True when no token has "▁" after another character: then no merge can cross the start of
  // a word, and each word merges on its own with the same result. That keeps the merge queue
  // small (on a long text one queue spanning everything is dominated by cache misses).
  bool split_at_words_ = false;
};

}  // namespace rightsize::tokenizer
