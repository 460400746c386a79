// The tokenizer a model's GGUF file describes: text to token ids and back, special tokens,
// BOS/EOS policy and end-of-generation ids. Dispatches to SPM, byte-level BPE or WordPiece.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace rightsize::gguf {
class GgufFile;
}

namespace rightsize::tokenizer {

class SpmTokenizer;
class BpeTokenizer;
class WordPieceTokenizer;
class SpecialTokenSplitter;

class Tokenizer {
 public:
  // Reads the tokenizer.ggml.* keys of `file` (a full model or a vocab-only file).
  // Raises Error for a missing, mistyped or inconsistent vocabulary.
  static std::unique_ptr<Tokenizer> from_gguf(const gguf::GgufFile& file);
  explicit Tokenizer(Vocab vocab);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // add_special: add BOS / EOS (and BERT's [SEP]) as the file's flags say.
  // parse_special: text spelling a control token (e.g. "<|eot_id|>") becomes that token;
  // otherwise it is tokenized as ordinary text. User-defined tokens match either way.
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes a token stands for: byte tokens give one raw byte (possibly part of a UTF-8
  // character), "▁" reads as a space, control tokens give their own text. Error if out of range.
  const std::string& token_to_piece(int32_t id) const;

  // Concatenated pieces. The space SentencePiece (and WordPiece) put before the first word is
  // dropped; skip_special leaves out control and unknown tokens. The result is the raw bytes:
  // a sequence cut inside a character is not valid UTF-8 (StreamDecoder handles that).
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;

  int32_t n_vocab() const { return vocab_.n_tokens(); }
  int32_t bos() const { return vocab_.bos(); }  // kNoToken when the vocabulary has none
  int32_t eos() const { return vocab_.eos(); }
  int32_t eot() const { return vocab_.eot(); }
  bool is_eog(int32_t id) const { return vocab_.is_eog(id); }
  const std::string& token_text(int32_t id) const;  // as stored in the file
  TokenType token_type(int32_t id) const;
  const Vocab& vocab() const { return vocab_; }

  // Whether a piece's leading space is dropped when it starts the decoded text.
  bool strips_leading_space() const { return strip_leading_space_; }
  bool is_special(int32_t id) const;  // control or unknown: what skip_special leaves out

 private:
  void check_id(int32_t id) const;

  Vocab vocab_;
  std::unique_ptr<SpecialTokenSplitter> splitter_;
  std::unique_ptr<SpmTokenizer> spm_;
  std::unique_ptr<BpeTokenizer> bpe_;
  std::unique_ptr<WordPieceTokenizer> wordpiece_;
  std::vector<std::string> pieces_;  // token_to_piece for every id, computed once
  bool strip_leading_space_ = false;
};

}  // namespace rightsize::tokenizer
