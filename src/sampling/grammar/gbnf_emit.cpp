// Writing GBNF text: literals, classes, groups and repetitions.
#include "sampling/grammar/gbnf_emit.h"

#include <algorithm>
#include <cstdio>

#include "util/error.h"
#include "util/utf8.h"

namespace rightsize::sampling::grammar {

CodeRanges normalize_ranges(CodeRanges ranges) {
  std::sort(ranges.begin(), ranges.end());
  CodeRanges out;
  for (auto [lo, hi] : ranges) {
    RS_CHECK(lo <= hi);
    if (!out.empty() && lo <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, hi);
    } else {
      out.push_back({lo, hi});
    }
  }
  return out;
}

CodeRanges complement_ranges(const CodeRanges& ranges) {
  // Surrogates are never characters, so they belong to neither a set nor its complement.
  CodeRanges all_scalars = {{0, 0xD7FF}, {0xE000, kMaxUnicode}};
  return subtract_ranges(all_scalars, ranges);
}

CodeRanges intersect_ranges(const CodeRanges& a, const CodeRanges& b) {
  CodeRanges out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const uint32_t lo = std::max(a[i].first, b[j].first);
    const uint32_t hi = std::min(a[i].second, b[j].second);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].second < b[j].second) {
      ++i;
    } else {
      ++j;
    }
  }
  return normalize_ranges(out);
}

CodeRanges subtract_ranges(const CodeRanges& a, const CodeRanges& b) {
  CodeRanges out;
  for (auto [lo, hi] : a) {
    uint64_t next = lo;  // 64-bit: hi + 1 may pass U+10FFFF's successor safely
    for (auto [blo, bhi] : b) {
      if (bhi < next || blo > hi) continue;
      if (blo > next) out.push_back({static_cast<uint32_t>(next), blo - 1});
      next = uint64_t{bhi} + 1;
      if (next > hi) break;
    }
    if (next <= hi) out.push_back({static_cast<uint32_t>(next), hi});
  }
  return normalize_ranges(out);
}

namespace {

// One code point as it may appear inside a literal (in_class false) or a class.
void append_char(std::string& out, uint32_t cp, bool in_class) {
  char buf[16];
  if (cp == '\n') {
    out += "\\n";
  } else if (cp == '\t') {
    out += "\\t";
  } else if (cp == '\r') {
    out += "\\r";
  } else if (cp == '\\' || cp == '"' ||
             (in_class && (cp == ']' || cp == '[' || cp == '-' || cp == '^'))) {
    out += '\\';
    out += static_cast<char>(cp);
  } else if (cp < 0x20 || cp == 0x7F) {
    std::snprintf(buf, sizeof(buf), "\\x%02X", cp);
    out += buf;
  } else if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (in_class) {
    // Escaped so a class's bounds stay readable whatever the terminal does with them.
    std::snprintf(buf, sizeof(buf), cp <= 0xFFFF ? "\\u%04X" : "\\U%08X", cp);
    out += buf;
  } else {
    utf8_append(out, cp);
  }
}

}  // namespace

std::string gbnf_literal(std::string_view text) {
  std::string out = "\"";
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp = 0;
    RS_CHECK_MSG(utf8_decode(text, pos, cp), "literal text must be valid UTF-8");
    append_char(out, cp, false);
  }
  out += '"';
  return out;
}

std::string gbnf_class(const CodeRanges& ranges) {
  RS_CHECK(!ranges.empty());
  std::string out = "[";
  for (auto [lo, hi] : ranges) {
    append_char(out, lo, true);
    if (hi == lo) continue;
    if (hi > lo + 1) out += '-';
    append_char(out, hi, true);
  }
  out += ']';
  return out;
}

namespace {

// End of the token that starts at `i`, or npos when `expr` does not start with one.
size_t token_end(std::string_view expr, size_t i) {
  if (i >= expr.size()) return std::string_view::npos;
  const char c = expr[i];
  if (c == '"' || c == '[') {
    const char close = c == '"' ? '"' : ']';
    for (size_t j = i + 1; j < expr.size(); ++j) {
      if (expr[j] == '\\') {
        ++j;
      } else if (expr[j] == close) {
        return j + 1;
      }
    }
    return std::string_view::npos;
  }
  if (c == '(') {
    int depth = 0;
    for (size_t j = i; j < expr.size(); ++j) {
      const char d = expr[j];
      if (d == '"' || d == '[') {
        j = token_end(expr, j);
        if (j == std::string_view::npos) return j;
        --j;
      } else if (d == '(') {
        ++depth;
      } else if (d == ')' && --depth == 0) {
        return j + 1;
      }
    }
    return std::string_view::npos;
  }
  size_t j = i;
  while (j < expr.size() &&
         ((expr[j] >= 'a' && expr[j] <= 'z') || (expr[j] >= 'A' && expr[j] <= 'Z') ||
          (expr[j] >= '0' && expr[j] <= '9') || expr[j] == '-')) {
    ++j;
  }
  return j > i ? j : std::string_view::npos;
}

}  // namespace

bool gbnf_is_atomic(std::string_view expr) { return token_end(expr, 0) == expr.size(); }

std::string gbnf_group(std::string_view expr) {
  if (gbnf_is_atomic(expr)) return std::string(expr);
  return "( " + std::string(expr) + " )";
}

std::string gbnf_repeat(std::string_view expr, int min, int max) {
  RS_CHECK(min >= 0 && (max == -1 || max >= min));
  if (max == 0) return "\"\"";
  const std::string g = gbnf_group(expr);
  if (min == 1 && max == 1) return std::string(expr);
  if (min == 0 && max == 1) return g + "?";
  if (min == 0 && max == -1) return g + "*";
  if (min == 1 && max == -1) return g + "+";
  if (max == -1) return g + "{" + std::to_string(min) + ",}";
  if (min == max) return g + "{" + std::to_string(min) + "}";
  return g + "{" + std::to_string(min) + "," + std::to_string(max) + "}";
}

std::string gbnf_alternatives(const std::vector<std::string>& alts) {
  RS_CHECK(!alts.empty());
  std::vector<std::string> unique;
  for (const std::string& a : alts) {
    if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
  }
  if (unique.size() == 1) return unique[0];
  std::string out = "( ";
  for (size_t i = 0; i < unique.size(); ++i) {
    if (i > 0) out += " | ";
    out += unique[i];
  }
  out += " )";
  return out;
}

}  // namespace rightsize::sampling::grammar
