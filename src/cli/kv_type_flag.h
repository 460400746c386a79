// The --kv-type flag of every subcommand that builds an engine: how the KV cache stores keys
// and values (f32, the default and what the conformance data assumes; f16; q8_0).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "kernels/attention.h"

namespace rightsize::cli {

inline void add_kv_type_flag(CLI::App* cmd, kernels::KvType& out) {
  cmd->add_option_function<std::string>(
         "--kv-type",
         [&out](const std::string& s) {
           const auto t = kernels::kv_type_from_name(s);
           if (!t) throw CLI::ValidationError("--kv-type", "unknown KV cache type '" + s + "' (expected f32, f16 or q8_0)");
           out = *t;
         },
         "KV cache storage: f32, f16 (half the memory) or q8_0 (about a quarter)")
      ->default_str("f32");
}

}  // namespace rightsize::cli
