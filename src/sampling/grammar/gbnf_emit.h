// Helpers that write GBNF text (llama.cpp's dialect, as gbnf.h parses it): quoted literals,
// character classes, grouping and repetition, for the generators that emit grammars.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rightsize::sampling::grammar {

// A set of Unicode code points as sorted, disjoint, non-adjacent inclusive ranges.
using CodeRanges = std::vector<std::pair<uint32_t, uint32_t>>;

inline constexpr uint32_t kMaxUnicode = 0x10FFFF;

// Sorts and merges overlapping or adjacent ranges.
CodeRanges normalize_ranges(CodeRanges ranges);
// All scalar values (surrogates excluded) that are not in `ranges` (normalized).
CodeRanges complement_ranges(const CodeRanges& ranges);
CodeRanges intersect_ranges(const CodeRanges& a, const CodeRanges& b);
CodeRanges subtract_ranges(const CodeRanges& a, const CodeRanges& b);

// `"text"` with the escapes GBNF needs; `text` is UTF-8 and may be empty.
std::string gbnf_literal(std::string_view text);
// `[...]` matching exactly the code points of `ranges` (normalized, non-empty).
std::string gbnf_class(const CodeRanges& ranges);

// True if `expr` can take a repetition operator or sit in a sequence as is: a name, a literal,
// a class or one parenthesized group.
bool gbnf_is_atomic(std::string_view expr);
// `expr` parenthesized unless atomic.
std::string gbnf_group(std::string_view expr);
// `expr` repeated min..max times (max -1: no bound), written with the shortest operator.
std::string gbnf_repeat(std::string_view expr, int min, int max);
// Alternation of `alts` (duplicates dropped, order kept), parenthesized when there are several
// so the result can be concatenated. An empty list is a bug.
std::string gbnf_alternatives(const std::vector<std::string>& alts);

}  // namespace rightsize::sampling::grammar
