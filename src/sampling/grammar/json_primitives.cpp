// Rule bodies for JSON's fixed parts. Numbers are bounded in length (16 integer digits, 16
// fraction digits, 2 exponent digits) so every token stream can end and every value fits a double.
#include "sampling/grammar/json_primitives.h"

#include <map>

namespace rightsize::sampling::grammar {

std::string gbnf_sequence(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

namespace {

// Bodies whose text does not depend on the whitespace policy.
const std::map<std::string, JsonPrimitive, std::less<>>& fixed_primitives() {
  static const auto* table = new std::map<std::string, JsonPrimitive, std::less<>>{
      // A JSON string character; \u escapes never name a surrogate, so every string decodes
      // under strict parsers (characters past U+FFFF are written as themselves).
      {"char",
       {R"([^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" ( [0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3} | )"
        R"([dD] [0-7] [0-9a-fA-F]{2} ) ))",
        {}}},
      {"string", {R"("\"" char* "\"")", {"char"}}},
      {"boolean", {R"("true" | "false")", {}}},
      {"null", {R"("null")", {}}},
      {"integer", {R"("-"? ( "0" | [1-9] [0-9]{0,15} ))", {}}},
      {"number",
       {R"("-"? ( "0" | [1-9] [0-9]{0,15} ) ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,2} )?)", {}}},
      {"value",
       {"object | array | string | number | boolean | null",
        {"object", "array", "string", "number", "boolean", "null"}}},
      // Years 1000-9999: Python's date parser refuses year 0, and a fixed width keeps leap
      // years a matter of the last digits.
      {"date-year", {"[1-9] [0-9]{3}", {}}},
      {"date-leap-year",
       {R"([1-9] [0-9] ( "0" [48] | [2468] [048] | [13579] [26] ) | )"
        R"(( [2468] [048] | [13579] [26] ) "00")",
        {}}},
      {"date",
       {R"(date-year "-" ( ( "0" [13578] | "1" [02] ) "-" ( "0" [1-9] | [12] [0-9] | "3" [01] ) | )"
        R"(( "0" [469] | "11" ) "-" ( "0" [1-9] | [12] [0-9] | "30" ) | )"
        R"("02-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] ) ) | date-leap-year "-02-29")",
        {"date-year", "date-leap-year"}}},
      {"time-hour", {R"([01] [0-9] | "2" [0-3])", {}}},
      // RFC 3339 full-time: the offset is required; no leap second (validators disagree).
      {"time",
       {R"(time-hour ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,9} )? )"
        R"(( "Z" | [+-] time-hour ":" [0-5] [0-9] ))",
        {"time-hour"}}},
      {"date-time", {R"(date "T" time)", {"date", "time"}}},
      {"uuid",
       {R"([0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" )"
        R"([0-9a-fA-F]{12})",
        {}}},
      // Dot-atom local part and a host name with at least two labels (RFC 5321, no quoted
      // local parts or address literals).
      {"email",
       {R"(email-atom ( "." email-atom )* "@" email-label ( "." email-label )+)",
        {"email-atom", "email-label"}}},
      {"email-atom", {R"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64})", {}}},
      {"email-label", {R"([A-Za-z0-9] ( [A-Za-z0-9-]{0,61} [A-Za-z0-9] )?)", {}}},
  };
  return *table;
}

}  // namespace

std::optional<JsonPrimitive> json_primitive(std::string_view name, const WhitespacePolicy& ws) {
  const std::string w = ws.compact ? "" : "ws";
  const std::vector<std::string> uses_ws =
      ws.compact ? std::vector<std::string>{} : std::vector<std::string>{"ws"};
  auto with_ws = [&](std::vector<std::string> uses) {
    uses.insert(uses.end(), uses_ws.begin(), uses_ws.end());
    return uses;
  };
  if (name == "ws") {
    if (ws.compact) return std::nullopt;
    const std::string indent =
        ws.max_indent > 0 ? " [ \\t]{0," + std::to_string(ws.max_indent) + "}" : "";
    return JsonPrimitive{"( \" \" | \"\\n\"" + indent + " )?", {}};
  }
  if (name == "object") {
    return JsonPrimitive{
        gbnf_sequence({"\"{\"", w, "( member ( " + gbnf_sequence({w, "\",\"", w}) + " member )*", w,
                       ")?", "\"}\""}),
        with_ws({"member"})};
  }
  if (name == "member") {
    return JsonPrimitive{gbnf_sequence({"string", w, "\":\"", w, "value"}),
                         with_ws({"string", "value"})};
  }
  if (name == "array") {
    return JsonPrimitive{
        gbnf_sequence({"\"[\"", w, "( value ( " + gbnf_sequence({w, "\",\"", w}) + " value )*", w,
                       ")?", "\"]\""}),
        with_ws({"value"})};
  }
  const auto& fixed = fixed_primitives();
  auto it = fixed.find(name);
  if (it == fixed.end()) return std::nullopt;
  return it->second;
}

const std::vector<std::string>& json_primitive_names() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>{"ws", "object", "member", "array"};
    for (const auto& [name, p] : fixed_primitives()) v->push_back(name);
    return v;
  }();
  return *names;
}

}  // namespace rightsize::sampling::grammar
