// `rightsize demo`: the built-in default job (`make run`). Writes the built-in random-weight
// model once, then completes a prompt with it, streamed, and reports the speed — the whole
// text-in, text-out path with nothing downloaded.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/text_io.h"
#include "engine/session.h"
#include "kernels/dispatch.h"
#include "kernels/packed.h"
#include "model/model.h"
#include "model/random_model.h"
#include "tokenizer/tokenizer.h"
#include "util/thread_pool.h"

namespace rightsize::cli {

void add_demo_command(CLI::App& app) {
  struct Opts {
    std::string model = "build/models/tiny-random.Q8_0.gguf";
    std::string prompt = "Once upon a time, in a small town by the sea,";
    int n = 48;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("demo", "Run the built-in default model (random weights, no download)");
  cmd->add_option("-m,--model", o->model, "Model file; written once if absent")->capture_default_str();
  cmd->add_option("-p,--prompt", o->prompt, "Prompt")->capture_default_str();
  cmd->add_option("-n", o->n, "Tokens to generate")->capture_default_str();
  cmd->add_option("--threads,-t", o->threads, "Threads (default: all cores)");
  cmd->callback([o] {
    if (!std::filesystem::exists(o->model)) {
      std::filesystem::path p(o->model);
      if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
      auto spec = *model::preset_spec("tiny");
      spec.target = "Q8_0";
      std::printf("writing the built-in default model to %s\n", o->model.c_str());
      model::write_random_model(spec, o->model);
    }
    const int threads = resolve_threads(o->threads);
    const LoadedModel lm = load_with_tokenizer(o->model, threads);
    const model::Model* model = lm.model.get();
    const tokenizer::Tokenizer* tok = lm.tokenizer.get();
    const auto& c = model->config();
    std::printf("model: %s — %s, %lld layers, n_embd %lld, vocab %lld; %d threads, SIMD %s, packed kernels %s\n",
                o->model.c_str(), c.arch.c_str(), (long long)c.n_layer, (long long)c.n_embd,
                (long long)c.n_vocab, threads, kernels::simd_target_name().c_str(), kernels::packed_kernel_isa());
    std::printf("Its weights are RANDOM, so the text means nothing: this shows the machinery (tokenizer, "
                "forward pass, sampler, streaming) and its speed. Real GGUF models: rightsize run -m FILE -p TEXT\n\n");
    ThreadPool pool(threads);
    engine::Session session(*model, *tok, 512, pool);
    engine::GenerateOptions opts;
    opts.max_tokens = o->n;
    opts.sampling.seed = 1;
    std::printf("%s", o->prompt.c_str());
    auto r = session.generate(tok->encode(o->prompt, true, false), opts, stream_to_stdout);
    std::printf("\n");
    std::fflush(stdout);
    print_generation_stats(r);
  });
}

}  // namespace rightsize::cli
