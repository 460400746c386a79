// The vocabulary a GGUF file carries in its tokenizer.ggml.* keys: token texts, scores and types,
// BPE merges, special-token ids and the flags that steer encoding. Validated once at load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rightsize::gguf {
class GgufFile;
}

namespace rightsize::tokenizer {

constexpr int32_t kNoToken = -1;

// tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// tokenizer.ggml.model: "llama" (SentencePiece), "gpt2" (byte-level BPE), "bert" (WordPiece).
enum class VocabKind { kSpm, kBpe, kWordPiece };

class Vocab {
 public:
  // Reads and validates the tokenizer keys; works on vocab-only files without tensors.
  // Raises Error naming the file and key for anything missing, mistyped or out of range.
  static Vocab from_gguf(const gguf::GgufFile& file);

  VocabKind kind() const { return kind_; }
  const std::string& pre() const { return pre_; }  // tokenizer.ggml.pre ("default" if absent)
  int32_t n_tokens() const { return static_cast<int32_t>(texts_.size()); }
  bool valid_id(int32_t id) const { return id >= 0 && id < n_tokens(); }

  const std::string& text(int32_t id) const { return texts_[id]; }
  float score(int32_t id) const { return scores_[id]; }
  TokenType type(int32_t id) const { return types_[id]; }
  bool is_control(int32_t id) const { return types_[id] == TokenType::kControl; }
  // The id whose text is exactly `text`, or kNoToken.
  int32_t find(std::string_view text) const;
  // Longest token text in bytes: bounds the greedy WordPiece search.
  size_t max_token_bytes() const { return max_token_bytes_; }

  // "left right" strings in rank order (BPE only).
  const std::vector<std::string>& merges() const { return merges_; }
  // SentencePiece byte-fallback token for a byte (<0xNN>), or kNoToken.
  int32_t byte_token(uint8_t byte) const { return byte_tokens_[byte]; }

  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  int32_t eot() const { return eot_; }
  int32_t unk() const { return unk_; }
  int32_t sep() const { return sep_; }
  int32_t pad() const { return pad_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_sep() const { return add_sep_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  bool ignore_merges() const { return ignore_merges_; }
  // BERT normaliser options.
  bool lowercase() const { return lowercase_; }
  bool strip_accents() const { return strip_accents_; }

  // End of generation: eos, eot, eom and the tokens the reference recognises by their text.
  bool is_eog(int32_t id) const;
  const std::vector<int32_t>& eog_ids() const { return eog_ids_; }

  // Control, user-defined and unknown tokens, longest text first (ties by id): the order in
  // which their text is cut out of the input before the model tokenizer runs.
  const std::vector<int32_t>& special_tokens() const { return special_tokens_; }
  // Whether white space right after (left before) this special token is swallowed.
  bool rstrip(int32_t id) const { return (strip_[id] & kRstrip) != 0; }
  bool lstrip(int32_t id) const { return (strip_[id] & kLstrip) != 0; }

 private:
  static constexpr uint8_t kLstrip = 1, kRstrip = 2;

  void read_tokens(const gguf::GgufFile& file);
  void read_special_ids(const gguf::GgufFile& file);
  void find_eog_tokens();
  void build_special_list(const gguf::GgufFile& file);

  VocabKind kind_ = VocabKind::kSpm;
  std::string pre_;
  std::vector<std::string> texts_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  std::vector<uint8_t> strip_;
  // Text → id by open addressing: find() is the inner loop of SentencePiece merging, and a flat
  // table with the hash kept beside the id touches a token's text only on a likely match.
  struct IdSlot {
    uint32_t hash = 0;
    int32_t id = kNoToken;
  };
  std::vector<IdSlot> id_slots_;  // size a power of two, at most half full
  int id_shift_ = 64;
  size_t max_token_bytes_ = 0;
  std::vector<std::string> merges_;
  int32_t byte_tokens_[256] = {};

  int32_t bos_ = kNoToken, eos_ = kNoToken, eot_ = kNoToken, eom_ = kNoToken;
  int32_t unk_ = kNoToken, sep_ = kNoToken, pad_ = kNoToken;
  bool add_bos_ = false, add_eos_ = false, add_sep_ = false, add_space_prefix_ = false;
  bool ignore_merges_ = false;
  bool lowercase_ = true, strip_accents_ = true;
  std::vector<int32_t> eog_ids_;
  std::vector<int32_t> special_tokens_;
};

}  // namespace rightsize::tokenizer
