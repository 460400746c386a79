// Building the request's grammar from response_format / grammar / tools, and parsing tool calls.
#include "server/structured_output.h"

#include <regex>

#include "sampling/grammar/json_schema.h"
#include "server/api_error.h"

namespace rightsize::server {
namespace {

namespace grammar = sampling::grammar;

std::shared_ptr<const grammar::Grammar> compile(GrammarCache& cache, const std::string& gbnf, const std::string& param) {
  try {
    return cache.get(gbnf);
  } catch (const grammar::GrammarError& e) {
    throw invalid_param(param, "'" + param + "' is not a valid grammar: " + e.what());
  } catch (const Error& e) {
    throw invalid_param(param, "'" + param + "' cannot be used: " + e.what());
  }
}

// response_format: a schema named "content" joins `schemas` unless the answer is free text.
void content_rules(const nlohmann::ordered_json& body, std::vector<grammar::NamedSchema>& schemas,
                          bool& constrained) {
  constrained = false;
  const auto rf = body.find("response_format");
  if (rf == body.end() || rf->is_null()) return;
  if (!rf->is_object() || !rf->contains("type") || !(*rf)["type"].is_string())
    throw invalid_param("response_format", "'response_format' must be an object with a string 'type'");
  const std::string type = (*rf)["type"];
  if (type == "text") return;
  if (type == "json_object") {
    constrained = true;
    schemas.push_back({"content", nlohmann::ordered_json{{"type", "object"}}});
    return;
  }
  if (type != "json_schema")
    throw invalid_param("response_format.type", "'response_format.type' must be 'text', 'json_object' or 'json_schema'");
  const auto js = rf->find("json_schema");
  if (js == rf->end() || !js->is_object())
    throw invalid_param("response_format.json_schema", "'response_format.json_schema' must be an object");
  const auto schema = js->find("schema");
  if (schema == js->end() || (!schema->is_object() && !schema->is_boolean()))
    throw invalid_param("response_format.json_schema.schema", "'response_format.json_schema.schema' must be a JSON Schema object");
  constrained = true;
  schemas.push_back({"content", *schema});
}

void check_tools(const nlohmann::ordered_json& tools) {
  if (!tools.is_array()) throw invalid_param("tools", "'tools' must be an array");
  static const std::regex kName("^[a-zA-Z0-9_-]{1,64}$");
  for (size_t i = 0; i < tools.size(); ++i) {
    const auto& t = tools[i];
    const std::string where = "tools[" + std::to_string(i) + "]";
    if (!t.is_object() || t.value("type", "") != "function" || !t.contains("function") || !t["function"].is_object())
      throw invalid_param(where, "'" + where + "' must be {\"type\": \"function\", \"function\": {...}}");
    const auto& f = t["function"];
    if (!f.contains("name") || !f["name"].is_string() || !std::regex_match(f["name"].get<std::string>(), kName))
      throw invalid_param(where + ".function.name", "'" + where + ".function.name' must match [a-zA-Z0-9_-]{1,64}");
    if (f.contains("parameters") && !f["parameters"].is_object() && !f["parameters"].is_null())
      throw invalid_param(where + ".function.parameters", "'" + where + ".function.parameters' must be a JSON Schema object");
    for (size_t k = 0; k < i; ++k)
      if (tools[k]["function"]["name"] == f["name"])
        throw invalid_param(where + ".function.name", "two tools are named '" + f["name"].get<std::string>() + "'");
  }
}

}  // namespace

std::shared_ptr<const grammar::Grammar> GrammarCache::get(const std::string& gbnf) {
  {
    std::lock_guard lock(mu_);
    const auto it = map_.find(gbnf);
    if (it != map_.end()) return it->second;
  }
  auto g = grammar::Grammar::parse(gbnf);
  std::lock_guard lock(mu_);
  if (map_.size() >= kMaxEntries) map_.clear();  // simple bound; recompiling is cheap
  map_.emplace(gbnf, g);
  return g;
}

StructuredOutput parse_structured_output(const nlohmann::ordered_json& body, bool chat, GrammarCache& cache) {
  StructuredOutput out;
  std::vector<grammar::NamedSchema> schemas;
  bool content_constrained = false;
  content_rules(body, schemas, content_constrained);

  // llama.cpp's extension: a GBNF grammar as a string.
  const auto g = body.find("grammar");
  if (g != body.end() && !g->is_null()) {
    if (!g->is_string()) throw invalid_param("grammar", "'grammar' must be a string of GBNF rules");
    if (content_constrained) throw invalid_param("grammar", "'grammar' and a JSON response_format cannot be combined");
    out.grammar = compile(cache, g->get<std::string>(), "grammar");
    return out;
  }

  // Tools.
  const auto tools = body.find("tools");
  const auto choice = body.find("tool_choice");
  const bool has_tools = tools != body.end() && !tools->is_null() && !(tools->is_array() && tools->empty());
  std::string named;
  if (choice != body.end() && !choice->is_null()) {
    if (choice->is_string()) {
      const std::string c = *choice;
      if (c == "none") out.tool_mode = ToolMode::kNone;
      else if (c == "auto") out.tool_mode = ToolMode::kAuto;
      else if (c == "required") out.tool_mode = ToolMode::kRequired;
      else throw invalid_param("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or a named function");
    } else if (choice->is_object() && choice->value("type", "") == "function" && choice->contains("function") &&
               (*choice)["function"].is_object() && (*choice)["function"].contains("name") &&
               (*choice)["function"]["name"].is_string()) {
      out.tool_mode = ToolMode::kRequired;
      named = (*choice)["function"]["name"];
    } else {
      throw invalid_param("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or "
                                         "{\"type\": \"function\", \"function\": {\"name\": ...}}");
    }
    if (out.tool_mode != ToolMode::kNone && !has_tools)
      throw invalid_param("tool_choice", "'tool_choice' needs 'tools'");
  } else if (has_tools) {
    out.tool_mode = ToolMode::kAuto;  // OpenAI's default when tools are given
  }
  if (has_tools) {
    if (!chat) throw invalid_param("tools", "'tools' is a chat completions parameter");
    check_tools(*tools);
    out.tools = *tools;
  }
  if (!named.empty()) {
    bool found = false;
    for (const auto& t : *tools) found |= t["function"]["name"] == named;
    if (!found) throw invalid_param("tool_choice", "'tool_choice' names '" + named + "', which is not among 'tools'");
  }
  if (out.tool_mode == ToolMode::kRequired && content_constrained)
    throw invalid_param("response_format", "a required tool call and a JSON response_format cannot be combined");

  std::string root;
  if (out.tool_mode != ToolMode::kNone) {
    // One rule per callable tool for its arguments; the call itself has one fixed spelling.
    for (size_t i = 0; i < tools->size(); ++i) {
      const auto& f = (*tools)[i]["function"];
      if (!named.empty() && f["name"] != named) continue;
      nlohmann::ordered_json params = f.contains("parameters") && !f["parameters"].is_null()
                                          ? f["parameters"]
                                          : nlohmann::ordered_json{{"type", "object"}, {"properties", nlohmann::ordered_json::object()}};
      const std::string rule = "tool-args-" + std::to_string(i);
      schemas.push_back({rule, params});
      root += std::string(root.empty() ? "" : " | ") + "\"{\\\"name\\\": \\\"" + f["name"].get<std::string>() +
              "\\\", \\\"arguments\\\": \" " + rule + " \"}\"";
    }
    if (out.tool_mode == ToolMode::kAuto) {
      // Or an answer: the response_format's, or free text that does not open like a call.
      root += content_constrained ? " | content" : " | [^{] .*";
    }
  } else if (content_constrained) {
    root = "content";
  }
  if (root.empty()) return out;

  // Each schema alone first, so that an error names the parameter it came from.
  for (const grammar::NamedSchema& ns : schemas) {
    try {
      grammar::json_schemas_to_gbnf_rules({ns});
    } catch (const grammar::SchemaError& e) {
      const std::string param = ns.rule == "content" ? "response_format.json_schema.schema"
                                                     : "tools[" + ns.rule.substr(10) + "].function.parameters";
      throw ApiError(400, "'" + param + "': " + e.what(), "invalid_request_error", param, "invalid_schema");
    }
  }
  const std::string rules = grammar::json_schemas_to_gbnf_rules(schemas);
  out.grammar = compile(cache, "root ::= " + root + "\n" + rules, out.tool_mode != ToolMode::kNone ? "tools" : "response_format");
  return out;
}

std::optional<ToolCall> parse_tool_call(const std::string& text, const nlohmann::ordered_json& tools) {
  if (!tools.is_array()) return std::nullopt;
  std::string body = text;
  // Models trained on wrapped forms: <tool_call>{...}</tool_call>.
  const size_t open = body.find("<tool_call>");
  if (open != std::string::npos) {
    const size_t close = body.find("</tool_call>", open);
    body = body.substr(open + 11, close == std::string::npos ? std::string::npos : close - open - 11);
  }
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || body[first] != '{') return std::nullopt;
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(body.substr(first), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j["name"].is_string()) return std::nullopt;
  const auto args = j.contains("arguments") ? j["arguments"] : j.contains("parameters") ? j["parameters"] : nullptr;
  if (!args.is_object()) return std::nullopt;
  for (const auto& t : tools)
    if (t["function"]["name"] == j["name"]) return ToolCall{j["name"], args.dump()};
  return std::nullopt;
}

}  // namespace rightsize::server
