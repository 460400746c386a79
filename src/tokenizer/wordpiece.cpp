// BERT normalisation and pre-tokenization, then greedy longest-match WordPiece.
//
// Normalisation follows the Hugging Face BertNormalizer: full canonical decomposition with every
// non-spacing mark dropped. The reference (llama.cpp) instead maps a precomposed letter to its
// base letter and keeps stand-alone marks, which turns decomposed input into [UNK]; see
// docs/tokenizer.md.
#include "tokenizer/wordpiece.h"

#include "tokenizer/unicode_props.h"
#include "util/utf8.h"

namespace rightsize::tokenizer {

namespace {

namespace uc = unicode;

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // "▁"
// Longer words are [UNK] outright, as in BERT's WordPiece (max_input_chars_per_word).
constexpr size_t kMaxWordChars = 100;

bool is_bert_punctuation(uint32_t cp) {
  const uc::CharClass c = uc::char_class(cp);
  return c == uc::CharClass::kPunct || (cp < 0x80 && c == uc::CharClass::kSymbol);
}

}  // namespace

std::vector<std::string> WordPieceTokenizer::words(std::string_view text) const {
  std::vector<std::string> words;
  std::string word;
  auto finish_word = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  std::vector<uint32_t> chars, lowered;
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp = 0;
    if (!utf8_decode(text, pos, cp)) cp = kReplacementChar;
    // Clean-up: NUL, U+FFFD and control characters go, including the white-space ones other
    // than tab, LF and CR (VT, FF, NEL), as in the Hugging Face normaliser.
    if (cp == 0 || cp == kReplacementChar) continue;
    const bool tab_or_newline = cp == '\t' || cp == '\n' || cp == '\r';
    if (!tab_or_newline && uc::char_class(cp) == uc::CharClass::kControl) continue;
    if (uc::is_white_space(cp)) {
      finish_word();
      continue;
    }

    chars.clear();
    if (vocab_.strip_accents()) {
      uc::append_nfd(cp, chars);
    } else {
      chars.push_back(cp);
    }
    for (uint32_t c : chars) {
      if (vocab_.strip_accents() && uc::char_class(c) == uc::CharClass::kMark) continue;
      lowered.clear();
      if (vocab_.lowercase()) {
        uc::append_lower(c, lowered);
      } else {
        lowered.push_back(c);
      }
      for (uint32_t l : lowered) {
        // Punctuation and CJK ideographs are words of their own.
        if (is_bert_punctuation(l) || uc::is_cjk_ideograph(l)) {
          finish_word();
          utf8_append(word, l);
          finish_word();
        } else {
          utf8_append(word, l);
        }
      }
    }
  }
  finish_word();
  return words;
}

void WordPieceTokenizer::encode(std::string_view text, std::vector<int32_t>& out) const {
  for (const std::string& word : words(text)) encode_word(word, out);
}

void WordPieceTokenizer::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  size_t n_chars = 0;
  for (char c : word) n_chars += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  const size_t first_out = out.size();
  bool ok = n_chars <= kMaxWordChars;

  // The first piece is looked up with the "▁" word-start mark, later ones without it.
  const std::string marked = std::string(kWordStart) + std::string(word);
  size_t start = 0;
  while (ok && start < word.size()) {
    const std::string_view rest = start == 0 ? std::string_view(marked) : word.substr(start);
    const size_t mark = start == 0 ? kWordStart.size() : 0;
    size_t len = std::min(rest.size(), vocab_.max_token_bytes());
    int32_t id = kNoToken;
    for (; len > mark; --len) {
      // Only cut at character boundaries.
      if (len < rest.size() && (static_cast<uint8_t>(rest[len]) & 0xC0) == 0x80) continue;
      id = vocab_.find(rest.substr(0, len));
      if (id != kNoToken) break;
    }
    if (id == kNoToken) {
      ok = false;
      break;
    }
    out.push_back(id);
    start += len - mark;
  }
  if (!ok) {
    out.resize(first_out);
    if (vocab_.unk() != kNoToken) out.push_back(vocab_.unk());
  }
}

}  // namespace rightsize::tokenizer
