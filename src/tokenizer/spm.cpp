// SentencePiece BPE-mode merging by score, with byte fallback.
#include "tokenizer/spm.h"

#include <algorithm>
#include <string>

#include "util/utf8.h"

namespace rightsize::tokenizer {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581 "▁"

struct Symbol {
  int32_t prev;
  int32_t next;
  size_t offset;  // into the escaped text
  size_t size;    // bytes; 0 once merged into its left neighbour
};

struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  size_t size;  // combined bytes when queued: stale if either side has changed since
};

// Highest score first; among equals the leftmost, as SentencePiece does.
bool lower_priority(const Bigram& a, const Bigram& b) {
  return a.score < b.score || (a.score == b.score && a.left > b.left);
}

// Whether a "▁" starts at `pos` right after some other character: a word start.
bool word_starts_at(std::string_view s, size_t pos) {
  return pos >= kSpace.size() && s.substr(pos, kSpace.size()) == kSpace &&
         s.substr(pos - kSpace.size(), kSpace.size()) != kSpace;
}

}  // namespace

SpmTokenizer::SpmTokenizer(const Vocab& vocab) : vocab_(vocab) {
  split_at_words_ = true;
  for (int32_t id = 0; id < vocab.n_tokens() && split_at_words_; ++id) {
    const std::string_view t = vocab.text(id);
    for (size_t pos = t.find(kSpace, 1); pos != std::string_view::npos;
         pos = t.find(kSpace, pos + 1)) {
      if (word_starts_at(t, pos)) {
        split_at_words_ = false;
        break;
      }
    }
  }
}

void SpmTokenizer::encode(std::string_view text, bool add_space_prefix,
                          std::vector<int32_t>& out) const {
  std::string escaped;
  escaped.reserve(text.size() + 8);
  if (add_space_prefix) escaped += kSpace;
  for (char c : text) {
    if (c == ' ') {
      escaped += kSpace;
    } else {
      escaped.push_back(c);
    }
  }
  const std::string_view all = escaped;
  if (!split_at_words_) {
    encode_escaped(all, out);
    return;
  }
  size_t start = 0;
  for (size_t pos = all.find(kSpace, 1); pos != std::string_view::npos;
       pos = all.find(kSpace, pos + 1)) {
    if (!word_starts_at(all, pos)) continue;
    encode_escaped(all.substr(start, pos - start), out);
    start = pos;
  }
  encode_escaped(all.substr(start), out);
}

void SpmTokenizer::encode_escaped(std::string_view s, std::vector<int32_t>& out) const {
  if (s.empty()) return;

  // One symbol per UTF-8 character, judged by the lead byte so that any byte string works.
  std::vector<Symbol> symbols;
  symbols.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    const size_t n = std::min(utf8_lead_length(static_cast<uint8_t>(s[pos])), s.size() - pos);
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({index - 1, pos + n == s.size() ? -1 : index + 1, pos, n});
    pos += n;
  }

  std::vector<Bigram> queue;
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[left];
    const size_t size = l.size + symbols[right].size;
    const int32_t id = vocab_.find(s.substr(l.offset, size));
    if (id == kNoToken) return;
    queue.push_back({vocab_.score(id), left, right, size});
    std::push_heap(queue.begin(), queue.end(), lower_priority);
  };
  for (size_t i = 1; i < symbols.size(); ++i) {
    try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));
  }

  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end(), lower_priority);
    const Bigram b = queue.back();
    queue.pop_back();
    Symbol& l = symbols[b.left];
    Symbol& r = symbols[b.right];
    if (l.size == 0 || r.size == 0 || l.size + r.size != b.size) continue;
    l.size += r.size;
    r.size = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  for (int32_t i = 0; i != -1; i = symbols[i].next) {
    const std::string_view piece = s.substr(symbols[i].offset, symbols[i].size);
    if (const int32_t id = vocab_.find(piece); id != kNoToken) {
      out.push_back(id);
      continue;
    }
    for (char c : piece) {
      const int32_t byte_id = vocab_.byte_token(static_cast<uint8_t>(c));
      if (byte_id != kNoToken) {
        out.push_back(byte_id);
      } else if (vocab_.unk() != kNoToken) {
        out.push_back(vocab_.unk());
      }
    }
  }
}

}  // namespace rightsize::tokenizer
