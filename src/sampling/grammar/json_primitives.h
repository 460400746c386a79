// The fixed rules JSON grammars are made of: whitespace, strings, numbers, any value, and the
// string formats (date, time, date-time, uuid, email).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rightsize::sampling::grammar {

struct JsonPrimitive {
  std::string body;               // GBNF right-hand side
  std::vector<std::string> uses;  // other primitives the body names
};

// Whitespace between JSON tokens: none when compact, else one optional space, or a newline and
// up to max_indent spaces or tabs. Bounded, so a random model cannot pad forever.
struct WhitespacePolicy {
  bool compact = false;
  int max_indent = 20;
};

// The primitive named `name` ("ws", "char", "string", "integer", "number", "boolean", "null",
// "value", "object", "member", "array", "date", "time", "date-time", "uuid", "email" and their
// helpers), or nullopt. In compact mode nothing uses "ws".
std::optional<JsonPrimitive> json_primitive(std::string_view name, const WhitespacePolicy& ws);

// Every name json_primitive knows, so generated rule names can avoid them.
const std::vector<std::string>& json_primitive_names();

// `parts` joined by spaces, with the whitespace rule between them where `ws` is "ws" and
// dropped where it is empty: the one place that decides how container rules are spelled.
std::string gbnf_sequence(const std::vector<std::string>& parts);

}  // namespace rightsize::sampling::grammar
