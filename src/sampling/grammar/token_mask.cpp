// Vocabulary trie and per-step token masks: a DFA walk over interned sets of parse stacks, with
// per-fragment caches so that permissive positions (string contents) cost little per step.
#include "sampling/grammar/token_mask.h"

#include <algorithm>
#include <bit>
#include <numeric>
#include <unordered_map>

namespace rightsize::sampling::grammar {

namespace {

// Frames of a stack's top that form its cached fragment. Two cover a repetition loop and the
// rule it repeats ("string ::= '"' char* '"'"); one more covers a class compiled to a rule.
constexpr size_t kFragmentFrames = 3;
// Past these sizes the memoised DFA is dropped and rebuilt: memory stays bounded whatever the
// grammar does, at the cost of recomputing transitions.
constexpr size_t kMaxDfaNodes = size_t{1} << 21;
constexpr size_t kMaxDfaSets = 20000;
constexpr size_t kSmallDfaSets = 1024;
constexpr uint32_t kNoPos = UINT32_MAX;
constexpr uint8_t kUnknown = 0, kNo = 1, kYes = 2;
// A set's loop bytes cost a transition each; work them out only where a subtree this large could
// be skipped.
constexpr uint32_t kLoopWorthNodes = 64;

inline void set_bit(std::vector<uint64_t>& bits, int32_t id) {
  bits[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
}

// A UTF-8 decoder as a DFA over the states a string can be in after some bytes: 0 between
// characters; 1, 2, 3 continuation bytes (80-BF) still to come; 4-7 the lead bytes E0, ED, F0,
// F4, whose next byte has a narrower range (no overlong forms, no surrogates, nothing past
// U+10FFFF). Returns the state after byte b, or -1 where b cannot come next.
int utf8_step(int state, uint8_t b) {
  const bool cont = b >= 0x80 && b <= 0xBF;
  switch (state) {
    case 0:
      if (b < 0x80) return 0;
      if (b >= 0xC2 && b <= 0xDF) return 1;
      if (b == 0xE0) return 4;
      if (b == 0xED) return 5;
      if (b >= 0xE1 && b <= 0xEF) return 2;
      if (b == 0xF0) return 6;
      if (b >= 0xF1 && b <= 0xF3) return 3;
      if (b == 0xF4) return 7;
      return -1;
    case 1:
      return cont ? 0 : -1;
    case 2:
      return cont ? 1 : -1;
    case 3:
      return cont ? 2 : -1;
    case 4:
      return b >= 0xA0 && b <= 0xBF ? 1 : -1;
    case 5:
      return b >= 0x80 && b <= 0x9F ? 1 : -1;
    case 6:
      return b >= 0x90 && b <= 0xBF ? 2 : -1;
    case 7:
      return b >= 0x80 && b <= 0x8F ? 2 : -1;
    default:
      return -1;
  }
}
constexpr int kUtf8States = 8;

// The multi-byte characters of UTF-8, grouped by lead bytes whose continuations have the same
// ranges (the same table as utf8_step).
struct Utf8Group {
  uint8_t lead_lo, lead_hi;
  uint8_t n_cont;
  std::array<std::pair<uint8_t, uint8_t>, 3> cont;
};
constexpr std::pair<uint8_t, uint8_t> kCont{0x80, 0xBF};
constexpr Utf8Group kUtf8Groups[] = {
    {0xC2, 0xDF, 1, {kCont, kCont, kCont}}, {0xE0, 0xE0, 2, {{{0xA0, 0xBF}, kCont, kCont}}},
    {0xE1, 0xEC, 2, {kCont, kCont, kCont}}, {0xED, 0xED, 2, {{{0x80, 0x9F}, kCont, kCont}}},
    {0xEE, 0xEF, 2, {kCont, kCont, kCont}}, {0xF0, 0xF0, 3, {{{0x90, 0xBF}, kCont, kCont}}},
    {0xF1, 0xF3, 3, {kCont, kCont, kCont}}, {0xF4, 0xF4, 3, {{{0x80, 0x8F}, kCont, kCont}}},
};

}  // namespace

Trie Trie::build(const std::vector<std::string>& pieces, std::vector<int32_t> ids) {
  // Sorted pieces give the trie in preorder with children in byte order (std::string compares
  // as unsigned char); identical pieces end up adjacent, sharing a node.
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
    return pieces[a] != pieces[b] ? pieces[a] < pieces[b] : a < b;
  });
  Trie t;
  auto& trie = t.nodes_;
  trie.push_back({0, 0, 0, 0, 0});
  t.subtree_tokens_.push_back(0);
  std::vector<uint32_t> path{0};  // path[d]: the node at depth d
  const std::string* prev = nullptr;
  for (int32_t id : ids) {
    const std::string& p = pieces[id];
    RS_CHECK(!p.empty());
    if (p.size() > UINT16_MAX)
      throw rightsize::Error("vocabulary: token " + std::to_string(id) +
                             " is longer than 65535 bytes");
    size_t common = 0;
    if (prev != nullptr) {
      while (common < prev->size() && common < p.size() && (*prev)[common] == p[common]) ++common;
    }
    while (path.size() - 1 > common) {
      trie[path.back()].end = static_cast<uint32_t>(trie.size());
      path.pop_back();
    }
    for (size_t j = common; j < p.size(); ++j) {
      path.push_back(static_cast<uint32_t>(trie.size()));
      trie.push_back({0, 0, 0, static_cast<uint16_t>(j + 1), static_cast<uint8_t>(p[j])});
      // A new node's tokens, then its descendants', are the next ones added (preorder).
      t.subtree_tokens_.push_back(static_cast<uint32_t>(t.tokens_.size()));
    }
    Node& node = trie[path.back()];
    if (node.tok_end == node.tok_begin)
      node.tok_begin = node.tok_end = static_cast<uint32_t>(t.tokens_.size());
    t.tokens_.push_back(id);
    ++node.tok_end;
    prev = &p;
  }
  for (uint32_t node : path) trie[node].end = static_cast<uint32_t>(trie.size());
  t.subtree_tokens_.push_back(static_cast<uint32_t>(t.tokens_.size()));
  // Bytes below each node, children before parents (reverse preorder); few distinct sets.
  struct ByteSetHash {
    size_t operator()(const ByteSet& s) const {
      return static_cast<size_t>((s[0] * 31 + s[1]) * 0x9E3779B97F4A7C15ull ^ (s[2] * 7 + s[3]));
    }
  };
  std::unordered_map<ByteSet, uint32_t, ByteSetHash> below_ids;
  t.bytes_below_.assign(trie.size(), 0);
  for (size_t i = trie.size(); i-- > 0;) {
    ByteSet below{};
    for (uint32_t c = static_cast<uint32_t>(i) + 1; c < trie[i].end; c = trie[c].end) {
      const ByteSet& sub = t.byte_sets_below_[t.bytes_below_[c]];
      for (int w = 0; w < 4; ++w) below[w] |= sub[w];
      below[trie[c].byte >> 6] |= uint64_t{1} << (trie[c].byte & 63);
    }
    auto [it, inserted] =
        below_ids.try_emplace(below, static_cast<uint32_t>(t.byte_sets_below_.size()));
    if (inserted) t.byte_sets_below_.push_back(below);
    t.bytes_below_[i] = it->second;
  }
  // UTF-8 validity and depth below each node, children before parents as above.
  t.utf8_states_below_.assign(trie.size(), 0);
  t.depth_below_.assign(trie.size(), 0);
  for (size_t i = trie.size(); i-- > 0;) {
    uint8_t ok = (1u << kUtf8States) - 1;
    uint32_t depth = 0;
    for (uint32_t c = static_cast<uint32_t>(i) + 1; c < trie[i].end; c = trie[c].end) {
      for (int st = 0; st < kUtf8States; ++st) {
        const int next = utf8_step(st, trie[c].byte);
        if (next < 0 || !((t.utf8_states_below_[c] >> next) & 1)) ok &= ~(1u << st);
      }
      depth = std::max<uint32_t>(depth, t.depth_below_[c] + 1u);
    }
    t.utf8_states_below_[i] = ok;
    t.depth_below_[i] = static_cast<uint16_t>(depth);
  }
  t.max_piece_length_ = t.depth_below_[0];
  return t;
}

std::shared_ptr<const VocabIndex> VocabIndex::build(std::vector<std::string> pieces,
                                                    std::vector<bool> special,
                                                    std::vector<int32_t> eog) {
  if (special.size() != pieces.size()) {
    throw rightsize::Error("vocabulary: " + std::to_string(pieces.size()) + " pieces but " +
                           std::to_string(special.size()) + " special flags");
  }
  auto v = std::shared_ptr<VocabIndex>(new VocabIndex());
  const auto n = static_cast<int32_t>(pieces.size());
  v->is_eog_.assign(pieces.size(), false);
  for (int32_t id : eog) {
    if (id < 0 || id >= n)
      throw rightsize::Error("vocabulary: EOG id " + std::to_string(id) + " outside 0.." +
                             std::to_string(n - 1));
    v->is_eog_[id] = true;
  }
  std::vector<int32_t> short_ids, long_ids;
  for (int32_t id = 0; id < n; ++id) {
    if (special[id] || v->is_eog_[id] || pieces[id].empty()) continue;
    (pieces[id].size() <= kShortPiece ? short_ids : long_ids).push_back(id);
  }
  v->short_trie_ = Trie::build(pieces, std::move(short_ids));
  v->long_trie_ = Trie::build(pieces, std::move(long_ids));
  v->pieces_ = std::move(pieces);
  v->special_ = std::move(special);
  v->eog_ = std::move(eog);
  return v;
}

std::shared_ptr<FragmentCache> VocabIndex::fragment_cache(
    const std::shared_ptr<const Grammar>& grammar) const {
  std::lock_guard lock(caches_mu_);
  std::erase_if(caches_, [](const auto& c) { return c.first.expired(); });
  for (const auto& [g, cache] : caches_) {
    // Same control block: the same grammar object, even if an old one had the same address.
    if (!g.owner_before(grammar) && !grammar.owner_before(g)) return cache;
  }
  caches_.emplace_back(grammar, std::make_shared<FragmentCache>());
  return caches_.back().second;
}

size_t TokenConstraint::VectorHash::operator()(const std::vector<uint32_t>& v) const {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ v.size();
  for (uint32_t x : v) h = (h ^ x) * 0x100000001B3ull + (h >> 29);
  return static_cast<size_t>(h);
}

TokenConstraint::TokenConstraint(std::shared_ptr<const Grammar> grammar,
                                 std::shared_ptr<const VocabIndex> vocab)
    : grammar_(std::move(grammar)), vocab_(std::move(vocab)), matcher_(grammar_) {
  RS_CHECK(vocab_ != nullptr);
  // A mask looks at most one token ahead, so counts of repetitions merge beyond that.
  fragments_ = vocab_->fragment_cache(grammar_);
  horizon_ = static_cast<uint32_t>(std::max<size_t>(vocab_->max_piece_length(), 1));
  short_horizon_ =
      static_cast<uint32_t>(std::max<size_t>(vocab_->short_trie().max_piece_length(), 1));
  depth_state_.assign(vocab_->max_piece_length() + 2, 0);
  reset_dfa();
}

void TokenConstraint::reset_dfa() {
  nodes_.assign(1, {kNoPos, 0, 0});  // node 0: the empty stack
  node_ids_.clear();
  advanced_.clear();
  advanced_data_.clear();
  advanced_set_.clear();
  set_data_.clear();
  set_begin_.assign(1, 0);
  set_first_.clear();
  set_can_end_.clear();
  set_loop_known_.clear();
  set_loop_.clear();
  set_utf8_loop_.clear();
  set_loop_found_.clear();
  set_horizon_.clear();
  advanced_narrow_.clear();
  clamped_.clear();
  clamped_short_.clear();
  set_ids_.clear();
  transitions_.clear();
  members_.clear();
  RS_CHECK(intern_set(members_, horizon_) == 0);  // set 0: dead
}

uint32_t TokenConstraint::push(uint32_t pos, uint32_t parent) {
  const uint64_t key = uint64_t{pos} << 32 | parent;
  auto [it, inserted] = node_ids_.try_emplace(key, static_cast<uint32_t>(nodes_.size()));
  if (inserted) {
    const uint32_t depth = nodes_[parent].depth + 1;
    if (depth > kMaxStackDepth) {
      node_ids_.erase(it);
      throw rightsize::Error("grammar nesting too deep: more than " +
                             std::to_string(kMaxStackDepth) + " open rules");
    }
    nodes_.push_back({pos, parent, depth});
  }
  return it->second;
}

// The stacks `node` expands to (top a byte set, or empty), as llama.cpp's advance_stack, with new
// counters clamped for `horizon` bytes; memoised.
TokenConstraint::Range TokenConstraint::advance(uint32_t node, uint32_t horizon) {
  const bool narrow = horizon != horizon_;
  const uint64_t narrow_key = uint64_t{node} << 20 | horizon;
  if (narrow) {
    if (auto it = advanced_narrow_.find(narrow_key); it != advanced_narrow_.end())
      return it->second;
  } else if (node < advanced_.size() && advanced_[node].end != 0) {
    return advanced_[node];
  }
  const Grammar& g = *grammar_;
  work_.assign(1, node);
  // Stacks seen in this expansion: marked with this call's epoch (no allocation per call).
  if (++seen_epoch_ == 0) {
    std::fill(seen_.begin(), seen_.end(), 0);
    seen_epoch_ = 1;
  }
  auto first_sight = [&](uint32_t n) {
    if (seen_.size() <= n) seen_.resize(std::max<size_t>(nodes_.size(), n + 1), 0);
    if (seen_[n] == seen_epoch_) return false;
    seen_[n] = seen_epoch_;
    return true;
  };
  first_sight(node);
  const auto begin = static_cast<uint32_t>(advanced_data_.size());
  while (!work_.empty()) {
    const uint32_t n = work_.back();
    work_.pop_back();
    const uint32_t top = nodes_[n].pos;
    if (n == 0 || g.is_byte_frame(top)) {
      advanced_data_.push_back(n);
      continue;
    }
    const uint32_t parent = nodes_[n].parent;
    g.expand(top, horizon, [&](uint32_t lower, uint32_t upper) {
      uint32_t t = parent;
      if (lower != kNoFrame) t = push(lower, t);
      if (upper != kNoFrame) t = push(upper, t);
      if (first_sight(t)) work_.push_back(t);
    });
  }
  std::sort(advanced_data_.begin() + begin, advanced_data_.end());
  advanced_data_.erase(std::unique(advanced_data_.begin() + begin, advanced_data_.end()),
                       advanced_data_.end());
  const Range r{begin, static_cast<uint32_t>(advanced_data_.size())};
  if (narrow) return advanced_narrow_[narrow_key] = r;
  if (advanced_.size() < nodes_.size()) advanced_.resize(nodes_.size());
  // end is never 0 once computed: the expansion of a stack is never empty.
  return advanced_[node] = r;
}

uint32_t TokenConstraint::intern_set(const std::vector<uint32_t>& members, uint32_t horizon) {
  if (members.size() > kMaxStacks) {
    throw rightsize::Error("grammar too ambiguous: more than " + std::to_string(kMaxStacks) +
                           " parse stacks");
  }
  // No stacks is the dead state 0 under every horizon. The same stacks under two horizons are two
  // states otherwise: their counters clamp differently later.
  if (members.empty() && !set_first_.empty()) return 0;
  set_key_.assign(members.begin(), members.end());
  set_key_.push_back(horizon);
  auto [it, inserted] = set_ids_.try_emplace(set_key_, static_cast<uint32_t>(set_first_.size()));
  if (inserted) {
    ByteSet first{};
    for (uint32_t m : members) {
      if (m == 0) continue;
      const ByteSet& s = grammar_->byte_set(grammar_->at(nodes_[m].pos).value);
      for (int w = 0; w < 4; ++w) first[w] |= s[w];
    }
    set_data_.insert(set_data_.end(), members.begin(), members.end());
    set_begin_.push_back(static_cast<uint32_t>(set_data_.size()));
    set_first_.push_back(first);
    set_can_end_.push_back(!members.empty() && members[0] == 0);
    // The dead set loops on nothing, known from the start.
    set_loop_known_.push_back(members.empty() ? ByteSet{~0ull, ~0ull, ~0ull, ~0ull} : ByteSet{});
    set_loop_.push_back({});
    set_utf8_loop_.push_back(members.empty() ? kNo : kUnknown);
    set_loop_found_.push_back(0);
    set_horizon_.push_back(horizon);
    const size_t n_sets = set_first_.size();
    // Grown by doubling, the tables would be copied whole now and then, a pause of milliseconds
    // once they are large; past what small grammars need they are reserved for the most sets
    // kept at once (address space: pages are touched as sets come).
    if (n_sets > kSmallDfaSets && transitions_.capacity() < n_sets * 256) {
      transitions_.reserve(std::max(n_sets, kMaxDfaSets + kSmallDfaSets) * 256);
      clamped_short_.reserve(std::max(n_sets, kMaxDfaSets + kSmallDfaSets) *
                             (VocabIndex::kShortPiece + 1));
    }
    transitions_.resize(n_sets * 256, -1);
    clamped_short_.resize(n_sets * (VocabIndex::kShortPiece + 1), -1);
  }
  return it->second;
}

uint32_t TokenConstraint::transition(uint32_t set, uint8_t byte) {
  const size_t slot = size_t{set} * 256 + byte;
  if (transitions_[slot] >= 0) return static_cast<uint32_t>(transitions_[slot]);
  const Grammar& g = *grammar_;
  scratch_.clear();
  // The next set depends on the byte only through the members that take it: the bytes taken by
  // exactly the same members (often most of a class, such as a string's characters) share it.
  ByteSet same = set_first_[set];
  for (uint64_t& w : same) w = ~w;
  if (byteset_has(set_first_[set], byte)) {
    same = {~0ull, ~0ull, ~0ull, ~0ull};
    for (uint32_t i = set_begin_[set]; i < set_begin_[set + 1]; ++i) {
      const uint32_t m = set_data_[i];
      if (m == 0) continue;
      const uint32_t top = nodes_[m].pos;
      const ByteSet& takes = g.byte_set(g.at(top).value);
      const bool taken = byteset_has(takes, byte);
      for (int w = 0; w < 4; ++w) same[w] &= taken ? takes[w] : ~takes[w];
      if (!taken) continue;
      const uint32_t parent = nodes_[m].parent;
      const uint32_t next = g.is_end_of_sequence(top + 1) ? parent : push(top + 1, parent);
      const Range r = advance(next, set_horizon_[set]);
      scratch_.insert(scratch_.end(), advanced_data_.begin() + r.begin,
                      advanced_data_.begin() + r.end);
    }
    std::sort(scratch_.begin(), scratch_.end());
    scratch_.erase(std::unique(scratch_.begin(), scratch_.end()), scratch_.end());
  }
  const uint32_t next_set = intern_set(scratch_, set_horizon_[set]);
  int32_t* row = transitions_.data() + size_t{set} * 256;  // after intern_set: it may grow
  for (int w = 0; w < 4; ++w) {
    for (uint64_t bits = same[w]; bits != 0; bits &= bits - 1) {
      row[w * 64 + std::countr_zero(bits)] = static_cast<int32_t>(next_set);
    }
  }
  return next_set;
}

// Node `node` with the counters of its top frames clamped for `horizon` bytes. Only the top frames:
// the walk below a trie node rarely pops deeper within one token, and a frame left exact is only
// less merged, never wrong.
uint32_t TokenConstraint::clamp_stack(uint32_t node, uint32_t horizon) {
  constexpr int kClampFrames = 4;
  uint32_t frames[kClampFrames];
  int n = 0;
  uint32_t base = node;
  bool changed = false;
  for (; n < kClampFrames && base != 0; ++n, base = nodes_[base].parent) {
    frames[n] = nodes_[base].pos;
    if (Grammar::is_counter(frames[n])) {
      const uint32_t c = grammar_->clamp_counter(frames[n], horizon);
      changed = changed || c != frames[n];
      frames[n] = c;
    }
  }
  if (!changed) return node;
  while (n-- > 0) base = push(frames[n], base);
  return base;
}

// `set` as seen from a point with only `horizon` bytes left to read: counts that those bytes cannot
// tell apart become one, so a bounded string (char{0,40}) is the same state at most counts and the
// walk finds loops there. Returns `set` itself when no counter changes.
uint32_t TokenConstraint::clamp_set(uint32_t set, uint32_t horizon) {
  // Horizons of short pieces, asked for at most nodes of a walk, are a table lookup.
  const bool small = horizon <= VocabIndex::kShortPiece;
  const size_t slot = size_t{set} * (VocabIndex::kShortPiece + 1) + horizon;
  const uint64_t key = uint64_t{set} << 20 | horizon;
  if (small) {
    if (clamped_short_[slot] >= 0) return static_cast<uint32_t>(clamped_short_[slot]);
  } else if (auto it = clamped_.find(key); it != clamped_.end()) {
    return it->second;
  }
  members_.clear();
  bool changed = false;
  for (uint32_t i = set_begin_[set]; i < set_begin_[set + 1]; ++i) {
    const uint32_t m = set_data_[i];
    const uint32_t c = m == 0 ? 0 : clamp_stack(m, horizon);
    changed = changed || c != m;
    members_.push_back(c);
  }
  uint32_t out = set;
  if (changed) {
    std::sort(members_.begin(), members_.end());
    members_.erase(std::unique(members_.begin(), members_.end()), members_.end());
    out = intern_set(members_, horizon);
  }
  if (small) {
    clamped_short_[slot] = static_cast<int32_t>(out);
  } else {
    clamped_.emplace(key, out);
  }
  return out;
}

// Whether every byte of `bytes` leads from `set` back to it. Bytes not looked at before cost a
// transition each, and only with `compute`; the answer is no at the first byte that does not loop,
// so a set that is no loop (a counter still counting) costs about one transition.
bool TokenConstraint::loops_on(uint32_t set, const ByteSet& bytes, bool compute) {
  uint64_t unknown = 0;
  for (int w = 0; w < 4; ++w) {
    if (bytes[w] & set_loop_known_[set][w] & ~set_loop_[set][w]) return false;
    unknown |= bytes[w] & ~set_loop_known_[set][w];
  }
  if (unknown == 0) return true;
  if (!compute) return false;
  for (int w = 0; w < 4; ++w) {
    for (uint64_t todo = bytes[w] & ~set_loop_known_[set][w]; todo != 0; todo &= todo - 1) {
      const int b = w * 64 + std::countr_zero(todo);
      const bool loops = transition(set, static_cast<uint8_t>(b)) == set;
      // Indexed again: transition() may grow the vectors.
      set_loop_known_[set][w] |= uint64_t{1} << (b & 63);
      if (!loops) return false;
      set_loop_[set][w] |= uint64_t{1} << (b & 63);
      set_loop_found_[set] = 1;
    }
  }
  return true;
}

// Whether the loop of `set` covers the subtree below node i of `t`: every ASCII byte below leads
// back to `set`, and every byte of 80-FF below does too, or the subtree is valid UTF-8 and every
// multi-byte character leads back to `set`.
bool TokenConstraint::loop_covers(uint32_t set, const Trie& t, uint32_t i, bool compute) {
  const ByteSet& below = t.bytes_below(i);
  if (!loops_on(set, {below[0], below[1], 0, 0}, compute)) return false;
  if ((below[2] | below[3]) == 0) return true;
  if (t.utf8_below(i)) {
    if (set_utf8_loop_[set] == kUnknown && compute) {
      const bool loops = utf8_loops(set);
      set_utf8_loop_[set] = loops ? kYes : kNo;
      set_loop_found_[set] |= loops;
    }
    if (set_utf8_loop_[set] == kYes) return true;
  }
  return loops_on(set, {0, 0, below[2], below[3]}, compute);
}

// Whether every valid multi-byte UTF-8 character leads from `set` back to it (a string body that
// takes any character). Conservative: where the continuation bytes of one range lead to different
// states, the answer is no.
bool TokenConstraint::utf8_loops(uint32_t set) {
  // One character of each group first: most sets that are no loop fail in two transitions.
  for (const Utf8Group& g : kUtf8Groups) {
    uint32_t state = transition(set, g.lead_lo);
    for (int level = 0; level < g.n_cont && state != 0; ++level) {
      state = transition(state, g.cont[level].first);
    }
    if (state != set) return false;
  }
  for (const Utf8Group& g : kUtf8Groups) {
    uint32_t checked = UINT32_MAX;  // leads of a group usually share their next state
    for (int lead = g.lead_lo; lead <= g.lead_hi; ++lead) {
      uint32_t state = transition(set, static_cast<uint8_t>(lead));
      if (state == 0) return false;
      if (state == checked) continue;
      const uint32_t after_lead = state;
      for (int level = 0; level < g.n_cont; ++level) {
        const auto [lo, hi] = g.cont[level];
        const uint32_t next = transition(state, lo);
        if (next == 0) return false;
        for (int b = lo + 1; b <= hi; ++b) {
          if (transition(state, static_cast<uint8_t>(b)) != next) return false;
        }
        state = next;
      }
      if (state != set) return false;
      checked = after_lead;
    }
  }
  return true;
}

// Sets the bits of every token in the trie subtree at `root` that the stacks in `set` (the state
// after the root's own byte) accept. With `ends`, also lists the nodes right after a point where
// the stacks can all be done. The subtree is scanned in preorder, which is memory order, keeping
// the state of each depth of the current path; a dead state skips its whole subtree.
void TokenConstraint::walk(const Trie& t, uint32_t root, uint32_t set,
                           std::vector<uint64_t>& allowed,
                           std::vector<std::pair<uint8_t, uint32_t>>* ends) {
  const Trie::Node* trie = t.nodes().data();
  const int32_t* tokens = t.tokens().data();
  const uint32_t root_depth = trie[root].depth;
  if (depth_state_.size() < static_cast<size_t>(root_depth) + 2) return;
  depth_state_[root_depth] = set;
  for (uint32_t k = trie[root].tok_begin; k < trie[root].tok_end; ++k) set_bit(allowed, tokens[k]);
  const uint32_t end = trie[root].end;
  uint32_t i = root + 1;
  while (i < end) {
    const Trie::Node& node = trie[i];
    const uint32_t parent = depth_state_[node.depth - 1];
    if (ends != nullptr && set_can_end_[parent] && node.depth > 1) {
      ends->push_back({node.byte, i});
    }
    // The transition table answers dead bytes too, so the hot path is two dependent loads.
    const int32_t known = transitions_[size_t{parent} * 256 + node.byte];
    uint32_t next = known >= 0 ? static_cast<uint32_t>(known) : transition(parent, node.byte);
    if (next == 0) {
      i = node.end;
      continue;
    }
    const uint32_t size = node.end - i;
    // Below a large subtree's root only its depth matters of the counters: clamp them to it
    // (exact within short pieces, a table lookup; past them a power of two, so that each state
    // has few clamped forms).
    if (size >= kLoopWorthNodes) {
      const uint32_t below = std::max<uint32_t>(t.depth_below(i), 1);
      const uint32_t h = below <= VocabIndex::kShortPiece ? below : std::bit_ceil(below);
      if (h < set_horizon_[next]) next = clamp_set(next, h);
    }
    depth_state_[node.depth] = next;
    // A loop state whose loop covers everything below this node stays in itself down the whole
    // subtree: every token there is allowed (and, when it cannot end, nothing is an entry). The
    // loop covers a subtree when its bytes include every byte below, or every ASCII byte below
    // and, the subtree being valid UTF-8, every multi-byte character.
    // Where nothing is to be computed, a set with no loop found yet covers nothing.
    if (size > 1 && (ends == nullptr || !set_can_end_[next]) &&
        (set_loop_found_[next] || size >= kLoopWorthNodes) &&
        loop_covers(next, t, i, size >= kLoopWorthNodes)) {
      const uint32_t last = t.subtree_tokens(node.end);
      for (uint32_t k = t.subtree_tokens(i); k < last; ++k) set_bit(allowed, tokens[k]);
      i = node.end;
      continue;
    }
    for (uint32_t k = node.tok_begin; k < node.tok_end; ++k) set_bit(allowed, tokens[k]);
    ++i;
  }
}

// The cached walk of `trie` by a fragment: `key` is its top frames (top first, counters clamped
// for `horizon` bytes) and then the tier, which keeps the fragments of the two tries apart.
std::shared_ptr<const Fragment> TokenConstraint::fragment(const std::vector<uint32_t>& key,
                                                          const Trie& trie, uint32_t horizon) {
  if (auto found = fragments_->find(key)) return found;
  uint32_t node = 0;
  for (size_t i = key.size() - 1; i-- > 0;) node = push(key[i], node);
  members_.assign(1, node);
  const uint32_t start = intern_set(members_, horizon);

  auto f = std::make_shared<Fragment>();
  f->accepted.assign((static_cast<size_t>(vocab_->n_vocab()) + 63) / 64, 0);
  std::vector<std::pair<uint8_t, uint32_t>>& entries = ends_;
  entries.clear();
  walk(trie, 0, start, f->accepted, &entries);
  for (uint64_t w : f->accepted) f->accepts_any = f->accepts_any || w != 0;
  std::array<uint32_t, 257> count{};
  for (const auto& e : entries) ++count[e.first + 1];
  std::partial_sum(count.begin(), count.end(), f->entry_begin.begin());
  f->entries.resize(entries.size());
  std::array<uint32_t, 257> fill = f->entry_begin;
  for (const auto& e : entries) f->entries[fill[e.first]++] = e.second;
  return fragments_->insert(key, std::move(f));
}

void TokenConstraint::fill_mask(std::vector<uint64_t>& allowed) {
  const int32_t n_vocab = vocab_->n_vocab();
  allowed.assign((static_cast<size_t>(n_vocab) + 63) / 64, 0);
  if (finished_) return;
  if (nodes_.size() > kMaxDfaNodes || set_first_.size() > kMaxDfaSets ||
      advanced_narrow_.size() > kMaxDfaNodes) {
    reset_dfa();
  }
  // Fragment key tags, after the frames.
  constexpr uint32_t kShortTier = 0, kLongTier = 1;
  const Trie& short_trie = vocab_->short_trie();
  const Trie& long_trie = vocab_->long_trie();
  const size_t words = allowed.size();
  bool complete = false;
  done_.clear();
  held_.clear();
  for (size_t i = 0; i < matcher_.n_stacks(); ++i) {
    const auto raw = matcher_.stack(i);  // bottom first
    if (raw.empty()) {
      complete = true;
      continue;
    }
    const size_t k = std::min(kFragmentFrames, raw.size());
    // The fragments: counts that the next token cannot tell apart share one cache entry. A
    // counter clamped for h bytes behaves exactly for the next h, and no token of the short trie
    // is longer than short_horizon_, so its fragment is exact there.
    const Fragment* tiers[2] = {nullptr, nullptr};
    for (uint32_t tier : {kShortTier, kLongTier}) {
      const Trie& trie = tier == kShortTier ? short_trie : long_trie;
      if (trie.empty()) continue;
      const uint32_t h = tier == kShortTier ? short_horizon_ : horizon_;
      key_.clear();
      for (size_t j = 0; j < k; ++j) {
        const uint32_t frame = raw[raw.size() - 1 - j];
        key_.push_back(Grammar::is_counter(frame) ? grammar_->clamp_counter(frame, h) : frame);
      }
      key_.push_back(tier);
      held_.push_back(fragment(key_, trie, h));
      const Fragment& f = *held_.back();
      tiers[tier] = &f;
      bool ored = false;
      for (const auto& [seen, parent] : done_) ored = ored || seen == &f;
      if (!ored) {
        if (f.accepts_any) {
          for (size_t w = 0; w < words; ++w) allowed[w] |= f.accepted[w];
        }
        done_.push_back({&f, UINT32_MAX});
      }
    }
    if (k == raw.size()) continue;  // nothing below the fragment: its end is the output's end
    // The stack below the fragment, exact but for counts the longest token cannot tell apart.
    uint32_t below = 0;
    for (size_t j = 0; j + k < raw.size(); ++j) {
      const uint32_t frame = raw[j];
      below = push(Grammar::is_counter(frame) ? grammar_->clamp_counter(frame, horizon_) : frame,
                   below);
    }
    if (advanced_set_.size() <= below) advanced_set_.resize(nodes_.size(), -1);
    if (advanced_set_[below] < 0) {
      const Range r = advance(below, horizon_);
      scratch_.assign(advanced_data_.begin() + r.begin, advanced_data_.begin() + r.end);
      const uint32_t set = intern_set(scratch_, horizon_);
      if (advanced_set_.size() <= below) advanced_set_.resize(nodes_.size(), -1);
      advanced_set_[below] = static_cast<int32_t>(set);
    }
    const auto parent = static_cast<uint32_t>(advanced_set_[below]);
    // Where each fragment can end, the stack below reads on in that fragment's trie.
    for (uint32_t tier : {kShortTier, kLongTier}) {
      const Fragment* f = tiers[tier];
      if (f == nullptr || f->entries.empty()) continue;
      bool walked = false;
      for (const auto& [seen, p] : done_) walked = walked || (seen == f && p == parent);
      if (walked) continue;
      done_.push_back({f, parent});
      const Trie& trie = tier == kShortTier ? short_trie : long_trie;
      const ByteSet first = set_first_[parent];
      for (int b = 0; b < 256; ++b) {
        if (f->entry_begin[b] == f->entry_begin[b + 1] ||
            !byteset_has(first, static_cast<uint8_t>(b)))
          continue;
        const uint32_t next = transition(parent, static_cast<uint8_t>(b));
        if (next == 0) continue;
        for (uint32_t e = f->entry_begin[b]; e < f->entry_begin[b + 1]; ++e) {
          walk(trie, f->entries[e], next, allowed, nullptr);
        }
      }
    }
  }
  if (complete) {
    for (int32_t id : vocab_->eog()) set_bit(allowed, id);
  }
}

bool TokenConstraint::allows(int32_t token) const {
  if (token < 0 || token >= vocab_->n_vocab() || finished_) return false;
  if (vocab_->is_eog(token)) return matcher_.is_complete();
  if (vocab_->is_special(token) || vocab_->piece(token).empty()) return false;
  Matcher copy = matcher_;
  return copy.accept_bytes(vocab_->piece(token));
}

void TokenConstraint::accept(int32_t token) {
  if (token < 0 || token >= vocab_->n_vocab()) {
    throw rightsize::Error("grammar: token id " + std::to_string(token) +
                           " is outside the vocabulary");
  }
  if (finished_) throw rightsize::Error("grammar: token after the end of the output");
  if (vocab_->is_eog(token)) {
    if (!matcher_.is_complete()) {
      throw rightsize::Error("grammar: end of generation before the grammar is complete");
    }
    finished_ = true;
    return;
  }
  if (vocab_->is_special(token) || vocab_->piece(token).empty() ||
      !matcher_.accept_bytes(vocab_->piece(token))) {
    throw rightsize::Error("grammar: token " + std::to_string(token) +
                           " does not continue the grammar");
  }
}

bool TokenConstraint::is_complete() const { return matcher_.is_complete(); }

bool TokenConstraint::can_continue() const { return !finished_ && matcher_.can_continue(); }

}  // namespace rightsize::sampling::grammar
