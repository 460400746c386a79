// Special-token matching: one trie walk over the input finds every occurrence, then occurrences
// are taken longest token first, skipping any that overlap text already taken. That reproduces
// the reference's token-by-token search without scanning the input once per special token.
#include "tokenizer/special_tokens.h"

#include <algorithm>

namespace rightsize::tokenizer {

namespace {

uint64_t edge_key(int32_t node, uint8_t byte) { return (static_cast<uint64_t>(node) << 8) | byte; }

// The white space the reference strips next to lstrip/rstrip tokens (C isspace).
bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

SpecialTokenSplitter::SpecialTokenSplitter(const Vocab& vocab) : vocab_(vocab) {
  nodes_.emplace_back();
  const auto& specials = vocab.special_tokens();
  for (size_t p = 0; p < specials.size(); ++p) {
    const std::string& text = vocab.text(specials[p]);
    if (vocab.type(specials[p]) == TokenType::kUserDefined) any_user_defined_ = true;
    first_byte_[static_cast<uint8_t>(text[0])] = true;
    int32_t node = 0;
    for (char c : text) {
      const uint64_t key = edge_key(node, static_cast<uint8_t>(c));
      auto it = edges_.find(key);
      if (it == edges_.end()) {
        nodes_.emplace_back();
        it = edges_.emplace(key, static_cast<int32_t>(nodes_.size() - 1)).first;
      }
      node = it->second;
    }
    nodes_[node].priority = static_cast<int32_t>(p);
  }
}

void SpecialTokenSplitter::find_occurrences(std::string_view text, bool parse_special,
                                            std::vector<Occurrence>& out) const {
  const auto& specials = vocab_.special_tokens();
  for (size_t begin = 0; begin < text.size(); ++begin) {
    if (!first_byte_[static_cast<uint8_t>(text[begin])]) continue;
    int32_t node = 0;
    for (size_t i = begin; i < text.size(); ++i) {
      auto it = edges_.find(edge_key(node, static_cast<uint8_t>(text[i])));
      if (it == edges_.end()) break;
      node = it->second;
      const int32_t p = nodes_[node].priority;
      if (p < 0) continue;
      // Without parse_special only user-defined tokens count (they are part of the text's
      // vocabulary, not markup); control and unknown tokens never do.
      if (parse_special || vocab_.type(specials[p]) == TokenType::kUserDefined)
        out.push_back({p, begin});
    }
  }
}

std::vector<Fragment> SpecialTokenSplitter::split(std::string_view text, bool parse_special) const {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  std::vector<Occurrence> found;
  if (parse_special || any_user_defined_) find_occurrences(text, parse_special, found);
  if (found.empty()) {
    fragments.push_back({kNoToken, text});
    return fragments;
  }

  std::sort(found.begin(), found.end(), [](const Occurrence& a, const Occurrence& b) {
    return a.priority < b.priority || (a.priority == b.priority && a.begin < b.begin);
  });
  const auto& specials = vocab_.special_tokens();
  std::vector<uint8_t> taken(text.size(), 0);
  struct Pick {
    size_t begin, end;
    int32_t token;
  };
  std::vector<Pick> picks;
  for (const Occurrence& o : found) {
    const int32_t id = specials[o.priority];
    const size_t end = o.begin + vocab_.text(id).size();
    if (std::any_of(taken.begin() + o.begin, taken.begin() + end, [](uint8_t t) { return t; }))
      continue;
    std::fill(taken.begin() + o.begin, taken.begin() + end, 1);
    picks.push_back({o.begin, end, id});
    if (vocab_.lstrip(id)) {
      for (size_t i = o.begin; i > 0 && !taken[i - 1] && is_ascii_space(text[i - 1]); --i)
        taken[i - 1] = 1;
    }
    if (vocab_.rstrip(id)) {
      for (size_t i = end; i < text.size() && !taken[i] && is_ascii_space(text[i]); ++i)
        taken[i] = 1;
    }
  }
  std::sort(picks.begin(), picks.end(),
            [](const Pick& a, const Pick& b) { return a.begin < b.begin; });

  // Plain text is what lies between picks, less the white space they stripped.
  auto add_text = [&](size_t begin, size_t end) {
    while (begin < end && taken[begin]) ++begin;
    while (end > begin && taken[end - 1]) --end;
    if (end > begin) fragments.push_back({kNoToken, text.substr(begin, end - begin)});
  };
  size_t pos = 0;
  for (const Pick& p : picks) {
    add_text(pos, p.begin);
    fragments.push_back({p.token, {}});
    pos = p.end;
  }
  add_text(pos, text.size());
  return fragments;
}

}  // namespace rightsize::tokenizer
