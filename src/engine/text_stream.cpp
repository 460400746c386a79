// TextStream: detokenization with stop strings.
#include "engine/text_stream.h"

#include <algorithm>

#include "util/error.h"

namespace rightsize::engine {
namespace {

// Length of the longest suffix of `text` that is a proper prefix of some stop string: that
// much must be held back, since the next token may complete the stop string.
size_t held_back(std::string_view text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const std::string& s : stops) {
    for (size_t n = std::min(s.size() - 1, text.size()); n > hold; --n) {
      if (text.substr(text.size() - n) == std::string_view(s).substr(0, n)) {
        hold = n;
        break;
      }
    }
  }
  return hold;
}

}  // namespace

TextStream::TextStream(const tokenizer::Tokenizer& tokenizer, std::vector<std::string> stops)
    : decoder_(tokenizer, false, true), stops_(std::move(stops)) {
  for (const std::string& s : stops_)
    if (s.empty()) throw Error("a stop string is empty");
}

bool TextStream::push(int32_t token) {
  RS_CHECK(!stopped_ && !finished_);
  text_ += decoder_.push(token);
  // Only the new bytes (and a stop string's length before them) can hold a new occurrence.
  for (const std::string& s : stops_) {
    const size_t from = taken_ > s.size() ? taken_ - s.size() : 0;
    const size_t at = text_.find(s, from);
    if (at != std::string::npos) {
      text_.resize(at);
      stopped_ = true;
    }
  }
  return stopped_;
}

void TextStream::finish() {
  if (finished_) return;
  if (!stopped_) text_ += decoder_.flush();
  finished_ = true;
}

std::string_view TextStream::take_ready() {
  const size_t hold = finished_ || stopped_ ? 0 : held_back(text_, stops_);
  const size_t ready = std::max(taken_, text_.size() - hold);
  const std::string_view out = std::string_view(text_).substr(taken_, ready - taken_);
  taken_ = ready;
  return out;
}

}  // namespace rightsize::engine
