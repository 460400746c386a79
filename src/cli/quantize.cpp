// `rightsize quantize IN OUT TYPE`: converts a model to a quant type or mix.
#include <cstdio>

#include "cli/commands.h"
#include "cli/text_io.h"
#include "cli/progress.h"
#include "model/quantize_model.h"
#include "util/thread_pool.h"

namespace rightsize::cli {

void add_quantize_command(CLI::App& app) {
  struct Opts {
    std::string in, out, type;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("quantize", "Quantize a GGUF model to a type or mix (Q4_K_M, ...)");
  cmd->add_option("input", o->in, "Input GGUF")->required();
  cmd->add_option("output", o->out, "Output GGUF")->required();
  cmd->add_option("type", o->type, "F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K, IQ4_NL, "
                  "IQ4_XS, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M")->required();
  cmd->add_option("--threads,-t", o->threads, "Threads (default: all cores)");
  cmd->callback([o] {
    Progress progress("quantize");
    const int threads = resolve_threads(o->threads);
    auto s = model::quantize_model(o->in, o->out, o->type, threads, std::ref(progress));
    std::fprintf(stderr, "quantize: %zu tensors converted, %zu copied; %.2f MiB -> %.2f MiB\n",
                 s.n_quantized, s.n_copied, static_cast<double>(s.bytes_in) / 1048576.0,
                 static_cast<double>(s.bytes_out) / 1048576.0);
  });
}

}  // namespace rightsize::cli
