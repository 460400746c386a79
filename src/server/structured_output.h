// Structured output for the completion endpoints: response_format (json_object, json_schema),
// llama.cpp's "grammar" extension, and tools with tool_choice, turned into one grammar that the
// engine enforces token by token; and reading tool calls back out of the generated text.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sampling/grammar/gbnf.h"

namespace rightsize::server {

// Compiled grammars by their text, so a schema used again is not compiled again. Thread-safe.
class GrammarCache {
 public:
  // Raises GrammarError for a grammar that does not parse.
  std::shared_ptr<const sampling::grammar::Grammar> get(const std::string& gbnf);

 private:
  static constexpr size_t kMaxEntries = 256;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const sampling::grammar::Grammar>> map_;
};

enum class ToolMode {
  kNone,      // no tools, or tool_choice "none": plain content
  kAuto,      // the model may answer or call one tool
  kRequired,  // the model must call a tool (tool_choice "required" or a named function)
};

struct StructuredOutput {
  std::shared_ptr<const sampling::grammar::Grammar> grammar;  // null: unconstrained
  ToolMode tool_mode = ToolMode::kNone;
  nlohmann::ordered_json tools;  // the request's tools, for the chat template (null if none)
};

// Reads response_format, grammar, tools and tool_choice from the request body (kept as
// ordered_json so schema properties keep their order). `chat` is false for /v1/completions,
// which takes no tools. Raises ApiError 400 naming the parameter (and, for a schema, the
// keyword and its JSON pointer).
StructuredOutput parse_structured_output(const nlohmann::ordered_json& body, bool chat, GrammarCache& cache);

struct ToolCall {
  std::string name;
  std::string arguments;  // JSON text
};

// The tool call in a generated answer: {"name": ..., "arguments": {...}} (what the grammar
// produces), also inside <tool_call>...</tool_call> or with "parameters" for "arguments", as
// models trained on those forms write them. nullopt when the text is not a call of a known tool.
std::optional<ToolCall> parse_tool_call(const std::string& text, const nlohmann::ordered_json& tools);

}  // namespace rightsize::server
