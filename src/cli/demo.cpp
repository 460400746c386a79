// `rightsize demo`: the built-in default job. Until text generation lands it writes the
// built-in random-weight model once, evaluates a prompt of token ids and generates greedily,
// showing what the engine does and how fast, with no download.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "kernels/dispatch.h"
#include "model/model.h"
#include "model/random_model.h"
#include "model/transformer.h"
#include "util/thread_pool.h"

namespace rightsize::cli {

void add_demo_command(CLI::App& app) {
  struct Opts {
    std::string model = "build/models/tiny-random.Q8_0.gguf";
    int n = 32;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("demo", "Run the built-in default model (random weights, no download)");
  cmd->add_option("-m,--model", o->model, "Model file; written once if absent")->capture_default_str();
  cmd->add_option("-n", o->n, "Tokens to generate")->capture_default_str();
  cmd->add_option("--threads,-t", o->threads, "Threads (default: all cores)");
  cmd->callback([o] {
    using Clock = std::chrono::steady_clock;
    if (!std::filesystem::exists(o->model)) {
      std::filesystem::path p(o->model);
      if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
      auto spec = *model::preset_spec("tiny");
      spec.target = "Q8_0";
      std::printf("writing the built-in default model to %s (RANDOM weights: it produces "
                  "meaningless tokens; the point is the machinery and the speed)\n",
                  o->model.c_str());
      model::write_random_model(spec, o->model);
    }
    auto model = model::Model::load(o->model);
    const auto& c = model->config();
    const int threads = o->threads > 0 ? o->threads : ThreadPool::hardware_threads();
    std::printf("model: %s — %s, %lld layers, n_embd %lld, vocab %lld; %d threads, SIMD %s\n",
                o->model.c_str(), c.arch.c_str(), (long long)c.n_layer, (long long)c.n_embd,
                (long long)c.n_vocab, threads, kernels::simd_target_name().c_str());
    ThreadPool pool(threads);
    std::vector<int32_t> prompt;
    for (int i = 0; i < 16; ++i) prompt.push_back(1 + (i * 37) % static_cast<int>(c.n_vocab - 1));
    model::Transformer tf(*model, static_cast<int64_t>(prompt.size()) + o->n, 1, pool);
    auto t0 = Clock::now();
    auto logits = tf.forward(prompt, 0, false);
    auto t1 = Clock::now();
    std::printf("prompt: %zu token ids, prefill %.2f ms\ngenerated ids:", prompt.size(),
                std::chrono::duration<double, std::milli>(t1 - t0).count());
    int32_t pos = static_cast<int32_t>(prompt.size());
    for (int i = 0; i < o->n; ++i) {
      int32_t best = 0;
      for (int64_t v = 1; v < c.n_vocab; ++v)
        if (logits[static_cast<size_t>(v)] > logits[static_cast<size_t>(best)]) best = static_cast<int32_t>(v);
      std::printf(" %d", best);
      std::fflush(stdout);
      const int32_t one[1] = {best};
      logits = tf.forward(one, pos++, false);
    }
    auto t2 = Clock::now();
    const double s = std::chrono::duration<double>(t2 - t1).count();
    std::printf("\ndecode: %d tokens in %.3f s = %.1f tokens/s\n", o->n, s, o->n / s);
  });
}

}  // namespace rightsize::cli
