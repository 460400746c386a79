// `rightsize gen-model`: writes a random-weight model of any supported architecture, shape
// and quant type (or a preset of a real model's shape).
#include <cstdio>

#include "cli/commands.h"
#include "cli/text_io.h"
#include "cli/progress.h"
#include "model/arch_registry.h"
#include "model/random_model.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace rightsize::cli {
namespace {

struct GenOptions {
  std::string arch;
  std::string preset;
  std::string type = "F32";
  std::string out;
  uint64_t seed = 42;
  int threads = 0;
  int64_t n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0, n_ff = 0, n_vocab = 0,
          n_ctx = 0, sliding_window = -1;
  bool tied = false, untied = false;
};

void run(const GenOptions& o) {
  model::RandomModelSpec spec;
  if (!o.preset.empty()) {
    auto p = model::preset_spec(o.preset);
    if (!p) {
      std::string list;
      for (const auto& n : model::preset_names()) list += (list.empty() ? "" : ", ") + n;
      throw Error("gen-model: unknown preset '" + o.preset + "' (known: " + list + ")");
    }
    spec = *p;
    if (!o.arch.empty() && o.arch != spec.config.arch)
      throw Error("gen-model: --arch " + o.arch + " conflicts with preset " + o.preset + " (" +
                  spec.config.arch + ")");
  } else {
    if (o.arch.empty()) throw Error("gen-model: give --arch or --preset");
    if (model::find_arch(o.arch) == nullptr) {
      std::string list;
      for (const auto& n : model::supported_archs()) list += (list.empty() ? "" : ", ") + n;
      throw Error("gen-model: unsupported architecture '" + o.arch + "' (supported: " + list + ")");
    }
    spec = model::default_spec(o.arch);
  }
  model::ModelConfig& c = spec.config;
  if (o.n_embd) c.n_embd = o.n_embd;
  if (o.n_layer) c.n_layer = o.n_layer;
  if (o.n_head) c.n_head = o.n_head;
  if (o.n_head_kv) c.n_head_kv = o.n_head_kv;
  if (o.n_ff) c.n_ff = o.n_ff;
  if (o.n_vocab) c.n_vocab = o.n_vocab;
  if (o.n_ctx) c.n_ctx_train = o.n_ctx;
  if (o.head_dim) {
    c.head_dim = c.head_dim_v = c.n_rot = o.head_dim;
  } else if (o.n_embd || o.n_head) {
    c.head_dim = c.head_dim_v = c.n_rot = c.n_embd / c.n_head;
  }
  if (o.sliding_window >= 0) c.sliding_window = o.sliding_window;
  if (o.tied) spec.tied_output = true;
  if (o.untied) spec.tied_output = false;
  spec.target = o.type;
  spec.seed = o.seed;
  spec.threads = resolve_threads(o.threads);
  std::fprintf(stderr,
               "gen-model: %s, n_embd %lld, %lld layers, %lld/%lld heads, head_dim %lld, n_ff %lld, "
               "vocab %lld, %s, %s -> %s (RANDOM weights)\n",
               c.arch.c_str(), (long long)c.n_embd, (long long)c.n_layer, (long long)c.n_head,
               (long long)c.n_head_kv, (long long)c.head_dim, (long long)c.n_ff,
               (long long)c.n_vocab, spec.tied_output ? "tied output" : "separate output",
               spec.target.c_str(), o.out.c_str());
  Progress progress("gen-model");
  model::write_random_model(spec, o.out, std::ref(progress));
}

}  // namespace

void add_gen_model_command(CLI::App& app) {
  auto o = std::make_shared<GenOptions>();
  auto* cmd = app.add_subcommand("gen-model", "Write a random-weight model (for tests and benchmarks)");
  cmd->add_option("--arch", o->arch, "Architecture: llama, granite, qwen2, gemma2, phi3");
  cmd->add_option("--preset", o->preset,
                  "Real-model shape: tiny, llama-3.2-1b, llama-3.1-8b, gemma-2-2b, gemma-2-9b, "
                  "phi-3.5-mini, phi-4");
  cmd->add_option("--type", o->type, "Type or mix: F32, F16, BF16, Q4_0, ..., Q4_K_M")->capture_default_str();
  cmd->add_option("--out", o->out, "Output GGUF file")->required();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads,-t", o->threads, "Threads (default: all cores)");
  cmd->add_option("--n-embd", o->n_embd, "Model width");
  cmd->add_option("--n-layer", o->n_layer, "Number of layers");
  cmd->add_option("--n-head", o->n_head, "Query heads");
  cmd->add_option("--n-head-kv", o->n_head_kv, "Key/value heads");
  cmd->add_option("--head-dim", o->head_dim, "Head dimension (default n_embd / n_head)");
  cmd->add_option("--n-ff", o->n_ff, "Feed-forward width");
  cmd->add_option("--n-vocab", o->n_vocab, "Vocabulary size (>= 259)");
  cmd->add_option("--n-ctx", o->n_ctx, "Training context length written to the file");
  cmd->add_option("--sliding-window", o->sliding_window, "Attention window (0 = none)");
  cmd->add_flag("--tied", o->tied, "Tie the output projection to the token embeddings");
  cmd->add_flag("--untied", o->untied, "Write a separate output projection");
  cmd->callback([o] { run(*o); });
}

}  // namespace rightsize::cli
