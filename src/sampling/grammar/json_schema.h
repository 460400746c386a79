// JSON Schema → GBNF: a grammar whose sentences are JSON texts valid against the schema, for
// response_format and tool arguments. What is not supported is refused, never loosened.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/error.h"

namespace rightsize::sampling::grammar {

// A schema we cannot turn into an exact grammar. The message reads
//   "unsupported JSON Schema keyword 'K' at #/pointer[: detail]"  or
//   "invalid JSON Schema at #/pointer: detail"
// where the pointer (a JSON pointer, "" for the root) locates the schema object holding K.
class SchemaError : public rightsize::Error {
 public:
  static SchemaError unsupported(const std::string& keyword, const std::string& pointer,
                                 const std::string& detail = "");
  static SchemaError invalid(const std::string& keyword, const std::string& pointer,
                             const std::string& detail);

  const std::string& keyword() const { return keyword_; }
  const std::string& pointer() const { return pointer_; }

 private:
  SchemaError(const std::string& keyword, const std::string& pointer, const std::string& message);

  std::string keyword_;
  std::string pointer_;
};

struct SchemaOptions {
  // No whitespace at all between tokens: one spelling per value.
  bool compact = false;
  // Otherwise each gap between tokens holds nothing, one space, or a newline followed by at
  // most this many spaces or tabs. Bounded on purpose: a random model must not pad forever.
  int max_indent = 20;
};

// The grammar of `schema`'s instances, with the root rule named "root". Object properties come
// in the order the schema lists them, which is why the schema is an ordered_json: parse request
// bodies with nlohmann::ordered_json to keep the user's order. Throws SchemaError.
std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema,
                                const SchemaOptions& options = {});
// Same, for a schema already held as nlohmann::json (properties then come in key order).
std::string json_schema_to_gbnf(const nlohmann::json& schema, const SchemaOptions& options = {});

// Any JSON object, for response_format {"type": "json_object"}; root rule "root".
std::string json_object_gbnf(const SchemaOptions& options = {});

// Several schemas in one grammar, e.g. the arguments of each tool: rule `rule` matches the
// instances of `schema`, every helper rule is named after it, and "$ref"s resolve within each
// schema. No root rule is written: the caller writes one around these rules (see
// docs/json-schema.md). `rule` must be a GBNF name ([a-zA-Z0-9-]) and not one of the shared
// rules ("ws", "string", "value", ...). Throws SchemaError.
struct NamedSchema {
  std::string rule;
  nlohmann::ordered_json schema;
};
std::string json_schemas_to_gbnf_rules(const std::vector<NamedSchema>& schemas,
                                       const SchemaOptions& options = {});

}  // namespace rightsize::sampling::grammar
