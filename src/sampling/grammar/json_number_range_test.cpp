// Integer and number range grammars checked exhaustively against the arithmetic they encode.
#include "sampling/grammar/json_number_range.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "sampling/grammar/gbnf.h"

namespace rightsize::sampling::grammar {
namespace {

bool accepts(const std::shared_ptr<const Grammar>& g, std::string_view text) {
  Matcher m(g);
  return m.accept_bytes(text) && m.is_complete();
}

struct Range {
  std::optional<NumberBound> lower, upper;
};

bool in_range(long double v, const Range& r) {
  if (r.lower && (r.lower->exclusive ? v <= r.lower->value : v < r.lower->value)) return false;
  if (r.upper && (r.upper->exclusive ? v >= r.upper->value : v > r.upper->value)) return false;
  return true;
}

std::string describe(const Range& r) {
  std::string s;
  if (r.lower) s += (r.lower->exclusive ? "(" : "[") + std::to_string(r.lower->value);
  s += " .. ";
  if (r.upper) s += std::to_string(r.upper->value) + (r.upper->exclusive ? ")" : "]");
  return s;
}

const std::vector<Range> kRanges = {
    {NumberBound{-105, false}, NumberBound{37, false}},
    {NumberBound{0, false}, NumberBound{0, false}},
    {NumberBound{7, false}, NumberBound{1000, false}},
    {NumberBound{-1000, false}, NumberBound{-7, false}},
    {NumberBound{-9, false}, NumberBound{9, false}},
    {NumberBound{10, false}, NumberBound{99, false}},
    {NumberBound{100, false}, NumberBound{100, false}},
    {NumberBound{-1, false}, NumberBound{0, false}},
    {NumberBound{-1, true}, NumberBound{1, true}},
    {NumberBound{95, false}, std::nullopt},
    {std::nullopt, NumberBound{-37, false}},
    {NumberBound{0, true}, std::nullopt},
    {std::nullopt, NumberBound{0, true}},
    {NumberBound{-2, true}, NumberBound{3, false}},
    {NumberBound{3, true}, NumberBound{4, true}},
    {NumberBound{-200, false}, NumberBound{-199, true}},
    {NumberBound{1.5, false}, NumberBound{12.5, true}},  // fractional bounds (integers only)
};

TEST(IntegerRange, ExhaustiveOnSmallRanges) {
  for (const Range& r : kRanges) {
    const auto expr = integer_range_gbnf(r.lower, r.upper);
    if (!expr) {
      for (int n = -1200; n <= 1200; ++n) ASSERT_FALSE(in_range(n, r)) << n << describe(r);
      continue;
    }
    const auto g = Grammar::parse("root ::= " + *expr + "\n");
    for (int n = -1200; n <= 1200; ++n) {
      ASSERT_EQ(accepts(g, std::to_string(n)), in_range(n, r)) << n << " in " << describe(r) << "\n"
                                                               << *expr;
    }
    for (const char* never : {"-0", "00", "007", "+5", "1.0", "1e2", "", "-"}) {
      EXPECT_FALSE(accepts(g, never)) << never << " in " << describe(r);
    }
  }
}

TEST(IntegerRange, LargeBoundsAndDigitLimit) {
  const auto g = Grammar::parse(
      "root ::= " +
      *integer_range_gbnf(NumberBound{123456789012, false}, NumberBound{123456799999, false}) +
      "\n");
  EXPECT_TRUE(accepts(g, "123456789012"));
  EXPECT_TRUE(accepts(g, "123456790000"));
  EXPECT_TRUE(accepts(g, "123456799999"));
  EXPECT_FALSE(accepts(g, "123456789011"));
  EXPECT_FALSE(accepts(g, "123456800000"));
  // One-sided: up to 16 digits, the most we ever write.
  const auto up = Grammar::parse(
      "root ::= " + *integer_range_gbnf(NumberBound{-3, false}, std::nullopt) + "\n");
  EXPECT_TRUE(accepts(up, "9999999999999999"));
  EXPECT_FALSE(accepts(up, "10000000000000000"));
  EXPECT_FALSE(accepts(up, "-4"));
  // Bounds past what we write clamp; bounds that leave nothing say so.
  EXPECT_TRUE(integer_range_gbnf(NumberBound{-1e30L, false}, NumberBound{1e30L, false}));
  EXPECT_FALSE(integer_range_gbnf(NumberBound{1e17L, false}, std::nullopt));
  EXPECT_FALSE(integer_range_gbnf(NumberBound{2, true}, NumberBound{3, true}));
  EXPECT_FALSE(integer_range_gbnf(NumberBound{2.2L, false}, NumberBound{2.8L, false}));
}

TEST(NumberRange, GridOfIntegerPartsAndFractions) {
  const char* fractions[] = {"", ".0", ".00", ".5", ".05", ".999", ".0001", ".1"};
  for (const Range& r : kRanges) {
    if ((r.lower && r.lower->value != static_cast<long long>(r.lower->value)) ||
        (r.upper && r.upper->value != static_cast<long long>(r.upper->value))) {
      continue;  // numbers take integral bounds only
    }
    const auto expr = number_range_gbnf(r.lower, r.upper);
    ASSERT_TRUE(expr.has_value()) << describe(r);
    const auto g = Grammar::parse("root ::= " + *expr + "\n");
    std::vector<std::string> texts = {"-0", "-0.0", "-0.5", "-0.001"};
    for (int i = -1010; i <= 1010; i += (i > -15 && i < 15) || (i > 90 && i < 110) ? 1 : 97) {
      for (const char* f : fractions) texts.push_back(std::to_string(i) + f);
    }
    for (const std::string& t : texts) {
      const long double v = std::strtold(t.c_str(), nullptr);
      const bool ok = accepts(g, t);
      // Zero written with a minus sign is refused where the range starts at zero: stricter.
      const bool negative_zero = t[0] == '-' && v == 0;
      if (ok || !negative_zero) {
        EXPECT_EQ(ok, in_range(v, r)) << t << " in " << describe(r) << "\n" << *expr;
      }
    }
    for (const char* never : {"1e2", "01", ".5", "1.", "+1"}) {
      EXPECT_FALSE(accepts(g, never)) << never << " in " << describe(r);
    }
  }
  EXPECT_FALSE(number_range_gbnf(NumberBound{3, true}, NumberBound{3, false}));
  EXPECT_FALSE(number_range_gbnf(NumberBound{4, false}, NumberBound{3, false}));
  EXPECT_TRUE(number_range_gbnf(NumberBound{3, false}, NumberBound{3, false}));
}

}  // namespace
}  // namespace rightsize::sampling::grammar
