// `rightsize bench`: prompt-processing and generation throughput, like llama-bench.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/kv_type_flag.h"
#include "cli/text_io.h"
#include "kernels/dispatch.h"
#include "kernels/packed.h"
#include "model/throughput.h"
#include "util/error.h"

namespace rightsize::cli {

void add_bench_command(CLI::App& app) {
  struct Opts {
    std::string model;
    int64_t n_prompt = 512, n_gen = 128;
    int threads = 0, reps = 3;
    bool json = false;
    kernels::KvType kv_type = kernels::KvType::F32;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("bench", "Measure prompt processing and generation speed");
  cmd->add_option("-m,--model", o->model, "GGUF model")->required();
  cmd->add_option("-p", o->n_prompt, "Prompt tokens (0 to skip)")->capture_default_str();
  cmd->add_option("-n", o->n_gen, "Generated tokens (0 to skip)")->capture_default_str();
  cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
  cmd->add_option("-r,--repetitions", o->reps, "Repetitions")->capture_default_str();
  add_kv_type_flag(cmd, o->kv_type);
  cmd->add_flag("--json", o->json, "Print a JSON array of results");
  cmd->callback([o] {
    if (o->reps < 1) throw Error("bench: -r must be at least 1");
    if (o->n_prompt < 0 || o->n_gen < 0) throw Error("bench: -p and -n must not be negative");
    const int threads = resolve_threads(o->threads);
    model::LoadOptions lo;
    lo.threads = threads;
    auto m = model::Model::load(o->model, lo);
    ThreadPool pool(threads);
    std::vector<model::ThroughputResult> results;
    if (o->n_prompt > 0) results.push_back(model::measure_prompt(*m, o->n_prompt, o->reps, pool, o->kv_type));
    if (o->n_gen > 0) results.push_back(model::measure_generation(*m, o->n_gen, o->reps, pool, o->kv_type));
    if (o->json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& r : results)
        j.push_back({{"model", o->model}, {"test", r.test}, {"n_tokens", r.n_tokens}, {"threads", threads}, {"kv_type", kernels::kv_type_name(o->kv_type)},
                     {"tokens_per_s", r.mean()}, {"stddev", r.stddev()}, {"samples", r.tokens_per_s}});
      std::cout << j.dump(2) << "\n";
      return;
    }
    const size_t prefetch = kernels::packed_prefetch_bytes();
    const std::string prefetch_text = prefetch == 0 ? "off" : std::to_string(prefetch) + " B";
    std::printf("model: %s (%s, %.2f GiB), %d threads, SIMD %s, packed kernels %s (prefetch %s), KV %s\n",
                o->model.c_str(), m->config().arch.c_str(), static_cast<double>(m->file().file_size()) / (1u << 30),
                threads, kernels::simd_target_name().c_str(), kernels::packed_kernel_isa(), prefetch_text.c_str(),
                kernels::kv_type_name(o->kv_type));
    std::printf("| %-8s | %14s |\n|----------|----------------|\n", "test", "t/s");
    for (const auto& r : results) std::printf("| %-8s | %7.2f ± %5.2f |\n", r.test.c_str(), r.mean(), r.stddev());
  });
}

}  // namespace rightsize::cli
