// run_generation: submission, collection, SSE streaming, disconnects and accounting.
#include "server/generation.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "server/api_error.h"

namespace rightsize::server {
namespace {

using namespace std::chrono_literals;

// How often a waiting request checks that its client is still there.
constexpr auto kPoll = 50ms;

struct Running {
  ServerContext* ctx;
  std::vector<std::shared_ptr<engine::RequestHandle>> handles;
  std::vector<bool> done;
  std::vector<bool> started;  // per global choice index: first chunk sent
  int n = 1;
  bool include_usage = false;
  bool finished = false;
  std::shared_ptr<OutputFormat> format;

  void cancel_all() {
    for (auto& h : handles) h->cancel();
  }
  Usage usage() const {
    Usage u;
    for (const auto& h : handles) {
      u.prompt += h->prompt_tokens();
      u.cached += h->cached_tokens();
      u.completion += h->completion_tokens();
    }
    return u;
  }
  // Token counts and latencies of the finished requests.
  void account() const {
    for (const auto& h : handles) {
      ctx->stats.add_tokens(h->prompt_tokens(), h->cached_tokens(), h->completion_tokens());
      if (h->completion_tokens() > 0) ctx->stats.observe_first_token(h->seconds_to_first_token());
      if (h->completion_tokens() > 1)
        ctx->stats.observe_per_output_token(h->seconds_generating() / static_cast<double>(h->completion_tokens() - 1));
    }
  }
  std::string first_error() const {
    for (const auto& h : handles)
      if (!h->error().empty()) return h->error();
    return {};
  }
};

}  // namespace

nlohmann::json Usage::to_json() const {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion},
          {"prompt_tokens_details", {{"cached_tokens", cached}}}};
}

const char* finish_reason_text(engine::FinishReason r) {
  return r == engine::FinishReason::kLength ? "length" : "stop";
}

std::string random_id(const std::string& prefix) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += kChars[rng() % (sizeof kChars - 1)];
  return id;
}

int64_t unix_time() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void run_generation(ServerContext& ctx, ServedModel& model, std::vector<engine::CompletionRequest> requests,
                    const GenerationParams& params, std::shared_ptr<OutputFormat> format, httplib::Response& res) {
  if (ctx.draining) throw engine::ShuttingDownError("the server is shutting down");
  auto run = std::make_shared<Running>();
  run->ctx = &ctx;
  run->n = params.n;
  run->include_usage = params.include_usage;
  run->format = std::move(format);
  try {
    for (engine::CompletionRequest& r : requests) run->handles.push_back(model.engine->submit(std::move(r)));
  } catch (const engine::QueueFullError&) {
    run->cancel_all();
    throw;
  } catch (const engine::ShuttingDownError&) {
    run->cancel_all();
    throw;
  } catch (const Error& e) {
    run->cancel_all();
    // The prompt's length, n against the slots, and the like: the client's to fix.
    throw ApiError(400, e.what(), "invalid_request_error", "", "invalid_request");
  }
  run->done.assign(run->handles.size(), false);
  run->started.assign(run->handles.size() * static_cast<size_t>(params.n), false);

  if (!params.stream) {
    std::vector<ChoiceOutput> choices(run->handles.size() * static_cast<size_t>(params.n));
    std::vector<engine::ChoiceDelta> deltas;
    for (size_t r = 0; r < run->handles.size(); ++r) {
      while (true) {
        deltas.clear();
        const bool done = run->handles[r]->wait(deltas, kPoll);
        for (engine::ChoiceDelta& d : deltas) {
          ChoiceOutput& c = choices[r * static_cast<size_t>(params.n) + static_cast<size_t>(d.index)];
          c.text += d.text;
          c.tokens.insert(c.tokens.end(), d.tokens.begin(), d.tokens.end());
          for (auto& lp : d.logprobs) c.logprobs.push_back(std::move(lp));
          if (d.finished) c.finish = d.finish;
        }
        if (done) break;
        if (!client_connected()) {
          std::fprintf(stderr, "serve: a client left before its answer; its generation is cancelled\n");
          run->cancel_all();
          res.status = 499;  // client closed the request (nginx's code); nobody reads the reply
          return;
        }
      }
    }
    if (const std::string err = run->first_error(); !err.empty()) throw ApiError(500, err, "server_error");
    run->account();
    res.set_content(dump_json(run->format->response(choices, run->usage())), "application/json");
    return;
  }

  // Streaming: the provider runs on this connection's thread after the handler returns.
  res.set_header("Cache-Control", "no-cache");
  ctx.open_streams.fetch_add(1);
  res.set_chunked_content_provider(
      "text/event-stream",
      [run](size_t, httplib::DataSink& sink) {
        auto send = [&](const nlohmann::json& j) {
          const std::string event = "data: " + dump_json(j) + "\n\n";
          return sink.write(event.data(), event.size());
        };
        if (!client_connected()) {
          std::fprintf(stderr, "serve: a client left mid-stream; its generation is cancelled\n");
          run->cancel_all();
          return false;
        }
        std::vector<engine::ChoiceDelta> deltas;
        bool waited = false;
        for (size_t r = 0; r < run->handles.size(); ++r) {
          if (run->done[r]) continue;
          deltas.clear();
          // Block on the first unfinished request only; the others are polled.
          run->done[r] = run->handles[r]->wait(deltas, waited ? 0ms : kPoll);
          waited = true;
          for (const engine::ChoiceDelta& d : deltas) {
            const size_t gi = r * static_cast<size_t>(run->n) + static_cast<size_t>(d.index);
            for (const nlohmann::json& c : run->format->chunks(static_cast<int>(gi), d, !run->started[gi])) {
              if (!send(c)) {
                std::fprintf(stderr, "serve: writing to a client failed; its generation is cancelled\n");
                run->cancel_all();
                return false;
              }
            }
            run->started[gi] = true;
          }
        }
        for (bool d : run->done)
          if (!d) return true;
        // Everything has finished.
        if (const std::string err = run->first_error(); !err.empty()) {
          send(ApiError(500, err, "server_error").body());
        } else {
          run->account();
          if (run->include_usage) send(run->format->usage_chunk(run->usage()));
        }
        static const char kDone[] = "data: [DONE]\n\n";
        sink.write(kDone, sizeof kDone - 1);
        run->finished = true;
        sink.done();
        return true;
      },
      [run](bool) {
        // Whatever ended the response (a write error, the server stopping), nothing may keep
        // generating for it. This runs once the response is written or abandoned.
        if (!run->finished) run->cancel_all();
        run->ctx->open_streams.fetch_sub(1);
      });
}

}  // namespace rightsize::server
