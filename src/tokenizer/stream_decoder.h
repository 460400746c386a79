// Incremental detokenization for streaming output: each token's bytes are released only as
// whole UTF-8 characters, so a character split across tokens is never sent broken.
#pragma once

#include <cstdint>
#include <string>

namespace rightsize::tokenizer {

class Tokenizer;

class StreamDecoder {
 public:
  // `tokenizer` must outlive the decoder. skip_special as in Tokenizer::decode. A continuation
  // (generated text after a prompt) keeps its first piece's leading space, which decode() drops
  // only at the very start of a text.
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false, bool continuation = false)
      : tokenizer_(tokenizer), skip_special_(skip_special), continuation_(continuation), at_start_(!continuation) {}

  // The text that `id` completes: always valid UTF-8, possibly empty while a multi-byte
  // character waits for its remaining bytes. Bytes that can never form a character come out
  // as U+FFFD. Concatenating every push() and flush() gives decode() of the same ids, with
  // invalid bytes replaced.
  std::string push(int32_t id);

  // Ends the sequence: what is still held back (an unfinished character becomes U+FFFD).
  // The decoder is then ready for a new sequence.
  std::string flush();

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_;
  bool continuation_;
  bool at_start_;
  std::string pending_;  // bytes of an unfinished character
};

}  // namespace rightsize::tokenizer
