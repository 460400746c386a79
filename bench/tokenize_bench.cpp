// Tokenization throughput: encode and decode ~1 MB of mixed text (prose, code, CJK) with a GGUF
// vocabulary, after checking that the text survives the round trip.
//
//   tokenize_bench [vocab.gguf] [text-file]
//
// Defaults: the Llama 3 vocabulary from the shared test data, and generated text.
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
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/utf8.h"

namespace {

using rightsize::tokenizer::Tokenizer;
using Clock = std::chrono::steady_clock;

constexpr size_t kSegmentBytes = 350 * 1024;  // three segments: ~1 MB in all

std::string default_vocab() {
  const char* env = std::getenv("RIGHTSIZE_TESTDATA");
  const std::filesystem::path dir = env && *env ? env : RS_DEFAULT_TESTDATA;
  return (dir / "tokenizer" / "ggml-vocab-llama-bpe.gguf").string();
}

// English-like prose: sentences of common words, capitals, numbers and punctuation.
std::string make_prose(std::mt19937& rng) {
  static const char* kWords[] = {
      "the",          "model",   "runs",      "on",         "a",        "small",   "CPU",
      "and",          "answers", "questions", "about",      "its",      "own",     "tokenizer",
      "which",        "splits",  "text",      "into",       "words",    "before",  "merging",
      "bytes",        "we",      "measured",  "throughput", "latency",  "energy",  "per",
      "query",        "router",  "sends",     "hard",       "requests", "to",      "larger",
      "models",       "while",   "simple",    "ones",       "stay",     "local",   "don't",
      "it's",         "they'll", "Llama",     "Mistral",    "Qwen",     "results", "were",
      "surprisingly", "good",    "in",        "2024",       "with",     "3.5",     "percent",
      "error",        "rate"};
  std::uniform_int_distribution<size_t> word(0, std::size(kWords) - 1);
  std::uniform_int_distribution<int> len(6, 20), punct(0, 9);
  std::string out;
  while (out.size() < kSegmentBytes) {
    const int n = len(rng);
    for (int i = 0; i < n; ++i) {
      std::string w = kWords[word(rng)];
      if (i == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      out += w;
      out += (i + 1 == n) ? "" : (punct(rng) == 0 ? ", " : " ");
    }
    out += punct(rng) < 2 ? "?\n\n" : ". ";
  }
  return out;
}

// Source code: indentation, operators, identifiers, string literals and comments.
std::string make_code(std::mt19937& rng) {
  static const char* kLines[] = {
      "for (size_t i = 0; i < n_tokens; ++i) {",
      "    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));",
      "    out[i] = std::max(out[i], logits[i] * scale);  // keep the running maximum",
      "}",
      "def tokenize(text: str) -> list[int]:",
      "    return [vocab.get(w, UNK) for w in text.split()]",
      "if (rc < 0) throw Error(\"cannot open \" + path + \": \" + std::strerror(errno));",
      "\t\treturn {.id = id, .score = -1.25e-3, .name = \"<|im_end|>\"};",
      "#include <vector>",
      "SELECT name, COUNT(*) FROM requests WHERE latency_ms > 250 GROUP BY name;",
      "x = {\"a\": [1, 2, 3], 'b': None, \"c\": 0x1F}",
  };
  std::uniform_int_distribution<size_t> line(0, std::size(kLines) - 1);
  std::uniform_int_distribution<int> indent(0, 3);
  std::string out;
  while (out.size() < kSegmentBytes) {
    out += std::string(4 * indent(rng), ' ');
    out += kLines[line(rng)];
    out += '\n';
  }
  return out;
}

// Chinese and Japanese: common ideographs, kana, full-width punctuation, some Latin.
std::string make_cjk(std::mt19937& rng) {
  std::uniform_int_distribution<uint32_t> han(0x4E00, 0x62FF), kana(0x3041, 0x30FA);
  std::uniform_int_distribution<int> kind(0, 19), run(1, 6);
  std::string out;
  while (out.size() < kSegmentBytes) {
    const int k = kind(rng);
    if (k < 10) {
      for (int i = run(rng); i > 0; --i) rightsize::utf8_append(out, han(rng));
    } else if (k < 16) {
      for (int i = run(rng); i > 0; --i) rightsize::utf8_append(out, kana(rng));
    } else if (k < 18) {
      out += k == 16 ? "\xEF\xBC\x8C" : "\xE3\x80\x82";  // ， 。
    } else {
      out += k == 18 ? " GPU " : "2025";
    }
  }
  return out;
}

std::string read_text(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw rightsize::Error(std::string("cannot read ") + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Best of `reps` runs, in seconds.
template <typename F>
double best_seconds(int reps, F&& f) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string vocab_path = argc > 1 ? argv[1] : default_vocab();
    auto file = rightsize::gguf::GgufFile::open(vocab_path);
    const auto t_load = Clock::now();
    auto tok = Tokenizer::from_gguf(*file);
    const double load_s = std::chrono::duration<double>(Clock::now() - t_load).count();

    std::vector<std::pair<std::string, std::string>> segments;
    if (argc > 2) {
      segments.emplace_back("file", read_text(argv[2]));
    } else {
      std::mt19937 rng(42);
      segments.emplace_back("prose", make_prose(rng));
      segments.emplace_back("code", make_code(rng));
      segments.emplace_back("cjk", make_cjk(rng));
    }
    std::string all;
    for (const auto& s : segments) all += s.second;
    segments.emplace_back("all", all);

    std::printf("vocab %s: %d tokens, %s, loaded in %.0f ms\n", vocab_path.c_str(), tok->n_vocab(),
                tok->vocab().pre().c_str(), load_s * 1e3);
    std::printf("%-6s %9s %9s %7s %9s %9s %9s %9s\n", "text", "bytes", "tokens", "B/tok",
                "enc MB/s", "ns/byte", "Mtok/s", "dec MB/s");
    for (const auto& [name, text] : segments) {
      // Check first: the figure means nothing if the text does not come back. (WordPiece
      // lowercases and drops accents, so only its token count is checked there.)
      const std::vector<int32_t> ids = tok->encode(text, false, false);
      const bool lossless = tok->vocab().kind() != rightsize::tokenizer::VocabKind::kWordPiece;
      if (ids.empty() || (lossless && tok->decode(ids) != text)) {
        std::fprintf(stderr, "round trip failed on the %s text\n", name.c_str());
        return 1;
      }
      std::vector<int32_t> sink;
      const double enc = best_seconds(3, [&] { sink = tok->encode(text, false, false); });
      std::string back;
      const double dec = best_seconds(3, [&] { back = tok->decode(ids); });
      const double mb = static_cast<double>(text.size()) / 1e6;
      std::printf("%-6s %9zu %9zu %7.2f %9.2f %9.1f %9.2f %9.1f\n", name.c_str(), text.size(),
                  ids.size(), static_cast<double>(text.size()) / ids.size(), mb / enc,
                  enc * 1e9 / text.size(), ids.size() / enc / 1e6, mb / dec);
    }
    std::printf("(one thread; best of 3 runs; round trip checked before timing%s)\n",
                tok->vocab().kind() == rightsize::tokenizer::VocabKind::kWordPiece
                    ? ", except for WordPiece, which is lossy"
                    : "");
  } catch (const rightsize::Error& e) {
    std::fprintf(stderr, "tokenize_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
