// Tokenizer: special-token splitting, BOS/EOS policy and decoding around the model tokenizers.
#include "tokenizer/tokenizer.h"

#include "gguf/gguf_file.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/special_tokens.h"
#include "tokenizer/spm.h"
#include "tokenizer/wordpiece.h"
#include "util/error.h"

namespace rightsize::tokenizer {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // "▁"

std::string replace_space_marks(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    if (text.substr(pos, kSpaceMark.size()) == kSpaceMark) {
      out.push_back(' ');
      pos += kSpaceMark.size();
    } else {
      out.push_back(text[pos++]);
    }
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The bytes a token stands for, by vocabulary kind and token type.
std::string piece_of(const Vocab& vocab, int32_t id) {
  const std::string& text = vocab.text(id);
  switch (vocab.type(id)) {
    case TokenType::kControl:
    case TokenType::kUnknown:
    case TokenType::kUserDefined:
      return text;
    case TokenType::kByte:
      // "<0xNN>"; anything else is kept as it is written.
      if (text.size() == 6 && text.starts_with("<0x") && text[5] == '>' &&
          hex_digit(text[3]) >= 0 && hex_digit(text[4]) >= 0)
        return std::string(1, static_cast<char>(hex_digit(text[3]) * 16 + hex_digit(text[4])));
      return text;
    case TokenType::kNormal:
      break;
    case TokenType::kUnused:
    case TokenType::kUndefined:
      return {};
  }
  if (vocab.kind() == VocabKind::kBpe) {
    std::string out;
    append_symbol_bytes(text, out);
    return out;
  }
  return replace_space_marks(text);
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const gguf::GgufFile& file) {
  return std::make_unique<Tokenizer>(Vocab::from_gguf(file));
}

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {
  splitter_ = std::make_unique<SpecialTokenSplitter>(vocab_);
  switch (vocab_.kind()) {
    case VocabKind::kSpm:
      spm_ = std::make_unique<SpmTokenizer>(vocab_);
      strip_leading_space_ = vocab_.add_space_prefix();
      break;
    case VocabKind::kBpe:
      bpe_ = std::make_unique<BpeTokenizer>(vocab_);
      break;
    case VocabKind::kWordPiece:
      wordpiece_ = std::make_unique<WordPieceTokenizer>(vocab_);
      strip_leading_space_ = true;  // every word starts with "▁"; the first one has no space
      break;
  }
  pieces_.reserve(vocab_.n_tokens());
  for (int32_t id = 0; id < vocab_.n_tokens(); ++id) pieces_.push_back(piece_of(vocab_, id));
}

Tokenizer::~Tokenizer() = default;

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special && vocab_.add_bos()) out.push_back(vocab_.bos());

  // SentencePiece prefixes a space to text at the start and after every special token.
  bool after_special = true;
  for (const Fragment& f : splitter_->split(text, parse_special)) {
    if (f.token != kNoToken) {
      out.push_back(f.token);
      after_special = true;
      continue;
    }
    switch (vocab_.kind()) {
      case VocabKind::kSpm:
        spm_->encode(f.text, vocab_.add_space_prefix() && after_special, out);
        break;
      case VocabKind::kBpe:
        bpe_->encode(f.text, out);
        break;
      case VocabKind::kWordPiece:
        wordpiece_->encode(f.text, out);
        break;
    }
    after_special = false;
  }

  if (add_special && vocab_.add_sep()) out.push_back(vocab_.sep());
  if (add_special && vocab_.add_eos()) out.push_back(vocab_.eos());
  return out;
}

void Tokenizer::check_id(int32_t id) const {
  if (!vocab_.valid_id(id))
    throw Error("token id " + std::to_string(id) + " is out of range (the vocabulary has " +
                std::to_string(vocab_.n_tokens()) + " tokens)");
}

const std::string& Tokenizer::token_to_piece(int32_t id) const {
  check_id(id);
  return pieces_[id];
}

const std::string& Tokenizer::token_text(int32_t id) const {
  check_id(id);
  return vocab_.text(id);
}

TokenType Tokenizer::token_type(int32_t id) const {
  check_id(id);
  return vocab_.type(id);
}

bool Tokenizer::is_special(int32_t id) const {
  check_id(id);
  const TokenType t = vocab_.type(id);
  return t == TokenType::kControl || t == TokenType::kUnknown;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string out;
  bool at_start = true;
  for (int32_t id : ids) {
    check_id(id);
    const bool special = is_special(id);
    if (skip_special && special) continue;
    std::string_view piece = pieces_[id];
    // Control tokens before the first word (a BOS) do not end "the start".
    if (at_start && !special) {
      if (strip_leading_space_ && piece.starts_with(' ')) piece.remove_prefix(1);
      at_start = false;
    }
    out.append(piece);
  }
  return out;
}

}  // namespace rightsize::tokenizer
