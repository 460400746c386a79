// JSON Schema "pattern" regexes (a documented subset of ECMA-262) turned into GBNF over the
// JSON-encoded text of a string, so the escapes a character needs inside quotes are respected.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sampling/grammar/gbnf_emit.h"
#include "util/error.h"

namespace rightsize::sampling::grammar {

// A pattern outside the subset (unsupported() true), or not a valid regex. The message names
// the construct and its byte offset in the pattern.
class PatternError : public rightsize::Error {
 public:
  PatternError(size_t offset, bool unsupported, const std::string& message);
  size_t offset() const { return offset_; }
  bool unsupported() const { return unsupported_; }

 private:
  size_t offset_;
  bool unsupported_;
};

// GBNF for the text between the quotes of the JSON strings that `pattern` matches, with
// JSON Schema's search semantics: a side without its anchor (^ or $) may hold any characters,
// each spelled by the rule named `any_char_rule`. Throws PatternError.
std::string pattern_to_gbnf(std::string_view pattern, const std::string& any_char_rule);

// GBNF for one character of `chars` as it is written inside a JSON string: itself, or its
// escape for '"', '\\' and control characters.
std::string json_char_gbnf(const CodeRanges& chars);

}  // namespace rightsize::sampling::grammar
