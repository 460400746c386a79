// Server: model loading, routing, authentication, error replies, disconnect detection and
// draining shutdown.
#include "server/server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <httplib.h>
#include <thread>

#include "server/api_error.h"
#include "tokenizer/chat/template.h"

namespace rightsize::server {
namespace {

// The socket of the connection whose request this thread is handling (-1: unknown).
thread_local int t_socket = -1;

std::string sockaddr_ip(const sockaddr_storage& a, int* port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    *port = ntohs(in->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    *port = ntohs(in6->sin6_port);
  } else {
    *port = -1;
  }
  return buf;
}

// cpp-httplib does not hand its socket to handlers; the connection is the one socket of this
// process whose local and remote endpoints are the request's. Found once per request.
int find_connection_socket(const httplib::Request& req) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return -1;
  int found = -1;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    int lport = -1, pport = -1;
    sockaddr_ip(local, &lport);
    if (lport != req.local_port) continue;
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    const std::string pip = sockaddr_ip(peer, &pport);
    if (pport == req.remote_port && pip == req.remote_addr) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
  return found;
}

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status();
  res.set_content(dump_json(e.body()), "application/json");
}

std::string model_id_of(const std::string& path) { return std::filesystem::path(path).stem().string(); }

}  // namespace

bool client_connected() {
  if (t_socket < 0) return true;
  // POLLIN is not asked for: bytes of a pipelined request are not a hang-up.
  pollfd p{t_socket, POLLRDHUP, 0};
  if (poll(&p, 1, 0) <= 0) return true;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
}

ServedModel& ServerContext::find_model(const std::string& id) {
  for (auto& m : models)
    if (m->id == id) return *m;
  std::string known;
  for (auto& m : models) known += (known.empty() ? "" : ", ") + m->id;
  throw ApiError(404, "The model '" + id + "' does not exist (this server has: " + known + ")",
                 "invalid_request_error", "model", "model_not_found");
}

class Server::Http : public httplib::Server {};

Server::Server(ServerOptions options, const std::vector<std::string>& model_paths) {
  ctx_.options = std::move(options);
  const ServerOptions& o = ctx_.options;
  if (model_paths.empty()) throw Error("serve needs at least one model (-m FILE)");
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  pool_ = std::make_unique<ThreadPool>(threads);
  engine::EngineOptions eo = o.engine;
  eo.compute_lock = model_paths.size() > 1 ? &compute_lock_ : nullptr;
  for (const std::string& path : model_paths) {
    auto m = std::make_unique<ServedModel>();
    m->id = model_id_of(path);
    for (const auto& other : ctx_.models)
      if (other->id == m->id)
        throw Error("two models have the id '" + m->id + "' (" + other->path + " and " + path + "); rename one file");
    m->path = path;
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0) m->created = static_cast<int64_t>(st.st_mtime);
    model::LoadOptions lo;
    lo.threads = threads;
    m->model = model::Model::load(path, lo);
    m->tokenizer = tokenizer::Tokenizer::from_gguf(m->model->file());
    m->chat = std::make_unique<engine::ChatPrompt>(*m->model, *m->tokenizer);
    m->engine = std::make_unique<engine::BatchEngine>(*m->model, *m->tokenizer, eo, *pool_);
    ctx_.models.push_back(std::move(m));
  }

  http_ = std::make_unique<Http>();
  const int http_threads = o.http_threads > 0
                               ? o.http_threads
                               : 16 + static_cast<int>(model_paths.size()) * (o.engine.n_slots * 2 + o.engine.max_queue);
  http_->new_task_queue = [http_threads] { return new httplib::ThreadPool(static_cast<size_t>(http_threads)); };
  http_->set_payload_max_length(32u << 20);
  http_->set_read_timeout(30);
  http_->set_write_timeout(30);
  http_->set_keep_alive_max_count(1000);

  // Every route: the connection's socket for disconnect checks, the API key, ApiError and
  // engine errors turned into OpenAI error replies, and the request counted by status.
  using Handler = void (*)(ServerContext&, const httplib::Request&, httplib::Response&);
  auto route = [this](const std::string& name, Handler h, bool needs_key) {
    return [this, name, h, needs_key](const httplib::Request& req, httplib::Response& res) {
      t_socket = find_connection_socket(req);
      try {
        if (needs_key && !ctx_.options.api_key.empty()) {
          const std::string auth = req.get_header_value("Authorization");
          if (auth != "Bearer " + ctx_.options.api_key)
            throw ApiError(401, auth.empty() ? "No API key provided: send 'Authorization: Bearer KEY'"
                                             : "Incorrect API key provided",
                           "invalid_request_error", "", "invalid_api_key");
        }
        h(ctx_, req, res);
      } catch (const ApiError& e) {
        send_error(res, e);
      } catch (const engine::QueueFullError& e) {
        res.set_header("Retry-After", "1");
        send_error(res, ApiError(429, std::string("The server is busy: ") + e.what(), "rate_limit_error", "",
                                 "rate_limit_exceeded"));
      } catch (const engine::ShuttingDownError& e) {
        send_error(res, ApiError(503, "The server is shutting down", "server_error", "", "shutting_down"));
      } catch (const std::exception& e) {
        send_error(res, ApiError(500, std::string("Internal error: ") + e.what(), "server_error"));
      }
      if (res.status < 0) res.status = 200;
      ctx_.stats.count_request(name, res.status);
    };
  };
  http_->Post("/v1/chat/completions", route("/v1/chat/completions", handle_chat_completions, true));
  http_->Post("/v1/completions", route("/v1/completions", handle_completions, true));
  http_->Get("/v1/models", route("/v1/models", handle_models, true));
  http_->Get("/health", route("/health", handle_health, false));
  http_->Get("/metrics", route("/metrics", handle_metrics, false));
  http_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // Only replies that no handler filled: unknown paths and methods, oversized bodies.
    if (!res.body.empty()) return;
    const ApiError e = res.status == 404 ? ApiError(404, "Unknown endpoint " + req.method + " " + req.path,
                                                    "invalid_request_error", "", "unknown_url")
                       : res.status == 413 ? ApiError(413, "The request body is too large (limit 32 MiB)")
                                           : ApiError(res.status, "HTTP error " + std::to_string(res.status));
    res.set_content(dump_json(e.body()), "application/json");
  });
}

Server::~Server() {
  // The engines run forward passes on pool_, which is declared after ctx_ and so would be
  // destroyed first: an engine still finishing a step would then wait for workers that have
  // exited. Stop the engines while the pool is alive.
  for (auto& m : ctx_.models) m->engine.reset();
}

int Server::bind() {
  const ServerOptions& o = ctx_.options;
  int port = o.port;
  if (port == 0) {
    port = http_->bind_to_any_port(o.host);
    if (port < 0) throw Error("cannot listen on " + o.host + " (any port)");
  } else if (!http_->bind_to_port(o.host, port)) {
    throw Error("cannot listen on " + o.host + ":" + std::to_string(port) +
                " (is another server using the port? pick one with --port)");
  }
  return port;
}

void Server::run() { http_->listen_after_bind(); }

void Server::shutdown() {
  ctx_.draining = true;
  for (auto& m : ctx_.models) m->engine->drain();
  // Generation has finished; let the streams write their last chunks (and [DONE]) before the
  // sockets close. A client that stopped reading cannot hold the shutdown for long.
  constexpr auto kStreamGrace = std::chrono::seconds(10);
  const auto deadline = std::chrono::steady_clock::now() + kStreamGrace;
  while (ctx_.open_streams.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (const int left = ctx_.open_streams.load(); left > 0)
    std::fprintf(stderr, "serve: %d stream(s) still unwritten after %lld s; closing them\n", left,
                 static_cast<long long>(kStreamGrace.count()));
  http_->stop();
}

}  // namespace rightsize::server
