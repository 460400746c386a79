// StreamDecoder: holds back the tail of an unfinished UTF-8 character between tokens.
#include "tokenizer/stream_decoder.h"

#include "tokenizer/tokenizer.h"
#include "util/utf8.h"

namespace rightsize::tokenizer {

std::string StreamDecoder::push(int32_t id) {
  const bool special = tokenizer_.is_special(id);
  if (skip_special_ && special) return {};
  std::string_view piece = tokenizer_.token_to_piece(id);
  if (at_start_ && !special) {
    if (tokenizer_.strips_leading_space() && piece.starts_with(' ')) piece.remove_prefix(1);
    at_start_ = false;
  }
  pending_.append(piece);
  const size_t ready = utf8_complete_prefix(pending_);
  std::string out = utf8_sanitize(std::string_view(pending_).substr(0, ready));
  pending_.erase(0, ready);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = utf8_sanitize(pending_);
  pending_.clear();
  at_start_ = !continuation_;
  return out;
}

}  // namespace rightsize::tokenizer
