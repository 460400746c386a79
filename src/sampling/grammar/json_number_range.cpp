// Digit-range grammars: a range of equal-length digit strings splits at its first differing
// digit into a low edge, a free middle and a high edge (the construction llama.cpp uses).
#include "sampling/grammar/json_number_range.h"

#include <cmath>
#include <vector>

#include "sampling/grammar/gbnf_emit.h"
#include "util/error.h"

namespace rightsize::sampling::grammar {

namespace {

std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + " " + b;
}

std::string digit_class(char lo, char hi) {
  return gbnf_class({{static_cast<uint32_t>(lo), static_cast<uint32_t>(hi)}});
}

// Digit strings of lo's length between lo and hi inclusive (same length, lo <= hi).
std::string digits_between(const std::string& lo, const std::string& hi) {
  RS_CHECK(lo.size() == hi.size() && lo <= hi);
  size_t common = 0;
  while (common < lo.size() && lo[common] == hi[common]) ++common;
  const std::string prefix = common > 0 ? gbnf_literal(lo.substr(0, common)) : "";
  if (common == lo.size()) return prefix;
  const size_t n = lo.size() - common - 1;  // digits after the first differing one
  const char a = lo[common], b = hi[common];
  const std::string lo_rest = lo.substr(common + 1), hi_rest = hi.substr(common + 1);
  const bool lo_is_floor = lo_rest.find_first_not_of('0') == std::string::npos;
  const bool hi_is_ceiling = hi_rest.find_first_not_of('9') == std::string::npos;
  const std::string free_tail =
      n > 0 ? gbnf_repeat("[0-9]", static_cast<int>(n), static_cast<int>(n)) : "";
  std::vector<std::string> alts;
  if (!lo_is_floor) {
    alts.push_back(join(gbnf_literal(std::string(1, a)),
                        gbnf_group(digits_between(lo_rest, std::string(n, '9')))));
  }
  const char first = lo_is_floor ? a : static_cast<char>(a + 1);
  const char last = hi_is_ceiling ? b : static_cast<char>(b - 1);
  if (first <= last) alts.push_back(join(digit_class(first, last), free_tail));
  if (!hi_is_ceiling) {
    alts.push_back(join(gbnf_literal(std::string(1, b)),
                        gbnf_group(digits_between(std::string(n, '0'), hi_rest))));
  }
  return join(prefix, gbnf_alternatives(alts));
}

int64_t pow10(int n) {
  int64_t p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

// Canonical text of the integers in [a, b], 0 <= a <= b <= kMaxIntegerMagnitude.
std::string naturals_between(int64_t a, int64_t b) {
  RS_CHECK(0 <= a && a <= b && b <= kMaxIntegerMagnitude);
  const int len_a = static_cast<int>(std::to_string(a).size());
  const int len_b = static_cast<int>(std::to_string(b).size());
  std::vector<std::string> alts;
  // Consecutive lengths taken whole become one [1-9] [0-9]{m,n} rather than one per length.
  int run_from = 0, run_to = 0;
  auto flush_run = [&] {
    if (run_from == 0) return;
    alts.push_back("[1-9] " + gbnf_repeat("[0-9]", run_from - 1, run_to - 1));
    run_from = 0;
  };
  for (int len = len_a; len <= len_b; ++len) {
    const int64_t lo = len == len_a ? a : pow10(len - 1);
    const int64_t hi = len == len_b ? b : pow10(len) - 1;
    if (len > 1 && lo == pow10(len - 1) && hi == pow10(len) - 1) {
      if (run_from == 0) run_from = len;
      run_to = len;
      continue;
    }
    flush_run();
    alts.push_back(digits_between(std::to_string(lo), std::to_string(hi)));
  }
  flush_run();
  return gbnf_alternatives(alts);
}

// Integer bounds from a schema's possibly fractional, possibly exclusive ones, clamped to the
// range we write. False when no integer satisfies them.
bool integer_bounds(std::optional<NumberBound> lower, std::optional<NumberBound> upper, int64_t& lo,
                    int64_t& hi) {
  constexpr long double kMax = kMaxIntegerMagnitude;
  long double l = -kMax, h = kMax;
  if (lower) l = lower->exclusive ? std::floor(lower->value) + 1 : std::ceil(lower->value);
  if (upper) h = upper->exclusive ? std::ceil(upper->value) - 1 : std::floor(upper->value);
  l = std::max(l, -kMax);
  h = std::min(h, kMax);
  if (l > h) return false;
  lo = static_cast<int64_t>(l);
  hi = static_cast<int64_t>(h);
  return true;
}

}  // namespace

std::optional<std::string> integer_range_gbnf(std::optional<NumberBound> lower,
                                              std::optional<NumberBound> upper) {
  int64_t lo = 0, hi = 0;
  if (!integer_bounds(lower, upper, lo, hi)) return std::nullopt;
  std::vector<std::string> alts;
  if (lo < 0) alts.push_back("\"-\" " + gbnf_group(naturals_between(hi < 0 ? -hi : 1, -lo)));
  if (hi >= 0) alts.push_back(naturals_between(std::max<int64_t>(lo, 0), hi));
  return gbnf_alternatives(alts);
}

namespace {

// What a number's fraction may be, given its integer part: anything, zero (or absent) or
// non-zero.
enum class Fraction { kAny, kZero, kPositive };

std::string fraction_gbnf(Fraction f) {
  switch (f) {
    case Fraction::kAny:
      return "( \".\" [0-9]{1,16} )?";
    case Fraction::kZero:
      return "( \".\" \"0\"{1,16} )?";
    case Fraction::kPositive:
      return "\".\" \"0\"{0,15} [1-9] [0-9]{0,15}";
  }
  return "";
}

struct Side {
  int64_t value;
  bool exclusive;
};

// Magnitudes m (written without sign) with a <= m (a < m if exclusive) and m <= b (m < b).
// Integer part I: above a and below b any fraction; I == a needs a positive fraction when the
// bound is exclusive; I == b needs a zero fraction, or is out when exclusive.
std::optional<std::string> magnitudes(Side a, std::optional<Side> b) {
  const int64_t top = b ? b->value : kMaxIntegerMagnitude;
  std::vector<std::string> alts;
  auto add = [&](int64_t from, int64_t to, Fraction f) {
    if (from > to) return;
    alts.push_back(gbnf_group(naturals_between(from, to)) + " " + fraction_gbnf(f));
  };
  if (b && a.value > b->value) return std::nullopt;
  if (b && a.value == b->value) {
    if (a.exclusive || b->exclusive) return std::nullopt;
    add(a.value, a.value, Fraction::kZero);
  } else {
    // With a bound b, integer parts go up to b - 1 freely; without one, up to the top.
    const int64_t free_top = b ? top - 1 : top;
    if (a.exclusive) {
      add(a.value, a.value, Fraction::kPositive);
      add(a.value + 1, free_top, Fraction::kAny);
    } else {
      add(a.value, free_top, Fraction::kAny);
    }
    if (b && !b->exclusive) add(top, top, Fraction::kZero);
  }
  if (alts.empty()) return std::nullopt;
  return gbnf_alternatives(alts);
}

int64_t clamp_magnitude(long double v) {
  constexpr long double kMax = kMaxIntegerMagnitude;
  return static_cast<int64_t>(std::max(-kMax, std::min(kMax, v)));
}

}  // namespace

std::optional<std::string> number_range_gbnf(std::optional<NumberBound> lower,
                                             std::optional<NumberBound> upper) {
  for (const auto& b : {lower, upper}) {
    RS_CHECK_MSG(!b || std::floor(b->value) == b->value, "number bounds must be integral");
  }
  // Beyond what we write, a bound says nothing (or, pointing inward, leaves nothing).
  constexpr long double kMax = kMaxIntegerMagnitude;
  if (lower && lower->value < -kMax) lower.reset();
  if (upper && upper->value > kMax) upper.reset();
  if ((lower && lower->value > kMax) || (upper && upper->value < -kMax)) return std::nullopt;
  std::optional<Side> lo, hi;
  if (lower) lo = Side{clamp_magnitude(lower->value), lower->exclusive};
  if (upper) hi = Side{clamp_magnitude(upper->value), upper->exclusive};

  std::vector<std::string> alts;
  // Written without '-': magnitudes from max(lo, 0) up to hi.
  if (!hi || hi->value >= 0) {
    const Side a = lo && lo->value >= 0 ? *lo : Side{0, false};
    if (auto m = magnitudes(a, hi)) alts.push_back(*m);
  }
  // Written with '-': x = -m, so lo bounds m from above and hi from below. "-0" is only
  // written when 0 itself is in range.
  if (!lo || lo->value < 0) {
    const Side a = hi && hi->value <= 0 ? Side{-hi->value, hi->exclusive} : Side{0, false};
    std::optional<Side> b;
    if (lo) b = Side{-lo->value, lo->exclusive};
    if (auto m = magnitudes(a, b)) alts.push_back("\"-\" " + gbnf_group(*m));
  }
  if (alts.empty()) return std::nullopt;
  return gbnf_alternatives(alts);
}

}  // namespace rightsize::sampling::grammar
