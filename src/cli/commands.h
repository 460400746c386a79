// Each subcommand lives in its own file and registers itself on the top-level CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

namespace rightsize::cli {

void add_info_command(CLI::App& app);
void add_gen_model_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_logits_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_chat_template_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_chat_command(CLI::App& app);
void add_serve_command(CLI::App& app);

}  // namespace rightsize::cli
