// Request field parsing with OpenAI's names, types and ranges.
#include "server/params.h"

#include <cmath>
#include <random>

#include "server/api_error.h"

namespace rightsize::server {
namespace {

std::string type_name(const nlohmann::json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

std::string fmt(double v) {
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

nlohmann::json Params::parse_body(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ApiError(400, std::string("The request body is not valid JSON: ") + e.what());
  }
}

const nlohmann::json& Params::required(const std::string& name) const {
  const nlohmann::json* v = get(name);
  if (!v) throw ApiError(400, "'" + name + "' is required", "invalid_request_error", name, "missing_required_parameter");
  return *v;
}

Params::Params(const nlohmann::json& body) : body_(body) {
  if (!body.is_object()) throw ApiError(400, "the request body must be a JSON object");
}

const nlohmann::json* Params::get(const std::string& name) const {
  const auto it = body_.find(name);
  if (it == body_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<double> Params::number(const std::string& name, double min, double max) const {
  const nlohmann::json* v = get(name);
  if (!v) return std::nullopt;
  if (!v->is_number()) throw invalid_param(name, "'" + name + "' must be a number, not " + type_name(*v));
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max)
    throw invalid_param(name, "'" + name + "' must be between " + fmt(min) + " and " + fmt(max) + ", got " + fmt(d));
  return d;
}

std::optional<int64_t> Params::integer(const std::string& name, int64_t min, int64_t max) const {
  const nlohmann::json* v = get(name);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() && !v->is_number_unsigned())
    throw invalid_param(name, "'" + name + "' must be an integer, not " + type_name(*v));
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    throw invalid_param(name, "'" + name + "' is too large");
  const int64_t i = v->get<int64_t>();
  if (i < min || i > max)
    throw invalid_param(name, "'" + name + "' must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                  ", got " + std::to_string(i));
  return i;
}

std::optional<bool> Params::boolean(const std::string& name) const {
  const nlohmann::json* v = get(name);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw invalid_param(name, "'" + name + "' must be a boolean, not " + type_name(*v));
  return v->get<bool>();
}

std::optional<std::string> Params::string(const std::string& name) const {
  const nlohmann::json* v = get(name);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw invalid_param(name, "'" + name + "' must be a string, not " + type_name(*v));
  return v->get<std::string>();
}

std::string Params::required_string(const std::string& name) const {
  auto s = string(name);
  if (!s) throw ApiError(400, "'" + name + "' is required", "invalid_request_error", name, "missing_required_parameter");
  return *s;
}

GenerationParams parse_generation(const Params& p, bool logprobs_is_count, int64_t n_vocab) {
  GenerationParams g;
  auto& s = g.options.sampling;
  // OpenAI's defaults: plain sampling at temperature 1 over the whole distribution.
  s.temperature = 1.0f;
  s.top_p = 1.0f;
  s.top_k = 0;
  s.min_p = 0.0f;
  if (auto v = p.number("temperature", 0, 2)) s.temperature = static_cast<float>(*v);
  if (auto v = p.number("top_p", 0, 1)) s.top_p = std::max(static_cast<float>(*v), 1e-6f);
  // Extensions llama.cpp's server also takes.
  if (auto v = p.integer("top_k", 0, n_vocab)) s.top_k = static_cast<int32_t>(*v);
  if (auto v = p.number("min_p", 0, 1)) s.min_p = static_cast<float>(*v);
  if (auto v = p.number("repeat_penalty", 0.01, 10)) s.repeat_penalty = static_cast<float>(*v);
  if (auto v = p.number("presence_penalty", -2, 2)) s.presence_penalty = static_cast<float>(*v);
  if (auto v = p.number("frequency_penalty", -2, 2)) s.frequency_penalty = static_cast<float>(*v);
  if (auto v = p.integer("seed", INT64_MIN, INT64_MAX)) {
    s.seed = static_cast<uint64_t>(*v);
  } else {
    s.seed = std::random_device{}() * 0x100000001ull ^ std::random_device{}();
  }
  if (const nlohmann::json* lb = p.get("logit_bias")) {
    if (!lb->is_object()) throw invalid_param("logit_bias", "'logit_bias' must be an object of token id to bias");
    for (const auto& [key, value] : lb->items()) {
      size_t used = 0;
      long long id = -1;
      try {
        id = std::stoll(key, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != key.size() || id < 0 || id >= n_vocab)
        throw invalid_param("logit_bias", "'logit_bias' key '" + key + "' is not a token id of this model (0.." +
                                              std::to_string(n_vocab - 1) + ")");
      if (!value.is_number() || value.get<double>() < -100 || value.get<double>() > 100)
        throw invalid_param("logit_bias", "'logit_bias' values must be numbers between -100 and 100");
      s.logit_bias.emplace_back(static_cast<int32_t>(id), value.get<float>());
    }
  }
  // max_completion_tokens is the newer name; either bounds the generated tokens.
  for (const char* name : {"max_tokens", "max_completion_tokens"}) {
    if (auto v = p.integer(name, 1, INT32_MAX)) {
      g.options.max_tokens = static_cast<int32_t>(*v);
      g.max_tokens_given = true;
    }
  }
  if (auto v = p.integer("n", 1, 128)) g.n = static_cast<int>(*v);
  if (const nlohmann::json* stop = p.get("stop")) {
    if (stop->is_string()) {
      g.options.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array()) {
      if (stop->size() > 4) throw invalid_param("stop", "'stop' takes at most 4 sequences");
      for (const auto& x : *stop) {
        if (!x.is_string()) throw invalid_param("stop", "'stop' must be a string or an array of strings");
        g.options.stop.push_back(x.get<std::string>());
      }
    } else {
      throw invalid_param("stop", "'stop' must be a string or an array of strings");
    }
    for (const std::string& x : g.options.stop)
      if (x.empty()) throw invalid_param("stop", "'stop' sequences must not be empty");
  }
  if (logprobs_is_count) {
    if (auto v = p.integer("logprobs", 0, 5)) g.top_logprobs = static_cast<int>(*v);
  } else {
    const bool want = p.boolean("logprobs").value_or(false);
    const auto top = p.integer("top_logprobs", 0, 20);
    if (top && !want) throw invalid_param("top_logprobs", "'top_logprobs' needs 'logprobs' set to true");
    if (want) g.top_logprobs = static_cast<int>(top.value_or(0));
  }
  g.stream = p.boolean("stream").value_or(false);
  if (const nlohmann::json* so = p.get("stream_options")) {
    if (!so->is_object()) throw invalid_param("stream_options", "'stream_options' must be an object");
    if (!g.stream) throw invalid_param("stream_options", "'stream_options' is only allowed when 'stream' is true");
    const auto it = so->find("include_usage");
    if (it != so->end() && !it->is_null()) {
      if (!it->is_boolean())
        throw invalid_param("stream_options.include_usage", "'stream_options.include_usage' must be a boolean");
      g.include_usage = it->get<bool>();
    }
  }
  // llama.cpp's extension: generate through end-of-generation tokens (benchmarks use it).
  if (p.boolean("ignore_eos").value_or(false)) g.options.stop_at_eog = false;
  if (p.get("user")) p.string("user");  // type-checked, otherwise only informative
  return g;
}

}  // namespace rightsize::server
