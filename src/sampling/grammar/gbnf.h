// GBNF grammars (the format llama.cpp users write) compiled to byte-level rules, and a matcher
// that follows a grammar byte by byte with a set of pushdown stacks.
#pragma once

#include <algorithm>
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
    kRepeat,   // repetition `value`: its rule, counted between min and max times
  };
  Type type;
  uint32_t value;
};

// x{m,n} with m or n above 1 is counted rather than unrolled: a stack frame that is a counter
// (kCounterFrame set) says how many times x has been matched so far. Unrolled, each count would be
// a grammar position of its own, and the token mask could cache nothing inside a long string.
inline constexpr uint32_t kCounterFrame = 0x80000000u;
inline constexpr uint32_t kUnbounded = UINT32_MAX;  // Repetition::max of x{m,}
inline constexpr uint32_t kNoFrame = UINT32_MAX;

struct Repetition {
  uint32_t rule;  // what is repeated; never nullable (nullable ones are unrolled)
  uint32_t min;
  uint32_t max;   // kUnbounded: counts stop at min, which is all that matters past it
  uint32_t first_frame;  // counter frames are kCounterFrame | (first_frame + count)
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
  const std::vector<Repetition>& repetitions() const { return repetitions_; }

  // Stack frames are positions or counters. A stack is ready to take a byte when its top is a
  // byte-set position; any other top is replaced by what it expands to.
  static bool is_counter(uint32_t frame) { return (frame & kCounterFrame) != 0; }
  bool is_byte_frame(uint32_t frame) const {
    return !is_counter(frame) && elements_[frame].type == Element::kBytes;
  }
  // The ways a stack with `frame` (not a byte set) on top continues: each call emit(lower, upper)
  // replaces the top by lower then upper (either kNoFrame: absent). horizon > 0 says only the
  // next `horizon` bytes matter, so counters far from their bounds are merged (see
  // clamp_counter); 0 keeps exact counts.
  template <class Emit>
  void expand(uint32_t frame, uint32_t horizon, Emit&& emit) const;
  // The counter frame that behaves like `frame` for the next `horizon` bytes and is the same for
  // every count that does: below min - horizon - 1, between min and max - horizon - 1.
  uint32_t clamp_counter(uint32_t frame, uint32_t horizon) const;

 private:
  friend class GrammarBuilder;
  Grammar() = default;

  std::vector<Element> elements_;
  std::vector<uint32_t> rule_starts_;
  std::vector<std::vector<uint32_t>> alternatives_;
  std::vector<std::string> rule_names_;
  std::vector<ByteSet> byte_sets_;
  std::vector<Repetition> repetitions_;  // by first_frame; unrolled ones keep span 0
  uint32_t root_ = 0;

  uint32_t counter(uint32_t rep, uint32_t count, uint32_t horizon) const {
    const uint32_t f = kCounterFrame | (repetitions_[rep].first_frame + count);
    return horizon > 0 ? clamp_counter(f, horizon) : f;
  }
  // The repetition a counter frame belongs to, and its count.
  uint32_t decode_counter(uint32_t frame, uint32_t& count) const;
};

template <class Emit>
void Grammar::expand(uint32_t frame, uint32_t horizon, Emit&& emit) const {
  if (is_counter(frame)) {
    uint32_t k = 0;
    const uint32_t r = decode_counter(frame, k);
    const Repetition& rep = repetitions_[r];
    if (k >= rep.min) emit(kNoFrame, kNoFrame);  // done repeating
    if (rep.max == kUnbounded || k < rep.max) {
      const uint32_t next = counter(r, rep.max == kUnbounded ? std::min(k + 1, rep.min) : k + 1,
                                    horizon);
      for (uint32_t alt : alternatives_[rep.rule]) {
        emit(next, is_end_of_sequence(alt) ? kNoFrame : alt);
      }
    }
    return;
  }
  const Element& e = elements_[frame];
  const uint32_t after = is_end_of_sequence(frame + 1) ? kNoFrame : frame + 1;
  if (e.type == Element::kRepeat) {
    emit(after, counter(e.value, 0, horizon));
    return;
  }
  for (uint32_t alt : alternatives_[e.value]) {
    emit(after, is_end_of_sequence(alt) ? kNoFrame : alt);
  }
}

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
