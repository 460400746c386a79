// `rightsize run -m FILE -p PROMPT`: raw completion of a prompt, streamed to stdout, with
// timings on stderr.
#include <cstdio>

#include "cli/commands.h"
#include "cli/sampling_flags.h"
#include "cli/text_io.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace rightsize::cli {

void add_run_command(CLI::App& app) {
  struct Opts {
    std::string model, prompt, prompt_file;
    bool no_parse_special = false;
    GenerationFlags gen;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("run", "Complete a prompt (raw text, streamed)");
  cmd->add_option("-m,--model", o->model, "GGUF model")->required();
  cmd->add_option("-p,--prompt", o->prompt, "Prompt text");
  cmd->add_option("-f,--prompt-file", o->prompt_file, "Read the prompt from a file");
  cmd->add_flag("--no-parse-special", o->no_parse_special, "Treat special-token text in the prompt as plain text");
  add_generation_flags(cmd, o->gen);
  cmd->callback([o] {
    std::string prompt = o->prompt_file.empty() ? o->prompt : read_file(o->prompt_file);
    o->gen.options.grammar = load_output_constraint(o->gen.grammar_file, o->gen.json_schema_file);
    if (prompt.empty()) throw Error("run: give a prompt with -p or -f");
    const int threads = resolve_threads(o->gen.threads);
    const LoadedModel lm = load_with_tokenizer(o->model, threads);
    const auto ids = lm.tokenizer->encode(prompt, true, !o->no_parse_special);
    ThreadPool pool(threads);
    engine::Session session(*lm.model, *lm.tokenizer, o->gen.ctx, pool, o->gen.kv_type);
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);
    auto r = session.generate(ids, o->gen.options, stream_to_stdout);
    std::printf("\n");
    print_generation_stats(r);
  });
}

}  // namespace rightsize::cli
