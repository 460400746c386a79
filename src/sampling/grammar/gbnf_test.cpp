// GBNF parser errors (with line and column), hostile-grammar limits, and the matcher accepting
// and rejecting strings for JSON, arithmetic, repetition bounds and UTF-8 classes.
#include "sampling/grammar/gbnf.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rightsize::sampling::grammar {
namespace {

// The llama.cpp repository's grammars/json.gbnf.
constexpr const char* kJsonGbnf = R"(root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws

object ::=
  "{" ws (
            string ":" ws value
    ("," ws string ":" ws value)*
  )? "}" ws

array  ::=
  "[" ws (
            value
    ("," ws value)*
  )? "]" ws

string ::=
  "\"" (
    [^"\\\x7F\x00-\x1F] |
    "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
  )* "\"" ws

number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

# Optional space: by convention, applied in this grammar after literal chars when allowed
ws ::= | " " | "\n" [ \t]{0,20}
)";

bool matches(const std::shared_ptr<const Grammar>& g, std::string_view text) {
  Matcher m(g);
  return m.accept_bytes(text) && m.is_complete();
}

bool is_prefix(const std::shared_ptr<const Grammar>& g, std::string_view text) {
  Matcher m(g);
  return m.accept_bytes(text);
}

// Parses `gbnf`, expecting a GrammarError at (line, column) whose message contains `needle`.
void expect_error(std::string_view gbnf, int line, int column, const std::string& needle) {
  try {
    Grammar::parse(gbnf);
    ADD_FAILURE() << "no error for: " << gbnf;
  } catch (const GrammarError& e) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.column(), column) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    const std::string prefix =
        "line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
    EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
  }
}

TEST(GbnfErrors, UndefinedRuleNamedAtItsReference) {
  expect_error(
      "root ::= greeting\ngreeting ::= \"hi\"\n  # comment\nother ::= \"x\" missing-rule\n", 4, 15,
               "undefined rule 'missing-rule'");
}

TEST(GbnfErrors, MissingRootAndEmptyGrammar) {
  expect_error("start ::= \"a\"\n", 1, 1, "no rule named 'root'");
  expect_error("", 1, 1, "empty grammar");
  expect_error("  # only a comment\n\n", 1, 1, "empty grammar");
  EXPECT_NO_THROW(Grammar::parse("start ::= \"a\"\n", "start"));
}

TEST(GbnfErrors, UnterminatedStringAndClass) {
  expect_error("root ::= \"abc\nx ::= \"y\"", 1, 10, "unterminated string literal");
  expect_error("root ::= \"ab\\\"", 1, 10, "unterminated string literal");
  expect_error("root ::= x\nx ::= \"a\" [a-z", 2, 11, "unterminated character class");
  expect_error("root ::= []", 1, 10, "empty character class");
  expect_error("root ::= [z-a]", 1, 11, "backwards");
}

TEST(GbnfErrors, BadRepetitions) {
  expect_error("root ::= \"a\"{5,3}", 1, 13, "bad repetition bounds {5,3}");
  expect_error("root ::= \"a\"{x}", 1, 14, "expected a number");
  expect_error("root ::= \"a\"{2", 1, 15, "expected '}'");
  expect_error("root ::= * \"a\"", 1, 10, "nothing before it to repeat");
  expect_error("root ::= \"a\" | +", 1, 16, "nothing before it to repeat");
  expect_error("root ::= \"a\"{1000000}", 1, 13, "repetition bound larger than");
}

TEST(GbnfErrors, SyntaxProblemsNameThePlace) {
  expect_error("root := \"a\"", 1, 6, "expected '::='");
  expect_error("root ::= \"a\"\n::= \"b\"", 2, 1, "expected a rule name");
  expect_error("root ::= \"a\" )", 1, 14, "unexpected character ')'");
  expect_error("root ::= (\"a\" \"b\"", 1, 10, "unclosed '('");
  expect_error("root ::= \"\\q\"", 1, 11, "unknown escape '\\q'");
  expect_error("root ::= \"\\x4\"", 1, 11, "needs 2 hex digits");
  expect_error("root ::= \"\\uD800\"", 1, 11, "not a Unicode scalar value");
  expect_error("root ::= \"a\"\nroot ::= \"b\"", 2, 1, "defined twice");
  // Columns count code points, so a message points at the right place after non-ASCII text.
  expect_error("root ::= \"é\" [", 1, 14, "unterminated character class");
}

TEST(GbnfErrors, LeftRecursionIsRefusedByName) {
  expect_error("root ::= expr\nexpr ::= expr \"+\" term | term\nterm ::= [0-9]", 2, 1,
               "rule 'expr' is left-recursive");
  expect_error("root ::= a\na ::= b \"x\"\nb ::= \"\" | a", 2, 1, "left-recursive");
  // A repetition of something that can be empty would loop forever in the matcher.
  expect_error("root ::= (\"a\"?)*", 1, 16, "left-recursive");
  // Right recursion is fine.
  EXPECT_NO_THROW(Grammar::parse("root ::= \"a\" root | \"\""));
}

TEST(GbnfLimits, DeepNestingIsAnError) {
  std::string deep = "root ::= " + std::string(10000, '(') + "\"a\"" + std::string(10000, ')');
  expect_error(deep, 1, 10 + kMaxNesting, "nested deeper than");
}

TEST(GbnfLimits, HugeRepetitionIsAnError) {
  // Copies of a literal count element by element; the limit trips before they are made.
  expect_error("root ::= \"abcdefgh\"{100000} \"abcdefgh\"{100000}", 1, 39, "grammar too large");
  // Each optional step of {0,n} is a rule of its own.
  expect_error("root ::= [a-z]{0,99999} [a-z]{0,99999} [a-z]{0,99999}", 1, 45, "grammar too large");
}

TEST(GbnfLimits, TenThousandRulesIsAnError) {
  std::string g = "root ::= r0\n";
  for (int i = 0; i < 10000; ++i) {
    g += "r" + std::to_string(i) + " ::= \"x\" r" + std::to_string(i + 1) + " | \"y\"\n";
  }
  try {
    Grammar::parse(g);
    ADD_FAILURE() << "10k rules accepted";
  } catch (const GrammarError& e) {
    EXPECT_NE(std::string(e.what()).find("too many rules"), std::string::npos) << e.what();
  }
}

TEST(GbnfLimits, AmbiguityAndDepthAreBoundedAtMatchTime) {
  // Each "a" doubles the ways to split the input; dedup keeps it small, so this must pass.
  auto g = Grammar::parse("root ::= (\"a\" | \"a\" \"a\")* \"b\"");
  EXPECT_TRUE(matches(g, std::string(500, 'a') + "b"));
  // Unbounded nesting in the output is refused with an Error, not a crash.
  auto nest = Grammar::parse("root ::= \"(\" root \")\" | \"x\"");
  Matcher m(nest);
  EXPECT_THROW(m.accept_bytes(std::string(kMaxStackDepth + 10, '(')), rightsize::Error);
  EXPECT_TRUE(matches(nest, "((((x))))"));
  EXPECT_FALSE(matches(nest, "((((x)))"));
}

TEST(GbnfMatch, JsonAcceptsAndRejects) {
  auto g = Grammar::parse(kJsonGbnf);
  for (const char* ok : {
           "{}",
           R"({"a": 1})",
           R"({"name": "Ada", "tags": ["x", "y"], "n": -12.5e3, "ok": true, "z": null})",
           R"({"esc": "a\"b\\c\n\u00e9"})",
           "{\"k\": \"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"}",
           R"({"nested": {"deep": [[], [1, 2, {"x": false}]]}})",
       }) {
    EXPECT_TRUE(matches(g, ok)) << ok;
  }
  for (const char* bad : {
           "", "[]", R"({"a" 1})", R"({"a": 01})", R"({"a": tru})", R"({'a': 1})",
           "{\"a\": \"\x01\"}", R"({"a": "\x"})", R"({"a": 1,})", "{\"a\": \"\xC3\"}",
           "{\"a\": \"\xC0\xAF\"}",  // overlong encoding of '/'
           "{\"a\": \"\xED\xA0\x80\"}",  // a surrogate
       }) {
    EXPECT_FALSE(matches(g, bad)) << bad;
  }
  EXPECT_TRUE(is_prefix(g, R"({"a": [1, 2)"));
  EXPECT_FALSE(is_prefix(g, R"({"a": ])"));
}

TEST(GbnfMatch, Arithmetic) {
  auto g = Grammar::parse(R"g(
root  ::= (expr "=" ws term "\n")+
expr  ::= term ([-+*/] term)*
term  ::= ident | num | "(" ws expr ")" ws
ident ::= [a-z] [a-z0-9_]* ws
num   ::= [0-9]+ ws
ws    ::= [ \t\n]*
)g");
  EXPECT_TRUE(matches(g, "1+2=3\n"));
  EXPECT_TRUE(matches(g, "(a_1 +2)*x = y\nb=c\n"));
  EXPECT_FALSE(matches(g, "1+2=3"));
  EXPECT_FALSE(matches(g, "1++2=3\n"));
  EXPECT_FALSE(matches(g, "(1+2=3\n"));
  EXPECT_FALSE(matches(g, "A=1\n"));
}

TEST(GbnfMatch, RepetitionBounds) {
  auto g = Grammar::parse("root ::= \"a\"{2} \"b\"{1,3} \"c\"{2,} \"d\"{0,2} \"e\"? \"f\"{0}");
  EXPECT_TRUE(matches(g, "aabcc"));
  EXPECT_TRUE(matches(g, "aabbbccccccdde"));
  EXPECT_FALSE(matches(g, "abcc"));
  EXPECT_FALSE(matches(g, "aaabcc"));
  EXPECT_FALSE(matches(g, "aabbbbcc"));
  EXPECT_FALSE(matches(g, "aabc"));
  EXPECT_FALSE(matches(g, "aabccddd"));
  EXPECT_FALSE(matches(g, "aabccf"));
  // A repeated literal repeats as a whole; a repeated group likewise.
  auto lit = Grammar::parse("root ::= \"ab\"{2,3} (\"x\" | \"yz\")+");
  EXPECT_TRUE(matches(lit, "ababyzx"));
  EXPECT_TRUE(matches(lit, "abababx"));
  EXPECT_FALSE(matches(lit, "abax"));
  EXPECT_FALSE(matches(lit, "ababababx"));
}

// Every string over `alphabet` up to `max_len` bytes: the same verdicts (complete, and prefix of
// something valid) from both grammars.
void expect_same_language(const std::string& counted, const std::string& unrolled,
                          const std::string& alphabet, size_t max_len) {
  auto a = Grammar::parse(counted);
  auto b = Grammar::parse(unrolled);
  std::vector<std::string> layer{""};
  for (size_t len = 0; len <= max_len; ++len) {
    std::vector<std::string> next;
    for (const std::string& text : layer) {
      ASSERT_EQ(matches(a, text), matches(b, text)) << counted << " on '" << text << "'";
      ASSERT_EQ(is_prefix(a, text), is_prefix(b, text)) << counted << " on '" << text << "'";
      if (len < max_len) {
        for (char c : alphabet) next.push_back(text + c);
      }
    }
    layer = std::move(next);
  }
}

TEST(GbnfRepetition, CountedMatchesUnrolled) {
  // Only m or n above 1 is counted; the small forms stay unrolled but must agree as well.
  const std::pair<const char*, const char*> cases[] = {
      {"root ::= \"a\"{0} \"b\"", "root ::= \"b\""},
      {"root ::= \"a\"{0,1} \"b\"", "root ::= \"a\"? \"b\""},
      {"root ::= \"a\"{1} \"b\"", "root ::= \"a\" \"b\""},
      {"root ::= \"a\"{3}", "root ::= \"a\" \"a\" \"a\""},
      {"root ::= [ab]{2,4} \"c\"", "root ::= [ab] [ab] ([ab] [ab]?)? \"c\""},
      {"root ::= \"a\"{0,3} \"b\"{2,}", "root ::= (\"a\" (\"a\" \"a\"?)?)? \"b\" \"b\" \"b\"*"},
      {"root ::= \"ab\"{2,3} \"c\"?", "root ::= \"ab\" \"ab\" \"ab\"? \"c\"?"},
      {"root ::= (\"a\" \"b\"{1,2}){2,3}", "root ::= x x x?\nx ::= \"a\" \"b\" \"b\"?"},
      {"root ::= x{2,} \"c\"\nx ::= \"a\" | \"bb\"",
       "root ::= x x x* \"c\"\nx ::= \"a\" | \"bb\""},
      // Nullable symbols are unrolled; the language must not change.
      {"root ::= (\"a\"?){2,3} \"b\"", "root ::= \"a\"? \"a\"? \"a\"? \"b\""},
      {"root ::= x{2,3} \"b\"\nx ::= \"a\" | \"cc\" | ",
       "root ::= x x x \"b\"\nx ::= \"a\" | \"cc\" | "},
      // A repetition of a repetition.
      {"root ::= \"a\"{2}{2,3}", "root ::= \"aaaa\" \"aa\"?"},
  };
  for (const auto& [counted, unrolled] : cases) {
    SCOPED_TRACE(counted);
    expect_same_language(std::string(counted) + "\n", std::string(unrolled) + "\n", "abc", 8);
  }
}

TEST(GbnfRepetition, UnboundedRepetitionOfNullableIsStillRefused) {
  // As x* of a nullable x always was: the loop could go round without reading a byte.
  expect_error("root ::= x{3,} \"b\"\nx ::= \"a\" | ", 1, 11, "left-recursive");
}

TEST(GbnfRepetition, CountersNeitherGrowNorLeak) {
  // A long string with bounds far beyond its length keeps one stack per count.
  auto g = Grammar::parse("root ::= \"<\" [a-z]{5,100000} \">\"");
  EXPECT_FALSE(g->repetitions().empty());
  Matcher m(g);
  ASSERT_TRUE(m.accept_bytes("<" + std::string(5000, 'q')));
  EXPECT_LE(m.n_stacks(), 2u);
  EXPECT_TRUE(m.accept_bytes(">"));
  EXPECT_TRUE(m.is_complete());
  EXPECT_FALSE(matches(g, "<abcd>"));
  // Counts far from both bounds are one frame for a short horizon; near a bound they stay apart.
  auto h = Grammar::parse("root ::= \"a\"{10,50}");
  Matcher n(h);
  std::vector<uint32_t> frames;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(n.accept_bytes("a"));
    for (size_t st = 0; st < n.n_stacks(); ++st) {  // the other stack, if any, is empty (done)
      for (uint32_t f : n.stack(st)) {
        if (Grammar::is_counter(f)) frames.push_back(h->clamp_counter(f, 4));
      }
    }
  }
  // After i + 1 bytes the counter reads i + 2 (the round under way included); the last "a" ends
  // the repetition, leaving no counter. With horizon 4, five more rounds are out of reach.
  ASSERT_EQ(frames.size(), 49u);
  EXPECT_EQ(frames[0], frames[3]);  // counts 2 and 5: exit (10) is more than 4 rounds away
  EXPECT_NE(frames[3], frames[4]);  // count 6: exit within reach
  EXPECT_EQ(frames[15], frames[30]);  // 17 and 32: can exit, 5+ more rounds allowed
  EXPECT_NE(frames[44], frames[45]);  // 46 and 47: the maximum is within reach
}

TEST(GbnfMatch, Utf8ClassesMatchWholeCharacters) {
  auto g = Grammar::parse("root ::= [a-zé-ü\\u0400-\\u04FF\\U0001F600-\\U0001F64F]+");
  EXPECT_TRUE(matches(g, "abc"));
  EXPECT_TRUE(matches(g, "\xC3\xA9t\xC3\xA9"));          // été
  EXPECT_TRUE(matches(g, "\xD0\x96\xD0\xB8"));           // Cyrillic
  EXPECT_TRUE(matches(g, "\xF0\x9F\x98\x80"));           // U+1F600
  EXPECT_FALSE(matches(g, "\xC3\xA8"));                  // è is below é
  EXPECT_FALSE(matches(g, "\xF0\x9F\x99\x90"));          // U+1F650
  EXPECT_FALSE(matches(g, "\xC3"));                      // half a character is not complete
  EXPECT_TRUE(is_prefix(g, "\xC3"));
  EXPECT_FALSE(is_prefix(g, "\xC3\x28"));

  auto not_ascii = Grammar::parse("root ::= [^a-z]");
  EXPECT_TRUE(matches(not_ascii, "A"));
  EXPECT_TRUE(matches(not_ascii, "\xE2\x82\xAC"));
  EXPECT_TRUE(matches(not_ascii, "\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_FALSE(matches(not_ascii, "q"));
  EXPECT_FALSE(matches(not_ascii, "\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(matches(not_ascii, "\xFF"));

  auto any = Grammar::parse("root ::= \"<\" . . \">\"");
  EXPECT_TRUE(matches(any, "<ab>"));
  EXPECT_TRUE(matches(any, "<\xE2\x82\xAC\xF0\x9F\x98\x80>"));
  EXPECT_FALSE(matches(any, "<a>"));
  EXPECT_FALSE(matches(any, "<a\xE2\x82>"));
}

TEST(GbnfMatch, PartialUtf8AcrossCalls) {
  auto g = Grammar::parse("root ::= \"\\\"\" [^\"\\\\]* \"\\\"\"");
  Matcher m(g);
  ASSERT_TRUE(m.accept_bytes("\"h\xE2"));  // a token ending inside "€"
  EXPECT_FALSE(m.is_complete());
  EXPECT_FALSE(m.accept_bytes("\""));      // a quote cannot finish a started character
  ASSERT_TRUE(m.accept_bytes("\x82"));
  ASSERT_TRUE(m.accept_bytes("\xAC\xF0\x9F"));
  EXPECT_FALSE(m.accept_bytes("\x41"));
  ASSERT_TRUE(m.accept_bytes("\x98\x80\""));
  EXPECT_TRUE(m.is_complete());
  EXPECT_FALSE(m.can_continue());
}

TEST(GbnfMatch, EscapesCommentsNewlinesAndNames) {
  auto g = Grammar::parse(
      "# leading comment\n"
      "root ::= first-part ( # a comment inside a group\n"
      "    \"\\x41\\u00e9\\U0001F600\" | \"\\t\\r\\n\\\\\\\"\"\n"
      "  ) [\\]\\-\\x5E]\n"
      "first-part ::= \"a\"\n"
      "  | \"b\"  # alternatives continued on a new line\n");
  EXPECT_TRUE(matches(g, "aA\xC3\xA9\xF0\x9F\x98\x80]"));
  EXPECT_TRUE(matches(g, "b\t\r\n\\\"-"));
  EXPECT_TRUE(matches(g, "aA\xC3\xA9\xF0\x9F\x98\x80^"));
  EXPECT_FALSE(matches(g, "cA\xC3\xA9\xF0\x9F\x98\x80]"));
  EXPECT_FALSE(matches(g, "aA\xC3\xA9\xF0\x9F\x98\x80x"));
}

TEST(GbnfMatch, FailedAcceptLeavesStateUnchanged) {
  auto g = Grammar::parse("root ::= \"abc\" | \"abd\"");
  Matcher m(g);
  ASSERT_TRUE(m.accept_bytes("ab"));
  EXPECT_FALSE(m.accept_bytes("cx"));  // 'c' alone would be fine; the whole must be undone
  EXPECT_TRUE(m.accept_bytes("d"));
  EXPECT_TRUE(m.is_complete());
  EXPECT_FALSE(m.accept_bytes("d"));
  EXPECT_TRUE(m.accept_bytes(""));
}

TEST(GbnfMatch, EmptyAlternativesAndOptionalRoot) {
  auto g = Grammar::parse("root ::= \"x\"? item*\nitem ::= \"i\" | \"\"\"j\"");
  EXPECT_TRUE(matches(g, ""));
  EXPECT_TRUE(matches(g, "xiji"));
  EXPECT_FALSE(matches(g, "ix"));
  Matcher m(g);
  EXPECT_TRUE(m.is_complete());
  EXPECT_TRUE(m.can_continue());
}

}  // namespace
}  // namespace rightsize::sampling::grammar
