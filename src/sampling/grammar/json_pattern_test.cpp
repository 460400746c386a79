// Pattern grammars against std::regex (ECMAScript) as the oracle, over every short string of a
// small alphabet that includes characters JSON must escape; and the refused constructs.
#include "sampling/grammar/json_pattern.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "sampling/grammar/gbnf.h"

namespace rightsize::sampling::grammar {
namespace {

constexpr const char* kAnyChar =
    R"(char ::= [^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ))";

std::shared_ptr<const Grammar> pattern_grammar(const std::string& pattern) {
  return Grammar::parse("root ::= \"\\\"\" " + pattern_to_gbnf(pattern, "char") + " \"\\\"\"\n" +
                        kAnyChar + "\n");
}

std::vector<std::string> all_strings(const std::string& alphabet, size_t max_len) {
  std::vector<std::string> out = {""};
  for (size_t begin = 0, len = 1; len <= max_len; ++len) {
    const size_t end = out.size();
    for (size_t i = begin; i < end; ++i) {
      for (char c : alphabet) out.push_back(out[i] + c);
    }
    begin = end;
  }
  return out;
}

// Accepted ⇒ the regex matches (never looser). Where `complete`, also matched ⇒ accepted.
void check_against_regex(const std::string& pattern, bool complete) {
  const auto g = pattern_grammar(pattern);
  SCOPED_TRACE(pattern);
  const std::regex re(pattern, std::regex::ECMAScript);
  static const std::vector<std::string> candidates = all_strings("ab1 -\"\\\nZ_.", 3);
  int accepted = 0;
  for (const std::string& s : candidates) {
    Matcher m(g);
    const std::string json = nlohmann::json(s).dump();
    const bool ok = m.accept_bytes(json) && m.is_complete();
    const bool match = std::regex_search(s, re);
    accepted += ok;
    if (ok) {
      EXPECT_TRUE(match) << pattern << " accepted " << json;
    }
    if (complete && match) {
      EXPECT_TRUE(ok) << pattern << " refused " << json;
    }
  }
  EXPECT_GT(accepted, 0) << pattern;
}

TEST(JsonPattern, AgreesWithEcmaScriptRegex) {
  for (const char* p :
       {"^a*b$",        "ab|1",           "^(ab|\\\\)+$", "^[^a]b?$", "a.b",
        "^\\d{2,3}$",   "^[a-c-]+$",      "^\\w\\s",      "\"",       "^(?:a|b){2}$",
        "^a{2,}$",      "^[\\\\\"]",      "1$",           "^$",       "^a|b$",
        "^[ -Z]*$",     "^([ab]+) ?\\.$", "a\\.|\\n",     "[^\\n]$",  "^\\x41?\\u005a?$",
        "^a{1}b{0,1}$", "^_*?Z+?$",       "^\\-\\+?$"}) {
    check_against_regex(p, true);
  }
  // The negated shorthands keep to printable ASCII: sound, but refuse the newline.
  for (const char* p : {"^\\W+$", "^\\D\\S$", "^[^\\d]$"}) check_against_regex(p, false);
}

TEST(JsonPattern, RefusesWhatItDoesNotSupport) {
  const struct {
    const char* pattern;
    const char* message;
  } cases[] = {
      {"a(?=b)", "lookaround '(?=' at offset 1 is outside the supported regex subset"},
      {"(?<!a)b", "lookaround '(?<!' at offset 0 is outside the supported regex subset"},
      {"(a)\\1", "backreference at offset 3 is outside the supported regex subset"},
      {"\\bword", "word boundary '\\b' at offset 0 is outside the supported regex subset"},
      {"\\p{L}",
       "Unicode property escape '\\p' at offset 0 is outside the supported regex "
       "subset"},
      {"a^b",
       "'^' after the start of the pattern at offset 1 is outside the supported regex "
       "subset"},
      {"(a$)", "'$' inside a group at offset 2 is outside the supported regex subset"},
      {"(?i)a", "group syntax '(?i' at offset 0 is outside the supported regex subset"},
      {"[]", "'[]' at offset 0 is outside the supported regex subset"},
      {"a{2000}",
       "a repetition bound above 1000 at offset 1 is outside the supported regex "
       "subset"},
      {"\\a", "escape '\\a' at offset 0 is outside the supported regex subset"},
      {"[\\d-z]",
       "a range with a class escape at offset 1 is outside the supported regex "
       "subset"},
      {"(a", "invalid regex: unclosed '(' at offset 0"},
      {"a)", "invalid regex: unmatched ')' at offset 1"},
      {"*a", "invalid regex: nothing to repeat at offset 0"},
      {"a**", "invalid regex: nothing to repeat at offset 2"},
      {"[z-a]", "invalid regex: character range out of order at offset 1"},
      {"[ab", "invalid regex: unterminated character class at offset 0"},
      {"a{3,2}", "invalid regex: quantifier range out of order at offset 1"},
  };
  for (const auto& c : cases) {
    try {
      pattern_to_gbnf(c.pattern, "char");
      ADD_FAILURE() << "no error for " << c.pattern;
    } catch (const PatternError& e) {
      EXPECT_EQ(std::string(e.what()), c.message) << c.pattern;
    }
  }
}

// A '{' that does not start a quantifier is a literal (ECMA-262 Annex B, Python's re).
TEST(JsonPattern, BraceWithoutQuantifierIsLiteral) {
  const auto g = pattern_grammar("^a{,2}x{$");
  Matcher m(g);
  EXPECT_TRUE(m.accept_bytes("\"a{,2}x{\"") && m.is_complete());
  Matcher n(g);
  EXPECT_FALSE(n.accept_bytes("\"aax{\"") && n.is_complete());
}

TEST(JsonPattern, NonAsciiLiteralsAndClasses) {
  const auto g = pattern_grammar("^é[α-ω]+\\u00fc$");
  for (const char* ok : {"\"éαü\"", "\"éωψü\""}) {
    Matcher m(g);
    EXPECT_TRUE(m.accept_bytes(ok) && m.is_complete()) << ok;
  }
  for (const char* bad : {"\"eαü\"", "\"éü\"", "\"éaü\""}) {
    Matcher m(g);
    EXPECT_FALSE(m.accept_bytes(bad) && m.is_complete()) << bad;
  }
}

}  // namespace
}  // namespace rightsize::sampling::grammar
