// Grammar token-mask speed on a real vocabulary: compile time, and mean / p99 time per mask over a
// seeded random walk through each grammar, after checking the masks against brute force.
//
//   grammar_mask_bench [--vocab FILE.gguf] [--steps N] [--seed S] [--slow US] FILE-or-DIR...
//
// --slow US prints every mask that took longer than US microseconds, with the text before it.
//
// Inputs: *.gbnf files, or directories of them (default: bench/grammars and bench/schemas).
// JSON-Schema files (*.json) are converted as response_format json_schema converts them.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "sampling/grammar/gbnf.h"
#include "sampling/grammar/json_schema.h"
#include "sampling/grammar/token_mask.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace {

namespace fs = std::filesystem;
using rightsize::sampling::grammar::Grammar;
using rightsize::sampling::grammar::Matcher;
using rightsize::sampling::grammar::TokenConstraint;
using rightsize::sampling::grammar::VocabIndex;
using Clock = std::chrono::steady_clock;

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw rightsize::Error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The GBNF text of an input: a grammar file as is, a schema through the converter.
std::string load_gbnf(const fs::path& p) {
  if (p.extension() == ".json") {
    // A schema file's grammar is what the server builds for response_format json_schema.
    return rightsize::sampling::grammar::json_schema_to_gbnf(
        nlohmann::ordered_json::parse(read_file(p)));
  }
  return read_file(p);
}

std::vector<fs::path> collect_inputs(const std::vector<std::string>& args) {
  std::vector<fs::path> out;
  for (const std::string& a : args) {
    if (fs::is_directory(a)) {
      std::vector<fs::path> in_dir;
      for (const auto& e : fs::directory_iterator(a)) {
        const auto ext = e.path().extension();
        if (ext == ".gbnf" || ext == ".json") in_dir.push_back(e.path());
      }
      std::sort(in_dir.begin(), in_dir.end());
      out.insert(out.end(), in_dir.begin(), in_dir.end());
    } else if (fs::exists(a)) {
      out.push_back(a);
    }
  }
  return out;
}

bool bit(const std::vector<uint64_t>& mask, int32_t id) { return (mask[id >> 6] >> (id & 63)) & 1; }

bool brute_force(const Matcher& m, const VocabIndex& v, int32_t id) {
  if (v.is_eog(id)) return m.is_complete();
  if (v.is_special(id) || v.piece(id).empty()) return false;
  Matcher copy = m;
  return copy.accept_bytes(v.piece(id));
}

struct Result {
  std::string name;
  double compile_us = 0;
  std::vector<double> mask_us;
  // The masks of the first output: every constraint of a grammar shares its fragment cache, and
  // the first one starts with it empty (the cold case, a schema's first request).
  std::vector<double> cold_us;
  int outputs = 0;  // complete outputs (walks that reached EOG)
  int checked = 0;
};

// Random walk of `steps` masks: pick a random allowed token, prefer ending when allowed so that
// several outputs are produced; a finished output restarts with a fresh constraint.
Result run(const fs::path& path, const std::shared_ptr<const VocabIndex>& vocab, int steps,
           uint32_t seed, double slow_us) {
  Result r;
  r.name = path.filename().string();
  const std::string gbnf = load_gbnf(path);
  std::vector<double> compile;
  std::shared_ptr<const Grammar> grammar;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    grammar = Grammar::parse(gbnf);
    TokenConstraint warm(grammar, vocab);
    compile.push_back(micros(Clock::now() - t0));
  }
  r.compile_us = percentile(compile, 0.5);

  std::mt19937 rng(seed);
  auto tc = std::make_unique<TokenConstraint>(grammar, vocab);
  std::vector<uint64_t> mask;
  std::vector<int32_t> allowed;
  std::string text;  // the current output, for --slow
  for (int step = 0; step < steps; ++step) {
    const auto t0 = Clock::now();
    tc->fill_mask(mask);
    r.mask_us.push_back(micros(Clock::now() - t0));
    if (r.outputs == 0) r.cold_us.push_back(r.mask_us.back());
    if (slow_us > 0 && r.mask_us.back() > slow_us) {
      size_t n_allowed = 0;
      for (uint64_t w : mask) n_allowed += static_cast<size_t>(__builtin_popcountll(w));
      const std::string tail = text.size() > 60 ? text.substr(text.size() - 60) : text;
      std::printf("  slow: %s step %d (output %d%s): %.0f us, %zu tokens allowed, after [%s]\n",
                  r.name.c_str(), step, r.outputs, r.outputs == 0 ? ", cold" : "", r.mask_us.back(),
                  n_allowed, tail.c_str());
    }

    allowed.clear();
    bool eog_allowed = false;
    for (int32_t id = 0; id < vocab->n_vocab(); ++id) {
      if (!bit(mask, id)) continue;
      if (vocab->is_eog(id)) {
        eog_allowed = true;
      } else {
        allowed.push_back(id);
      }
    }
    // Check the mask: every picked token, and a sample of others, against brute force.
    for (int i = 0; i < 64; ++i) {
      const auto id = static_cast<int32_t>(rng() % vocab->n_vocab());
      if (bit(mask, id) != brute_force(tc->matcher(), *vocab, id)) {
        throw rightsize::Error(r.name + ": mask bit of token " + std::to_string(id) +
                               " differs from brute force at step " + std::to_string(step));
      }
      ++r.checked;
    }
    if (allowed.empty() || (eog_allowed && rng() % 4 == 0)) {
      if (!eog_allowed) throw rightsize::Error(r.name + ": dead end, no token allowed");
      ++r.outputs;
      text.clear();
      tc = std::make_unique<TokenConstraint>(grammar, vocab);  // a fresh sequence, shared cache
      continue;
    }
    const int32_t pick = allowed[rng() % allowed.size()];
    if (!brute_force(tc->matcher(), *vocab, pick)) {
      throw rightsize::Error(r.name + ": picked token " + std::to_string(pick) +
                             " is not allowed by brute force");
    }
    ++r.checked;
    tc->accept(pick);
    text += vocab->piece(pick);
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const char* env = std::getenv("RIGHTSIZE_TESTDATA");
    const fs::path testdata = env && *env ? env : RS_DEFAULT_TESTDATA;
    std::string vocab_path = (testdata / "tokenizer" / "ggml-vocab-llama-bpe.gguf").string();
    int steps = 200;
    uint32_t seed = 1;
    double slow_us = 0;
    std::vector<std::string> inputs;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--vocab" && i + 1 < argc) {
        vocab_path = argv[++i];
      } else if (a == "--steps" && i + 1 < argc) {
        steps = std::atoi(argv[++i]);
      } else if (a == "--slow" && i + 1 < argc) {
        slow_us = std::atof(argv[++i]);
      } else if (a == "--seed" && i + 1 < argc) {
        seed = static_cast<uint32_t>(std::atoi(argv[++i]));
      } else {
        inputs.push_back(a);
      }
    }
    if (inputs.empty()) {
      const fs::path bench_dir = fs::path(__FILE__).parent_path();
      inputs = {(bench_dir / "grammars").string(), (bench_dir / "schemas").string()};
    }
    const std::vector<fs::path> files = collect_inputs(inputs);
    if (files.empty()) {
      std::fprintf(stderr, "no grammar files found\n");
      return 1;
    }

    auto gguf = rightsize::gguf::GgufFile::open(vocab_path);
    auto tok = rightsize::tokenizer::Tokenizer::from_gguf(*gguf);
    std::vector<std::string> pieces;
    std::vector<bool> special;
    std::vector<int32_t> eog;
    for (int32_t id = 0; id < tok->n_vocab(); ++id) {
      pieces.push_back(tok->token_to_piece(id));
      special.push_back(tok->is_special(id));
      if (tok->is_eog(id)) eog.push_back(id);
    }
    const auto t0 = Clock::now();
    auto vocab = VocabIndex::build(std::move(pieces), std::move(special), std::move(eog));
    std::printf(
        "vocabulary: %s, %d tokens, trie nodes %zu short (<= %zu bytes) + %zu long (%zu tokens), "
        "index built in %.1f ms\n",
        fs::path(vocab_path).filename().c_str(), vocab->n_vocab(),
        vocab->short_trie().nodes().size(), VocabIndex::kShortPiece,
        vocab->long_trie().nodes().size(), vocab->long_trie().tokens().size(),
        micros(Clock::now() - t0) / 1000);
    std::printf("%-36s %10s %7s %9s %9s %9s %9s\n", "grammar", "compile", "masks", "mean", "p50",
                "p99", "max");

    std::vector<double> all_masks, all_compile, cold_masks, warm_masks;
    int failures = 0;
    for (const fs::path& f : files) {
      try {
        const Result r = run(f, vocab, steps, seed, slow_us);
        std::printf("%-36s %8.2fms %7zu %7.1fus %7.1fus %7.1fus %7.1fus  (%d outputs)\n",
                    r.name.c_str(), r.compile_us / 1000, r.mask_us.size(), mean(r.mask_us),
                    percentile(r.mask_us, 0.5), percentile(r.mask_us, 0.99),
                    percentile(r.mask_us, 1.0), r.outputs);
        all_masks.insert(all_masks.end(), r.mask_us.begin(), r.mask_us.end());
        cold_masks.insert(cold_masks.end(), r.cold_us.begin(), r.cold_us.end());
        warm_masks.insert(warm_masks.end(), r.mask_us.begin() + static_cast<long>(r.cold_us.size()),
                          r.mask_us.end());
        all_compile.push_back(r.compile_us);
      } catch (const std::exception& e) {
        std::printf("%-36s FAILED: %s\n", f.filename().c_str(), e.what());
        ++failures;
      }
    }
    std::printf(
        "\nall: %zu grammars, %zu masks: mean %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us "
        "(targets: mean < 100 us, p99 < 1000 us)\n",
        all_compile.size(), all_masks.size(), mean(all_masks), percentile(all_masks, 0.5),
        percentile(all_masks, 0.99), percentile(all_masks, 1.0));
    std::printf(
        "first output per grammar (fragment cache cold): %zu masks: mean %.1f us, p50 %.1f "
        "us, p99 %.1f us, max %.1f us\n",
        cold_masks.size(), mean(cold_masks), percentile(cold_masks, 0.5),
        percentile(cold_masks, 0.99), percentile(cold_masks, 1.0));
    std::printf(
        "later outputs (fresh constraints, cache shared): %zu masks: mean %.1f us, p50 %.1f "
        "us, p99 %.1f us, max %.1f us\n",
        warm_masks.size(), mean(warm_masks), percentile(warm_masks, 0.5),
        percentile(warm_masks, 0.99), percentile(warm_masks, 1.0));
    std::printf("compile (parse + constraint): p50 %.2f ms, p99 %.2f ms (target p99 < 50 ms)\n",
                percentile(all_compile, 0.5) / 1000, percentile(all_compile, 0.99) / 1000);
    return failures == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "grammar_mask_bench: %s\n", e.what());
    return 1;
  }
}
