// Token masks for grammar-constrained sampling: a byte trie over the vocabulary, built once,
// and per step the set of tokens whose bytes can continue the grammar's output.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "sampling/grammar/fragment_cache.h"
#include "sampling/grammar/gbnf.h"

namespace rightsize::sampling::grammar {

// A byte trie over some tokens of a vocabulary, with what a walk needs to skip subtrees.
// Immutable once built.
class Trie {
 public:
  // Nodes in depth-first preorder; node 0 is the root (the empty prefix). The children of node n
  // are n + 1, then each next sibling at the previous one's `end`, while below n's `end`.
  struct Node {
    uint32_t end;        // one past the last node of this subtree
    uint32_t tok_begin;  // tokens whose piece is this node's prefix: tokens()[begin, end)
    uint32_t tok_end;
    uint16_t depth;  // length of the prefix
    uint8_t byte;    // the byte leading here from the parent
  };

  // The trie of pieces[id] for each id in `ids` (pieces not empty).
  static Trie build(const std::vector<std::string>& pieces, std::vector<int32_t> ids);

  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  bool empty() const { return tokens_.empty(); }                 // the root alone
  size_t max_piece_length() const { return max_piece_length_; }  // 0 when empty

  // The bytes on the edges strictly below node n (the bytes that complete its tokens). A walk in
  // a state that every such byte maps back to itself (inside a JSON string, say) accepts the
  // whole subtree without visiting it.
  const ByteSet& bytes_below(uint32_t n) const { return byte_sets_below_[bytes_below_[n]]; }
  // The tokens of node n's subtree are tokens()[subtree_tokens(n), subtree_tokens(n.end)).
  uint32_t subtree_tokens(uint32_t n) const { return subtree_tokens_[n]; }
  // Every token below node n, read on from n as if a UTF-8 character ended there, is valid UTF-8
  // (its last character may be cut short). A walk in a state that takes every character back to
  // itself can then accept the subtree whole, multi-byte characters included.
  bool utf8_below(uint32_t n) const { return utf8_states_below_[n] & 1; }
  // Bytes on the longest path below node n (0 for a leaf): how far a walk from n can look.
  uint32_t depth_below(uint32_t n) const { return depth_below_[n]; }

 private:
  std::vector<Node> nodes_;
  std::vector<int32_t> tokens_;
  size_t max_piece_length_ = 0;
  std::vector<uint32_t> bytes_below_;  // by node: index into byte_sets_below_ (deduplicated)
  std::vector<ByteSet> byte_sets_below_;
  std::vector<uint32_t> subtree_tokens_;  // by node, plus one entry for nodes_.size()
  // By node: bit s set iff every path below is valid UTF-8 from decoder state s (0: between
  // characters; see utf8_step in the .cpp).
  std::vector<uint8_t> utf8_states_below_;
  std::vector<uint16_t> depth_below_;
};

// The vocabulary as bytes, with tries over the pieces of ordinary tokens (not special, not EOG,
// not empty): one of the short pieces (at most kShortPiece bytes, nearly all of a BPE
// vocabulary) and one of the long ones. Built once per vocabulary; immutable, share it across
// threads and requests.
class VocabIndex {
 public:
  static constexpr size_t kShortPiece = 16;

  // pieces[id] = the bytes token id decodes to; special[id] = true for control tokens that are
  // never grammar text (BOS, EOS, <|eot_id|>...). eog = end-of-generation ids.
  static std::shared_ptr<const VocabIndex> build(std::vector<std::string> pieces,
                                                 std::vector<bool> special,
                                                 std::vector<int32_t> eog);

  int32_t n_vocab() const { return static_cast<int32_t>(pieces_.size()); }
  const std::string& piece(int32_t id) const { return pieces_[id]; }
  bool is_special(int32_t id) const { return special_[id]; }
  bool is_eog(int32_t id) const { return is_eog_[id]; }
  const std::vector<int32_t>& eog() const { return eog_; }

  // Ordinary tokens of at most kShortPiece bytes, and those longer (often an empty trie). A walk
  // of the short trie looks at most kShortPiece bytes ahead, so counters of bounded repetitions
  // merge there far closer to their bounds than over the whole vocabulary.
  const Trie& short_trie() const { return short_trie_; }
  const Trie& long_trie() const { return long_trie_; }
  size_t max_piece_length() const {  // over both tries
    return std::max(short_trie_.max_piece_length(), long_trie_.max_piece_length());
  }

  // The fragment cache that every TokenConstraint of `grammar` over this vocabulary shares
  // (thread-safe). It lives while the grammar does: entries of grammars since freed are dropped
  // at the next call. The only mutable part of the index.
  std::shared_ptr<FragmentCache> fragment_cache(
      const std::shared_ptr<const Grammar>& grammar) const;

 private:
  VocabIndex() = default;

  std::vector<std::string> pieces_;
  std::vector<bool> special_;
  std::vector<bool> is_eog_;
  std::vector<int32_t> eog_;
  Trie short_trie_;
  Trie long_trie_;

  mutable std::mutex caches_mu_;
  mutable std::vector<std::pair<std::weak_ptr<const Grammar>, std::shared_ptr<FragmentCache>>>
      caches_;
};

// The grammar state of one sequence and its token masks. Not thread-safe: one per sequence.
//
// A mask walks the vocabulary trie with sets of parse stacks, made cheap three ways. (1) Sets of
// stacks are interned and their byte transitions memoised, so a walk is a DFA walk. (2) The
// result for the top few frames of a stack (the fragment) is cached: which tokens the fragment
// accepts on its own, and at which trie nodes it can end so that the rest of the stack takes
// over. A step inside a JSON string then costs one bitset OR plus a walk of the few subtrees
// where the string can close, instead of a walk of the whole vocabulary. Fragments are shared by
// all constraints of one grammar (VocabIndex::fragment_cache). Each stack has two: one over the
// short trie, its counters clamped for kShortPiece bytes, so that the counts of a bounded string
// share a fragment until near the bound; and one over the few long tokens, clamped for the
// longest. (3) A walk skips subtrees that a looping state (a string body) accepts whole, using
// the bytes below each trie node.
class TokenConstraint {
 public:
  TokenConstraint(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const VocabIndex> vocab);

  // allowed[id] bit set (uint64_t words, n_vocab bits) iff token id can continue the output;
  // EOG ids are allowed iff is_complete(); special non-EOG tokens never; empty-piece tokens never.
  void fill_mask(std::vector<uint64_t>& allowed);
  // Cheap single-token check (for sample-then-verify).
  bool allows(int32_t token) const;
  // Advance; raises Error if the token is not allowed.
  void accept(int32_t token);
  bool is_complete() const;
  // False: only EOG is allowed (the output is finished).
  bool can_continue() const;

  const Matcher& matcher() const { return matcher_; }

 private:
  struct StackNode {
    uint32_t pos;     // grammar position on top of this stack
    uint32_t parent;  // the stack below; node 0 is the empty stack
    uint32_t depth;
  };
  struct Range {
    uint32_t begin = 0, end = 0;
  };
  struct VectorHash {
    size_t operator()(const std::vector<uint32_t>& v) const;
  };

  uint32_t push(uint32_t pos, uint32_t parent);
  // Expansions and sets carry a horizon: counters in them are clamped for that many bytes.
  Range advance(uint32_t node, uint32_t horizon);
  uint32_t intern_set(const std::vector<uint32_t>& members, uint32_t horizon);
  uint32_t transition(uint32_t set, uint8_t byte);
  uint32_t clamp_set(uint32_t set, uint32_t horizon);
  uint32_t clamp_stack(uint32_t node, uint32_t horizon);
  bool loops_on(uint32_t set, const ByteSet& bytes, bool compute);
  bool loop_covers(uint32_t set, const Trie& t, uint32_t i, bool compute);
  bool utf8_loops(uint32_t set);
  std::shared_ptr<const Fragment> fragment(const std::vector<uint32_t>& key, const Trie& trie,
                                           uint32_t horizon);
  void walk(const Trie& trie, uint32_t trie_node, uint32_t set, std::vector<uint64_t>& allowed,
            std::vector<std::pair<uint8_t, uint32_t>>* ends);
  void reset_dfa();

  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const VocabIndex> vocab_;
  Matcher matcher_;
  bool finished_ = false;       // an EOG token was accepted
  uint32_t horizon_ = 1;        // bytes in the longest token
  uint32_t short_horizon_ = 1;  // bytes in the longest token of the short trie

  // Hash-consed persistent stacks.
  std::vector<StackNode> nodes_;
  std::unordered_map<uint64_t, uint32_t> node_ids_;
  std::vector<Range> advanced_;  // by node: its expansion in advanced_data_ (memo)
  std::vector<uint32_t> advanced_data_;
  std::vector<int32_t> advanced_set_;  // by node: the interned set of its expansion, or -1

  // Interned sets of stacks (the DFA states); set 0 is the empty set (dead).
  std::vector<uint32_t> set_data_;
  std::vector<uint32_t> set_begin_;
  std::vector<ByteSet> set_first_;    // bytes some member can take
  std::vector<uint8_t> set_can_end_;  // the set holds the empty stack
  // Bytes that lead from a set back to itself (a loop such as a string body), found lazily: of
  // the bytes in set_loop_known_, those in set_loop_ loop.
  std::vector<ByteSet> set_loop_known_;
  std::vector<ByteSet> set_loop_;
  // Whether every valid multi-byte UTF-8 character leads from the set back to itself: kUnknown,
  // kNo or kYes.
  std::vector<uint8_t> set_utf8_loop_;
  std::vector<uint8_t> set_loop_found_;  // some byte, or every multi-byte character, loops
  // Bytes within which the set's counters behave exactly (horizon_ at the root of a mask; less
  // deep in the trie, where fewer bytes remain below a node, so more counts merge into one state
  // and loops appear inside bounded strings too).
  std::vector<uint32_t> set_horizon_;
  std::unordered_map<uint64_t, Range> advanced_narrow_;  // (node, horizon < horizon_) -> expansion
  // (set, horizon) -> the clamped set: a table for horizons up to kShortPiece, -1 unknown.
  std::vector<int32_t> clamped_short_;              // [set * (kShortPiece + 1) + horizon]
  std::unordered_map<uint64_t, uint32_t> clamped_;  // longer horizons
  std::unordered_map<std::vector<uint32_t>, uint32_t, VectorHash> set_ids_;
  std::vector<int32_t> transitions_;  // [set * 256 + byte], -1 unknown

  std::shared_ptr<FragmentCache> fragments_;  // shared with the grammar's other constraints

  // Scratch, kept to avoid allocating per mask.
  std::vector<uint32_t> scratch_;
  std::vector<uint32_t> work_;
  std::vector<uint32_t> seen_;  // advance: by node, the epoch it was last seen in
  uint32_t seen_epoch_ = 0;
  std::vector<uint32_t> depth_state_;  // walk: the set after the node at each depth on the path
  std::vector<std::pair<uint8_t, uint32_t>> ends_;
  std::vector<uint32_t> key_;
  std::vector<uint32_t> set_key_;
  std::vector<uint32_t> members_;
  std::vector<std::pair<const Fragment*, uint32_t>> done_;  // (fragment, set below) handled
  std::vector<std::shared_ptr<const Fragment>> held_;       // this mask's fragments, kept alive
};

}  // namespace rightsize::sampling::grammar
