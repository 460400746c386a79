// WordPiece for BERT-style vocabularies: the BERT normaliser (clean-up, CJK spacing, accent
// stripping, lowercasing), a split at white space and punctuation, then greedy longest-match
// pieces. In GGUF form word-initial pieces carry a leading "▁" and continuations no "##".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace rightsize::tokenizer {

class WordPieceTokenizer {
 public:
  explicit WordPieceTokenizer(const Vocab& vocab) : vocab_(vocab) {}

  // Tokenizes one run of plain text (special tokens already cut out), appending ids to `out`.
  void encode(std::string_view text, std::vector<int32_t>& out) const;

  // The normalised words of `text`, before WordPiece (exposed for tests).
  std::vector<std::string> words(std::string_view text) const;

 private:
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  const Vocab& vocab_;
};

}  // namespace rightsize::tokenizer
