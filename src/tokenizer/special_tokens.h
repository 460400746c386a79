// Cutting special-token text out of the input before the model tokenizer runs: control and
// unknown tokens when special text is parsed, user-defined tokens always.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/vocab.h"

namespace rightsize::tokenizer {

// A piece of the input: a special token, or plain text for the model tokenizer.
struct Fragment {
  int32_t token = kNoToken;  // kNoToken for plain text
  std::string_view text;     // the plain text (empty for a token)
};

class SpecialTokenSplitter {
 public:
  explicit SpecialTokenSplitter(const Vocab& vocab);

  // Splits `text` into fragments in order. Longer special tokens win over shorter ones wherever
  // they overlap (the reference cuts them out longest first); white space next to a token with
  // lstrip/rstrip is dropped. Plain-text fragments are never empty.
  std::vector<Fragment> split(std::string_view text, bool parse_special) const;

 private:
  struct Occurrence {
    int32_t priority;  // index in Vocab::special_tokens(): lower is cut first
    size_t begin;
  };
  void find_occurrences(std::string_view text, bool parse_special,
                        std::vector<Occurrence>& out) const;

  const Vocab& vocab_;
  // A byte trie over the special tokens' texts.
  struct Node {
    int32_t priority = -1;  // the token ending here, if any
  };
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, int32_t> edges_;  // (node << 8 | byte) → child
  bool first_byte_[256] = {};
  bool any_user_defined_ = false;
};

}  // namespace rightsize::tokenizer
