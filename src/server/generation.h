// Running generation requests for an endpoint: submit to the model's engine, then either
// collect the whole answer or stream it as server-sent events, cancelling when the client
// leaves, and account tokens and latencies. The endpoint supplies the JSON shapes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/batch_engine.h"
#include "server/params.h"
#include "server/server.h"

namespace rightsize::server {

struct ChoiceOutput {
  std::string text;
  std::vector<int32_t> tokens;
  std::vector<engine::TokenLogprob> logprobs;
  engine::FinishReason finish = engine::FinishReason::kStop;
};

struct Usage {
  int64_t prompt = 0, cached = 0, completion = 0;
  nlohmann::json to_json() const;
};

// The JSON an endpoint sends. `index` counts choices across prompts (prompt i, choice j:
// i * n + j).
class OutputFormat {
 public:
  virtual ~OutputFormat() = default;
  // The streamed chunks for new output of a choice (possibly none); `first` is true for its
  // first output.
  virtual std::vector<nlohmann::json> chunks(int index, const engine::ChoiceDelta& delta, bool first) = 0;
  // The final chunk carrying usage (stream_options.include_usage).
  virtual nlohmann::json usage_chunk(const Usage& usage) = 0;
  // The whole non-streamed response.
  virtual nlohmann::json response(const std::vector<ChoiceOutput>& choices, const Usage& usage) = 0;
};

// "stop" / "length" as OpenAI reports them.
const char* finish_reason_text(engine::FinishReason r);

// Submits each request (all with params.n choices) to the model's engine and answers. Raises
// ApiError for a request the engine refuses (400, 429, 503).
void run_generation(ServerContext& ctx, ServedModel& model, std::vector<engine::CompletionRequest> requests,
                    const GenerationParams& params, std::shared_ptr<OutputFormat> format,
                    httplib::Response& res);

// "chatcmpl-..." / "cmpl-...": a random id.
std::string random_id(const std::string& prefix);
int64_t unix_time();

}  // namespace rightsize::server
