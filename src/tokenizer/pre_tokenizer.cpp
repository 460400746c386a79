// Byte-level BPE pre-tokenizers: the split patterns per tokenizer.ggml.pre and the PCRE2 driver.
//
// The patterns reproduce the reference's (llama.cpp's) behaviour, which is what GGUF files were
// converted against: where it approximates the Hugging Face expression (case-insensitive
// contractions spelled out, Tekken's case classes as "letter but not a-z"), so do we.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pre_tokenizer.h"

#include <pcre2.h>

#include <memory>

#include "util/error.h"
#include "util/utf8.h"

namespace rightsize::tokenizer {

namespace {

// GPT-2's expression. Without a final "\s+" alternative, a lone white-space character before
// a non-space is left unmatched and becomes a word of its own between two matches.
constexpr std::string_view kGpt2 =
    R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re";

#define RS_CONTRACTIONS R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]))re"

// Llama 3: contractions in either case, digits in groups of up to three, newlines kept with
// the white space before them.
constexpr std::string_view kLlama3 = RS_CONTRACTIONS
    R"re(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

// Qwen2: Llama 3 with every digit a word of its own.
constexpr std::string_view kQwen2 = RS_CONTRACTIONS
    R"re(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

// Tekken (Mistral Nemo): words split at lower→upper case changes. "Upper" is read as "a letter
// other than a-z" and "lower" as "a letter other than A-Z", as in the reference.
constexpr std::string_view kTekken =
    R"re([^\r\n\p{L}\p{N}]?(?:(?=\p{L})[^a-z])*(?:(?=\p{L})[^A-Z])+)re"
    R"re(|[^\r\n\p{L}\p{N}]?(?:(?=\p{L})[^a-z])+(?:(?=\p{L})[^A-Z])*)re"
    R"re(|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

// GPT-4o (o200k): Tekken's word rule with optional contractions and digit triples.
constexpr std::string_view kGpt4o =
    R"re([^\r\n\p{L}\p{N}]?(?:(?=\p{L})[^a-z])*(?:(?=\p{L})[^A-Z])+)re" RS_CONTRACTIONS
    R"re(?|[^\r\n\p{L}\p{N}]?(?:(?=\p{L})[^a-z])+(?:(?=\p{L})[^A-Z])*)re" RS_CONTRACTIONS
    R"re(?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

#undef RS_CONTRACTIONS

// DeepSeek Coder's fourth step groups CJK, Hangul and everything from U+0800 to U+4E00; the
// reference hides non-ASCII white space from that class, hence the look-ahead.
constexpr std::string_view kDeepseekCjk =
    R"re((?:(?!\s)[\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}])+)re";

constexpr std::string_view kBloom = R"re( ?[^(\s|.,!?…。，、।۔،)]+)re";

const std::vector<PreTokenizerSpec>& specs() {
  static const std::vector<PreTokenizerSpec> kSpecs = {
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral"}, {kLlama3}, true, true},
      {{"dbrx", "smaug-bpe", "chatglm-bpe", "glm4"}, {kLlama3}, false, false},
      {{"tekken"}, {kTekken}, true, true},
      {{"qwen2", "deepseek-r1-qwen", "stablelm2", "megrez"}, {kQwen2}, false, false},
      {{"gpt-2", "phi-2", "mpt", "olmo", "jais", "jina-es", "jina-de", "jina-v1-en", "jina-v2-es",
        "jina-v2-de", "jina-v2-code", "roberta-bpe", "gigachat"},
       {kGpt2},
       false,
       false},
      {{"starcoder", "refact", "smollm", "command-r", "codeshell", "exaone", "minerva-7b"},
       {R"re(\p{N})re", kGpt2},
       false,
       false},
      {{"falcon"}, {R"re([\p{P}\$\+<=>\^~\|`]+)re", kGpt2, "[0-9][0-9][0-9]"}, false, false},
      {{"deepseek-coder"},
       {"[\\r\\n]", R"re(\s?\p{L}+)re", R"re(\s?\p{P}+)re", kDeepseekCjk, R"re(\p{N})re"},
       false,
       false},
      {{"gpt-4o", "llama4"}, {kGpt4o}, false, false},
      {{"bloom", "poro-chat", "gpt3-finnish"}, {kBloom}, false, false},
      {{"viking"}, {kBloom, R"re(\p{N})re"}, false, false},
      {{"default"},
       {R"re([\p{P}\$\+<=>\^~\|]+)re", kGpt2, R"re(\p{N}+)re", "[0-9][0-9][0-9]"},
       false,
       false},
  };
  return kSpecs;
}

// PCRE2's \s also matches U+180E, which left the White_Space property in Unicode 6.3; the
// reference's \s is exactly White_Space. So \s and \S are spelled out before compiling.
constexpr std::string_view kWhiteSpace =
    R"re(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})re";

std::string expand_white_space(std::string_view pattern) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[++i];
      if (e == 's') {
        out += in_class ? std::string(kWhiteSpace) : "[" + std::string(kWhiteSpace) + "]";
      } else if (e == 'S') {
        RS_CHECK_MSG(!in_class, std::string(pattern));
        out += "[^" + std::string(kWhiteSpace) + "]";
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      continue;  // a ']' right here would be a literal; our patterns have none
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

// Per-thread matching state: match data sized for our patterns and a JIT stack that grows for
// long runs of one class (a 100k-space line would overflow the default 32 KiB).
class MatchScratch {
 public:
  MatchScratch() {
    data = pcre2_match_data_create(4, nullptr);
    context = pcre2_match_context_create(nullptr);
    jit_stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    RS_CHECK(data != nullptr && context != nullptr && jit_stack != nullptr);
    pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~MatchScratch() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
  MatchScratch(const MatchScratch&) = delete;
  MatchScratch& operator=(const MatchScratch&) = delete;

  pcre2_match_data* data;
  pcre2_match_context* context;
  pcre2_jit_stack* jit_stack;
};

MatchScratch& scratch() {
  thread_local MatchScratch s;
  return s;
}

}  // namespace

const PreTokenizerSpec* find_pre_tokenizer(std::string_view pre) {
  for (const auto& spec : specs()) {
    for (std::string_view name : spec.names) {
      if (name == pre) return &spec;
    }
  }
  return nullptr;
}

std::string known_pre_tokenizers() {
  std::string out;
  for (const auto& spec : specs()) {
    for (std::string_view name : spec.names) {
      if (!out.empty()) out += ", ";
      out += name;
    }
  }
  return out;
}

PreTokenizer::PreTokenizer(const PreTokenizerSpec& spec) {
  for (std::string_view pattern : spec.patterns) {
    const std::string source = expand_white_space(pattern);
    int error = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* code =
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(),
                      PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &error, &offset, nullptr);
    if (code == nullptr) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof(message));
      RS_CHECK_MSG(false, "pattern " + source + " at " + std::to_string(offset) + ": " +
                              reinterpret_cast<const char*>(message));
    }
    // Without JIT (some platforms) the interpreter gives the same matches, only slower.
    const bool jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    patterns_.push_back({code, jit});
  }
}

PreTokenizer::~PreTokenizer() {
  for (auto& p : patterns_) pcre2_code_free(p.code);
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& words) const {
  if (text.empty()) return;
  std::vector<std::string_view> pieces{text};
  std::vector<std::string_view> next;
  for (const Pattern& pattern : patterns_) {
    next.clear();
    for (std::string_view piece : pieces) split_piece(pattern, piece, next);
    pieces.swap(next);
  }
  words.insert(words.end(), pieces.begin(), pieces.end());
}

void PreTokenizer::split_piece(const Pattern& pattern, std::string_view piece,
                               std::vector<std::string_view>& out) const {
  MatchScratch& s = scratch();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
  // Each piece is its own subject, so look-aheads stop at its end as in the reference.
  size_t gap_start = 0;
  size_t search_from = 0;
  while (search_from < piece.size()) {
    const int rc = pattern.jit ? pcre2_jit_match(pattern.code, subject, piece.size(), search_from,
                                                 0, s.data, s.context)
                               : pcre2_match(pattern.code, subject, piece.size(), search_from,
                                             PCRE2_NO_UTF_CHECK, s.data, s.context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof(message));
      throw Error(std::string("pre-tokenizer: cannot split a ") + std::to_string(piece.size()) +
                  "-byte piece of the input: " + reinterpret_cast<const char*>(message));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(s.data);
    const size_t begin = ov[0], end = ov[1];
    if (end == begin) {  // none of our patterns matches empty; step over a character if one did
      search_from = begin + utf8_lead_length(static_cast<uint8_t>(piece[begin]));
      continue;
    }
    if (begin > gap_start) out.push_back(piece.substr(gap_start, begin - gap_start));
    out.push_back(piece.substr(begin, end - begin));
    gap_start = search_from = end;
  }
  if (gap_start < piece.size()) out.push_back(piece.substr(gap_start));
}

}  // namespace rightsize::tokenizer
