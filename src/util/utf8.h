// UTF-8 decoding, encoding and validation: strict decoding (no overlongs, surrogates or code
// points past U+10FFFF) and the helpers a streaming decoder needs to hold back a split character.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rightsize {

constexpr uint32_t kReplacementChar = 0xFFFD;

// Bytes a sequence announced by `lead` occupies, judged from the high bits alone (1 for ASCII and
// for stray continuation bytes, which then decode as invalid). Cheap; does not validate.
inline size_t utf8_lead_length(uint8_t lead) {
  static constexpr uint8_t kByHighNibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kByHighNibble[lead >> 4];
}

// Decodes the code point at `pos`. On success stores it, advances `pos` past it and returns true;
// on an invalid or truncated sequence advances `pos` by one byte and returns false.
bool utf8_decode(std::string_view text, size_t& pos, uint32_t& cp);

// Appends the encoding of `cp` (which must be a valid scalar value) to `out`.
void utf8_append(std::string& out, uint32_t cp);

bool utf8_is_valid(std::string_view text);

// `text` with every invalid byte replaced by U+FFFD, the way the reference tokenizers read it.
std::string utf8_sanitize(std::string_view text);

// Length of the longest prefix of `text` that does not end inside an incomplete (but so far
// valid) multi-byte sequence: the bytes after it may still be completed by more input.
size_t utf8_complete_prefix(std::string_view text);

}  // namespace rightsize
