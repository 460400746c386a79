// UTF-8 decoding, encoding and validation.
#include "util/utf8.h"

namespace rightsize {

namespace {

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// The valid range of the second byte depends on the lead byte (RFC 3629 table): this is what
// rules out overlong forms, surrogates and values past U+10FFFF.
bool second_byte_ok(uint8_t lead, uint8_t b) {
  switch (lead) {
    case 0xE0:
      return b >= 0xA0 && b <= 0xBF;
    case 0xED:
      return b >= 0x80 && b <= 0x9F;
    case 0xF0:
      return b >= 0x90 && b <= 0xBF;
    case 0xF4:
      return b >= 0x80 && b <= 0x8F;
    default:
      return is_continuation(b);
  }
}

// Sequence length for a lead byte that can start a valid sequence, else 0.
size_t valid_lead_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

bool utf8_decode(std::string_view text, size_t& pos, uint32_t& cp) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const uint8_t lead = s[pos];
  const size_t n = valid_lead_length(lead);
  if (n == 0 || pos + n > text.size()) {
    ++pos;
    return false;
  }
  if (n == 1) {
    cp = lead;
    ++pos;
    return true;
  }
  if (!second_byte_ok(lead, s[pos + 1])) {
    ++pos;
    return false;
  }
  for (size_t i = 2; i < n; ++i) {
    if (!is_continuation(s[pos + i])) {
      ++pos;
      return false;
    }
  }
  uint32_t v = lead & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) v = (v << 6) | (s[pos + i] & 0x3F);
  cp = v;
  pos += n;
  return true;
}

void utf8_append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool utf8_is_valid(std::string_view text) {
  size_t pos = 0;
  uint32_t cp = 0;
  while (pos < text.size()) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    if (!utf8_decode(text, pos, cp)) return false;
  }
  return true;
}

std::string utf8_sanitize(std::string_view text) {
  if (utf8_is_valid(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  size_t pos = 0;
  uint32_t cp = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    if (utf8_decode(text, pos, cp)) {
      out.append(text.substr(start, pos - start));
    } else {
      utf8_append(out, kReplacementChar);
    }
  }
  return out;
}

size_t utf8_complete_prefix(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t size = text.size();
  // A sequence is at most 4 bytes, so only a lead byte among the last 3 can be incomplete.
  for (size_t back = 1; back <= 3 && back <= size; ++back) {
    const size_t i = size - back;
    if (is_continuation(s[i])) continue;
    const size_t need = valid_lead_length(s[i]);
    if (need <= back) return size;  // complete, ASCII, or an invalid lead: nothing to wait for
    if (back >= 2 && !second_byte_ok(s[i], s[i + 1])) return size;  // can never become valid
    for (size_t k = i + 2; k < size; ++k) {
      if (!is_continuation(s[k])) return size;
    }
    return i;
  }
  return size;
}

}  // namespace rightsize
