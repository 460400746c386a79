// Reading and validating a vocabulary from tokenizer.ggml.* GGUF keys.
#include "tokenizer/vocab.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "gguf/gguf_file.h"
#include "tokenizer/pre_tokenizer.h"
#include "util/error.h"

namespace rightsize::tokenizer {

namespace {

constexpr std::string_view kModelKey = "tokenizer.ggml.model";
constexpr std::string_view kPreKey = "tokenizer.ggml.pre";
constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kScoresKey = "tokenizer.ggml.scores";
constexpr std::string_view kTypesKey = "tokenizer.ggml.token_type";
constexpr std::string_view kMergesKey = "tokenizer.ggml.merges";

// Tokens that end generation although the file may not name them eos or eot, recognised by
// their text as the reference does. The order decides which one becomes eot() when the file
// names none.
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",   "<|endoftext|>",
    "<|eom_id|>", "<EOT>",      "_<EOT>",  "<|end_of_text|>", "<end_of_utterance>",
};
constexpr std::string_view kEotTexts[] = {
    "<|eot_id|>",    "<|im_end|>", "<|end|>",         "<end_of_turn>",
    "<|endoftext|>", "<EOT>",      "<|end_of_text|>", "<end_of_utterance>",
};

[[noreturn]] void fail(const gguf::GgufFile& file, std::string_view key, const std::string& msg) {
  throw Error(file.path() + ": " + std::string(key) + ": " + msg);
}

std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A numeric array as exact integers, raising Error for a fraction or a value outside [lo, hi].
std::vector<int64_t> integer_array(const gguf::GgufFile& file, std::string_view key,
                                   const gguf::Array& array, int64_t lo, int64_t hi) {
  if (array.size() != 0 && array.numbers.size() != array.size() && array.ints64.empty())
    fail(file, key, "expected an array of integers");
  std::vector<int64_t> out;
  out.reserve(array.size());
  for (size_t i = 0; i < array.size(); ++i) {
    const double v =
        i < array.ints64.size() ? static_cast<double>(array.ints64[i]) : array.numbers[i];
    if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi))
      fail(file, key,
           "element " + std::to_string(i) + " is " +
               gguf::Value{gguf::ValueType::F64, v}.to_display() + ", expected an integer in [" +
               std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

uint64_t text_hash(std::string_view text) { return std::hash<std::string_view>{}(text); }

}  // namespace

int32_t Vocab::find(std::string_view text) const {
  const uint64_t h = text_hash(text);
  const auto tag = static_cast<uint32_t>(h);
  const size_t mask = id_slots_.size() - 1;
  for (size_t i = (h * 0x9E3779B97F4A7C15ull) >> id_shift_;; i = (i + 1) & mask) {
    const IdSlot& slot = id_slots_[i];
    if (slot.id == kNoToken) return kNoToken;
    if (slot.hash == tag && texts_[slot.id] == text) return slot.id;
  }
}

bool Vocab::is_eog(int32_t id) const {
  return std::find(eog_ids_.begin(), eog_ids_.end(), id) != eog_ids_.end();
}

Vocab Vocab::from_gguf(const gguf::GgufFile& file) {
  Vocab v;
  const std::optional<std::string> model = file.get_string(kModelKey);
  if (!model) fail(file, kModelKey, "missing: the file has no tokenizer");
  if (*model == "llama") {
    v.kind_ = VocabKind::kSpm;
  } else if (*model == "gpt2") {
    v.kind_ = VocabKind::kBpe;
  } else if (*model == "bert") {
    v.kind_ = VocabKind::kWordPiece;
  } else {
    fail(file, kModelKey,
         "unsupported tokenizer model '" + *model + "' (supported: llama, gpt2, bert)");
  }
  v.pre_ = file.get_string(kPreKey).value_or("default");

  v.read_tokens(file);

  switch (v.kind_) {
    case VocabKind::kSpm:
      v.add_bos_ = true;
      v.add_space_prefix_ = true;
      break;
    case VocabKind::kWordPiece:
      v.add_bos_ = true;
      v.add_sep_ = true;
      break;
    case VocabKind::kBpe: {
      const PreTokenizerSpec* spec = find_pre_tokenizer(v.pre_);
      if (spec == nullptr)
        fail(file, kPreKey,
             "unknown pre-tokenizer '" + v.pre_ + "' (known: " + known_pre_tokenizers() + ")");
      v.add_bos_ = spec->add_bos;
      v.ignore_merges_ = spec->ignore_merges;
      const gguf::Array* merges = file.get_array(kMergesKey);
      if (merges == nullptr)
        fail(file, kMergesKey, "missing: a gpt2 (BPE) vocabulary needs merges");
      if (merges->size() != 0 && merges->strings.size() != merges->size())
        fail(file, kMergesKey, "expected an array of strings");
      for (size_t i = 0; i < merges->strings.size(); ++i) {
        if (merges->strings[i].find(' ', 1) == std::string::npos)
          fail(file, kMergesKey,
               "entry " + std::to_string(i) + " '" + merges->strings[i] +
                   "' is not two tokens separated by a space");
      }
      v.merges_ = merges->strings;
      break;
    }
  }

  v.add_bos_ = file.get_bool("tokenizer.ggml.add_bos_token").value_or(v.add_bos_);
  v.add_eos_ = file.get_bool("tokenizer.ggml.add_eos_token").value_or(v.add_eos_);
  v.add_sep_ = file.get_bool("tokenizer.ggml.add_sep_token").value_or(v.add_sep_);
  v.add_space_prefix_ =
      file.get_bool("tokenizer.ggml.add_space_prefix").value_or(v.add_space_prefix_);
  v.lowercase_ = file.get_bool("tokenizer.ggml.normalizer.lowercase").value_or(true);
  v.strip_accents_ =
      file.get_bool("tokenizer.ggml.normalizer.strip_accents").value_or(v.lowercase_);

  v.read_special_ids(file);
  v.find_eog_tokens();
  v.build_special_list(file);

  for (int b = 0; b < 256; ++b) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const char name[] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    int32_t id = v.find(std::string_view(name, sizeof(name)));
    if (id == kNoToken) id = v.find(std::string(1, static_cast<char>(b)));
    v.byte_tokens_[b] = id;
  }
  return v;
}

void Vocab::read_tokens(const gguf::GgufFile& file) {
  const gguf::Array* tokens = file.get_array(kTokensKey);
  if (tokens == nullptr) fail(file, kTokensKey, "missing: the file has no token list");
  if (tokens->size() == 0) fail(file, kTokensKey, "the token list is empty");
  if (tokens->strings.size() != tokens->size())
    fail(file, kTokensKey, "expected an array of strings");
  if (tokens->size() > static_cast<size_t>(INT32_MAX))
    fail(file, kTokensKey, "more tokens than 32-bit ids can address");
  const size_t n = tokens->size();
  texts_ = tokens->strings;

  scores_.assign(n, 0.0f);
  if (const gguf::Array* scores = file.get_array(kScoresKey)) {
    if (scores->size() != n)
      fail(file, kScoresKey,
           "has " + std::to_string(scores->size()) + " entries for " + std::to_string(n) +
               " tokens");
    if (scores->numbers.size() != n) fail(file, kScoresKey, "expected an array of numbers");
    for (size_t i = 0; i < n; ++i) scores_[i] = static_cast<float>(scores->numbers[i]);
  }

  types_.assign(n, TokenType::kNormal);
  if (const gguf::Array* types = file.get_array(kTypesKey)) {
    if (types->size() != n)
      fail(
          file, kTypesKey,
          "has " + std::to_string(types->size()) + " entries for " + std::to_string(n) + " tokens");
    const std::vector<int64_t> values = integer_array(file, kTypesKey, *types, 0, 6);
    for (size_t i = 0; i < n; ++i) types_[i] = static_cast<TokenType>(values[i]);
  }
  strip_.assign(n, 0);

  int bits = 4;
  while ((size_t{1} << bits) < 2 * n) ++bits;
  id_slots_.assign(size_t{1} << bits, IdSlot{});
  id_shift_ = 64 - bits;
  const size_t mask = id_slots_.size() - 1;
  for (size_t i = 0; i < n; ++i) {
    const std::string& text = texts_[i];
    max_token_bytes_ = std::max(max_token_bytes_, text.size());
    if (text.empty()) continue;  // unreachable by text; still decodable by id
    const uint64_t h = text_hash(text);
    size_t slot = (h * 0x9E3779B97F4A7C15ull) >> id_shift_;
    for (; id_slots_[slot].id != kNoToken; slot = (slot + 1) & mask) {
      const int32_t other = id_slots_[slot].id;
      if (texts_[other] == text)
        fail(file, kTokensKey,
             "token '" + text + "' appears twice, as ids " + std::to_string(other) + " and " +
                 std::to_string(i));
    }
    id_slots_[slot] = {static_cast<uint32_t>(h), static_cast<int32_t>(i)};
  }
}

void Vocab::read_special_ids(const gguf::GgufFile& file) {
  // The reference's defaults for files that name no ids; kept only if they are in range.
  switch (kind_) {
    case VocabKind::kSpm:
      bos_ = 1, eos_ = 2, unk_ = 0;
      break;
    case VocabKind::kWordPiece:
      bos_ = 101, unk_ = 100, sep_ = 102, pad_ = 0;
      break;
    case VocabKind::kBpe:
      break;
  }
  for (int32_t* id : {&bos_, &eos_, &unk_, &sep_, &pad_}) {
    if (!valid_id(*id)) *id = kNoToken;
  }

  auto read_id = [&](std::string_view key, int32_t& id) {
    const std::optional<int64_t> value = file.get_int(key);
    if (!value) return false;
    if (*value < 0 || *value >= n_tokens())
      fail(file, key,
           "token id " + std::to_string(*value) + " is out of range (the vocabulary has " +
               std::to_string(n_tokens()) + " tokens)");
    id = static_cast<int32_t>(*value);
    return true;
  };
  // Older BERT conversions name the [CLS] token rather than a BOS.
  if (!read_id("tokenizer.ggml.bos_token_id", bos_)) read_id("tokenizer.ggml.cls_token_id", bos_);
  read_id("tokenizer.ggml.eos_token_id", eos_);
  read_id("tokenizer.ggml.eot_token_id", eot_);
  read_id("tokenizer.ggml.eom_token_id", eom_);
  read_id("tokenizer.ggml.unknown_token_id", unk_);
  read_id("tokenizer.ggml.padding_token_id", pad_);
  // "seperator" is the spelling the GGUF convention settled on.
  if (!read_id("tokenizer.ggml.seperator_token_id", sep_))
    read_id("tokenizer.ggml.separator_token_id", sep_);

  if (add_bos_ && bos_ == kNoToken)
    fail(file, "tokenizer.ggml.add_bos_token", "is true but the file names no BOS token");
  if (add_eos_ && eos_ == kNoToken)
    fail(file, "tokenizer.ggml.add_eos_token", "is true but the file names no EOS token");
  if (add_sep_ && sep_ == kNoToken)
    fail(file, "tokenizer.ggml.add_sep_token", "is true but the file names no separator token");
}

void Vocab::find_eog_tokens() {
  if (eot_ == kNoToken) {
    for (std::string_view text : kEotTexts) {
      if (const int32_t id = find(text); id != kNoToken) {
        eot_ = id;
        break;
      }
    }
  }
  auto add = [&](int32_t id) {
    if (id != kNoToken && !is_eog(id)) eog_ids_.push_back(id);
  };
  for (std::string_view text : kEogTexts) {
    const int32_t id = find(text);
    add(id);
    // The reference treats an end-of-turn marker as a control token whatever its file type
    // says, so that its text in a prompt is not mistaken for one unless special text is parsed.
    if (id != kNoToken) types_[id] = TokenType::kControl;
  }
  add(eos_);
  add(eot_);
  add(eom_);
  std::sort(eog_ids_.begin(), eog_ids_.end());
}

void Vocab::build_special_list(const gguf::GgufFile& file) {
  for (int32_t id = 0; id < n_tokens(); ++id) {
    const TokenType t = types_[id];
    if ((t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown) &&
        !texts_[id].empty())
      special_tokens_.push_back(id);
  }
  std::stable_sort(special_tokens_.begin(), special_tokens_.end(),
                   [&](int32_t a, int32_t b) { return texts_[a].size() > texts_[b].size(); });

  // Phi-3's added tokens swallow the white space after them (rstrip in its tokenizer.json); the
  // GGUF does not record that, so the reference recognises the model by name. We also accept
  // the phi3 architecture with a SentencePiece vocabulary, since converted names vary ("Phi 3.5
  // Mini"); Phi-4 shares the architecture but has a BPE vocabulary without rstrip.
  const std::string name = lower_ascii(file.get_string("general.name").value_or(""));
  const std::string arch = file.get_string("general.architecture").value_or("");
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos ||
      (arch == "phi3" && kind_ == VocabKind::kSpm)) {
    for (int32_t id : special_tokens_) strip_[id] |= kRstrip;
    if (const int32_t id = find("</s>"); id != kNoToken) strip_[id] |= kRstrip;
    for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) {
      if (const int32_t id = find(text); id != kNoToken) strip_[id] &= ~kRstrip;
    }
  }
}

}  // namespace rightsize::tokenizer
