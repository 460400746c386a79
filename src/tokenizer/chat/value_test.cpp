// Values and Python string semantics: float repr, str repr, json.dumps, equality and ordering,
// and code-point based string operations, each checked against what CPython prints.
#include "tokenizer/chat/value.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tokenizer/chat/errors.h"
#include "tokenizer/chat/pystr.h"

namespace rightsize::tokenizer::chat {
namespace {

TEST(Value, FloatReprMatchesPython) {
  EXPECT_EQ(format_float(1.0), "1.0");
  EXPECT_EQ(format_float(0.5), "0.5");
  EXPECT_EQ(format_float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_float(1e16), "1e+16");
  EXPECT_EQ(format_float(1e15), "1000000000000000.0");
  EXPECT_EQ(format_float(1.5e16), "1.5e+16");
  EXPECT_EQ(format_float(0.0001), "0.0001");
  EXPECT_EQ(format_float(0.00001), "1e-05");
  EXPECT_EQ(format_float(-1.5e-10), "-1.5e-10");
  EXPECT_EQ(format_float(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(format_float(-0.0), "-0.0");
  EXPECT_EQ(format_float(INFINITY), "inf");
  EXPECT_EQ(format_float(-INFINITY), "-inf");
  EXPECT_EQ(format_float(NAN), "nan");
}

TEST(Value, StrAndReprMatchPython) {
  EXPECT_EQ(Value::none().str(), "None");
  EXPECT_EQ(Value(true).str(), "True");
  EXPECT_EQ(Value().str(), "");
  EXPECT_EQ(Value().repr(), "Undefined");
  EXPECT_EQ(Value("it's").repr(), "\"it's\"");
  EXPECT_EQ(Value("a'b\"c").repr(), "'a\\'b\"c'");
  EXPECT_EQ(Value("x\ny\t\x01\x7f").repr(), "'x\\ny\\t\\x01\\x7f'");
  EXPECT_EQ(Value("\xC2\xA0\xC3\xA9\xE2\x80\xA8\xF0\x9F\x98\x80").repr(),
            "'\\xa0\xC3\xA9\\u2028\xF0\x9F\x98\x80'");
  EXPECT_EQ(Value::tuple({Value(1)}).repr(), "(1,)");
  const Value v = Value::from_json(
      nlohmann::ordered_json::parse(R"({"b": [1, 2.5, null, true, "s"], "a": {}})"));
  EXPECT_EQ(v.str(), "{'b': [1, 2.5, None, True, 's'], 'a': {}}");
}

TEST(Value, JsonDumpsMatchesPython) {
  const Value v = Value::from_json(nlohmann::ordered_json::parse(
      R"({"z": [1, 2.0, {"k": []}], "a": "\u00e9\n\"<&>", "n": null})"));
  JsonOptions plain;
  EXPECT_EQ(to_json(v, plain),
            "{\"z\": [1, 2.0, {\"k\": []}], \"a\": \"\xC3\xA9\\n\\\"<&>\", \"n\": null}");
  JsonOptions indented;
  indented.indent = "  ";
  EXPECT_EQ(to_json(v, indented),
            "{\n  \"z\": [\n    1,\n    2.0,\n    {\n      \"k\": []\n    }\n  ],\n"
            "  \"a\": \"\xC3\xA9\\n\\\"<&>\",\n  \"n\": null\n}");
  JsonOptions ascii;
  ascii.ensure_ascii = true;
  ascii.sort_keys = true;
  EXPECT_EQ(
      to_json(Value::from_json(nlohmann::ordered_json::parse(R"({"b": "\ud83d\ude00", "a": 1})")),
              ascii),
      "{\"a\": 1, \"b\": \"\\ud83d\\ude00\"}");
  EXPECT_THROW(to_json(Value(), plain), TemplateRuntimeError);
}

TEST(Value, EqualityAndOrderFollowPython) {
  EXPECT_TRUE(py_equal(Value(1), Value(1.0)));
  EXPECT_TRUE(py_equal(Value(true), Value(1)));
  EXPECT_FALSE(py_equal(Value("1"), Value(1)));
  EXPECT_FALSE(py_equal(Value::list({Value(1)}), Value::tuple({Value(1)})));
  const auto a = Value::from_json(nlohmann::ordered_json::parse(R"({"x": 1, "y": [2]})"));
  const auto b = Value::from_json(nlohmann::ordered_json::parse(R"({"y": [2], "x": 1.0})"));
  EXPECT_TRUE(py_equal(a, b));  // dict equality ignores order
  EXPECT_LT(py_compare(Value("B"), Value("a")), 0);
  EXPECT_LT(py_compare(Value::list({Value(1), Value(2)}), Value::list({Value(1), Value(3)})), 0);
  EXPECT_THROW(py_compare(Value(1), Value("a")), TemplateRuntimeError);
  EXPECT_THROW(py_compare(Value(), Value(1)), TemplateRuntimeError);
}

TEST(Value, TruthAndLength) {
  EXPECT_FALSE(Value().truthy());
  EXPECT_FALSE(Value::none().truthy());
  EXPECT_FALSE(Value("").truthy());
  EXPECT_FALSE(Value(0.0).truthy());
  EXPECT_FALSE(Value::list({}).truthy());
  EXPECT_TRUE(Value(" ").truthy());
  EXPECT_EQ(py_len(Value("h\xC3\xA9llo")), 5);
  EXPECT_EQ(py_len(Value()), 0);
  EXPECT_THROW(py_len(Value(3)), TemplateRuntimeError);
  EXPECT_EQ(iterate(Value("\xC3\xA9t\xC3\xA9")).size(), 3u);
  EXPECT_TRUE(iterate(Value()).empty());
}

TEST(PyStr, CodePointOperations) {
  const std::string s = "h\xC3\xA9llo";
  EXPECT_EQ(pystr::slice(s, pystr::slice_range(5, -2, std::nullopt, std::nullopt)), "lo");
  EXPECT_EQ(pystr::slice(s, pystr::slice_range(5, std::nullopt, std::nullopt, -1)), "oll\xC3\xA9h");
  EXPECT_EQ(pystr::slice("abcdef", pystr::slice_range(6, 1, 100, 2)), "bdf");
  EXPECT_THROW(pystr::slice_range(3, std::nullopt, std::nullopt, 0), TemplateRuntimeError);
  EXPECT_EQ(pystr::find(s, "l"), 2);
  EXPECT_EQ(pystr::upper(s), "H\xC3\x89LLO");
  EXPECT_EQ(pystr::upper("stra\xC3\x9F"
                         "e"),
            "STRASSE");
  EXPECT_EQ(pystr::title("they're bill's"), "They'Re Bill'S");
  // Python's str.strip() removes Unicode whitespace such as U+3000 and U+00A0.
  EXPECT_EQ(pystr::strip("\xE3\x80\x80 x\xC2\xA0\n", std::nullopt, true, true), "x");
  EXPECT_EQ(pystr::split("  a  b ", std::nullopt, -1), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(pystr::split(" a b  c ", std::nullopt, 1), (std::vector<std::string>{"a", "b  c "}));
  EXPECT_EQ(pystr::rsplit("a-b-c", std::string("-"), 1), (std::vector<std::string>{"a-b", "c"}));
  EXPECT_EQ(pystr::replace("abc", "", "-", -1), "-a-b-c-");
  // Bytes that are not UTF-8 survive a decode/encode round trip unchanged.
  const std::string bad = "a\xFF\xC3";
  EXPECT_EQ(pystr::encode(pystr::decode(bad)), bad);
}

}  // namespace
}  // namespace rightsize::tokenizer::chat
