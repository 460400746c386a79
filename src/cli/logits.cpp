// `rightsize logits`: raw logits of one batched evaluation, and optional greedy continuation.
// External conformance checks call it: the output format is stable.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/kv_type_flag.h"
#include "cli/text_io.h"
#include "model/model.h"
#include "model/transformer.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace rightsize::cli {
namespace {

std::vector<int32_t> parse_tokens(const std::string& s) {
  std::vector<int32_t> out;
  std::stringstream ss(s);
  std::string item;
  size_t index = 0;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || v < 0 || v > INT32_MAX)
      throw Error("--tokens: item " + std::to_string(index) + " ('" + item +
                  "') is not a token id");
    out.push_back(static_cast<int32_t>(v));
    ++index;
  }
  if (out.empty()) throw Error("--tokens: no token ids given");
  return out;
}

int32_t argmax(std::span<const float> row) {
  int32_t best = 0;
  for (size_t i = 1; i < row.size(); ++i)
    if (row[i] > row[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);  // ties: lowest id
  return best;
}

}  // namespace

void add_logits_command(CLI::App& app) {
  struct Opts {
    std::string model, tokens, out;
    int greedy = 0;
    int threads = 0;
    int64_t ctx = 0;
    kernels::KvType kv_type = kernels::KvType::F32;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("logits", "Write the logits of one batched evaluation");
  cmd->add_option("-m,--model", o->model, "GGUF model")->required();
  cmd->add_option("--tokens", o->tokens, "Comma-separated token ids")->required();
  cmd->add_option("--out", o->out, "Output file: n_tokens x n_vocab float32, little-endian")->required();
  cmd->add_option("--greedy", o->greedy, "Then generate N tokens greedily, one at a time; prints a JSON array");
  cmd->add_option("--threads,-t", o->threads, "Threads (default: all cores)");
  cmd->add_option("--ctx", o->ctx, "Context size (default: just what the evaluation needs)");
  add_kv_type_flag(cmd, o->kv_type);
  cmd->callback([o] {
    const std::vector<int32_t> tokens = parse_tokens(o->tokens);
    if (o->greedy < 0) throw Error("--greedy must not be negative");
    auto model = model::Model::load(o->model);
    const int64_t need = static_cast<int64_t>(tokens.size()) + o->greedy;
    const int64_t n_ctx = o->ctx > 0 ? o->ctx : need;
    if (need > n_ctx)
      throw Error("the prompt (" + std::to_string(tokens.size()) + " tokens) plus --greedy " +
                  std::to_string(o->greedy) + " needs " + std::to_string(need) +
                  " positions, but --ctx is " + std::to_string(n_ctx));
    ThreadPool pool(resolve_threads(o->threads));
    model::Transformer tf(*model, n_ctx, 1, pool, model::Transformer::kDefaultMaxBatch, o->kv_type);
    const int64_t n_vocab = model->config().n_vocab;
    std::span<const float> logits = tf.forward(tokens, 0, true);
    {
      std::ofstream f(o->out, std::ios::binary);
      if (!f) throw Error("cannot open '" + o->out + "' for writing");
      f.write(reinterpret_cast<const char*>(logits.data()),
              static_cast<std::streamsize>(logits.size() * sizeof(float)));
      if (!f) throw Error("failed writing '" + o->out + "'");
    }
    std::fprintf(stderr, "logits: %zu tokens x %lld vocab -> %s\n", tokens.size(),
                 static_cast<long long>(n_vocab), o->out.c_str());
    if (o->greedy > 0) {
      std::vector<int32_t> generated;
      int32_t next = argmax(logits.subspan(logits.size() - static_cast<size_t>(n_vocab)));
      int32_t pos = static_cast<int32_t>(tokens.size());
      for (int i = 0; i < o->greedy; ++i) {
        generated.push_back(next);
        if (i + 1 == o->greedy) break;
        const int32_t one[1] = {next};
        next = argmax(tf.forward(one, pos++, false));
      }
      std::string json = "[";
      for (size_t i = 0; i < generated.size(); ++i) json += (i ? "," : "") + std::to_string(generated[i]);
      std::printf("%s]\n", json.c_str());
    }
  });
}

}  // namespace rightsize::cli
