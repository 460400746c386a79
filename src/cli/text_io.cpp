// Shared pieces of the text-generating commands.
#include "cli/text_io.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "sampling/grammar/json_schema.h"
#include "util/thread_pool.h"

namespace rightsize::cli {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<const sampling::grammar::Grammar> load_output_constraint(const std::string& grammar_file,
                                                                         const std::string& json_schema_file) {
  if (!grammar_file.empty()) {
    try {
      return sampling::grammar::Grammar::parse(read_file(grammar_file));
    } catch (const sampling::grammar::GrammarError& e) {
      throw Error(grammar_file + ": " + e.what());
    }
  }
  if (!json_schema_file.empty()) {
    const auto schema = nlohmann::ordered_json::parse(read_file(json_schema_file), nullptr, false);
    if (schema.is_discarded()) throw Error(json_schema_file + ": not valid JSON");
    try {
      return sampling::grammar::Grammar::parse(sampling::grammar::json_schema_to_gbnf(schema));
    } catch (const Error& e) {
      throw Error(json_schema_file + ": " + e.what());
    }
  }
  return nullptr;
}

int resolve_threads(int flag) { return flag > 0 ? flag : ThreadPool::hardware_threads(); }

LoadedModel load_with_tokenizer(const std::string& path, int threads) {
  model::LoadOptions lo;
  lo.threads = threads;
  LoadedModel out;
  out.model = model::Model::load(path, lo);
  out.tokenizer = tokenizer::Tokenizer::from_gguf(out.model->file());
  return out;
}

bool stream_to_stdout(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return true;
}

void print_generation_stats(const engine::GenerateResult& r) {
  const double pp = r.prefill_seconds > 0
                        ? static_cast<double>(r.prompt_tokens - r.cached_prompt_tokens) / r.prefill_seconds
                        : 0;
  const double tg = r.decode_seconds > 0 ? static_cast<double>(r.tokens.size()) / r.decode_seconds : 0;
  std::fprintf(stderr,
               "\n[prompt %lld tokens (%lld cached) in %.2f s, %.1f t/s; generated %zu tokens in %.2f s, "
               "%.1f t/s; finish: %s]\n",
               static_cast<long long>(r.prompt_tokens), static_cast<long long>(r.cached_prompt_tokens),
               r.prefill_seconds, pp, r.tokens.size(), r.decode_seconds, tg, engine::finish_reason_name(r.finish));
}

}  // namespace rightsize::cli
