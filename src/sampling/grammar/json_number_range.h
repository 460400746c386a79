// Grammars for JSON integers and numbers between bounds (JSON Schema minimum/maximum and their
// exclusive forms), built digit by digit so they accept exactly the numbers in range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rightsize::sampling::grammar {

// Integers are written with at most this many digits (as llama.cpp's grammars do): a random
// model then cannot run a number on forever, and every value fits a double exactly enough.
inline constexpr int kMaxIntegerDigits = 16;
inline constexpr int64_t kMaxIntegerMagnitude = 9'999'999'999'999'999;

// One side of a range, as the schema wrote it (long double: exact for any 64-bit integer).
struct NumberBound {
  long double value;
  bool exclusive;
};

// The canonical decimal text (no leading zeros, no "-0") of the integers within the bounds and
// within ±kMaxIntegerMagnitude; nullopt when there are none. Bounds need not be integral.
std::optional<std::string> integer_range_gbnf(std::optional<NumberBound> lower,
                                              std::optional<NumberBound> upper);

// JSON numbers without exponent ("-"? integer part, optional fraction of up to 16 digits) within
// the bounds, which must be integral; nullopt when there are none.
std::optional<std::string> number_range_gbnf(std::optional<NumberBound> lower,
                                             std::optional<NumberBound> upper);

}  // namespace rightsize::sampling::grammar
