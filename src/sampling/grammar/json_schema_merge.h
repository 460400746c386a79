// Schema algebra the converter needs before it writes rules: local "$ref" resolution and
// folding "allOf" parts into one schema (exactly, or a SchemaError).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace rightsize::sampling::grammar {

using Json = nlohmann::ordered_json;

// Keywords that say nothing about validity, skipped wherever they appear.
bool is_annotation_keyword(std::string_view keyword);

struct ResolvedRef {
  const Json* schema;
  std::string pointer;  // JSON pointer of the target within `doc`
};

// The target of `ref` (the value of a "$ref" found in the schema at `at`): "#" or "#/a/b"
// (with ~0 ~1 and %-escapes). Remote and anchor references are SchemaErrors.
ResolvedRef resolve_local_ref(const Json& doc, const Json& ref, const std::string& at);

// `schema` (which has "allOf", or "$ref" beside other keywords) as one schema without them:
// parts are resolved and merged keyword by keyword; what cannot be merged exactly is a
// SchemaError naming the keyword.
Json merge_all_of(const Json& doc, const Json& schema, const std::string& at);

}  // namespace rightsize::sampling::grammar
