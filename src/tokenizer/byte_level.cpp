// GPT-2's byte-to-code-point table and its inverse.
#include "tokenizer/byte_level.h"

#include <array>

#include "util/utf8.h"

namespace rightsize::tokenizer {

namespace {

// Printable Latin-1 bytes stand for themselves; the other 68 (controls, space, DEL, NBSP, SHY)
// take the code points from U+0100 on, in byte order.
bool stands_for_itself(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<std::string, 256> symbol;
  std::array<int16_t, 0x200> byte_of;  // every symbol is below U+0144
  Tables() {
    byte_of.fill(-1);
    int next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cp = stands_for_itself(b) ? b : next++;
      utf8_append(symbol[b], cp);
      byte_of[cp] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::string& byte_to_symbol(uint8_t byte) { return tables().symbol[byte]; }

int symbol_to_byte(uint32_t cp) { return cp < 0x200 ? tables().byte_of[cp] : -1; }

void append_byte_symbols(std::string_view bytes, std::string& out) {
  const Tables& t = tables();
  for (char c : bytes) out += t.symbol[static_cast<uint8_t>(c)];
}

void append_symbol_bytes(std::string_view symbols, std::string& out) {
  size_t pos = 0;
  while (pos < symbols.size()) {
    const size_t start = pos;
    uint32_t cp = 0;
    if (!utf8_decode(symbols, pos, cp)) {
      out.push_back(symbols[start]);
      continue;
    }
    const int b = symbol_to_byte(cp);
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
    } else {
      out.append(symbols.substr(start, pos - start));
    }
  }
}

}  // namespace rightsize::tokenizer
