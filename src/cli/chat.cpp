// `rightsize chat -m FILE`: interactive chat with the model's own chat template. Each turn
// re-renders the whole conversation; the session reuses the cached prefix, so only the new
// turn is evaluated. `/reset` starts over; Ctrl-D (end of input) leaves. Reads piped input too.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/sampling_flags.h"
#include "cli/text_io.h"
#include "model/model.h"
#include "engine/chat_prompt.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace rightsize::cli {

void add_chat_command(CLI::App& app) {
  struct Opts {
    std::string model, system;
    bool verbose = false;
    GenerationFlags gen;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("chat", "Chat with a model (its own chat template; /reset, Ctrl-D to leave)");
  cmd->add_option("-m,--model", o->model, "GGUF model")->required();
  cmd->add_option("-s,--system", o->system, "System message");
  cmd->add_flag("-v,--verbose", o->verbose, "Print timings after each reply");
  add_generation_flags(cmd, o->gen);
  cmd->callback([o] {
    o->gen.options.grammar = load_output_constraint(o->gen.grammar_file, o->gen.json_schema_file);
    const int threads = resolve_threads(o->gen.threads);
    const LoadedModel lm = load_with_tokenizer(o->model, threads);
    const model::Model* m = lm.model.get();
    const tokenizer::Tokenizer* tok = lm.tokenizer.get();
    const engine::ChatPrompt chat_prompt(*m, *tok);
    nlohmann::ordered_json messages;
    auto start = [&] {
      messages = nlohmann::ordered_json::array();
      if (!o->system.empty()) messages.push_back({{"role", "system"}, {"content", o->system}});
    };
    start();
    ThreadPool pool(threads);
    engine::Session session(*m, *tok, o->gen.ctx, pool, o->gen.kv_type);
    const bool interactive = isatty(STDIN_FILENO);
    if (interactive)
      std::fprintf(stderr, "chat with %s (%s template). /reset starts over, Ctrl-D leaves.\n", o->model.c_str(),
                   chat_prompt.has_own_template() ? "its own" : "the default ChatML");
    std::string line;
    while (true) {
      if (interactive) std::fprintf(stderr, "> ");
      if (!std::getline(std::cin, line)) break;
      if (line == "/reset") {
        start();
        session.reset();
        if (interactive) std::fprintf(stderr, "(conversation reset)\n");
        continue;
      }
      if (line.empty()) continue;
      messages.push_back({{"role", "user"}, {"content", line}});
      const std::vector<int32_t> ids = chat_prompt.encode(messages);
      engine::GenerateResult r;
      try {
        r = session.generate(ids, o->gen.options, stream_to_stdout);
      } catch (const Error& e) {
        // A conversation that outgrew the context: say so and keep the session usable.
        std::fprintf(stderr, "\nrightsize: %s — use /reset to start over\n", e.what());
        messages.erase(messages.end() - 1);
        continue;
      }
      std::printf("\n");
      std::fflush(stdout);
      if (o->verbose) print_generation_stats(r);
      messages.push_back({{"role", "assistant"}, {"content", r.text}});
    }
    if (interactive) std::fprintf(stderr, "\n");
  });
}

}  // namespace rightsize::cli
