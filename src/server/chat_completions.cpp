// POST /v1/chat/completions: messages rendered through the model's chat template, answered as
// chat.completion or streamed chat.completion.chunk objects.
#include <httplib.h>

#include <map>

#include "server/api_error.h"
#include "server/generation.h"
#include "tokenizer/chat/template.h"

namespace rightsize::server {
namespace {

// OpenAI messages → what chat templates expect: content as one string.
nlohmann::ordered_json template_messages(const nlohmann::json& messages) {
  if (!messages.is_array()) throw invalid_param("messages", "'messages' must be an array of message objects");
  if (messages.empty()) throw invalid_param("messages", "'messages' must contain at least one message");
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    const nlohmann::json& m = messages[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw invalid_param(where, "'" + where + "' must be an object");
    const auto role = m.find("role");
    if (role == m.end() || !role->is_string()) throw invalid_param(where + ".role", "'" + where + ".role' must be a string");
    std::string r = role->get<std::string>();
    static const char* kRoles[] = {"system", "developer", "user", "assistant", "tool", "function"};
    if (std::find(std::begin(kRoles), std::end(kRoles), r) == std::end(kRoles))
      throw invalid_param(where + ".role", "'" + where + ".role' is '" + r +
                                               "'; expected system, developer, user, assistant or tool");
    if (r == "developer") r = "system";  // the newer name; templates know "system"
    nlohmann::ordered_json tm = {{"role", r}};
    const auto content = m.find("content");
    if (content == m.end() || content->is_null()) {
      if (r != "assistant") throw invalid_param(where + ".content", "'" + where + ".content' is required");
      tm["content"] = "";
    } else if (content->is_string()) {
      tm["content"] = content->get<std::string>();
    } else if (content->is_array()) {
      std::string text;
      for (size_t k = 0; k < content->size(); ++k) {
        const nlohmann::json& part = (*content)[k];
        const std::string pw = where + ".content[" + std::to_string(k) + "]";
        if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
          throw invalid_param(pw, "'" + pw + "' must be a content part object with a 'type'");
        const std::string type = part["type"].get<std::string>();
        if (type != "text")
          throw invalid_param(pw + ".type", "content parts of type '" + type + "' are not supported: this model reads text");
        if (!part.contains("text") || !part["text"].is_string())
          throw invalid_param(pw + ".text", "'" + pw + ".text' must be a string");
        text += part["text"].get<std::string>();
      }
      tm["content"] = text;
    } else {
      throw invalid_param(where + ".content", "'" + where + ".content' must be a string or an array of content parts");
    }
    // Tool-call fields pass through to the template.
    for (const char* key : {"name", "tool_calls", "tool_call_id"})
      if (m.contains(key) && !m[key].is_null()) tm[key] = nlohmann::ordered_json::parse(m[key].dump());
    // Templates read a call's arguments as an object; the API carries them as JSON text.
    if (tm.contains("tool_calls") && tm["tool_calls"].is_array())
      for (auto& call : tm["tool_calls"])
        if (call.contains("function") && call["function"].contains("arguments") && call["function"]["arguments"].is_string()) {
          auto parsed = nlohmann::ordered_json::parse(call["function"]["arguments"].get<std::string>(), nullptr, false);
          if (!parsed.is_discarded()) call["function"]["arguments"] = parsed;
        }
    out.push_back(std::move(tm));
  }
  return out;
}

nlohmann::json token_logprob_json(const tokenizer::Tokenizer& tok, int32_t id, float logprob) {
  const std::string& piece = tok.token_to_piece(id);
  nlohmann::json bytes = nlohmann::json::array();
  for (unsigned char c : piece) bytes.push_back(static_cast<int>(c));
  return {{"token", piece}, {"logprob", logprob}, {"bytes", bytes}};
}

nlohmann::json logprobs_json(const tokenizer::Tokenizer& tok, const std::vector<engine::TokenLogprob>& lps) {
  nlohmann::json content = nlohmann::json::array();
  for (const engine::TokenLogprob& lp : lps) {
    nlohmann::json e = token_logprob_json(tok, lp.token, lp.logprob);
    nlohmann::json top = nlohmann::json::array();
    for (const engine::TopLogprob& t : lp.top) top.push_back(token_logprob_json(tok, t.token, t.logprob));
    e["top_logprobs"] = std::move(top);
    content.push_back(std::move(e));
  }
  return {{"content", content}, {"refusal", nullptr}};
}

nlohmann::json tool_calls_json(const ToolCall& call) {
  return nlohmann::json::array({{{"id", random_id("call_")},
                                 {"type", "function"},
                                 {"function", {{"name", call.name}, {"arguments", call.arguments}}}}});
}

class ChatFormat : public OutputFormat {
 public:
  ChatFormat(const ServedModel& m, bool logprobs, bool include_usage, ToolMode tool_mode, nlohmann::ordered_json tools)
      : tok_(*m.tokenizer),
        model_(m.id),
        logprobs_(logprobs),
        include_usage_(include_usage),
        tool_mode_(tool_mode),
        tools_(std::move(tools)) {}

  std::vector<nlohmann::json> chunks(int index, const engine::ChoiceDelta& d, bool first) override {
    std::vector<nlohmann::json> out;
    std::string text = d.text;
    bool send_role = first;
    if (tool_mode_ != ToolMode::kNone) {
      // Whether a choice is a tool call shows in its first character ('{' opens a call): until
      // then, and for a call until its end, the text is held back.
      Pending& p = pending_[index];
      if (first) out.push_back(delta_chunk(index, {{"role", "assistant"}, {"content", nullptr}}, nullptr));
      send_role = false;
      if (!p.decided) {
        p.text += text;
        const size_t c = p.text.find_first_not_of(" \t\r\n");
        if (c != std::string::npos || d.finished) {
          p.decided = true;
          p.call = c != std::string::npos && p.text[c] == '{';
          if (!p.call) text = std::move(p.text);
        }
      } else if (p.call) {
        p.text += text;
      }
      if (!p.decided || p.call) {
        if (!d.finished) return out;
        const auto call = parse_tool_call(p.text, tools_);
        if (call && d.finish == engine::FinishReason::kStop) {
          out.push_back(delta_chunk(index, {{"tool_calls", indexed(tool_calls_json(*call))}}, nullptr));
          out.push_back(finish_chunk(index, "tool_calls"));
          return out;
        }
        text = p.text;  // not a call after all (cut by max_tokens): hand it over as content
      }
    }
    if (send_role || !text.empty() || !d.tokens.empty()) {
      nlohmann::json delta = {{"content", text}};
      if (send_role) delta = {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}};
      out.push_back(delta_chunk(index, delta, logprobs_ ? logprobs_json(tok_, d.logprobs) : nlohmann::json(nullptr)));
    }
    if (d.finished) out.push_back(finish_chunk(index, finish_reason_text(d.finish)));
    return out;
  }

  nlohmann::json usage_chunk(const Usage& usage) override {
    nlohmann::json c = envelope_base();
    c["choices"] = nlohmann::json::array();
    c["usage"] = usage.to_json();
    return c;
  }

  nlohmann::json response(const std::vector<ChoiceOutput>& choices, const Usage& usage) override {
    nlohmann::json cs = nlohmann::json::array();
    for (size_t i = 0; i < choices.size(); ++i) {
      const ChoiceOutput& c = choices[i];
      nlohmann::json message = {{"role", "assistant"}, {"content", c.text}, {"refusal", nullptr}};
      std::string finish = finish_reason_text(c.finish);
      if (tool_mode_ != ToolMode::kNone && c.finish == engine::FinishReason::kStop) {
        if (const auto call = parse_tool_call(c.text, tools_)) {
          message["content"] = nullptr;
          message["tool_calls"] = tool_calls_json(*call);
          finish = "tool_calls";
        }
      }
      cs.push_back({{"index", i},
                    {"message", message},
                    {"logprobs", logprobs_ ? logprobs_json(tok_, c.logprobs) : nlohmann::json(nullptr)},
                    {"finish_reason", finish}});
    }
    return {{"id", id_},          {"object", "chat.completion"}, {"created", created_}, {"model", model_},
            {"choices", cs},      {"usage", usage.to_json()},    {"system_fingerprint", "rightsize"}};
  }

 private:
  struct Pending {
    bool decided = false, call = false;
    std::string text;
  };
  static nlohmann::json indexed(nlohmann::json calls) {
    for (size_t i = 0; i < calls.size(); ++i) calls[i]["index"] = i;
    return calls;
  }
  nlohmann::json envelope_base() const {
    return {{"id", id_},
            {"object", "chat.completion.chunk"},
            {"created", created_},
            {"model", model_},
            {"system_fingerprint", "rightsize"}};
  }
  nlohmann::json envelope(nlohmann::json choice) const {
    nlohmann::json c = envelope_base();
    c["choices"] = nlohmann::json::array({std::move(choice)});
    if (include_usage_) c["usage"] = nullptr;
    return c;
  }
  nlohmann::json delta_chunk(int index, nlohmann::json delta, nlohmann::json logprobs) const {
    return envelope({{"index", index}, {"delta", std::move(delta)}, {"logprobs", std::move(logprobs)}, {"finish_reason", nullptr}});
  }
  nlohmann::json finish_chunk(int index, const char* reason) const {
    return envelope(
        {{"index", index}, {"delta", nlohmann::json::object()}, {"logprobs", nullptr}, {"finish_reason", reason}});
  }

  const tokenizer::Tokenizer& tok_;
  std::string model_;
  bool logprobs_, include_usage_;
  ToolMode tool_mode_;
  nlohmann::ordered_json tools_;
  std::map<int, Pending> pending_;
  std::string id_ = random_id("chatcmpl-");
  int64_t created_ = unix_time();
};

}  // namespace

void handle_chat_completions(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const nlohmann::json body = Params::parse_body(req.body);
  const Params p(body);
  ServedModel& m = ctx.find_model(p.required_string("model"));
  const nlohmann::json* messages = &p.required("messages");
  const nlohmann::ordered_json conversation = template_messages(*messages);
  GenerationParams g = parse_generation(p, false, m.tokenizer->n_vocab());
  const StructuredOutput so = parse_structured_output(nlohmann::ordered_json::parse(req.body), true, ctx.grammars);

  engine::CompletionRequest r;
  try {
    r.prompt = m.chat->encode(conversation, so.tools);
  } catch (const tokenizer::chat::TemplateException& e) {
    throw invalid_param("messages", std::string("The model's chat template rejects these messages: ") + e.what());
  } catch (const std::exception& e) {
    throw invalid_param("messages", std::string("The model's chat template failed on these messages: ") + e.what());
  }
  // Without a limit, a chat answer may run to the end of the context.
  if (!g.max_tokens_given) g.options.max_tokens = INT32_MAX;
  g.options.grammar = so.grammar;
  r.options = g.options;
  r.n = g.n;
  r.top_logprobs = g.top_logprobs;
  std::vector<engine::CompletionRequest> requests;
  requests.push_back(std::move(r));
  run_generation(ctx, m, std::move(requests), g, std::make_shared<ChatFormat>(m, g.top_logprobs >= 0, g.include_usage, so.tool_mode, so.tools),
                 res);
}

}  // namespace rightsize::server
