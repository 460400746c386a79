// Byte-level BPE merging in token-id space.
#include "tokenizer/bpe.h"

#include <algorithm>
#include <string>

#include "tokenizer/byte_level.h"
#include "util/error.h"
#include "util/utf8.h"

namespace rightsize::tokenizer {

struct BpeTokenizer::Symbol {
  int32_t id;  // kNoToken for a byte whose symbol is not in the vocabulary: it never merges
  int32_t prev;
  int32_t next;
  bool alive;
};

struct BpeTokenizer::Candidate {
  int32_t rank;
  int32_t left;  // symbol indices
  int32_t right;
  int32_t left_id;  // the ids when queued: the candidate is stale if either has changed
  int32_t right_id;
  int32_t result;
};

namespace {

const PreTokenizerSpec& spec_for(const Vocab& vocab) {
  const PreTokenizerSpec* spec = find_pre_tokenizer(vocab.pre());
  RS_CHECK_MSG(spec != nullptr, vocab.pre());  // Vocab rejects unknown names at load
  return *spec;
}

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// Fibonacci hashing: the top bits of key * 2^64/phi spread consecutive ids well.
size_t slot_of(uint64_t key, int shift) {
  return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift);
}

}  // namespace

BpeTokenizer::BpeTokenizer(const Vocab& vocab) : vocab_(vocab), pre_tokenizer_(spec_for(vocab)) {
  const auto& merges = vocab.merges();
  int bits = 4;
  while ((size_t{1} << bits) < 2 * merges.size()) ++bits;
  merge_slots_.resize(size_t{1} << bits);
  merge_shift_ = 64 - bits;
  const size_t mask = merge_slots_.size() - 1;
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& m = merges[rank];
    const size_t space = m.find(' ', 1);
    RS_CHECK(space != std::string::npos);  // Vocab validated the merges
    const std::string_view left = std::string_view(m).substr(0, space);
    const std::string_view right = std::string_view(m).substr(space + 1);
    joined.assign(left).append(right);
    const int32_t l = vocab.find(left), r = vocab.find(right), result = vocab.find(joined);
    // A merge whose parts or result are not tokens could only produce text the vocabulary
    // cannot emit; tokenizer.json loaders reject such files, so skipping them loses nothing.
    if (l == kNoToken || r == kNoToken || result == kNoToken) continue;
    const uint64_t key = pair_key(l, r);
    size_t i = slot_of(key, merge_shift_);
    while (merge_slots_[i].key != kEmptyKey && merge_slots_[i].key != key) i = (i + 1) & mask;
    // The first (lowest-rank) entry for a pair wins, as when ranks are read in order.
    if (merge_slots_[i].key == kEmptyKey)
      merge_slots_[i] = {key, Merge{static_cast<int32_t>(rank), result}};
  }
  for (int b = 0; b < 256; ++b) byte_ids_[b] = vocab.find(byte_to_symbol(static_cast<uint8_t>(b)));
}

const BpeTokenizer::Merge* BpeTokenizer::find_merge(int32_t left, int32_t right) const {
  if (left == kNoToken || right == kNoToken) return nullptr;
  const uint64_t key = pair_key(left, right);
  const size_t mask = merge_slots_.size() - 1;
  for (size_t i = slot_of(key, merge_shift_);; i = (i + 1) & mask) {
    const MergeSlot& slot = merge_slots_[i];
    if (slot.key == key) return &slot.merge;
    if (slot.key == kEmptyKey) return nullptr;
  }
}

void BpeTokenizer::encode(std::string_view text, std::vector<int32_t>& out) const {
  std::string sanitized;
  if (!utf8_is_valid(text)) {
    sanitized = utf8_sanitize(text);
    text = sanitized;
  }
  std::vector<std::string_view> words;
  pre_tokenizer_.split(text, words);
  std::vector<Symbol> symbols;
  std::vector<Candidate> queue;
  for (std::string_view word : words) encode_word(word, symbols, queue, out);
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<Symbol>& symbols,
                               std::vector<Candidate>& queue, std::vector<int32_t>& out) const {
  if (word.size() == 1) {
    if (const int32_t id = byte_ids_[static_cast<uint8_t>(word[0])]; id != kNoToken)
      out.push_back(id);
    return;
  }
  if (vocab_.ignore_merges() && word.size() <= vocab_.max_token_bytes()) {
    std::string spelled;
    append_byte_symbols(word, spelled);
    if (const int32_t id = vocab_.find(spelled); id != kNoToken) {
      out.push_back(id);
      return;
    }
  }

  symbols.clear();
  queue.clear();
  const auto n = static_cast<int32_t>(word.size());
  for (int32_t i = 0; i < n; ++i) {
    symbols.push_back(
        {byte_ids_[static_cast<uint8_t>(word[i])], i - 1, i + 1 < n ? i + 1 : -1, true});
  }

  // Lowest rank first; among equal ranks (the same pair twice) the leftmost.
  auto later = [](const Candidate& a, const Candidate& b) {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  };
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Merge* m = find_merge(symbols[left].id, symbols[right].id);
    if (m == nullptr) return;
    queue.push_back({m->rank, left, right, symbols[left].id, symbols[right].id, m->result});
    std::push_heap(queue.begin(), queue.end(), later);
  };
  for (int32_t i = 1; i < n; ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end(), later);
    const Candidate c = queue.back();
    queue.pop_back();
    Symbol& l = symbols[c.left];
    Symbol& r = symbols[c.right];
    if (!l.alive || !r.alive || l.next != c.right || l.id != c.left_id || r.id != c.right_id)
      continue;
    l.id = c.result;
    r.alive = false;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = c.left;
    try_add(l.prev, c.left);
    try_add(c.left, l.next);
  }

  // A symbol without a token is a byte the vocabulary cannot spell; like the reference, emit
  // nothing for it (a well-formed byte-level vocabulary has all 256).
  for (int32_t i = 0; i != -1; i = symbols[i].next) {
    if (symbols[i].id != kNoToken) out.push_back(symbols[i].id);
  }
}

}  // namespace rightsize::tokenizer
