// Jinja's tokenizer, rewritten as a hand-written scanner with the same whitespace rules.
#include "tokenizer/chat/lexer.h"

#include <cstdlib>
#include <optional>

#include "tokenizer/chat/pystr.h"

namespace rightsize::tokenizer::chat {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

constexpr std::string_view kOperators2[] = {"//", "**", "==", "!=", ">=", "<="};
constexpr std::string_view kOperators1 = "+-/*%~[](){}><=.:|,;";

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      if (!lex_root()) break;
    }
    push(TokenType::kEof, "", src_.size());
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(const std::string& message, size_t offset) const {
    throw TemplateSyntaxError(message, position_of(src_, offset));
  }

  void push(TokenType type, std::string text, size_t offset) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    t.offset = offset;
    tokens_.push_back(std::move(t));
  }

  // Byte length of a whitespace code point (Python's \s) at `pos`, else 0.
  size_t space_at(size_t pos) const {
    if (pos >= src_.size()) return 0;
    const size_t n = pystr::char_bytes(src_, pos);
    const std::u32string c = pystr::decode(src_.substr(pos, n));
    return pystr::is_space(c[0]) ? n : 0;
  }

  size_t skip_spaces(size_t pos) const {
    while (size_t n = space_at(pos)) pos += n;
    return pos;
  }

  bool starts_with(size_t pos, std::string_view s) const { return src_.substr(pos, s.size()) == s; }

  // Data before a tag, with the tag's whitespace control applied. `lstrip` is false for `{{`,
  // which lstrip_blocks leaves alone.
  void push_data(std::string_view text, size_t offset, char sign, bool lstrip) {
    if (sign == '-') {
      text = rstrip_view(text);
    } else if (sign != '+' && lstrip) {
      const size_t nl = text.rfind('\n');
      const size_t line_start = nl == std::string_view::npos ? 0 : nl + 1;
      if (line_start > 0 || line_starting_) {
        const std::string_view tail = text.substr(line_start);
        if (!tail.empty() && pystr::strip(tail, std::nullopt, true, false).empty()) {
          text = text.substr(0, line_start);
        }
      }
    }
    if (!text.empty()) push(TokenType::kData, std::string(text), offset);
  }

  std::string_view rstrip_view(std::string_view text) const {
    return text.substr(0, pystr::strip(text, std::nullopt, false, true).size());
  }

  // One piece of the root state: data up to the next tag, then the tag. False at the end.
  bool lex_root() {
    size_t idx = pos_;
    while (true) {
      idx = src_.find('{', idx);
      if (idx == std::string_view::npos || idx + 1 >= src_.size()) {
        push(TokenType::kData, std::string(src_.substr(pos_)), pos_);
        pos_ = src_.size();
        return false;
      }
      const char next = src_[idx + 1];
      if (next == '{' || next == '%' || next == '#') break;
      ++idx;
    }
    const std::string_view text = src_.substr(pos_, idx - pos_);
    const char kind = src_[idx + 1];
    if (kind == '%' && lex_raw(text, idx)) return true;
    size_t after = idx + 2;
    char sign = 0;
    if (after < src_.size() && (src_[after] == '-' || src_[after] == '+')) sign = src_[after++];
    push_data(text, pos_, sign, kind != '{');
    line_starting_ = false;
    pos_ = after;
    if (kind == '#') {
      lex_comment(idx);
    } else {
      push(kind == '%' ? TokenType::kBlockBegin : TokenType::kVariableBegin, "", idx);
      lex_tag(kind == '%');
    }
    return true;
  }

  void lex_comment(size_t begin) {
    size_t end = src_.find("#}", pos_);
    if (end == std::string_view::npos) fail("Missing end of comment tag", begin);
    char sign = 0;
    if (end > pos_ && (src_[end - 1] == '-' || src_[end - 1] == '+')) sign = src_[end - 1];
    end += 2;
    if (sign == '-') {
      end = skip_spaces(end);
    } else if (sign != '+' && end < src_.size() && src_[end] == '\n') {
      ++end;  // trim_blocks
    }
    pos_ = end;
    line_starting_ = src_[end - 1] == '\n';
  }

  // `{% raw %}...{% endraw %}` at idx: the body becomes one data token. Note that Jinja does
  // not apply trim_blocks to the newline after `{% raw %}`, only after `{% endraw %}`.
  bool lex_raw(std::string_view text, size_t idx) {
    size_t p = idx + 2;
    char sign = 0;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
    p = skip_spaces(p);
    if (!starts_with(p, "raw")) return false;
    p = skip_spaces(p + 3);
    if (starts_with(p, "-%}")) {
      p = skip_spaces(p + 3);
    } else if (starts_with(p, "%}")) {
      p += 2;
    } else {
      return false;
    }
    push_data(text, pos_, sign, true);
    line_starting_ = src_[p - 1] == '\n';
    const size_t body = p;
    for (size_t at = src_.find("{%", body); at != std::string_view::npos;
         at = src_.find("{%", at + 1)) {
      size_t q = at + 2;
      char end_sign = 0;
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) end_sign = src_[q++];
      q = skip_spaces(q);
      if (!starts_with(q, "endraw")) continue;
      q = skip_spaces(q + 6);
      if (starts_with(q, "+%}")) {
        q += 3;
      } else if (starts_with(q, "-%}")) {
        q = skip_spaces(q + 3);
      } else if (starts_with(q, "%}")) {
        q += 2;
        if (q < src_.size() && src_[q] == '\n') ++q;
      } else {
        continue;
      }
      push_data(src_.substr(body, at - body), body, end_sign, true);
      pos_ = q;
      line_starting_ = src_[q - 1] == '\n';
      return true;
    }
    fail("Missing end of raw directive", idx);
  }

  // Tokens inside {% %} or {{ }} up to and including the closing tag.
  void lex_tag(bool block) {
    std::vector<char> balance;  // closing brackets expected, innermost last
    while (true) {
      if (pos_ >= src_.size()) return;  // the parser reports the unexpected end
      if (balance.empty() && lex_tag_end(block)) return;
      if (size_t n = space_at(pos_)) {
        pos_ += n;
        continue;
      }
      if (lex_number() || lex_name() || lex_string()) continue;
      lex_operator(balance);
    }
  }

  bool lex_tag_end(bool block) {
    const size_t at = pos_;
    size_t end;
    if (block) {
      if (starts_with(at, "+%}")) {
        end = at + 3;
      } else if (starts_with(at, "-%}")) {
        end = skip_spaces(at + 3);
      } else if (starts_with(at, "%}")) {
        end = at + 2;
        if (end < src_.size() && src_[end] == '\n') ++end;  // trim_blocks
      } else {
        return false;
      }
    } else {
      if (starts_with(at, "-}}")) {
        end = skip_spaces(at + 3);
      } else if (starts_with(at, "}}")) {
        end = at + 2;
      } else {
        return false;
      }
    }
    push(block ? TokenType::kBlockEnd : TokenType::kVariableEnd, "", at);
    pos_ = end;
    line_starting_ = src_[end - 1] == '\n';
    return true;
  }

  // Digits with single underscores between them ("1_000"); npos when none at p.
  size_t digit_run(size_t p) const {
    if (p >= src_.size() || !is_digit(src_[p])) return std::string_view::npos;
    while (p < src_.size()) {
      if (is_digit(src_[p])) {
        ++p;
      } else if (src_[p] == '_' && p + 1 < src_.size() && is_digit(src_[p + 1])) {
        p += 2;
      } else {
        break;
      }
    }
    return p;
  }

  size_t exponent_end(size_t p) const {
    if (p >= src_.size() || (src_[p] != 'e' && src_[p] != 'E')) return std::string_view::npos;
    ++p;
    if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
    return digit_run(p);
  }

  static std::string without_underscores(std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c != '_') out.push_back(c);
    }
    return out;
  }

  bool lex_number() {
    const size_t start = pos_;
    if (!is_digit(src_[start])) return false;
    // Float first, as Jinja's rule order has it; not right after a '.' (`x.0.1` is items).
    if (start == 0 || src_[start - 1] != '.') {
      const size_t whole = digit_run(start);
      size_t end = std::string_view::npos;
      if (whole < src_.size() && src_[whole] == '.') {
        const size_t frac = digit_run(whole + 1);
        if (frac != std::string_view::npos) {
          const size_t exp = exponent_end(frac);
          end = exp != std::string_view::npos ? exp : frac;
        }
      }
      if (end == std::string_view::npos) end = exponent_end(whole);
      if (end != std::string_view::npos) {
        Token t;
        t.type = TokenType::kFloat;
        t.text = without_underscores(src_.substr(start, end - start));
        t.float_value = std::strtod(t.text.c_str(), nullptr);
        t.offset = start;
        tokens_.push_back(std::move(t));
        pos_ = end;
        return true;
      }
    }
    return lex_integer();
  }

  bool lex_integer() {
    const size_t start = pos_;
    size_t end = start;
    int base = 10;
    auto run = [&](size_t p, auto valid) {
      // (_?[digits])+ : at least one digit, each optionally preceded by one underscore.
      size_t q = p;
      while (true) {
        size_t r = q;
        if (r < src_.size() && src_[r] == '_') ++r;
        if (r < src_.size() && valid(src_[r])) {
          q = r + 1;
        } else {
          break;
        }
      }
      return q;
    };
    const char c0 = src_[start];
    const char c1 = start + 1 < src_.size() ? static_cast<char>(src_[start + 1] | 0x20) : 0;
    if (c0 == '0' && (c1 == 'b' || c1 == 'o' || c1 == 'x')) {
      base = c1 == 'b' ? 2 : (c1 == 'o' ? 8 : 16);
      const size_t q = run(start + 2, [base](char c) {
        if (base == 2) return c == '0' || c == '1';
        if (base == 8) return c >= '0' && c <= '7';
        return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
      });
      if (q > start + 2) end = q;
    }
    if (end == start) {
      base = 10;
      if (c0 == '0') {
        end = run(start + 1, [](char c) { return c == '0'; });
      } else {
        end = run(start + 1, [](char c) { return is_digit(c); });
      }
    }
    std::string digits = without_underscores(src_.substr(start, end - start));
    if (base != 10) digits = digits.substr(2);
    errno = 0;
    char* parse_end = nullptr;
    const long long value = std::strtoll(digits.c_str(), &parse_end, base);
    if (errno == ERANGE) fail("integer literal out of the 64-bit range", start);
    Token t;
    t.type = TokenType::kInteger;
    t.text = std::string(src_.substr(start, end - start));
    t.int_value = value;
    t.offset = start;
    tokens_.push_back(std::move(t));
    pos_ = end;
    return true;
  }

  // Length of an identifier character at p: ASCII letters, digits, '_', or a non-ASCII
  // letter (Python identifiers are Unicode); 0 otherwise.
  size_t name_char_at(size_t p, bool start) const {
    const char c = src_[p];
    if (static_cast<unsigned char>(c) < 0x80)
      return (start ? is_name_start(c) : is_name_char(c)) ? 1 : 0;
    const size_t n = pystr::char_bytes(src_, p);
    const char32_t cp = pystr::decode(src_.substr(p, n))[0];
    return pystr::is_alpha(cp) ? n : 0;
  }

  bool lex_name() {
    size_t end = pos_;
    if (size_t n = name_char_at(end, true)) {
      end += n;
    } else {
      return false;
    }
    while (end < src_.size()) {
      const size_t n = name_char_at(end, false);
      if (n == 0) break;
      end += n;
    }
    push(TokenType::kName, std::string(src_.substr(pos_, end - pos_)), pos_);
    pos_ = end;
    return true;
  }

  bool lex_string() {
    const char quote = src_[pos_];
    if (quote != '\'' && quote != '"') return false;
    size_t p = pos_ + 1;
    while (p < src_.size() && src_[p] != quote) {
      p += src_[p] == '\\' ? 2 : 1;
    }
    if (p >= src_.size()) return false;  // unterminated: reported as an unexpected char
    push(TokenType::kString, decode_string(pos_ + 1, p), pos_);
    pos_ = p + 1;
    return true;
  }

  // Python's unicode-escape decoding of a literal's body, as Jinja applies it.
  std::string decode_string(size_t begin, size_t end) const {
    std::string out;
    size_t p = begin;
    auto hex_value = [&](size_t at, int digits, const char* what) {
      uint32_t v = 0;
      for (int i = 0; i < digits; ++i) {
        const char c = at + i < end ? src_[at + i] : 0;
        int d;
        if (is_digit(c)) {
          d = c - '0';
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
          d = (c | 0x20) - 'a' + 10;
        } else {
          fail(std::string("truncated ") + what + " escape", at - 2);
        }
        v = v * 16 + d;
      }
      return v;
    };
    while (p < end) {
      const char c = src_[p];
      if (c != '\\' || p + 1 >= end) {
        out.push_back(c);
        ++p;
        continue;
      }
      const char e = src_[p + 1];
      p += 2;
      switch (e) {
        case '\n':
          break;  // backslash-newline: both disappear
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '"':
          out.push_back('"');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case 'x':
          pystr::append_utf8(out, hex_value(p, 2, "\\xXX"));
          p += 2;
          break;
        case 'u':
          pystr::append_utf8(out, hex_value(p, 4, "\\uXXXX"));
          p += 4;
          break;
        case 'U': {
          const uint32_t v = hex_value(p, 8, "\\UXXXXXXXX");
          if (v > 0x10FFFF) fail("illegal Unicode character", p - 2);
          pystr::append_utf8(out, v);
          p += 8;
          break;
        }
        case 'N':
          fail("\\N{...} escapes are not supported", p - 2);
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = e - '0';
            for (int i = 0; i < 2 && p < end && src_[p] >= '0' && src_[p] <= '7'; ++i, ++p) {
              v = v * 8 + (src_[p] - '0');
            }
            pystr::append_utf8(out, v);
          } else if (static_cast<unsigned char>(e) >= 0x80) {
            // Jinja escapes non-ASCII text before decoding, so "\é" comes out as "\xe9".
            const size_t n = pystr::char_bytes(src_, p - 1);
            const char32_t cp = pystr::decode(src_.substr(p - 1, n))[0];
            char buf[16];
            if (cp < 0x100) {
              std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
            } else if (cp < 0x10000) {
              std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
            } else {
              std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(cp));
            }
            out += buf;
            p += n - 1;
          } else {
            out.push_back('\\');  // unknown escapes stay as written
            out.push_back(e);
          }
      }
    }
    return out;
  }

  void lex_operator(std::vector<char>& balance) {
    std::string_view op;
    for (std::string_view candidate : kOperators2) {
      if (starts_with(pos_, candidate)) op = candidate;
    }
    if (op.empty() && kOperators1.find(src_[pos_]) != std::string_view::npos) {
      op = src_.substr(pos_, 1);
    }
    if (op.empty()) {
      const size_t n = pystr::char_bytes(src_, pos_);
      fail("unexpected char " + pystr::repr(src_.substr(pos_, n)), pos_);
    }
    const char c = op[0];
    if (op.size() == 1 && (c == '(' || c == '[' || c == '{')) {
      balance.push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
    } else if (op.size() == 1 && (c == ')' || c == ']' || c == '}')) {
      if (balance.empty()) fail(std::string("unexpected '") + c + "'", pos_);
      if (balance.back() != c) {
        fail(std::string("unexpected '") + c + "', expected '" + balance.back() + "'", pos_);
      }
      balance.pop_back();
    }
    push(TokenType::kOperator, std::string(op), pos_);
    pos_ += op.size();
  }

  std::string_view src_;
  size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

std::string normalize_source(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

SourcePos position_of(std::string_view source, size_t offset) {
  SourcePos pos{1, 1};
  if (offset > source.size()) offset = source.size();
  for (size_t i = 0; i < offset; i += pystr::char_bytes(source, i)) {
    if (source[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      ++pos.column;
    }
  }
  return pos;
}

}  // namespace rightsize::tokenizer::chat
