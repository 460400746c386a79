// Byte-level BPE (GPT-2 style): the pre-tokenizer splits text into words, each word's bytes are
// spelled in the byte-level alphabet, and merges apply lowest rank first (rank = merge index).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/vocab.h"

namespace rightsize::tokenizer {

class BpeTokenizer {
 public:
  // Builds the merge table from the vocabulary's merges. The vocabulary must outlive this.
  explicit BpeTokenizer(const Vocab& vocab);

  // Tokenizes one run of plain text (special tokens already cut out), appending ids to `out`.
  // Invalid UTF-8 is read as U+FFFD, as the reference does.
  void encode(std::string_view text, std::vector<int32_t>& out) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t result;  // token id of the merged pair
  };
  struct Symbol;
  struct Candidate;

  void encode_word(std::string_view word, std::vector<Symbol>& symbols,
                   std::vector<Candidate>& queue, std::vector<int32_t>& out) const;
  const Merge* find_merge(int32_t left, int32_t right) const;

  // Open addressing keyed by (left id << 32 | right id): merging in id space needs no string
  // building, and one probe is usually one cache line (the merge lookup dominates encoding).
  struct MergeSlot {
    uint64_t key = kEmptyKey;
    Merge merge{};
  };
  static constexpr uint64_t kEmptyKey = ~uint64_t{0};  // ids are below 2^31: never a real key

  const Vocab& vocab_;
  PreTokenizer pre_tokenizer_;
  std::vector<MergeSlot> merge_slots_;  // size a power of two, at most half full
  int merge_shift_ = 64;
  int32_t byte_ids_[256];  // the token of each byte's single-symbol text, or kNoToken
};

}  // namespace rightsize::tokenizer
