// Load generator for an OpenAI-compatible server (ours or llama.cpp's llama-server): aggregate
// generated tokens/s with N concurrent streaming clients, and time to first token for a long
// prompt against a second one sharing its prefix. Every response is checked for completeness
// (finish_reason, usage, token count) before any figure is printed.
//   serve_bench --url http://127.0.0.1:8080 --model ID --clients 4 [--requests 2] [--max-tokens 128]
//   serve_bench --url ... --model ID --prefix-test [--prefix-words 345]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url = "http://127.0.0.1:8080";
  std::string model = "model";
  int clients = 1;
  int requests = 2;  // per client
  int max_tokens = 128;
  int prompt_words = 32;  // about 90 tokens with the generated llama-3.2-1b vocabulary
  bool prefix_test = false;
  int prefix_words = 345;  // about 1,000 tokens with the generated llama-3.2-1b vocabulary
};

struct Outcome {
  bool ok = false;
  std::string error;
  int64_t completion_tokens = 0;
  int64_t prompt_tokens = 0;
  double ttft = 0;  // seconds to the first token's chunk
  double total = 0;
};

// A prompt of about `words` tokens for these vocabularies: distinct short words.
std::string words(int n, int salt) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? " " : "") + std::string(1, static_cast<char>('a' + (i * 7 + salt) % 26)) + std::to_string(i % 97);
  return s;
}

// One streamed /v1/completions request; parses the SSE events and checks the ending.
Outcome stream_completion(const Options& o, const std::string& prompt, int max_tokens, uint64_t seed) {
  Outcome out;
  httplib::Client cli(o.url);
  cli.set_read_timeout(600);
  const nlohmann::json body = {{"model", o.model},           {"prompt", prompt},
                               {"max_tokens", max_tokens},   {"stream", true},
                               {"stream_options", {{"include_usage", true}}},
                               {"temperature", 0.8},         {"seed", seed},
                               {"ignore_eos", true}};
  const auto t0 = Clock::now();
  std::string buffer, raw;
  bool first = true, done = false;
  std::string finish;
  int64_t usage_tokens = -1;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = body.dump();
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    buffer.append(data, len);
    if (raw.size() < 4096) raw.append(data, std::min<size_t>(len, 4096));
    size_t end;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      std::string event = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      if (event.rfind("data: ", 0) != 0) continue;
      event.erase(0, 6);
      if (event == "[DONE]") {
        done = true;
        continue;
      }
      const nlohmann::json j = nlohmann::json::parse(event, nullptr, false);
      if (j.is_discarded()) continue;
      if (j.contains("usage") && j["usage"].is_object()) {
        usage_tokens = j["usage"]["completion_tokens"].get<int64_t>();
        out.prompt_tokens = j["usage"]["prompt_tokens"].get<int64_t>();
      }
      if (!j.contains("choices")) continue;
      for (const auto& c : j["choices"]) {
        if (first && c.contains("text") && !c["text"].get<std::string>().empty()) {
          out.ttft = std::chrono::duration<double>(Clock::now() - t0).count();
          first = false;
        }
        if (c.contains("finish_reason") && c["finish_reason"].is_string()) finish = c["finish_reason"];
      }
    }
    return true;
  };
  const auto res = cli.send(req);
  out.total = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!res) {
    out.error = "request failed after " + std::to_string(out.total) + " s: " + httplib::to_string(res.error()) +
                (raw.empty() ? " (nothing received)" : " after receiving: " + raw.substr(0, 300));
  } else if (res->status != 200) {
    out.error = "status " + std::to_string(res->status) + ": " + raw;
  } else if (!done || finish.empty() || usage_tokens < 0) {
    out.error = "incomplete stream (finish '" + finish + "', usage " + std::to_string(usage_tokens) + ")";
  } else if (finish == "length" && usage_tokens != max_tokens) {
    out.error = "finish 'length' after " + std::to_string(usage_tokens) + " tokens, not " + std::to_string(max_tokens);
  } else {
    out.ok = true;
    out.completion_tokens = usage_tokens;
  }
  return out;
}

int throughput(const Options& o) {
  std::vector<Outcome> outcomes(static_cast<size_t>(o.clients * o.requests));
  // Warm-up: one short request, so model paging is not timed.
  stream_completion(o, words(16, 99), 4, 1);
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c)
    threads.emplace_back([&, c] {
      for (int r = 0; r < o.requests; ++r)
        outcomes[static_cast<size_t>(c * o.requests + r)] =
            stream_completion(o, words(o.prompt_words, c * 31 + r), o.max_tokens, static_cast<uint64_t>(c * 1000 + r));
    });
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  int64_t tokens = 0;
  std::vector<double> ttfts;
  for (const Outcome& x : outcomes) {
    if (!x.ok) {
      std::fprintf(stderr, "serve_bench: FAILED: %s\n", x.error.c_str());
      return 1;
    }
    tokens += x.completion_tokens;
    ttfts.push_back(x.ttft);
  }
  std::sort(ttfts.begin(), ttfts.end());
  int64_t prompt_tokens = 0;
  for (const Outcome& x : outcomes) prompt_tokens += x.prompt_tokens;
  std::printf("{\"clients\": %d, \"requests\": %zu, \"prompt_tokens\": %lld, \"generated_tokens\": %lld, \"seconds\": %.3f, "
              "\"tokens_per_s\": %.2f, \"per_stream_tokens_per_s\": %.2f, \"ttft_median_s\": %.3f}\n",
              o.clients, outcomes.size(), static_cast<long long>(prompt_tokens), static_cast<long long>(tokens), wall, tokens / wall,
              tokens / wall / o.clients, ttfts[ttfts.size() / 2]);
  return 0;
}

int prefix_test(const Options& o) {
  const std::string shared = words(o.prefix_words, 5);
  const Outcome first = stream_completion(o, shared + " first question", 4, 1);
  const Outcome second = stream_completion(o, shared + " another one", 4, 2);
  for (const Outcome* x : {&first, &second})
    if (!x->ok) {
      std::fprintf(stderr, "serve_bench: FAILED: %s\n", x->error.c_str());
      return 1;
    }
  std::printf("{\"prompt_tokens\": [%lld, %lld], \"ttft_first_s\": %.3f, \"ttft_shared_prefix_s\": %.3f, "
              "\"ratio\": %.3f}\n",
              static_cast<long long>(first.prompt_tokens), static_cast<long long>(second.prompt_tokens), first.ttft,
              second.ttft, second.ttft / first.ttft);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "serve_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--url") o.url = next();
    else if (a == "--model") o.model = next();
    else if (a == "--clients") o.clients = std::stoi(next());
    else if (a == "--requests") o.requests = std::stoi(next());
    else if (a == "--max-tokens") o.max_tokens = std::stoi(next());
    else if (a == "--prompt-words") o.prompt_words = std::stoi(next());
    else if (a == "--prefix-test") o.prefix_test = true;
    else if (a == "--prefix-words") o.prefix_words = std::stoi(next());
    else {
      std::fprintf(stderr, "usage: serve_bench --url URL --model ID [--clients N --requests R --max-tokens T --prompt-words W | --prefix-test [--prefix-words N]]\n");
      return 2;
    }
  }
  return o.prefix_test ? prefix_test(o) : throughput(o);
}
