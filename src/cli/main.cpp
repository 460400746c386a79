// The `rightsize` binary: parses the subcommand and hands over to its file. Bad input of any
// kind ends here as one line on stderr and exit status 1.
#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"rightsize: small language models, fast on the CPU you have"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rightsize 0.1.0");
  rightsize::cli::add_info_command(app);
  rightsize::cli::add_gen_model_command(app);
  rightsize::cli::add_quantize_command(app);
  rightsize::cli::add_logits_command(app);
  rightsize::cli::add_demo_command(app);
  rightsize::cli::add_bench_command(app);
  rightsize::cli::add_tokenize_command(app);
  rightsize::cli::add_chat_template_command(app);
  rightsize::cli::add_run_command(app);
  rightsize::cli::add_chat_command(app);
  rightsize::cli::add_serve_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const rightsize::Error& e) {
    std::fprintf(stderr, "rightsize: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "rightsize: error: out of memory\n");
    return 1;
  }
  return 0;
}
