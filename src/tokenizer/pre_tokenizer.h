// The pre-tokenizers of byte-level BPE vocabularies: the regular expressions, chosen by
// tokenizer.ggml.pre, that split text into the words BPE merges within. PCRE2, UTF-8 + UCP mode.
#pragma once

#include <string>
#include <string_view>
#include <vector>

struct pcre2_real_code_8;

namespace rightsize::tokenizer {

// One pre-tokenizer family, as the reference (llama.cpp) defines it.
struct PreTokenizerSpec {
  std::vector<std::string_view> names;     // tokenizer.ggml.pre values that select it
  std::vector<std::string_view> patterns;  // applied in turn, each to every piece of the last
  bool ignore_merges = false;  // a word that is itself a token is not merged (Llama 3, Tekken)
  bool add_bos = false;        // default for tokenizer.ggml.add_bos_token
};

// The spec selected by a tokenizer.ggml.pre value, or nullptr if unknown.
const PreTokenizerSpec* find_pre_tokenizer(std::string_view pre);
// Every accepted tokenizer.ggml.pre value, comma-separated, for error messages.
std::string known_pre_tokenizers();

class PreTokenizer {
 public:
  explicit PreTokenizer(const PreTokenizerSpec& spec);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Appends the words of `text` (valid UTF-8) to `words`, as views into `text`, in order. Each
  // pattern splits every current piece into its matches and the text between them, so the words
  // cover `text` exactly. Raises Error if the regex engine gives up on a pathological input.
  void split(std::string_view text, std::vector<std::string_view>& words) const;

 private:
  struct Pattern {
    pcre2_real_code_8* code = nullptr;
    bool jit = false;
  };
  void split_piece(const Pattern& pattern, std::string_view piece,
                   std::vector<std::string_view>& out) const;

  std::vector<Pattern> patterns_;
};

}  // namespace rightsize::tokenizer
