// POST /v1/completions: the legacy text completion API. A prompt is a string, an array of
// strings, an array of token ids or an array of such arrays; each gets n choices.
#include <httplib.h>

#include <map>

#include "server/api_error.h"
#include "server/generation.h"

namespace rightsize::server {
namespace {

std::vector<std::vector<int32_t>> prompts_of(const nlohmann::json& prompt, const tokenizer::Tokenizer& tok) {
  auto is_ids = [](const nlohmann::json& a) {
    return a.is_array() && !a.empty() && std::all_of(a.begin(), a.end(), [](const auto& x) { return x.is_number_integer(); });
  };
  auto encode = [&](const std::string& text) {
    if (text.empty()) throw invalid_param("prompt", "'prompt' must not be empty");
    return tok.encode(text, true, true);
  };
  std::vector<std::vector<int32_t>> out;
  if (prompt.is_string()) {
    out.push_back(encode(prompt.get<std::string>()));
  } else if (is_ids(prompt)) {
    out.push_back(prompt.get<std::vector<int32_t>>());
  } else if (prompt.is_array() && !prompt.empty()) {
    for (const auto& x : prompt) {
      if (x.is_string()) {
        out.push_back(encode(x.get<std::string>()));
      } else if (is_ids(x)) {
        out.push_back(x.get<std::vector<int32_t>>());
      } else {
        throw invalid_param("prompt", "'prompt' must be a string, an array of strings, an array of token ids, or an "
                                      "array of arrays of token ids");
      }
    }
  } else {
    throw invalid_param("prompt", "'prompt' must be a non-empty string, an array of strings, an array of token ids, "
                                  "or an array of arrays of token ids");
  }
  if (out.size() > 64) throw invalid_param("prompt", "at most 64 prompts per request");
  for (const auto& ids : out)
    for (int32_t id : ids)
      if (id < 0 || id >= tok.n_vocab())
        throw invalid_param("prompt", "token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                                          std::to_string(tok.n_vocab() - 1) + ")");
  return out;
}

class TextFormat : public OutputFormat {
 public:
  TextFormat(const ServedModel& m, int logprobs, std::vector<std::string> echo, int n)
      : tok_(*m.tokenizer), model_(m.id), logprobs_(logprobs), echo_(std::move(echo)), n_(n) {}

  std::vector<nlohmann::json> chunks(int index, const engine::ChoiceDelta& d, bool first) override {
    std::string text = d.text;
    if (first && !echo_.empty()) text = echo_[static_cast<size_t>(index / n_)] + text;
    if (text.empty() && d.tokens.empty() && !d.finished) return {};
    if (first && !echo_.empty()) offsets_[index] = echo_[static_cast<size_t>(index / n_)].size();
    nlohmann::json c = base("text_completion");
    const nlohmann::json logprobs = logprobs_ >= 0 ? logprobs_json(d.logprobs, offsets_[index]) : nlohmann::json(nullptr);
    for (const engine::TokenLogprob& l : d.logprobs) offsets_[index] += tok_.token_to_piece(l.token).size();
    c["choices"] = nlohmann::json::array(
        {{{"index", index},
          {"text", text},
          {"logprobs", logprobs},
          {"finish_reason", d.finished ? nlohmann::json(finish_reason_text(d.finish)) : nlohmann::json(nullptr)}}});
    return {c};
  }

  nlohmann::json usage_chunk(const Usage& usage) override {
    nlohmann::json c = base("text_completion");
    c["choices"] = nlohmann::json::array();
    c["usage"] = usage.to_json();
    return c;
  }

  nlohmann::json response(const std::vector<ChoiceOutput>& choices, const Usage& usage) override {
    nlohmann::json cs = nlohmann::json::array();
    for (size_t i = 0; i < choices.size(); ++i) {
      const std::string prefix = echo_.empty() ? "" : echo_[i / static_cast<size_t>(n_)];
      cs.push_back({{"index", i},
                    {"text", prefix + choices[i].text},
                    {"logprobs", logprobs_ >= 0 ? logprobs_json(choices[i].logprobs, prefix.size()) : nlohmann::json(nullptr)},
                    {"finish_reason", finish_reason_text(choices[i].finish)}});
    }
    nlohmann::json r = base("text_completion");
    r["choices"] = cs;
    r["usage"] = usage.to_json();
    return r;
  }

 private:
  nlohmann::json base(const char* object) const {
    return {{"id", id_}, {"object", object}, {"created", created_}, {"model", model_}, {"system_fingerprint", "rightsize"}};
  }
  // The legacy shape: parallel arrays, top alternatives as {token: logprob} maps.
  nlohmann::json logprobs_json(const std::vector<engine::TokenLogprob>& lps, size_t offset) const {
    nlohmann::json tokens = nlohmann::json::array(), lp = nlohmann::json::array(), top = nlohmann::json::array(),
                   offsets = nlohmann::json::array();
    for (const engine::TokenLogprob& l : lps) {
      const std::string& piece = tok_.token_to_piece(l.token);
      tokens.push_back(piece);
      lp.push_back(l.logprob);
      nlohmann::json alt = nlohmann::json::object();
      for (const engine::TopLogprob& t : l.top) alt[tok_.token_to_piece(t.token)] = t.logprob;
      top.push_back(std::move(alt));
      offsets.push_back(offset);
      offset += piece.size();
    }
    return {{"tokens", tokens}, {"token_logprobs", lp}, {"top_logprobs", top}, {"text_offset", offsets}};
  }

  const tokenizer::Tokenizer& tok_;
  std::string model_;
  int logprobs_;
  std::vector<std::string> echo_;  // per prompt, when echo is on
  int n_;
  std::map<int, size_t> offsets_;  // per streamed choice: text bytes sent so far
  std::string id_ = random_id("cmpl-");
  int64_t created_ = unix_time();
};

}  // namespace

void handle_completions(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const nlohmann::json body = Params::parse_body(req.body);
  const Params p(body);
  ServedModel& m = ctx.find_model(p.required_string("model"));
  const nlohmann::json* prompt = &p.required("prompt");
  const auto prompts = prompts_of(*prompt, *m.tokenizer);
  GenerationParams g = parse_generation(p, true, m.tokenizer->n_vocab());
  if (!g.max_tokens_given) g.options.max_tokens = 16;  // the legacy API's default
  const bool echo = p.boolean("echo").value_or(false);
  if (auto best_of = p.integer("best_of", 1, 128); best_of && *best_of != g.n)
    throw invalid_param("best_of", "'best_of' other than n is not supported");
  g.options.grammar = parse_structured_output(nlohmann::ordered_json::parse(req.body), false, ctx.grammars).grammar;
  std::vector<std::string> echoed;
  std::vector<engine::CompletionRequest> requests;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::vector<int32_t>& ids = prompts[i];
    // Echo gives back the prompt as sent: its text, or the decoded ids.
    const nlohmann::json& sent = prompt->is_array() && !prompt->empty() && !(*prompt)[0].is_number() ? (*prompt)[i] : *prompt;
    if (echo) echoed.push_back(sent.is_string() ? sent.get<std::string>() : m.tokenizer->decode(ids, true));
    engine::CompletionRequest r;
    r.prompt = ids;
    r.options = g.options;
    r.n = g.n;
    r.top_logprobs = g.top_logprobs;
    requests.push_back(std::move(r));
  }
  run_generation(ctx, m, std::move(requests), g, std::make_shared<TextFormat>(m, g.top_logprobs, echoed, g.n), res);
}

}  // namespace rightsize::server
