// Python `str` semantics on UTF-8 strings (see pystr.h).
#include "tokenizer/chat/pystr.h"

#include <algorithm>

#include "tokenizer/chat/errors.h"

namespace rightsize::tokenizer::chat::pystr {
namespace {

constexpr char32_t kEscapedByteBase = 0xDC00;  // surrogateescape: byte b <-> U+DC00 + b

// Decodes one code point at s[pos]; returns its byte length. Invalid input (bad lead byte,
// truncated or overlong sequence, surrogate) yields one escaped byte.
size_t decode_at(std::string_view s, size_t pos, char32_t* out) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    *out = b0;
    return 1;
  }
  size_t n = 0;
  char32_t c = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, c = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, c = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, c = b0 & 0x07, min = 0x10000;
  }
  if (n == 0 || pos + n > s.size()) {
    *out = kEscapedByteBase + b0;
    return 1;
  }
  for (size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) {
      *out = kEscapedByteBase + b0;
      return 1;
    }
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    *out = kEscapedByteBase + b0;
    return 1;
  }
  *out = c;
  return n;
}

struct Range {
  char32_t lo, hi;
};

// Code points str.isprintable() rejects, beyond the C0/C1 controls: format characters, line and
// paragraph separators, non-ASCII spaces, private use. Unassigned code points are not tracked.
constexpr Range kNonPrintable[] = {
    {0x00AD, 0x00AD}, {0x0600, 0x0605}, {0x061C, 0x061C},   {0x06DD, 0x06DD},    {0x070F, 0x070F},
    {0x0890, 0x0891}, {0x08E2, 0x08E2}, {0x1680, 0x1680},   {0x180E, 0x180E},    {0x2000, 0x200F},
    {0x2028, 0x202F}, {0x205F, 0x2064}, {0x2066, 0x206F},   {0x3000, 0x3000},    {0xD800, 0xF8FF},
    {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0xE0000, 0xE0FFF}, {0xF0000, 0x10FFFF},
};

// Pairs of (upper, lower) ranges that map one to one with a fixed offset.
struct CaseRange {
  char32_t upper_lo, upper_hi, lower_lo;
};
constexpr CaseRange kCaseRanges[] = {
    {0x0041, 0x005A, 0x0061}, {0x00C0, 0x00D6, 0x00E0}, {0x00D8, 0x00DE, 0x00F8},
    {0x0391, 0x03A1, 0x03B1}, {0x03A3, 0x03AB, 0x03C3}, {0x0388, 0x038A, 0x03AD},
    {0x0410, 0x042F, 0x0430}, {0x0400, 0x040F, 0x0450}, {0x0531, 0x0556, 0x0561},
    {0xFF21, 0xFF3A, 0xFF41}, {0x10A0, 0x10C5, 0x2D00}, {0x13A0, 0x13EF, 0xAB70},
};
// Blocks where an even code point is the capital and the next odd one its small letter.
constexpr Range kEvenOddPairs[] = {
    {0x0100, 0x012F}, {0x0132, 0x0137}, {0x014A, 0x0177}, {0x0182, 0x0185},
    {0x01A0, 0x01A5}, {0x01DE, 0x01EF}, {0x01F8, 0x021F}, {0x0222, 0x0233},
    {0x0246, 0x024F}, {0x0370, 0x0373}, {0x03D8, 0x03EF}, {0x0460, 0x0481},
    {0x048A, 0x04BF}, {0x04D0, 0x052F}, {0x1E00, 0x1E95}, {0x1EA0, 0x1EFF},
};
// Blocks where an odd code point is the capital and the next even one its small letter.
constexpr Range kOddEvenPairs[] = {
    {0x0139, 0x0148},
    {0x0179, 0x017E},
    {0x01CD, 0x01DC},
    {0x04C1, 0x04CE},
};

bool in_ranges(char32_t c, const Range* begin, const Range* end) {
  return std::any_of(begin, end, [c](const Range& r) { return c >= r.lo && c <= r.hi; });
}

bool contains_code_point(const std::u32string& set, char32_t c) {
  return set.find(c) != std::u32string::npos;
}

// Code point index of byte offset `byte_pos` in s.
int64_t code_point_index(std::string_view s, size_t byte_pos) {
  int64_t index = 0;
  for (size_t pos = 0; pos < byte_pos; pos += char_bytes(s, pos)) ++index;
  return index;
}

template <typename Fn>
std::string map_chars(std::string_view s, Fn fn) {
  std::string out;
  out.reserve(s.size());
  char32_t prev = 0;
  for (size_t pos = 0; pos < s.size();) {
    char32_t c;
    pos += decode_at(s, pos, &c);
    append_utf8(out, fn(c, prev));
    prev = c;
  }
  return out;
}

}  // namespace

void append_utf8(std::string& out, char32_t c) {
  if (c >= kEscapedByteBase + 0x80 && c <= kEscapedByteBase + 0xFF) {
    out.push_back(static_cast<char>(c - kEscapedByteBase));
  } else if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    char32_t c;
    pos += decode_at(s, pos, &c);
    out.push_back(c);
  }
  return out;
}

std::string encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

size_t char_bytes(std::string_view s, size_t pos) {
  char32_t c;
  return decode_at(s, pos, &c);
}

size_t length(std::string_view s) {
  if (is_ascii(s)) return s.size();
  size_t n = 0;
  for (size_t pos = 0; pos < s.size(); pos += char_bytes(s, pos)) ++n;
  return n;
}

bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

bool is_printable(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0xA0)) return false;
  if (c < 0xAD) return true;
  return !in_ranges(c, std::begin(kNonPrintable), std::end(kNonPrintable));
}

char32_t to_upper(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  for (const CaseRange& r : kCaseRanges) {
    if (c >= r.lower_lo && c <= r.lower_lo + (r.upper_hi - r.upper_lo)) {
      return r.upper_lo + (c - r.lower_lo);
    }
  }
  for (const Range& r : kEvenOddPairs) {
    if (c >= r.lo && c <= r.hi) return (c % 2 == 1) ? c - 1 : c;
  }
  for (const Range& r : kOddEvenPairs) {
    if (c >= r.lo && c <= r.hi) return (c % 2 == 0) ? c - 1 : c;
  }
  switch (c) {
    case 0x00B5:
      return 0x039C;
    case 0x00FF:
      return 0x0178;
    case 0x0131:
      return 0x0049;
    case 0x017F:
      return 0x0053;
    case 0x03C2:
      return 0x03A3;
    case 0x03AC:
      return 0x0386;
    case 0x03CC:
      return 0x038C;
    case 0x03CD:
      return 0x038E;
    case 0x03CE:
      return 0x038F;
    default:
      return c;
  }
}

char32_t to_lower(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  for (const CaseRange& r : kCaseRanges) {
    if (c >= r.upper_lo && c <= r.upper_hi) return r.lower_lo + (c - r.upper_lo);
  }
  for (const Range& r : kEvenOddPairs) {
    if (c >= r.lo && c <= r.hi) return (c % 2 == 0) ? c + 1 : c;
  }
  for (const Range& r : kOddEvenPairs) {
    if (c >= r.lo && c <= r.hi) return (c % 2 == 1) ? c + 1 : c;
  }
  switch (c) {
    case 0x0178:
      return 0x00FF;
    case 0x0130:
      return 0x0069;
    case 0x0386:
      return 0x03AC;
    case 0x038C:
      return 0x03CC;
    case 0x038E:
      return 0x03CD;
    case 0x038F:
      return 0x03CE;
    default:
      return c;
  }
}

bool is_cased(char32_t c) { return to_upper(c) != c || to_lower(c) != c || c == 0x00DF; }

bool is_alpha(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (is_cased(c)) return true;
  // Letters of caseless scripts: CJK, kana, hangul, Arabic, Hebrew, Indic, Thai.
  return (c >= 0x05D0 && c <= 0x05EA) || (c >= 0x0620 && c <= 0x064A) ||
         (c >= 0x0904 && c <= 0x0939) || (c >= 0x0E01 && c <= 0x0E30) ||
         (c >= 0x3041 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3);
}

bool is_digit(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 0xFF10 && c <= 0xFF19) || (c >= 0x0660 && c <= 0x0669);
}

std::string strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                  bool right) {
  const std::u32string text = decode(s);
  const std::u32string set = chars ? decode(*chars) : std::u32string();
  auto strippable = [&](char32_t c) { return chars ? contains_code_point(set, c) : is_space(c); };
  size_t begin = 0;
  size_t end = text.size();
  if (left) {
    while (begin < end && strippable(text[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strippable(text[end - 1])) --end;
  }
  return encode(std::u32string_view(text).substr(begin, end - begin));
}

std::vector<std::string> split(std::string_view s, const std::optional<std::string>& sep,
                               int64_t maxsplit) {
  std::vector<std::string> parts;
  if (sep) {
    if (sep->empty()) throw TemplateRuntimeError("empty separator");
    size_t start = 0;
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      const size_t hit = s.find(*sep, start);
      if (hit == std::string_view::npos) break;
      parts.emplace_back(s.substr(start, hit - start));
      start = hit + sep->size();
    }
    parts.emplace_back(s.substr(start));
    return parts;
  }
  const std::u32string text = decode(s);
  size_t i = 0;
  while (true) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      parts.push_back(encode(std::u32string_view(text).substr(i)));
      break;
    }
    size_t j = i;
    while (j < text.size() && !is_space(text[j])) ++j;
    parts.push_back(encode(std::u32string_view(text).substr(i, j - i)));
    i = j;
  }
  return parts;
}

std::vector<std::string> rsplit(std::string_view s, const std::optional<std::string>& sep,
                                int64_t maxsplit) {
  std::vector<std::string> parts;
  if (sep) {
    if (sep->empty()) throw TemplateRuntimeError("empty separator");
    size_t end = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      if (end < sep->size()) break;
      const size_t hit = s.rfind(*sep, end - sep->size());
      if (hit == std::string_view::npos) break;
      parts.emplace_back(s.substr(hit + sep->size(), end - hit - sep->size()));
      end = hit;
    }
    parts.emplace_back(s.substr(0, end));
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  const std::u32string text = decode(s);
  size_t i = text.size();
  while (true) {
    while (i > 0 && is_space(text[i - 1])) --i;
    if (i == 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      parts.push_back(encode(std::u32string_view(text).substr(0, i)));
      break;
    }
    size_t j = i;
    while (j > 0 && !is_space(text[j - 1])) --j;
    parts.push_back(encode(std::u32string_view(text).substr(j, i - j)));
    i = j;
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

std::vector<std::string> splitlines(std::string_view s, bool keepends) {
  const std::u32string text = decode(s);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    const bool is_break = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C ||
                          c == 0x1D || c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!is_break) continue;
    size_t end = i + 1;
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++end;
    lines.push_back(encode(std::u32string_view(text).substr(start, (keepends ? end : i) - start)));
    start = end;
    i = end - 1;
  }
  if (start < text.size()) lines.push_back(encode(std::u32string_view(text).substr(start)));
  return lines;
}

std::string replace(std::string_view s, std::string_view old, std::string_view replacement,
                    int64_t count) {
  std::string out;
  if (old.empty()) {
    // Python inserts the replacement before every character and at the end.
    int64_t done = 0;
    size_t pos = 0;
    while (pos <= s.size()) {
      if (count < 0 || done < count) {
        out.append(replacement);
        ++done;
      }
      if (pos == s.size()) break;
      const size_t n = char_bytes(s, pos);
      out.append(s.substr(pos, n));
      pos += n;
    }
    return out;
  }
  size_t start = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    const size_t hit = s.find(old, start);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(start, hit - start));
    out.append(replacement);
    start = hit + old.size();
    ++done;
  }
  out.append(s.substr(start));
  return out;
}

int64_t find(std::string_view s, std::string_view sub) {
  const size_t hit = s.find(sub);
  return hit == std::string_view::npos ? -1 : code_point_index(s, hit);
}

int64_t rfind(std::string_view s, std::string_view sub) {
  const size_t hit = s.rfind(sub);
  return hit == std::string_view::npos ? -1 : code_point_index(s, hit);
}

int64_t count(std::string_view s, std::string_view sub) {
  if (sub.empty()) return static_cast<int64_t>(length(s)) + 1;
  int64_t n = 0;
  for (size_t pos = s.find(sub); pos != std::string_view::npos;
       pos = s.find(sub, pos + sub.size())) {
    ++n;
  }
  return n;
}

std::string upper(std::string_view s) {
  std::string out = map_chars(s, [](char32_t c, char32_t) { return to_upper(c); });
  // The one full case mapping templates are likely to meet: German sharp s.
  return s.find("\xC3\x9F") == std::string_view::npos ? out : replace(out, "\xC3\x9F", "SS", -1);
}

std::string lower(std::string_view s) {
  return map_chars(s, [](char32_t c, char32_t) { return to_lower(c); });
}

std::string swapcase(std::string_view s) {
  return map_chars(s, [](char32_t c, char32_t) {
    const char32_t up = to_upper(c);
    return up != c ? up : to_lower(c);
  });
}

std::string title(std::string_view s) {
  bool previous_cased = false;
  return map_chars(s, [&previous_cased](char32_t c, char32_t) {
    const char32_t out = previous_cased ? to_lower(c) : to_upper(c);
    previous_cased = is_cased(c);
    return out;
  });
}

std::string capitalize(std::string_view s) {
  bool first = true;
  return map_chars(s, [&first](char32_t c, char32_t) {
    const char32_t out = first ? to_upper(c) : to_lower(c);
    first = false;
    return out;
  });
}

bool is_lower(std::string_view s) {
  bool any_cased = false;
  for (char32_t c : decode(s)) {
    if (to_lower(c) != c) return false;
    if (to_upper(c) != c) any_cased = true;
  }
  return any_cased;
}

bool is_upper(std::string_view s) {
  bool any_cased = false;
  for (char32_t c : decode(s)) {
    if (to_upper(c) != c) return false;
    if (to_lower(c) != c) any_cased = true;
  }
  return any_cased;
}

std::string repr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back(quote);
  static const char kHex[] = "0123456789abcdef";
  auto hex = [&](char32_t c, int digits) {
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
      out.push_back(kHex[(c >> shift) & 0xF]);
  };
  for (size_t pos = 0; pos < s.size();) {
    char32_t c;
    pos += decode_at(s, pos, &c);
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (is_printable(c)) {
      append_utf8(out, c);
    } else if (c < 0x100) {
      out += "\\x";
      hex(c, 2);
    } else if (c < 0x10000) {
      out += "\\u";
      hex(c, 4);
    } else {
      out += "\\U";
      hex(c, 8);
    }
  }
  out.push_back(quote);
  return out;
}

SliceRange slice_range(int64_t length, std::optional<int64_t> start, std::optional<int64_t> stop,
                       std::optional<int64_t> step) {
  SliceRange r;
  r.step = step.value_or(1);
  if (r.step == 0) throw TemplateRuntimeError("slice step cannot be zero");
  // Clamp as CPython's PySlice_AdjustIndices does.
  auto adjust = [length](int64_t v, int64_t lo, int64_t hi) {
    if (v < 0) {
      v += length;
      if (v < 0) v = lo;
    } else if (v >= length) {
      v = hi;
    }
    return v;
  };
  int64_t first;
  int64_t last;
  if (r.step > 0) {
    first = start ? adjust(*start, 0, length) : 0;
    last = stop ? adjust(*stop, 0, length) : length;
    r.count = last > first ? (last - first + r.step - 1) / r.step : 0;
  } else {
    first = start ? adjust(*start, -1, length - 1) : length - 1;
    last = stop ? adjust(*stop, -1, length - 1) : -1;
    r.count = first > last ? (first - last - r.step - 1) / (-r.step) : 0;
  }
  r.start = first;
  return r;
}

std::string slice(std::string_view s, const SliceRange& range) {
  if (range.count <= 0) return {};
  if (is_ascii(s)) {
    if (range.step == 1) return std::string(s.substr(range.start, range.count));
    std::string out;
    for (int64_t i = 0; i < range.count; ++i) out.push_back(s[range.start + i * range.step]);
    return out;
  }
  const std::u32string text = decode(s);
  std::u32string out;
  for (int64_t i = 0; i < range.count; ++i) out.push_back(text[range.start + i * range.step]);
  return encode(out);
}

}  // namespace rightsize::tokenizer::chat::pystr
