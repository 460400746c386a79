// Reading an OpenAI request body: typed, range-checked fields (a wrong type or value is a 400
// naming the field), unknown fields ignored, and the generation parameters both completion
// endpoints share.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/batch_engine.h"

namespace rightsize::server {

class Params {
 public:
  // The request body as JSON; ApiError 400 when it does not parse.
  static nlohmann::json parse_body(const std::string& text);
  // Raises ApiError 400 when the body is not a JSON object.
  explicit Params(const nlohmann::json& body);

  const nlohmann::json& body() const { return body_; }
  // Absent or null gives nullopt; a present value of the wrong type or outside [min, max]
  // raises ApiError 400 naming the field.
  std::optional<double> number(const std::string& name, double min, double max) const;
  std::optional<int64_t> integer(const std::string& name, int64_t min, int64_t max) const;
  std::optional<bool> boolean(const std::string& name) const;
  std::optional<std::string> string(const std::string& name) const;
  const nlohmann::json* get(const std::string& name) const;  // present and not null
  std::string required_string(const std::string& name) const;
  const nlohmann::json& required(const std::string& name) const;  // present and not null

 private:
  const nlohmann::json& body_;
};

// What chat and text completions share.
struct GenerationParams {
  engine::GenerateOptions options;
  int n = 1;
  int top_logprobs = -1;  // -1: none
  bool stream = false;
  bool include_usage = false;
  bool max_tokens_given = false;
};

// `logprobs_is_count`: the legacy completions API takes logprobs as an integer (0..5); chat
// takes a boolean plus top_logprobs (0..20). n_vocab bounds logit_bias keys.
GenerationParams parse_generation(const Params& p, bool logprobs_is_count, int64_t n_vocab);

}  // namespace rightsize::server
