// Sampling and generation flags shared by `run` and `chat`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/kv_type_flag.h"
#include "engine/session.h"

namespace rightsize::cli {

struct GenerationFlags {
  engine::GenerateOptions options;
  std::string grammar_file;      // GBNF
  std::string json_schema_file;  // JSON Schema
  int64_t ctx = 4096;
  int threads = 0;
  kernels::KvType kv_type = kernels::KvType::F32;
};

inline void add_generation_flags(CLI::App* cmd, GenerationFlags& f) {
  auto& s = f.options.sampling;
  cmd->add_option("-n,--max-tokens", f.options.max_tokens, "Tokens to generate at most")->capture_default_str();
  cmd->add_option("--temp", s.temperature, "Temperature (0 = greedy)")->capture_default_str();
  cmd->add_option("--top-k", s.top_k, "Top-k (0 = off)")->capture_default_str();
  cmd->add_option("--top-p", s.top_p, "Top-p (1 = off)")->capture_default_str();
  cmd->add_option("--min-p", s.min_p, "Min-p (0 = off)")->capture_default_str();
  cmd->add_option("--repeat-penalty", s.repeat_penalty, "Repetition penalty (1 = off)")->capture_default_str();
  cmd->add_option("--repeat-last-n", s.repeat_last_n, "Tokens the penalties look back on (-1 = all)")->capture_default_str();
  cmd->add_option("--presence-penalty", s.presence_penalty, "Presence penalty")->capture_default_str();
  cmd->add_option("--frequency-penalty", s.frequency_penalty, "Frequency penalty")->capture_default_str();
  cmd->add_option("--seed", s.seed, "Random seed (same seed, same output)")->capture_default_str();
  cmd->add_option("--stop", f.options.stop, "Stop string (repeatable)");
  cmd->add_option("-c,--ctx", f.ctx, "Context size in tokens")->capture_default_str();
  cmd->add_option("-t,--threads", f.threads, "Threads (default: all cores)");
  add_kv_type_flag(cmd, f.kv_type);
  cmd->add_option("--grammar", f.grammar_file, "Constrain the output to a GBNF grammar (file)");
  cmd->add_option("--json-schema", f.json_schema_file, "Constrain the output to JSON valid against a JSON Schema (file)")
      ->excludes("--grammar");
}

}  // namespace rightsize::cli
