// Recursive descent over a pattern, writing GBNF as it goes: regex alternation, sequence,
// groups and quantifiers map one to one onto GBNF's; character sets become JSON-encoded chars.
#include "sampling/grammar/json_pattern.h"

#include <cctype>
#include <cstdio>
#include <optional>
#include <vector>

#include "util/utf8.h"

namespace rightsize::sampling::grammar {

PatternError::PatternError(size_t offset, bool unsupported, const std::string& message)
    : rightsize::Error(message), offset_(offset), unsupported_(unsupported) {}

std::string json_char_gbnf(const CodeRanges& chars) {
  std::vector<std::string> alts;
  // Written as themselves: everything but controls, '"' and '\\'.
  const CodeRanges plain = subtract_ranges(chars, {{0, 0x1F}, {'"', '"'}, {'\\', '\\'}});
  if (!plain.empty()) alts.push_back(gbnf_class(plain));
  const CodeRanges quote_backslash = intersect_ranges(chars, {{'"', '"'}, {'\\', '\\'}});
  for (auto [lo, hi] : quote_backslash) {
    for (uint32_t c = lo; c <= hi; ++c) alts.push_back(gbnf_literal("\\" + std::string(1, c)));
  }
  const CodeRanges controls = intersect_ranges(chars, {{0, 0x1F}});
  if (controls == CodeRanges{{0, 0x1F}}) {
    // All of them (a negated class): one compact rule rather than 32 literals.
    alts.push_back("\"\\\\\" ( [bfnrt] | \"u00\" [01] [0-9a-fA-F] )");
  } else {
    for (auto [lo, hi] : controls) {
      for (uint32_t c = lo; c <= hi; ++c) {
        static constexpr const char* kShort[] = {"", "",  "",  "",  "", "",  "",
                                                 "", "b", "t", "n", "", "f", "r"};
        char buf[8];
        if (c < 14 && kShort[c][0] != '\0') {
          std::snprintf(buf, sizeof(buf), "\\%s", kShort[c]);
        } else {
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        }
        alts.push_back(gbnf_literal(buf));
      }
    }
  }
  return gbnf_alternatives(alts);
}

namespace {

constexpr int kMaxGroupDepth = 16;    // regex groups inside groups
constexpr int kMaxQuantifier = 1000;  // m and n in {m,n}

const CodeRanges kDigits = {{'0', '9'}};
const CodeRanges kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
// Whitespace both ECMA-262 and Python's re agree on; either engine accepts what we write.
const CodeRanges kSpace = {{'\t', '\r'}, {' ', ' '}};
const CodeRanges kPrintableAscii = {{0x20, 0x7E}};
// What '.' excludes: ECMA-262's line terminators (Python's re excludes only \n: a superset).
const CodeRanges kLineTerminators = {{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}};

class PatternParser {
 public:
  PatternParser(std::string_view pattern, const std::string& any_char)
      : text_(pattern), any_char_(any_char) {}

  std::string parse() {
    std::vector<std::string> branches;
    while (true) {
      branches.push_back(parse_top_branch());
      if (at_end()) break;
      RS_CHECK(peek() == '|');
      ++pos_;
    }
    return gbnf_alternatives(branches);
  }

 private:
  // A character set, and for a lone character the character (for merging literals).
  struct Atom {
    std::string expr;
    std::optional<uint32_t> single;
  };

  bool at_end() const { return pos_ >= text_.size(); }
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  [[noreturn]] void unsupported(size_t at, const std::string& what) const {
    throw PatternError(
        at, true,
        what + " at offset " + std::to_string(at) + " is outside the supported regex subset");
  }
  [[noreturn]] void invalid(size_t at, const std::string& what) const {
    throw PatternError(at, false, "invalid regex: " + what + " at offset " + std::to_string(at));
  }

  uint32_t next_code_point() {
    const size_t at = pos_;
    uint32_t cp = 0;
    if (!utf8_decode(text_, pos_, cp)) invalid(at, "not valid UTF-8");
    return cp;
  }

  // One top-level alternative: anchors are allowed only at its two ends.
  std::string parse_top_branch() {
    const bool anchored_start = peek() == '^';
    if (anchored_start) ++pos_;
    std::string body = parse_sequence(0);
    bool anchored_end = false;
    if (peek() == '$') {
      ++pos_;
      anchored_end = true;
      if (!at_end() && peek() != '|') unsupported(pos_ - 1, "'$' before the end of the pattern");
    }
    if (!at_end() && peek() == ')') invalid(pos_, "unmatched ')'");
    std::string out = anchored_start ? "" : any_char_ + "*";
    auto append = [&out](const std::string& s) {
      if (s.empty()) return;
      out += out.empty() ? s : " " + s;
    };
    append(body);
    if (!anchored_end) append(any_char_ + "*");
    return out.empty() ? "\"\"" : out;
  }

  std::string parse_alternation(int depth) {
    std::vector<std::string> branches;
    while (true) {
      std::string s = parse_sequence(depth);
      branches.push_back(s.empty() ? "\"\"" : s);
      if (peek() != '|') break;
      ++pos_;
    }
    return gbnf_alternatives(branches);
  }

  // Items up to '|', ')' or the end (or a top-level '$'); empty string for an empty sequence.
  std::string parse_sequence(int depth) {
    std::string out;
    std::string pending;  // consecutive plain characters, written as one literal
    auto flush = [&]() {
      if (pending.empty()) return;
      out += (out.empty() ? "" : " ") + gbnf_literal(pending);
      pending.clear();
    };
    while (!at_end() && peek() != '|' && peek() != ')') {
      if (peek() == '$' && depth == 0) break;
      Atom atom = parse_atom(depth);
      std::string item = atom.expr;
      if (parse_quantifier(item)) atom.single.reset();
      const bool plain =
          atom.single && *atom.single >= 0x20 && *atom.single != '"' && *atom.single != '\\';
      if (plain) {
        utf8_append(pending, *atom.single);
        continue;
      }
      flush();
      out += (out.empty() ? "" : " ") + item;
    }
    flush();
    return out;
  }

  // Applies a quantifier after an atom, if there is one; true if it did.
  bool parse_quantifier(std::string& item) {
    int min = 0, max = 0;
    const size_t at = pos_;
    const char c = peek();
    if (c == '*') {
      min = 0, max = -1;
      ++pos_;
    } else if (c == '+') {
      min = 1, max = -1;
      ++pos_;
    } else if (c == '?') {
      min = 0, max = 1;
      ++pos_;
    } else if (c == '{' && parse_braces(min, max)) {
    } else {
      return false;
    }
    if (peek() == '?') ++pos_;  // lazy: same language
    if (peek() == '*' || peek() == '+' || peek() == '?' || (peek() == '{' && braces_ahead())) {
      invalid(pos_, "nothing to repeat");
    }
    if (max != -1 && max < min) invalid(at, "quantifier range out of order");
    if (min > kMaxQuantifier || max > kMaxQuantifier) {
      unsupported(at, "a repetition bound above " + std::to_string(kMaxQuantifier));
    }
    item = gbnf_repeat(item, min, max);
    return true;
  }

  bool braces_ahead() {
    const size_t save = pos_;
    int min = 0, max = 0;
    const bool ok = parse_braces(min, max);
    pos_ = save;
    return ok;
  }

  // {m}, {m,} or {m,n}; anything else is a literal '{' (as both engines read it).
  bool parse_braces(int& min, int& max) {
    const size_t save = pos_;
    ++pos_;
    auto number = [&](int& v) {
      if (!(peek() >= '0' && peek() <= '9')) return false;
      long long x = 0;
      while (peek() >= '0' && peek() <= '9') {
        x = std::min<long long>(x * 10 + (peek() - '0'), 1'000'000'000);
        ++pos_;
      }
      v = static_cast<int>(x);
      return true;
    };
    if (number(min)) {
      if (peek() == '}') {
        ++pos_;
        max = min;
        return true;
      }
      if (peek() == ',') {
        ++pos_;
        if (peek() == '}') {
          ++pos_;
          max = -1;
          return true;
        }
        if (number(max) && peek() == '}') {
          ++pos_;
          return true;
        }
      }
    }
    pos_ = save;
    return false;
  }

  Atom parse_atom(int depth) {
    const size_t at = pos_;
    const char c = peek();
    switch (c) {
      case '(':
        return {parse_group(depth), std::nullopt};
      case '[':
        return set_atom(parse_class());
      case '.':
        ++pos_;
        return set_atom(complement_ranges(kLineTerminators));
      case '\\':
        return set_atom(parse_escape(false));
      case '^':
        unsupported(at, "'^' after the start of the pattern");
      case '$':
        unsupported(at, "'$' inside a group");
      case '*':
      case '+':
      case '?':
        invalid(at, "nothing to repeat");
      case '{':
        if (braces_ahead()) invalid(at, "nothing to repeat");
        break;
      default:
        break;
    }
    const uint32_t cp = next_code_point();
    return {json_char_gbnf({{cp, cp}}), cp};
  }

  Atom set_atom(const CodeRanges& set) {
    if (set.empty()) invalid(pos_, "character class matches nothing");
    std::optional<uint32_t> single;
    if (set.size() == 1 && set[0].first == set[0].second) single = set[0].first;
    return {json_char_gbnf(set), single};
  }

  std::string parse_group(int depth) {
    const size_t at = pos_;
    ++pos_;
    if (depth + 1 > kMaxGroupDepth) {
      unsupported(at, "groups nested deeper than " + std::to_string(kMaxGroupDepth));
    }
    if (peek() == '?') {
      const std::string_view rest = text_.substr(pos_);
      if (rest.substr(0, 2) == "?:") {
        pos_ += 2;
      } else if (rest.substr(0, 2) == "?=" || rest.substr(0, 2) == "?!" ||
                 rest.substr(0, 3) == "?<=" || rest.substr(0, 3) == "?<!") {
        unsupported(at,
                    "lookaround '(" + std::string(rest.substr(0, rest[1] == '<' ? 3 : 2)) + "'");
      } else if (rest.substr(0, 2) == "?<" || rest.substr(0, 3) == "?P<") {
        // A named group is a plain group for matching purposes.
        const size_t close = text_.find('>', pos_);
        if (close == std::string_view::npos) invalid(at, "unterminated group name");
        pos_ = close + 1;
      } else {
        unsupported(at, "group syntax '(?" + std::string(rest.substr(1, 1)) + "'");
      }
    }
    std::string inner = parse_alternation(depth + 1);
    if (peek() != ')') invalid(at, "unclosed '('");
    ++pos_;
    return "( " + inner + " )";
  }

  // After '[': a class, with ranges and the escapes that make sense inside one.
  CodeRanges parse_class() {
    const size_t open = pos_;
    ++pos_;
    const bool negated = peek() == '^';
    if (negated) ++pos_;
    // "[]" and "[^]" mean different things to ECMA-262 and to Python's re.
    if (peek() == ']') unsupported(open, negated ? "'[^]'" : "'[]'");
    CodeRanges set;
    bool engine_dependent = false;  // \d \w \s (or negations) inside a negated class
    while (true) {
      if (at_end()) invalid(open, "unterminated character class");
      if (peek() == ']') break;
      const size_t item = pos_;
      bool is_class_escape = false;
      CodeRanges lo_set = class_item(is_class_escape);
      engine_dependent |= is_class_escape;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < text_.size()) {
        ++pos_;
        bool hi_class = false;
        CodeRanges hi_set = class_item(hi_class);
        if (is_class_escape || hi_class) unsupported(item, "a range with a class escape");
        const uint32_t lo = lo_set[0].first, hi = hi_set[0].first;
        if (hi < lo) invalid(item, "character range out of order");
        set.push_back({lo, hi});
      } else {
        set.insert(set.end(), lo_set.begin(), lo_set.end());
      }
    }
    ++pos_;
    set = normalize_ranges(set);
    if (!negated) return set;
    CodeRanges out = complement_ranges(set);
    // Python's \d \w \s are Unicode-wide, ECMA-262's are ASCII: the complement of either is
    // only safe within ASCII, where they agree.
    if (engine_dependent) out = intersect_ranges(out, kPrintableAscii);
    return out;
  }

  CodeRanges class_item(bool& is_class_escape) {
    if (peek() == '\\') {
      const char e = peek(1);
      is_class_escape = e == 'd' || e == 'w' || e == 's' || e == 'D' || e == 'W' || e == 'S';
      return parse_escape(true);
    }
    const uint32_t cp = next_code_point();
    return {{cp, cp}};
  }

  CodeRanges parse_escape(bool in_class) {
    const size_t at = pos_;
    ++pos_;
    if (at_end()) invalid(at, "'\\' at the end of the pattern");
    const char e = peek();
    ++pos_;
    switch (e) {
      case 'd':
        return kDigits;
      case 'w':
        return kWord;
      case 's':
        return kSpace;
      // The negations are kept to printable ASCII: there both engines agree on membership.
      case 'D':
        return subtract_ranges(kPrintableAscii, kDigits);
      case 'W':
        return subtract_ranges(kPrintableAscii, kWord);
      case 'S':
        return subtract_ranges(kPrintableAscii, kSpace);
      case 'n':
        return {{'\n', '\n'}};
      case 't':
        return {{'\t', '\t'}};
      case 'r':
        return {{'\r', '\r'}};
      case 'f':
        return {{'\f', '\f'}};
      case 'v':
        return {{'\v', '\v'}};
      case '0':
        if (peek() >= '0' && peek() <= '9') unsupported(at, "octal escape");
        return {{0, 0}};
      case 'x':
      case 'u': {
        const int digits = e == 'x' ? 2 : 4;
        uint32_t cp = 0;
        for (int i = 0; i < digits; ++i) {
          const char h = peek();
          int v = -1;
          if (h >= '0' && h <= '9') v = h - '0';
          if (h >= 'a' && h <= 'f') v = h - 'a' + 10;
          if (h >= 'A' && h <= 'F') v = h - 'A' + 10;
          if (v < 0)
            unsupported(at, std::string("escape '\\") + e + "' without " + std::to_string(digits) +
                                " hex digits");
          cp = cp * 16 + static_cast<uint32_t>(v);
          ++pos_;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) unsupported(at, "a surrogate escape");
        return {{cp, cp}};
      }
      case 'b':
        if (in_class) return {{'\b', '\b'}};
        unsupported(at, "word boundary '\\b'");
      case 'B':
        unsupported(at, "word boundary '\\B'");
      case 'p':
      case 'P':
        unsupported(at, std::string("Unicode property escape '\\") + e + "'");
      default:
        break;
    }
    if (e >= '1' && e <= '9') unsupported(at, "backreference");
    const auto u = static_cast<unsigned char>(e);
    if (u < 0x80 && !std::isalnum(u)) return {{u, u}};  // identity escape of punctuation
    unsupported(at, std::string("escape '\\") + e + "'");
  }

  std::string_view text_;
  const std::string& any_char_;
  size_t pos_ = 0;
};

}  // namespace

std::string pattern_to_gbnf(std::string_view pattern, const std::string& any_char_rule) {
  return PatternParser(pattern, any_char_rule).parse();
}

}  // namespace rightsize::sampling::grammar
