// `rightsize serve -m FILE [-m FILE ...]`: the OpenAI-compatible server. SIGTERM or Ctrl-C
// drains (running requests finish, new ones get 503), then exits; a second signal exits at once.
#include <signal.h>

#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/kv_type_flag.h"
#include "cli/text_io.h"
#include "server/server.h"

namespace rightsize::cli {

void add_serve_command(CLI::App& app) {
  struct Opts {
    std::vector<std::string> models;
    server::ServerOptions server;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("serve", "Serve models over an OpenAI-compatible HTTP API");
  cmd->add_option("-m,--model", o->models, "GGUF model (repeat for several; the id is the file name without extension)")
      ->required();
  cmd->add_option("--host", o->server.host, "Address to bind (loopback unless told otherwise)")->capture_default_str();
  cmd->add_option("--port", o->server.port, "Port (0: any free port, printed at start)")->capture_default_str();
  cmd->add_option("--api-key", o->server.api_key, "Require 'Authorization: Bearer KEY' on /v1/*");
  cmd->add_option("-c,--ctx", o->server.engine.n_ctx, "Context size in tokens, per sequence")->capture_default_str();
  cmd->add_option("--parallel", o->server.engine.n_slots, "Sequences decoded together (slots)")
      ->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--queue", o->server.engine.max_queue, "Requests that may wait for a slot before 429")
      ->capture_default_str()->check(CLI::Range(0, 100000));
  cmd->add_option("--batch", o->server.engine.step_tokens, "Tokens per forward step at most (decode + prompt chunks)")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  add_kv_type_flag(cmd, o->server.engine.kv_type);
  cmd->add_option("-t,--threads", o->server.threads, "Compute threads (default: all cores)");
  cmd->add_option("--http-threads", o->server.http_threads, "Connection threads (default: from --parallel and --queue)");
  cmd->callback([o] {
    // Signals are taken by one thread with sigwait; every other thread blocks them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    o->server.threads = resolve_threads(o->server.threads);
    std::fprintf(stderr, "serve: loading %zu model(s)...\n", o->models.size());
    server::Server srv(o->server, o->models);
    const int port = srv.bind();
    std::fprintf(stderr, "serve: listening on http://%s:%d (%d slots x %lld tokens, %d threads)%s\n",
                 o->server.host.c_str(), port, o->server.engine.n_slots, (long long)o->server.engine.n_ctx,
                 o->server.threads, o->server.api_key.empty() ? "" : ", API key required");
    std::fflush(stderr);
    std::thread watcher([&srv, signals] {
      int sig = 0;
      sigwait(&signals, &sig);
      std::fprintf(stderr, "serve: %s: finishing running requests, refusing new ones\n",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
      std::thread second([signals] {
        int s = 0;
        sigwait(&signals, &s);
        std::fprintf(stderr, "serve: second signal, exiting now\n");
        std::_Exit(1);
      });
      second.detach();
      srv.shutdown();
    });
    srv.run();
    watcher.join();
    std::fprintf(stderr, "serve: stopped\n");
  });
}

}  // namespace rightsize::cli
