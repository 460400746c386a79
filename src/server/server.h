// `rightsize serve`: the OpenAI-compatible HTTP server. HTTP threads parse and validate
// requests, submit them to each model's BatchEngine and stream the output back; they never run
// the model themselves. One file per endpoint; this holds what they share.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/batch_engine.h"
#include "engine/chat_prompt.h"
#include "model/model.h"
#include "server/stats.h"
#include "server/structured_output.h"
#include "tokenizer/tokenizer.h"
#include "util/thread_pool.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace rightsize::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;          // 0: any free port (see Server::port())
  std::string api_key;      // empty: no authentication
  engine::EngineOptions engine;
  int threads = 0;          // compute threads; 0: every core
  int http_threads = 0;     // connection threads; 0: enough for the slots and the queue
};

// One model the server offers, under its id (the file name without extension).
struct ServedModel {
  std::string id;
  std::string path;
  int64_t created = 0;  // the file's modification time, for /v1/models
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
  std::unique_ptr<engine::ChatPrompt> chat;
  std::unique_ptr<engine::BatchEngine> engine;
};

// What every endpoint sees.
struct ServerContext {
  ServerOptions options;
  std::vector<std::unique_ptr<ServedModel>> models;
  ServerStats stats;
  GrammarCache grammars;
  std::atomic<bool> draining{false};
  // Streaming responses not yet fully written. The engines finish generating before the last
  // chunks reach the socket, so shutdown waits for this to reach zero too.
  std::atomic<int> open_streams{0};

  // The model a request names; ApiError 404 model_not_found otherwise.
  ServedModel& find_model(const std::string& id);
};

// Whether the client of the request being handled on this thread is still connected.
bool client_connected();

// Endpoint handlers (one file each). They throw ApiError for the client's mistakes.
void handle_chat_completions(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_completions(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_models(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_health(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_metrics(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);

class Server {
 public:
  // Loads the models (file paths), starts one engine each. Raises Error for a file that does
  // not load or two files with the same id.
  Server(ServerOptions options, const std::vector<std::string>& model_paths);
  ~Server();

  // Binds the socket; raises Error when the address is taken. Returns the bound port.
  int bind();
  // Serves until shutdown() (blocks).
  void run();
  // Refuses new requests (503), lets queued and running ones finish, then stops run().
  // Safe to call from any thread.
  void shutdown();

 private:
  class Http;
  ServerContext ctx_;
  std::unique_ptr<ThreadPool> pool_;
  std::mutex compute_lock_;
  std::unique_ptr<Http> http_;
};

}  // namespace rightsize::server
