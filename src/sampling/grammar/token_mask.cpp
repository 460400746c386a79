// Vocabulary trie and per-step token masks: a DFA walk over interned sets of parse stacks, with
// per-fragment caches so that permissive positions (string contents) cost little per step.
#include "sampling/grammar/token_mask.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

namespace rightsize::sampling::grammar {

namespace {

// Frames of a stack's top that form its cached fragment. Two cover a repetition loop and the
// rule it repeats ("string ::= '"' char* '"'"); one more covers a class compiled to a rule.
constexpr size_t kFragmentFrames = 3;
// Past these sizes the memoised DFA is dropped and rebuilt: memory stays bounded whatever the
// grammar does, at the cost of recomputing transitions.
constexpr size_t kMaxDfaNodes = size_t{1} << 21;
constexpr size_t kMaxDfaSets = 20000;
constexpr uint32_t kNoPos = UINT32_MAX;
constexpr uint8_t kLoopUnknown = 0, kLoopNone = 1, kLoopSome = 2;
// A set's loop bytes cost up to 256 transitions; look for them only where a subtree this large
// could be skipped.
constexpr uint32_t kLoopWorthNodes = 64;

inline void set_bit(std::vector<uint64_t>& bits, int32_t id) {
  bits[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
}

inline bool any_byte(const ByteSet& s) { return (s[0] | s[1] | s[2] | s[3]) != 0; }

}  // namespace

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
    if (id < 0 || id >= n) throw rightsize::Error("vocabulary: EOG id " + std::to_string(id) +
                                                  " outside 0.." + std::to_string(n - 1));
    v->is_eog_[id] = true;
  }
  std::vector<int32_t> text_ids;
  for (int32_t id = 0; id < n; ++id) {
    if (!special[id] && !v->is_eog_[id] && !pieces[id].empty()) text_ids.push_back(id);
  }
  // Sorted pieces give the trie in preorder with children in byte order (std::string compares
  // as unsigned char); identical pieces end up adjacent, sharing a node.
  std::sort(text_ids.begin(), text_ids.end(), [&](int32_t a, int32_t b) {
    return pieces[a] != pieces[b] ? pieces[a] < pieces[b] : a < b;
  });
  auto& trie = v->trie_;
  trie.push_back({0, 0, 0, 0, 0});
  v->subtree_tokens_.push_back(0);
  std::vector<uint32_t> path{0};  // path[d]: the node at depth d
  const std::string* prev = nullptr;
  for (int32_t id : text_ids) {
    const std::string& p = pieces[id];
    if (p.size() > UINT16_MAX) throw rightsize::Error("vocabulary: token " + std::to_string(id) +
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
      v->subtree_tokens_.push_back(static_cast<uint32_t>(v->trie_tokens_.size()));
    }
    VocabIndex::Node& node = trie[path.back()];
    if (node.tok_end == node.tok_begin) node.tok_begin = node.tok_end =
        static_cast<uint32_t>(v->trie_tokens_.size());
    v->trie_tokens_.push_back(id);
    ++node.tok_end;
    prev = &p;
  }
  for (uint32_t node : path) trie[node].end = static_cast<uint32_t>(trie.size());
  v->subtree_tokens_.push_back(static_cast<uint32_t>(v->trie_tokens_.size()));
  // Bytes below each node, children before parents (reverse preorder); few distinct sets.
  struct ByteSetHash {
    size_t operator()(const ByteSet& s) const {
      return static_cast<size_t>((s[0] * 31 + s[1]) * 0x9E3779B97F4A7C15ull ^ (s[2] * 7 + s[3]));
    }
  };
  std::unordered_map<ByteSet, uint32_t, ByteSetHash> below_ids;
  v->bytes_below_.assign(trie.size(), 0);
  for (size_t i = trie.size(); i-- > 0;) {
    ByteSet below{};
    for (uint32_t c = static_cast<uint32_t>(i) + 1; c < trie[i].end; c = trie[c].end) {
      const ByteSet& sub = v->byte_sets_below_[v->bytes_below_[c]];
      for (int w = 0; w < 4; ++w) below[w] |= sub[w];
      below[trie[c].byte >> 6] |= uint64_t{1} << (trie[c].byte & 63);
    }
    auto [it, inserted] =
        below_ids.try_emplace(below, static_cast<uint32_t>(v->byte_sets_below_.size()));
    if (inserted) v->byte_sets_below_.push_back(below);
    v->bytes_below_[i] = it->second;
  }
  for (const auto& node : trie) v->max_piece_length_ = std::max<size_t>(v->max_piece_length_, node.depth);
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
  set_loop_state_.clear();
  set_loop_.clear();
  set_ids_.clear();
  transitions_.clear();
  RS_CHECK(intern_set({}) == 0);  // set 0: dead
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

// The stacks `node` expands to (top a byte set, or empty), as llama.cpp's advance_stack; memoised.
TokenConstraint::Range TokenConstraint::advance(uint32_t node) {
  if (node < advanced_.size() && advanced_[node].end != 0) return advanced_[node];
  const Grammar& g = *grammar_;
  work_.assign(1, node);
  std::unordered_set<uint32_t> seen{node};
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
    g.expand(top, horizon_, [&](uint32_t lower, uint32_t upper) {
      uint32_t t = parent;
      if (lower != kNoFrame) t = push(lower, t);
      if (upper != kNoFrame) t = push(upper, t);
      if (seen.insert(t).second) work_.push_back(t);
    });
  }
  std::sort(advanced_data_.begin() + begin, advanced_data_.end());
  advanced_data_.erase(std::unique(advanced_data_.begin() + begin, advanced_data_.end()),
                       advanced_data_.end());
  if (advanced_.size() < nodes_.size()) advanced_.resize(nodes_.size());
  // end is never 0 once computed: the expansion of a stack is never empty.
  advanced_[node] = {begin, static_cast<uint32_t>(advanced_data_.size())};
  return advanced_[node];
}

uint32_t TokenConstraint::intern_set(const std::vector<uint32_t>& members) {
  if (members.size() > kMaxStacks) {
    throw rightsize::Error("grammar too ambiguous: more than " + std::to_string(kMaxStacks) +
                           " parse stacks");
  }
  auto [it, inserted] = set_ids_.try_emplace(members, static_cast<uint32_t>(set_first_.size()));
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
    set_loop_state_.push_back(members.empty() ? kLoopNone : kLoopUnknown);
    set_loop_.push_back({});
    transitions_.resize(set_first_.size() * 256, -1);
  }
  return it->second;
}

uint32_t TokenConstraint::transition(uint32_t set, uint8_t byte) {
  const size_t slot = size_t{set} * 256 + byte;
  if (transitions_[slot] >= 0) return static_cast<uint32_t>(transitions_[slot]);
  const Grammar& g = *grammar_;
  scratch_.clear();
  if (byteset_has(set_first_[set], byte)) {
    for (uint32_t i = set_begin_[set]; i < set_begin_[set + 1]; ++i) {
      const uint32_t m = set_data_[i];
      if (m == 0) continue;
      const uint32_t top = nodes_[m].pos;
      if (!byteset_has(g.byte_set(g.at(top).value), byte)) continue;
      const uint32_t parent = nodes_[m].parent;
      const uint32_t next = g.is_end_of_sequence(top + 1) ? parent : push(top + 1, parent);
      const Range r = advance(next);
      scratch_.insert(scratch_.end(), advanced_data_.begin() + r.begin,
                      advanced_data_.begin() + r.end);
    }
    std::sort(scratch_.begin(), scratch_.end());
    scratch_.erase(std::unique(scratch_.begin(), scratch_.end()), scratch_.end());
  }
  const uint32_t next_set = intern_set(scratch_);
  transitions_[slot] = static_cast<int32_t>(next_set);
  return next_set;
}

void TokenConstraint::find_loop(uint32_t set) {
  const ByteSet first = set_first_[set];  // a copy: transition() may grow the vectors
  ByteSet loop{};
  for (int b = 0; b < 256; ++b) {
    if (byteset_has(first, static_cast<uint8_t>(b)) &&
        transition(set, static_cast<uint8_t>(b)) == set) {
      loop[b >> 6] |= uint64_t{1} << (b & 63);
    }
  }
  set_loop_[set] = loop;
  set_loop_state_[set] = any_byte(loop) ? kLoopSome : kLoopNone;
}

// Sets the bits of every token in the trie subtree at `root` that the stacks in `set` (the state
// after the root's own byte) accept. With `ends`, also lists the nodes right after a point where
// the stacks can all be done. The subtree is scanned in preorder, which is memory order, keeping
// the state of each depth of the current path; a dead state skips its whole subtree.
void TokenConstraint::walk(uint32_t root, uint32_t set, std::vector<uint64_t>& allowed,
                           std::vector<std::pair<uint8_t, uint32_t>>* ends) {
  const VocabIndex::Node* trie = vocab_->trie().data();
  const int32_t* tokens = vocab_->trie_tokens().data();
  const uint32_t root_depth = trie[root].depth;
  if (depth_state_.size() < static_cast<size_t>(root_depth) + 2) return;
  depth_state_[root_depth] = set;
  for (uint32_t t = trie[root].tok_begin; t < trie[root].tok_end; ++t) set_bit(allowed, tokens[t]);
  const uint32_t end = trie[root].end;
  uint32_t i = root + 1;
  while (i < end) {
    const VocabIndex::Node& node = trie[i];
    const uint32_t parent = depth_state_[node.depth - 1];
    if (ends != nullptr && set_can_end_[parent] && node.depth > 1) {
      ends->push_back({node.byte, i});
    }
    // The transition table answers dead bytes too, so the hot path is two dependent loads.
    const int32_t known = transitions_[size_t{parent} * 256 + node.byte];
    const uint32_t next = known >= 0 ? static_cast<uint32_t>(known) : transition(parent, node.byte);
    if (next == 0) {
      i = node.end;
      continue;
    }
    depth_state_[node.depth] = next;
    // A loop state whose loop bytes cover everything below this node stays in itself down the
    // whole subtree: every token there is allowed (and, when it cannot end, nothing is an entry).
    const uint32_t size = node.end - i;
    if (size > 1 && set_loop_state_[next] != kLoopNone && (ends == nullptr || !set_can_end_[next])) {
      if (set_loop_state_[next] == kLoopUnknown && size >= kLoopWorthNodes) find_loop(next);
      if (set_loop_state_[next] == kLoopSome) {
        const ByteSet& below = vocab_->bytes_below(i);
        const ByteSet& loop = set_loop_[next];
        if (((below[0] & ~loop[0]) | (below[1] & ~loop[1]) | (below[2] & ~loop[2]) |
             (below[3] & ~loop[3])) == 0) {
          const uint32_t last = vocab_->subtree_tokens(node.end);
          for (uint32_t t = vocab_->subtree_tokens(i); t < last; ++t) set_bit(allowed, tokens[t]);
          i = node.end;
          continue;
        }
      }
    }
    for (uint32_t t = node.tok_begin; t < node.tok_end; ++t) set_bit(allowed, tokens[t]);
    ++i;
  }
}

// The cached walk of a fragment: the top frames `key` (top first) on their own.
std::shared_ptr<const Fragment> TokenConstraint::fragment(const std::vector<uint32_t>& key) {
  if (auto found = fragments_->find(key)) return found;
  uint32_t node = 0;
  for (size_t i = key.size(); i-- > 0;) node = push(key[i], node);
  const uint32_t start = intern_set({node});

  auto f = std::make_shared<Fragment>();
  f->accepted.assign((static_cast<size_t>(vocab_->n_vocab()) + 63) / 64, 0);
  std::vector<std::pair<uint8_t, uint32_t>>& entries = ends_;
  entries.clear();
  walk(0, start, f->accepted, &entries);
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
  if (nodes_.size() > kMaxDfaNodes || set_first_.size() > kMaxDfaSets) reset_dfa();
  const size_t words = allowed.size();
  bool complete = false;
  done_.clear();
  held_.clear();
  for (size_t i = 0; i < matcher_.n_stacks(); ++i) {
    stack_.assign(matcher_.stack(i).begin(), matcher_.stack(i).end());  // bottom first
    if (stack_.empty()) {
      complete = true;
      continue;
    }
    // Counts that the next token cannot tell apart share one cache entry.
    for (uint32_t& frame : stack_) {
      if (Grammar::is_counter(frame)) frame = grammar_->clamp_counter(frame, horizon_);
    }
    const std::vector<uint32_t>& stack = stack_;
    const size_t k = std::min(kFragmentFrames, stack.size());
    key_.assign(stack.rbegin(), stack.rbegin() + k);
    held_.push_back(fragment(key_));
    const Fragment& f = *held_.back();
    bool ored = false;
    for (const auto& [seen, parent] : done_) ored = ored || seen == &f;
    if (!ored) {
      for (size_t w = 0; w < words; ++w) allowed[w] |= f.accepted[w];
      done_.push_back({&f, UINT32_MAX});
    }
    if (k == stack.size()) continue;  // nothing below the fragment: its end is the output's end
    uint32_t below = 0;
    for (size_t j = 0; j + k < stack.size(); ++j) below = push(stack[j], below);
    if (advanced_set_.size() <= below) advanced_set_.resize(nodes_.size(), -1);
    if (advanced_set_[below] < 0) {
      const Range r = advance(below);
      scratch_.assign(advanced_data_.begin() + r.begin, advanced_data_.begin() + r.end);
      const uint32_t set = intern_set(scratch_);
      if (advanced_set_.size() <= below) advanced_set_.resize(nodes_.size(), -1);
      advanced_set_[below] = static_cast<int32_t>(set);
    }
    const auto parent = static_cast<uint32_t>(advanced_set_[below]);
    bool walked = false;
    for (const auto& [seen, p] : done_) walked = walked || (seen == &f && p == parent);
    if (walked) continue;
    done_.push_back({&f, parent});
    const ByteSet first = set_first_[parent];
    for (int b = 0; b < 256; ++b) {
      if (f.entry_begin[b] == f.entry_begin[b + 1] || !byteset_has(first, static_cast<uint8_t>(b)))
        continue;
      const uint32_t next = transition(parent, static_cast<uint8_t>(b));
      if (next == 0) continue;
      for (uint32_t e = f.entry_begin[b]; e < f.entry_begin[b + 1]; ++e) {
        walk(f.entries[e], next, allowed, nullptr);
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
    throw rightsize::Error("grammar: token id " + std::to_string(token) + " is outside the vocabulary");
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
