// One sequence's output text as tokens arrive (a continuation of its prompt, so a first piece's
// leading space is kept): whole UTF-8 characters only, stop strings cut
// the text before them, and the tail that could still grow into a stop string held back.
// Shared by the one-conversation Session and the batched engine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace rightsize::engine {

class TextStream {
 public:
  // Raises Error when a stop string is empty.
  TextStream(const tokenizer::Tokenizer& tokenizer, std::vector<std::string> stops);

  // Appends a token's text. Returns true when a stop string now occurs: the text ends just
  // before it and nothing more may be pushed.
  bool push(int32_t token);
  // Ends the text: bytes of an incomplete character are flushed (as U+FFFD) unless a stop
  // string cut the text first; nothing is held back any more.
  void finish();

  // The text that became final since the last call.
  std::string_view take_ready();
  const std::string& text() const { return text_; }
  bool stopped() const { return stopped_; }

 private:
  tokenizer::StreamDecoder decoder_;
  std::vector<std::string> stops_;
  std::string text_;
  size_t taken_ = 0;  // bytes of text_ already handed out
  bool stopped_ = false;
  bool finished_ = false;
};

}  // namespace rightsize::engine
