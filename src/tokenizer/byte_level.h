// GPT-2's byte-level alphabet: each of the 256 byte values stands for one printable code point,
// so that byte-level BPE vocabularies can store arbitrary bytes as text ("Ġ" for a space).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rightsize::tokenizer {

// The UTF-8 text of the code point that stands for `byte`.
const std::string& byte_to_symbol(uint8_t byte);

// The byte a code point stands for, or -1 if it is not in the alphabet.
int symbol_to_byte(uint32_t cp);

// Maps each byte of `bytes` to its symbol, appending to `out`.
void append_byte_symbols(std::string_view bytes, std::string& out);

// Inverse of append_byte_symbols for a token's text. A code point outside the alphabet (which a
// well-formed vocabulary never has in a normal token) is copied through as its own UTF-8.
void append_symbol_bytes(std::string_view symbols, std::string& out);

}  // namespace rightsize::tokenizer
