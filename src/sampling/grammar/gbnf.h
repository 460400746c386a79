// GBNF grammars (the format llama.cpp users write) compiled to byte-level rules, and a matcher
// that follows a grammar byte by byte with a set of pushdown stacks.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace rightsize::sampling::grammar {

// A grammar that does not parse or breaks a limit. The message reads "line L, column C: problem".
class GrammarError : public rightsize::Error {
 public:
  GrammarError(int line, int column, const std::string& problem);
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  int line_;
  int column_;
};

// Limits against hostile grammars: nothing a grammar says may make us allocate or recurse without
// bound. Each one, when broken, is a GrammarError (at parse) or a rightsize::Error (at match).
inline constexpr int kMaxRules = 4096;            // rules written in the grammar
inline constexpr int kMaxNesting = 64;            // depth of ( ) groups
inline constexpr int kMaxRepetition = 100000;     // largest m or n in x{m,n}
inline constexpr size_t kMaxElements = 1 << 20;   // compiled size, repetitions expanded
inline constexpr size_t kMaxStacks = 4096;        // parse stacks alive at once (ambiguity)
inline constexpr size_t kMaxStackDepth = 8192;    // frames in one stack (nesting of the output)

// One symbol of a compiled rule. Characters are compiled down to bytes: a class such as
// [^"\\] becomes a small rule whose alternatives are sequences of byte sets (the UTF-8 encodings
// of its code point ranges), so the matcher needs no partial-character state and a token may
// end in the middle of a character.
struct Element {
  enum Type : uint8_t {
    kEnd,      // end of the rule's last alternative
    kAlt,      // end of an alternative; the next one starts after it
    kBytes,    // one byte from byte set `value`
    kRuleRef,  // rule `value`
  };
  Type type;
  uint32_t value;
};

using ByteSet = std::array<uint64_t, 4>;

inline bool byteset_has(const ByteSet& s, uint8_t b) { return (s[b >> 6] >> (b & 63)) & 1; }

// Immutable after parse; share one through shared_ptr across threads.
class Grammar {
 public:
  // Throws GrammarError naming the line and column of the problem.
  static std::shared_ptr<const Grammar> parse(std::string_view gbnf,
                                              std::string_view root = "root");

  // Compiled form, for the matcher and the token mask. A position is an index into elements();
  // rule r's alternatives start at rule_start(r), each ending with kAlt and the last with kEnd.
  const std::vector<Element>& elements() const { return elements_; }
  const Element& at(uint32_t pos) const { return elements_[pos]; }
  uint32_t rule_start(uint32_t rule) const { return rule_starts_[rule]; }
  uint32_t root_rule() const { return root_; }
  const ByteSet& byte_set(uint32_t id) const { return byte_sets_[id]; }
  size_t n_rules() const { return rule_starts_.size(); }
  const std::string& rule_name(uint32_t rule) const { return rule_names_[rule]; }
  bool is_end_of_sequence(uint32_t pos) const {
    return elements_[pos].type == Element::kEnd || elements_[pos].type == Element::kAlt;
  }
  // The alternatives of rule `rule`, as start positions (an empty alternative starts on its end).
  const std::vector<uint32_t>& alternatives(uint32_t rule) const { return alternatives_[rule]; }

 private:
  friend class GrammarBuilder;
  Grammar() = default;

  std::vector<Element> elements_;
  std::vector<uint32_t> rule_starts_;
  std::vector<std::vector<uint32_t>> alternatives_;
  std::vector<std::string> rule_names_;
  std::vector<ByteSet> byte_sets_;
  uint32_t root_ = 0;
};

// Follows a Grammar byte by byte. Its state is the set of pushdown stacks (deduplicated) that
// llama.cpp's grammar engine keeps: each stack lists positions to continue from, top last, and
// the top is always a byte-set element; an empty stack means root is complete. Cheap to copy.
class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const Grammar> g);

  // False (and the state unchanged) if the bytes cannot continue a valid output.
  bool accept_bytes(std::string_view bytes);
  // What was accepted so far is a complete sentence of root.
  bool is_complete() const;
  // Some further byte is allowed.
  bool can_continue() const;

  const Grammar& grammar() const { return *grammar_; }
  const std::shared_ptr<const Grammar>& grammar_ptr() const { return grammar_; }
  size_t n_stacks() const { return offsets_.size() - 1; }
  // Stack i, bottom first.
  std::basic_string_view<uint32_t> stack(size_t i) const {
    return {data_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }

 private:
  bool accept_byte(uint8_t b);

  std::shared_ptr<const Grammar> grammar_;
  // All stacks concatenated: stack i is data_[offsets_[i], offsets_[i + 1]).
  std::vector<uint32_t> data_;
  std::vector<uint32_t> offsets_;
};

}  // namespace rightsize::sampling::grammar
