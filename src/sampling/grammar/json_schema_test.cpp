// JSON Schema → GBNF: every keyword, checked by running the grammar's matcher over valid and
// invalid instances; whitespace policy; composing several schemas; exact error messages.
#include "sampling/grammar/json_schema.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sampling/grammar/gbnf.h"

namespace rightsize::sampling::grammar {
namespace {

using OJson = nlohmann::ordered_json;

// A schema's grammar, compiled, with helpers to ask what it accepts.
class SchemaGrammar {
 public:
  explicit SchemaGrammar(const std::string& schema, SchemaOptions options = {})
      : text_(json_schema_to_gbnf(OJson::parse(schema), options)),
        grammar_(Grammar::parse(text_)) {}

  bool accepts(std::string_view json) const {
    Matcher m(grammar_);
    return m.accept_bytes(json) && m.is_complete();
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<const Grammar> grammar_;
};

// Expects every string of `good` accepted and every one of `bad` refused.
void expect_language(const std::string& schema, const std::vector<std::string>& good,
                     const std::vector<std::string>& bad, SchemaOptions options = {}) {
  const SchemaGrammar g(schema, options);
  for (const std::string& s : good) EXPECT_TRUE(g.accepts(s)) << s << "\n" << g.text();
  for (const std::string& s : bad) EXPECT_FALSE(g.accepts(s)) << s << "\n" << g.text();
}

TEST(JsonSchemaTypes, EachTypeAlone) {
  expect_language(R"({"type":"null"})", {"null"}, {"nul", "0", "\"null\""});
  expect_language(R"({"type":"boolean"})", {"true", "false"}, {"True", "1", "null"});
  expect_language(R"({"type":"integer"})", {"0", "-7", "1234567890123456"},
                  {"01", "1.5", "1e3", "12345678901234567", "+1", "-"});
  expect_language(R"({"type":"number"})", {"0", "-0.25", "3.5e-7", "1E+12", "42"},
                  {"01", ".5", "1.", "1e", "NaN", "1e123"});
  expect_language(R"({"type":"string"})",
                  {R"("")", R"("héllo")", R"("a\"b\\c\n")", R"("\u00e9\uFFFF")", R"("😀")"},
                  {R"("a)", "\"\x01\"", R"("\x")", R"("\ud83d\ude00")", R"('a')"});
  expect_language(R"({"type":"array"})", {"[]", "[1,\"a\",[null],{}]"}, {"[1,]", "{}"});
  expect_language(R"({"type":"object"})", {"{}", R"({"a":1,"b":{"c":[true]}})"},
                  {R"({"a"})", "[]", R"({1:2})"});
}

TEST(JsonSchemaTypes, TypeArraysAndNull) {
  expect_language(R"({"type":["string","null"],"maxLength":2})", {"null", R"("ab")"},
                  {R"("abc")", "0"});
  expect_language(R"({"type":["integer","boolean"],"minimum":5})", {"5", "99", "true"},
                  {"4", "null"});
}

TEST(JsonSchemaTypes, EmptyAndTrueSchemasAcceptAnyValue) {
  for (const char* schema : {"{}", "true", R"({"description":"anything","title":"x"})"}) {
    expect_language(schema, {"1", "null", R"({"a":[1,{"b":"c"}]})", R"("s")"}, {"", "nul"});
  }
}

TEST(JsonSchemaTypes, KeywordFamilyImpliesTheType) {
  expect_language(R"({"properties":{"a":{"type":"integer"}},"required":["a"]})", {R"({"a":1})"},
                  {"1", R"("x")"});
  expect_language(R"({"minLength":2})", {R"("ab")"}, {R"("a")", "12"});
  expect_language(R"({"minimum":2})", {"2", "2.5", "30"}, {"1.5", R"("3")"});
}

TEST(JsonSchemaObjects, PropertiesInSchemaOrderRequiredAndOptional) {
  const std::string schema = R"({"type":"object","properties":{
      "b":{"type":"integer"},"a":{"type":"string"},"c":{"type":"boolean"},"d":{"type":"null"}},
      "required":["a","c"]})";
  expect_language(schema,
                  {R"({"a":"x","c":true})", R"({"b":1,"a":"x","c":true})",
                   R"({"b":1,"a":"x","c":false,"d":null})", R"({"a":"x","c":true,"d":null})"},
                  {R"({"c":true,"a":"x"})", R"({"a":"x"})", R"({"b":1,"c":true})",
                   R"({"a":"x","b":1,"c":true})", R"({"a":"x",,"c":true})",
                   R"({"a":"x","c":true,})", R"({"a":"x","c":true,"e":1})"});
}

TEST(JsonSchemaObjects, AllOptionalAllowsEmptyAndAnySubsetInOrder) {
  const std::string schema =
      R"({"properties":{"x":{"type":"integer"},"y":{"type":"integer"},"z":{"type":"integer"}}})";
  expect_language(schema,
                  {"{}", R"({"x":1})", R"({"y":2})", R"({"z":3})", R"({"x":1,"z":3})",
                   R"({"x":1,"y":2,"z":3})", R"({"y":2,"z":3})"},
                  {R"({"y":2,"x":1})", R"({,"x":1})", R"({"x":1,})", R"({"w":0})"});
}

TEST(JsonSchemaObjects, AdditionalProperties) {
  // false: only the declared ones.
  expect_language(R"({"properties":{"a":{"type":"integer"}},"additionalProperties":false})",
                  {"{}", R"({"a":1})"}, {R"({"b":1})", R"({"a":1,"b":2})"});
  // A schema: extra keys take its values, after the declared ones, and never reuse a
  // declared name (even as a prefix or extension of one, those are other keys).
  const std::string typed = R"({"properties":{"name":{"type":"string"}},"required":["name"],
      "additionalProperties":{"type":"integer"}})";
  expect_language(typed,
                  {R"({"name":"n"})", R"({"name":"n","age":3})", R"({"name":"n","nam":1})",
                   R"({"name":"n","names":1,"":2})", R"({"name":"n","x":1,"y":2})"},
                  {R"({"name":"n","age":"3"})", R"({"name":"n","name":1})",
                   R"({"age":3,"name":"n"})", R"({"name":"n","na\u006de":1})"});
  // true: any extra values.
  expect_language(R"({"properties":{"a":{"type":"integer"}},"additionalProperties":true})",
                  {R"({"a":1,"b":[1,{}]})", R"({"b":null})"}, {R"({"a":"x"})"});
  // Only additionalProperties.
  expect_language(R"({"type":"object","additionalProperties":{"type":"boolean"}})",
                  {"{}", R"({"k":true,"j":false})"}, {R"({"k":1})"});
}

TEST(JsonSchemaObjects, RequiredWithoutPropertiesAndFalseProperties) {
  expect_language(R"({"type":"object","required":["id"]})", {R"({"id":[1]})", R"({"id":"x"})"},
                  {"{}", R"({"other":1})"});
  expect_language(R"({"properties":{"a":false,"b":{"type":"null"}}})", {"{}", R"({"b":null})"},
                  {R"({"a":1})"});
}

TEST(JsonSchemaObjects, KeysAreJsonEscaped) {
  expect_language(R"({"properties":{"say \"hi\"":{"const":1},"é/ü":{"const":2}},
                      "required":["say \"hi\"","é/ü"]})",
                  {R"({"say \"hi\"":1,"é/ü":2})"}, {R"({"say "hi"":1,"é/ü":2})"});
}

TEST(JsonSchemaEnum, EnumAndConst) {
  expect_language(R"({"enum":["red","green",3,null,{"a":[1]}]})",
                  {R"("red")", R"("green")", "3", "null", R"({"a":[1]})"},
                  {R"("blue")", "4", R"({"a":[2]})"});
  expect_language(R"({"const":"fixed"})", {R"("fixed")"}, {R"("other")"});
  // "type" filters the values; const must also be in enum.
  expect_language(R"({"type":"string","enum":["a",1,"b"]})", {R"("a")", R"("b")"}, {"1"});
  expect_language(R"({"type":"integer","enum":[1,2.0,2.5]})", {"1", "2.0"}, {"2.5"});
  expect_language(R"({"enum":["a","b"],"const":"b"})", {R"("b")"}, {R"("a")"});
  expect_language(R"({"const":"a\"b\u00e9"})", {R"("a\"bé")"}, {R"("a"bé")"});
}

TEST(JsonSchemaCombinators, AnyOfAndOneOfAreAlternatives) {
  for (const char* key : {"anyOf", "oneOf"}) {
    const std::string schema = std::string(R"({")") + key +
                               R"(":[{"type":"integer"},{"type":"string","maxLength":1},false]})";
    expect_language(schema, {"1", R"("a")"}, {R"("ab")", "null", "1.5"});
  }
}

TEST(JsonSchemaCombinators, KeywordsBesideAnyOfApplyToEachBranch) {
  const std::string schema = R"({"type":"object","properties":{"a":{"type":"integer"},
      "b":{"type":"integer"}},"anyOf":[{"required":["a"]},{"required":["b"]}]})";
  expect_language(schema, {R"({"a":1})", R"({"b":2})", R"({"a":1,"b":2})"}, {"{}", "1"});
}

TEST(JsonSchemaCombinators, AllOfMergesObjects) {
  const std::string schema = R"({"allOf":[
      {"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]},
      {"properties":{"name":{"type":"string"},"id":{"minimum":10}},"required":["name"]}]})";
  expect_language(schema, {R"({"id":10,"name":"x"})"},
                  {R"({"id":9,"name":"x"})", R"({"id":10})", R"({"name":"x"})"});
  // A part's additionalProperties: false drops properties only the other parts declare.
  expect_language(R"({"allOf":[{"properties":{"a":{"type":"integer"}},
                                  "additionalProperties":false},
                                 {"properties":{"b":{"type":"integer"}}}]})",
                  {"{}", R"({"a":1})"}, {R"({"b":1})"});
  // Types intersect; integer survives against number.
  expect_language(R"({"allOf":[{"type":["number","string"]},{"type":["integer","null"]}]})", {"3"},
                  {"3.5", R"("s")", "null"});
}

TEST(JsonSchemaRefs, DefsDefinitionsAndPointers) {
  expect_language(R"({"$defs":{"id":{"type":"integer","minimum":1}},
                      "definitions":{"tag":{"enum":["x","y"]}},
                      "type":"array","prefixItems":[{"$ref":"#/$defs/id"},
                      {"$ref":"#/definitions/tag"},{"$ref":"#/$defs/id"}],"items":false})",
                  {R"([1,"x",2])", "[]", "[5]"}, {R"([0,"x",1])", R"([1,"z"])"});
  // A ref beside other keywords is merged with them; pointers may escape '/' and '~'.
  expect_language(R"({"$defs":{"a/b~c":{"type":"string"}},
                      "properties":{"s":{"$ref":"#/$defs/a~1b~0c","maxLength":2,
                                         "description":"short"}},"required":["s"]})",
                  {R"({"s":"ab"})"}, {R"({"s":"abc"})"});
}

TEST(JsonSchemaRefs, RecursiveTreeAndList) {
  const std::string tree = R"({"$defs":{"node":{"type":"object","properties":{
      "value":{"type":"integer"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}},
      "required":["value"]}},"$ref":"#/$defs/node"})";
  expect_language(tree,
                  {R"({"value":1})", R"({"value":1,"children":[]})",
                   R"({"value":1,"children":[{"value":2,"children":[{"value":3}]},{"value":4}]})"},
                  {R"({"value":1,"children":[{}]})", R"({"value":1,"children":[{"value":"x"}]})"});
  const std::string list = R"({"type":"object","properties":{"head":{"type":"string"},
      "tail":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},"required":["head","tail"]})";
  expect_language(list,
                  {R"({"head":"a","tail":null})",
                   R"({"head":"a","tail":{"head":"b","tail":{"head":"c","tail":null}}})"},
                  {R"({"head":"a","tail":{"head":"b"}})", R"({"head":"a"})"});
}

TEST(JsonSchemaArrays, ItemsAndCounts) {
  expect_language(R"({"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3})",
                  {"[1,2]", "[1,2,3]"}, {"[]", "[1]", "[1,2,3,4]", R"([1,"2"])"});
  expect_language(R"({"items":{"type":"boolean"},"minItems":1})", {"[true]", "[true,false,true]"},
                  {"[]"});
  expect_language(R"({"type":"array","maxItems":0})", {"[]"}, {"[1]"});
}

TEST(JsonSchemaArrays, PrefixItemsAndTuples) {
  // 2020-12: prefix items may stop early; later items follow "items".
  expect_language(R"({"prefixItems":[{"type":"string"},{"type":"integer"}],
                      "items":{"type":"null"}})",
                  {"[]", R"(["a"])", R"(["a",1])", R"(["a",1,null,null])"},
                  {"[1]", R"(["a","b"])", R"(["a",1,2])"});
  expect_language(R"({"prefixItems":[{"type":"string"},{"type":"integer"}],"items":false,
                      "minItems":2})",
                  {R"(["a",1])"}, {R"(["a"])", R"(["a",1,2])"});
  // Drafts 4-7: items as an array, additionalItems for the rest.
  expect_language(R"({"items":[{"type":"integer"}],"additionalItems":{"type":"string"}})",
                  {"[1]", R"([1,"a","b"])"}, {R"([1,2])"});
}

TEST(JsonSchemaStrings, LengthsCountCharactersNotBytes) {
  expect_language(R"({"type":"string","minLength":2,"maxLength":3})",
                  {R"("ab")", R"("abc")", R"("éü")", R"("\n\"")", R"("😀😀")"},
                  {R"("a")", R"("abcd")", R"("😀")"});
}

TEST(JsonSchemaStrings, Formats) {
  expect_language(R"({"format":"date"})",
                  {R"("2024-02-29")", R"("2000-02-29")", R"("1999-12-31")", R"("2023-04-30")"},
                  {R"("2023-02-29")", R"("1900-02-29")", R"("2023-04-31")", R"("2023-13-01")",
                   R"("2023-00-10")", R"("0000-01-01")", R"("2023-1-01")"});
  expect_language(R"({"type":"string","format":"time"})",
                  {R"("23:59:59Z")", R"("00:00:00.123+05:30")", R"("12:00:00-08:00")"},
                  {R"("24:00:00Z")", R"("12:60:00Z")", R"("12:00:00")", R"("12:00Z")"});
  expect_language(R"({"format":"date-time"})", {R"("2024-06-01T08:30:00Z")"},
                  {R"("2024-06-01 08:30:00Z")", R"("2024-06-01")"});
  expect_language(
      R"({"format":"uuid"})", {R"("123e4567-e89b-12d3-A456-426614174000")"},
      {R"("123e4567e89b12d3a456426614174000")", R"("123e4567-e89b-12d3-a456-42661417400g")"});
  expect_language(
      R"({"format":"email"})", {R"("a.b+c@example.com")", R"("x@mail.co.uk")"},
      {R"("no-at.example.com")", R"("a@localhost")", R"("a..b@x.com")", R"("a@-x.com")"});
}

// Exhaustive over every day of 1896-2104 style years: the date grammar knows leap years.
TEST(JsonSchemaStrings, DateKnowsEveryMonthLength) {
  const SchemaGrammar g(R"({"format":"date"})");
  for (int year : {1900, 1996, 1999, 2000, 2023, 2024, 2100, 2400, 9996}) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const int days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int month = 0; month <= 13; ++month) {
      for (int day = 0; day <= 32; ++day) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "\"%04d-%02d-%02d\"", year, month, day);
        const bool valid = month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1];
        EXPECT_EQ(g.accepts(buf), valid) << buf;
      }
    }
  }
}

TEST(JsonSchemaStrings, PatternUnanchoredSidesTakeAnything) {
  expect_language(R"({"pattern":"^ab"})", {R"("ab")", R"("abc")"}, {R"("xab")"});
  expect_language(R"({"pattern":"ab$"})", {R"("ab")", R"("xab")"}, {R"("abx")"});
  expect_language(R"({"pattern":"ab"})", {R"("ab")", R"("xaby")"}, {R"("a b")"});
  expect_language(R"({"pattern":"^[A-Z]{2}-\\d{3,4}$"})", {R"("AB-123")", R"("ZZ-0000")"},
                  {R"("ab-123")", R"("AB-12")", R"("AB-12345")"});
  // Characters a JSON string must escape are written escaped.
  expect_language(R"({"pattern":"^a\"b\\\\c$"})", {R"("a\"b\\c")"}, {R"("a"b\c")"});
}

TEST(JsonSchemaNumbers, BoundsOnIntegersAndNumbers) {
  expect_language(R"({"type":"integer","minimum":-5,"exclusiveMaximum":10})", {"-5", "0", "9"},
                  {"-6", "10", "-0", "05"});
  expect_language(R"({"type":"integer","exclusiveMinimum":1.5,"maximum":3.7})", {"2", "3"},
                  {"1", "4"});
  // Draft 4's boolean exclusiveMinimum.
  expect_language(R"({"type":"integer","minimum":0,"exclusiveMinimum":true})", {"1"}, {"0"});
  expect_language(R"({"type":"number","minimum":0,"maximum":1})",
                  {"0", "1", "0.5", "1.000", "0.0001"}, {"-0.5", "1.5", "1.0001", "1e-3"});
  expect_language(R"({"type":"number","exclusiveMinimum":-1,"exclusiveMaximum":1})",
                  {"-0.999", "0", "0.5"}, {"-1", "1", "1.0", "-1.0"});
}

TEST(JsonSchemaWhitespace, BoundedBetweenTokensOnly) {
  const std::string schema = R"({"type":"object","properties":{"a":{"type":"array",
      "items":{"type":"integer"}}},"required":["a"]})";
  expect_language(schema,
                  {R"({"a":[1,2]})", "{ \"a\" : [ 1 , 2 ] }", "{\n  \"a\": [\n\t1,\n 2\n]\n}"},
                  {"{  \"a\":[1]}", " {\"a\":[1]}", "{\"a\":[1]} ", "{\"a\":[1 2]}",
                   "{\n\n\"a\":[1]}", "{\"a\":[1]\r}"});
  SchemaOptions compact;
  compact.compact = true;
  expect_language(schema, {R"({"a":[1,2]})"}, {"{ \"a\":[1,2]}", "{\"a\":[1, 2]}"}, compact);
  SchemaOptions narrow;
  narrow.max_indent = 2;
  expect_language(schema, {"{\n  \"a\":[]}"}, {"{\n   \"a\":[]}"}, narrow);
}

TEST(JsonSchemaWhitespace, AnyObjectGrammar) {
  const auto g = Grammar::parse(json_object_gbnf());
  for (const char* ok : {"{}", R"({"a":{"b":[1,2.5,"x",null,true]}})", "{ \"k\" : 1 }"}) {
    Matcher m(g);
    EXPECT_TRUE(m.accept_bytes(ok) && m.is_complete()) << ok;
  }
  for (const char* bad : {"[]", "1", R"("s")", "{\"a\":}"}) {
    Matcher m(g);
    EXPECT_FALSE(m.accept_bytes(bad) && m.is_complete()) << bad;
  }
}

// Tool calls: several argument schemas in one grammar, each with its own $defs, under a root
// the caller writes.
TEST(JsonSchemaCompose, SeveralSchemasShareOneGrammar) {
  const std::string rules = json_schemas_to_gbnf_rules(
      {{"weather-args", OJson::parse(R"({"$defs":{"unit":{"enum":["c","f"]}},"type":"object",
            "properties":{"city":{"type":"string"},"unit":{"$ref":"#/$defs/unit"}},
            "required":["city"]})")},
       {"search-args", OJson::parse(R"({"$defs":{"unit":{"type":"integer"}},"type":"object",
            "properties":{"q":{"type":"string"},"n":{"$ref":"#/$defs/unit"}},
            "required":["q","n"]})")}});
  const std::string root =
      "root ::= \"{\\\"name\\\":\\\"weather\\\",\\\"arguments\\\":\" weather-args \"}\" | "
      "\"{\\\"name\\\":\\\"search\\\",\\\"arguments\\\":\" search-args \"}\"\n";
  const auto g = Grammar::parse(root + rules);
  auto accepts = [&](std::string_view s) {
    Matcher m(g);
    return m.accept_bytes(s) && m.is_complete();
  };
  EXPECT_TRUE(accepts(R"({"name":"weather","arguments":{"city":"Oslo","unit":"c"}})")) << rules;
  EXPECT_TRUE(accepts(R"({"name":"search","arguments":{"q":"x","n":3}})"));
  EXPECT_FALSE(accepts(R"({"name":"search","arguments":{"q":"x","n":"c"}})"));
  EXPECT_FALSE(accepts(R"({"name":"weather","arguments":{"city":"Oslo","unit":3}})"));
  EXPECT_THROW(json_schemas_to_gbnf_rules({{"string", OJson::object()}}), SchemaError);
}

TEST(JsonSchemaApi, PlainJsonOverloadSortsProperties) {
  const auto schema = nlohmann::json::parse(
      R"({"properties":{"b":{"type":"integer"},"a":{"type":"integer"}},"required":["a","b"]})");
  const auto g = Grammar::parse(json_schema_to_gbnf(schema));
  Matcher m(g);
  EXPECT_TRUE(m.accept_bytes(R"({"a":1,"b":2})") && m.is_complete());
}

// Every error names its keyword and the JSON pointer of the schema object holding it.
struct ErrorCase {
  const char* schema;
  const char* keyword;
  const char* pointer;
  const char* message;
};

TEST(JsonSchemaErrors, NameKeywordAndPointer) {
  const ErrorCase cases[] = {
      {R"({"properties":{"foo":{"type":"string","not":{"const":"x"}}}})", "not", "/properties/foo",
       "unsupported JSON Schema keyword 'not' at #/properties/foo"},
      {R"({"type":"integer","multipleOf":5})", "multipleOf", "",
       "unsupported JSON Schema keyword 'multipleOf' at #"},
      {R"({"type":"object","patternProperties":{"^x":{}}})", "patternProperties", "",
       "unsupported JSON Schema keyword 'patternProperties' at #"},
      {R"({"items":{"if":{"type":"string"}}})", "if", "/items",
       "unsupported JSON Schema keyword 'if' at #/items"},
      {R"({"type":"array","uniqueItems":true})", "uniqueItems", "",
       "unsupported JSON Schema keyword 'uniqueItems' at #"},
      {R"({"properties":{"a/b":{"minProperties":1}}})", "minProperties", "/properties/a~1b",
       "unsupported JSON Schema keyword 'minProperties' at #/properties/a~1b"},
      {R"({"$defs":{"x":{"type":"string","format":"uri"}},"items":{"$ref":"#/$defs/x"}})", "format",
       "/$defs/x", "unsupported JSON Schema keyword 'format' at #/$defs/x: format 'uri'"},
      {R"({"properties":{"code":{"type":"string","pattern":"^(?=a)b$"}}})", "pattern",
       "/properties/code",
       "unsupported JSON Schema keyword 'pattern' at #/properties/code: lookaround '(?=' at "
       "offset 1 is outside the supported regex subset"},
      {R"({"pattern":"(a)\\1"})", "pattern", "",
       "unsupported JSON Schema keyword 'pattern' at #: backreference at offset 3 is outside the "
       "supported regex subset"},
      {R"({"pattern":"a$b"})", "pattern", "",
       "unsupported JSON Schema keyword 'pattern' at #: '$' before the end of the pattern at "
       "offset 1 is outside the supported regex subset"},
      {R"({"pattern":"(ab"})", "pattern", "",
       "invalid JSON Schema at #: invalid regex: unclosed '(' at offset 0"},
      {R"({"pattern":"^\\d+$","maxLength":3})", "maxLength", "",
       "unsupported JSON Schema keyword 'maxLength' at #: together with 'pattern'"},
      {R"({"format":"date","minLength":3})", "minLength", "",
       "unsupported JSON Schema keyword 'minLength' at #: together with 'format'"},
      {R"({"items":{"$ref":"https://example.com/s.json"}})", "$ref", "/items",
       "unsupported JSON Schema keyword '$ref' at #/items: remote reference "
       "'https://example.com/s.json'"},
      {R"({"$ref":"#/$defs/missing"})", "$ref", "",
       "invalid JSON Schema at #: '#/$defs/missing' points to nothing"},
      {R"({"$ref":"#node"})", "$ref", "",
       "unsupported JSON Schema keyword '$ref' at #: anchor reference '#node'"},
      {R"({"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/a"},{"type":"null"}]}},"$ref":"#/$defs/a"})",
       "$ref", "/$defs/a/anyOf/0",
       "invalid JSON Schema at #/$defs/a/anyOf/0: '#/$defs/a' refers back to itself without "
       "nesting"},
      {R"({"$defs":{"n":{"properties":{"next":{"$ref":"#/$defs/n","required":["v"]}}}},
          "$ref":"#/$defs/n"})",
       "$ref", "/$defs/n/properties/next",
       "unsupported JSON Schema keyword '$ref' at #/$defs/n/properties/next: "
       "'#/$defs/n' beside other keywords leads back to itself"},
      {R"({"type":"integer","minimum":5,"maximum":4})", "minimum", "",
       "invalid JSON Schema at #: no integer satisfies the bounds"},
      {R"({"properties":{"p":{"type":"number","minimum":0.5}}})", "minimum", "/properties/p",
       "unsupported JSON Schema keyword 'minimum' at #/properties/p: a non-integral bound on a "
       "number"},
      {R"({"type":"strin"})", "type", "",
       "invalid JSON Schema at #: 'type' must be a type name or a non-empty array of them"},
      {R"({"minItems":3,"maxItems":2})", "minItems", "",
       "invalid JSON Schema at #: no array length satisfies 'minItems', 'maxItems' and the item "
       "schemas"},
      {R"({"maxLength":-1})", "maxLength", "",
       "invalid JSON Schema at #: 'maxLength' must be a non-negative integer"},
      {R"({"allOf":[{"type":"string"},{"type":"integer"}]})", "type", "",
       "invalid JSON Schema at #: the parts of 'allOf' allow no common type"},
      {R"({"allOf":[{"pattern":"a"},{"pattern":"b"}]})", "pattern", "",
       "unsupported JSON Schema keyword 'pattern' at #: different values in the parts of "
       "'allOf'"},
      {R"({"allOf":[{"properties":{"a":{}},"additionalProperties":false},
                    {"properties":{"b":{}},"required":["b"]}]})",
       "additionalProperties", "",
       "invalid JSON Schema at #: property 'b' is required by one part of 'allOf' and forbidden "
       "by another"},
      {R"({"enum":["a","bb"],"maxLength":1})", "maxLength", "",
       "unsupported JSON Schema keyword 'maxLength' at #: together with 'enum' or 'const'"},
      {R"({"type":"integer","enum":["a"]})", "enum", "",
       "invalid JSON Schema at #: no value of 'enum'/'const' satisfies the schema"},
      {R"({"properties":{"a":false},"required":["a"]})", "required", "",
       "invalid JSON Schema at #: property 'a' is required but its schema is false"},
      {R"({"anyOf":[]})", "anyOf", "",
       "invalid JSON Schema at #: 'anyOf' must be a non-empty array"},
      {R"({"items":false,"minItems":1})", "minItems", "",
       "invalid JSON Schema at #: no array length satisfies 'minItems', 'maxItems' and the item "
       "schemas"},
      {R"({"properties":{"x":3}})", "", "/properties/x",
       "invalid JSON Schema at #/properties/x: a schema must be an object or a boolean"},
  };
  for (const ErrorCase& c : cases) {
    try {
      const std::string g = json_schema_to_gbnf(OJson::parse(c.schema));
      ADD_FAILURE() << "no error for " << c.schema << "\n" << g;
    } catch (const SchemaError& e) {
      EXPECT_EQ(std::string(e.what()), c.message) << c.schema;
      EXPECT_EQ(e.keyword(), c.keyword) << c.schema;
      EXPECT_EQ(e.pointer(), c.pointer) << c.schema;
    }
  }
}

TEST(JsonSchemaErrors, NestingIsBounded) {
  OJson deep = {{"type", "integer"}};
  for (int i = 0; i < 300; ++i) deep = {{"type", "array"}, {"items", deep}};
  try {
    json_schema_to_gbnf(deep);
    ADD_FAILURE() << "no error";
  } catch (const SchemaError& e) {
    EXPECT_EQ(e.pointer().size(), 256 * std::string("/items").size());
  }
  OJson fine = {{"type", "integer"}};
  for (int i = 0; i < 100; ++i) fine = {{"type", "array"}, {"items", fine}};
  EXPECT_NO_THROW(Grammar::parse(json_schema_to_gbnf(fine)));
}

TEST(JsonSchemaErrors, AnnotationsAreIgnored) {
  expect_language(R"({"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"x",
      "title":"t","description":"d","examples":[1],"default":1,"$comment":"c",
      "deprecated":false,"readOnly":true,"writeOnly":false,"type":"integer"})",
                  {"1"}, {"\"1\""});
}

}  // namespace
}  // namespace rightsize::sampling::grammar
