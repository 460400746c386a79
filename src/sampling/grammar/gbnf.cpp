// GBNF parser (llama.cpp's grammar format) compiling to byte-level rules, and the reference
// byte-by-byte matcher over them.
#include "sampling/grammar/gbnf.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "util/utf8.h"

namespace rightsize::sampling::grammar {

GrammarError::GrammarError(int line, int column, const std::string& problem)
    : rightsize::Error("line " + std::to_string(line) + ", column " + std::to_string(column) +
                       ": " + problem),
      line_(line),
      column_(column) {}

namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;

struct ByteRange {
  uint8_t lo, hi;
};
using ByteSeq = std::vector<ByteRange>;

// Splits code points [lo, hi] (no surrogates inside) into sequences of byte ranges whose
// products are exactly the UTF-8 encodings of the range (the RE2 / regex-syntax construction).
void utf8_sequences(uint32_t lo, uint32_t hi, std::vector<ByteSeq>& out) {
  static constexpr uint32_t kMaxOfLength[] = {0x7F, 0x7FF, 0xFFFF};
  for (uint32_t max : kMaxOfLength) {
    if (lo <= max && hi > max) {
      utf8_sequences(lo, max, out);
      utf8_sequences(max + 1, hi, out);
      return;
    }
  }
  if (hi <= 0x7F) {
    out.push_back({{static_cast<uint8_t>(lo), static_cast<uint8_t>(hi)}});
    return;
  }
  for (int i = 1; i < 4; ++i) {
    const uint32_t m = (1u << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        utf8_sequences(lo, lo | m, out);
        utf8_sequences((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        utf8_sequences(lo, (hi & ~m) - 1, out);
        utf8_sequences(hi & ~m, hi, out);
        return;
      }
    }
  }
  std::string a, b;
  utf8_append(a, lo);
  utf8_append(b, hi);
  RS_CHECK(a.size() == b.size());
  ByteSeq seq;
  for (size_t j = 0; j < a.size(); ++j) {
    seq.push_back({static_cast<uint8_t>(a[j]), static_cast<uint8_t>(b[j])});
  }
  out.push_back(std::move(seq));
}

void byteset_add_range(ByteSet& s, uint8_t lo, uint8_t hi) {
  for (int b = lo; b <= hi; ++b) s[b >> 6] |= uint64_t{1} << (b & 63);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// Parses GBNF text into rules and flattens them into a Grammar. One instance per parse.
class GrammarBuilder {
 public:
  explicit GrammarBuilder(std::string_view text) : text_(text) {}

  std::shared_ptr<const Grammar> build(std::string_view root) {
    skip_space(true);
    while (pos_ < text_.size()) {
      parse_rule();
      skip_space(true);
    }
    if (n_user_rules_ == 0) fail(0, "empty grammar: no rules");
    for (size_t r = 0; r < rules_.size(); ++r) {
      if (!rules_[r].defined) fail(rules_[r].where, "undefined rule '" + rules_[r].name + "'");
    }
    auto it = symbols_.find(std::string(root));
    if (it == symbols_.end()) fail(0, "no rule named '" + std::string(root) + "' (the root)");
    unroll_nullable_repetitions();
    check_left_recursion();
    return flatten(it->second);
  }

 private:
  struct Rule {
    std::string name;     // as written, or "<origin>~N" for rules the compiler generated
    std::string origin;   // the written rule it came from (for messages)
    size_t where = 0;     // offset of its definition, or of its first reference until defined
    bool defined = false;
    std::vector<Element> body;  // alternatives separated by kAlt, closed by kEnd
  };

  [[noreturn]] void fail(size_t offset, const std::string& problem) const {
    int line = 1, column = 1;
    for (size_t i = 0; i < offset && i < text_.size(); ++i) {
      const auto c = static_cast<uint8_t>(text_[i]);
      if (c == '\n') {
        ++line;
        column = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++column;  // count code points, not continuation bytes
      }
    }
    throw GrammarError(line, column, problem);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  // Skips blanks and # comments; newlines only where a rule may continue on the next line.
  void skip_space(bool newline_ok) {
    while (!at_end()) {
      const char c = peek();
      if (c == ' ' || c == '\t') {
        ++pos_;
      } else if (c == '#') {
        while (!at_end() && peek() != '\n' && peek() != '\r') ++pos_;
      } else if ((c == '\n' || c == '\r') && newline_ok) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  std::string parse_name() {
    const size_t start = pos_;
    while (!at_end() && is_name_char(peek())) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  uint32_t symbol(const std::string& name, size_t where) {
    auto [it, inserted] = symbols_.try_emplace(name, static_cast<uint32_t>(rules_.size()));
    if (inserted) {
      if (++n_user_rules_ > kMaxRules) {
        fail(where, "too many rules (more than " + std::to_string(kMaxRules) + ")");
      }
      rules_.push_back(Rule{name, name, where, false, {}});
    }
    return it->second;
  }

  struct PendingRepetition {
    uint32_t rule;
    int min, max;  // max -1: unbounded
    size_t where;
    std::string origin;
    bool unrolled = false;
  };

  uint32_t add_generated_rule(const std::string& origin, size_t where,
                              std::vector<Element> body, bool count = true) {
    if (count) count_elements(body.size(), where);
    const auto id = static_cast<uint32_t>(rules_.size());
    rules_.push_back(
        Rule{origin + "~" + std::to_string(id), origin, where, true, std::move(body)});
    return id;
  }

  void count_elements(size_t n, size_t where) {
    n_elements_ += n;
    if (n_elements_ > kMaxElements) {
      fail(where, "grammar too large once repetitions are expanded (more than " +
                      std::to_string(kMaxElements) + " elements)");
    }
  }

  void parse_rule() {
    const size_t name_at = pos_;
    const std::string name = parse_name();
    if (name.empty()) fail(pos_, "expected a rule name");
    skip_space(false);
    if (text_.substr(pos_, 3) != "::=") fail(pos_, "expected '::=' after rule name '" + name + "'");
    pos_ += 3;
    skip_space(true);
    const uint32_t id = symbol(name, name_at);
    if (rules_[id].defined) fail(name_at, "rule '" + name + "' is defined twice");
    rules_[id].defined = true;
    rules_[id].where = name_at;
    std::vector<Element> body = parse_alternates(name, 0);
    count_elements(body.size(), name_at);
    rules_[id].body = std::move(body);
    if (!at_end() && peek() != '\n' && peek() != '\r') {
      fail(pos_, std::string("unexpected character '") + peek() + "'");
    }
  }

  std::vector<Element> parse_alternates(const std::string& rule, int depth) {
    std::vector<Element> out;
    parse_sequence(rule, out, depth);
    while (true) {
      if (peek() == '|') {
        ++pos_;
        skip_space(true);
      } else if (depth == 0) {
        // Also accept alternatives continued on the next line with a leading '|'; nothing
        // else may start a line with '|', so this cannot change the meaning of a grammar.
        const size_t save = pos_;
        skip_space(true);
        if (peek() != '|') {
          pos_ = save;
          break;
        }
        ++pos_;
        skip_space(true);
      } else {
        break;
      }
      out.push_back({Element::kAlt, 0});
      parse_sequence(rule, out, depth);
    }
    out.push_back({Element::kEnd, 0});
    return out;
  }

  void parse_sequence(const std::string& rule, std::vector<Element>& out, int depth) {
    size_t last_start = out.size();  // the symbol a repetition operator applies to
    bool has_last = false;
    while (!at_end()) {
      const size_t at = pos_;
      const char c = peek();
      if (c == '"') {
        last_start = out.size();
        parse_literal(out);
      } else if (c == '[') {
        last_start = out.size();
        parse_class(rule, out);
      } else if (c == '.') {
        ++pos_;
        last_start = out.size();
        emit_class({{0, kMaxCodePoint}}, rule, at, out);
      } else if (is_name_char(c)) {
        last_start = out.size();
        const std::string name = parse_name();
        out.push_back({Element::kRuleRef, symbol(name, at)});
      } else if (c == '(') {
        if (depth + 1 > kMaxNesting) {
          fail(at, "groups nested deeper than " + std::to_string(kMaxNesting));
        }
        ++pos_;
        skip_space(true);
        std::vector<Element> body = parse_alternates(rule, depth + 1);
        if (peek() != ')') fail(at, "unclosed '('");
        ++pos_;
        last_start = out.size();
        out.push_back({Element::kRuleRef, add_generated_rule(rule, at, std::move(body))});
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (!has_last) fail(at, std::string("'") + c + "' has nothing before it to repeat");
        ++pos_;
        int min = 0, max = -1;  // max -1: unbounded
        if (c == '+') min = 1;
        if (c == '?') max = 1;
        if (c == '{') parse_bounds(at, min, max);
        repeat(rule, at, out, last_start, min, max);
        skip_space(depth > 0);
        continue;  // the repeated group stays the last symbol, as in llama.cpp
      } else {
        break;
      }
      has_last = true;
      skip_space(depth > 0);
    }
  }

  int parse_int(size_t at) {
    if (!(peek() >= '0' && peek() <= '9')) fail(pos_, "expected a number in repetition bounds");
    long long v = 0;
    while (peek() >= '0' && peek() <= '9') {
      v = v * 10 + (peek() - '0');
      if (v > kMaxRepetition) {
        fail(at, "repetition bound larger than " + std::to_string(kMaxRepetition));
      }
      ++pos_;
    }
    return static_cast<int>(v);
  }

  void parse_bounds(size_t at, int& min, int& max) {
    skip_space(false);
    min = parse_int(at);
    skip_space(false);
    if (peek() == ',') {
      ++pos_;
      skip_space(false);
      max = peek() == '}' ? -1 : parse_int(at);
      skip_space(false);
    } else {
      max = min;
    }
    if (peek() != '}') fail(pos_, "expected '}' to close repetition bounds");
    ++pos_;
    if (max != -1 && max < min) {
      fail(at, "bad repetition bounds {" + std::to_string(min) + "," + std::to_string(max) +
                   "}: the maximum is below the minimum");
    }
  }

  // Replaces out[last_start..] (one symbol) by its repetition min..max times (max -1: no bound).
  void repeat(const std::string& rule, size_t at, std::vector<Element>& out, size_t last_start,
              int min, int max) {
    const std::vector<Element> sym(out.begin() + last_start, out.end());
    out.resize(last_start);
    if (max == -1 ? min < 2 : max < 2) {
      unroll(rule, at, sym, min, max, true, out);
      return;
    }
    // Counted. The limit on size still counts it as unrolled, so that the same grammars pass.
    const size_t n_sym = sym.size();
    const size_t optional = max == -1 ? 0 : static_cast<size_t>(max - min);
    count_elements(n_sym * static_cast<size_t>(min) + (max == -1 ? n_sym + 3 : 0) +
                       optional * (n_sym + 3),
                   at);
    uint32_t x = 0;
    if (n_sym == 1 && sym[0].type == Element::kRuleRef) {
      x = sym[0].value;
    } else {
      std::vector<Element> body = sym;
      body.push_back({Element::kEnd, 0});
      x = add_generated_rule(rule, at, std::move(body), false);
    }
    out.push_back({Element::kRepeat, static_cast<uint32_t>(repetitions_.size())});
    repetitions_.push_back({x, min, max, at, rule});
  }

  // Appends sym repeated min..max times (max -1: no bound) to out, as copies and generated rules.
  void unroll(const std::string& rule, size_t at, const std::vector<Element>& sym, int min,
              int max, bool count, std::vector<Element>& out) {
    if (count) count_elements(sym.size() * static_cast<size_t>(min), at);
    for (int i = 0; i < min; ++i) out.insert(out.end(), sym.begin(), sym.end());
    if (max == -1) {
      // r ::= sym r | (empty): a right recursion, which the matcher runs without growing stacks.
      const auto id = static_cast<uint32_t>(rules_.size());
      std::vector<Element> body = sym;
      body.push_back({Element::kRuleRef, id});
      body.push_back({Element::kAlt, 0});
      body.push_back({Element::kEnd, 0});
      RS_CHECK(add_generated_rule(rule, at, std::move(body), count) == id);
      out.push_back({Element::kRuleRef, id});
    } else if (max > min) {
      // Nested optionals: r1 ::= sym | (empty); r2 ::= sym r1 | (empty); ...
      uint32_t last = 0;
      for (int i = 0; i < max - min; ++i) {
        std::vector<Element> body = sym;
        if (i > 0) body.push_back({Element::kRuleRef, last});
        body.push_back({Element::kAlt, 0});
        body.push_back({Element::kEnd, 0});
        last = add_generated_rule(rule, at, std::move(body), count);
      }
      out.push_back({Element::kRuleRef, last});
    }
  }

  // Which rules can match the empty string.
  std::vector<bool> nullable_rules() const {
    const size_t n = rules_.size();
    std::vector<bool> nullable(n, false);
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t r = 0; r < n; ++r) {
        if (nullable[r]) continue;
        bool alt_nullable = true;
        for (const Element& e : rules_[r].body) {
          if (e.type == Element::kAlt || e.type == Element::kEnd) {
            if (alt_nullable) {
              nullable[r] = true;
              changed = true;
              break;
            }
            alt_nullable = true;
          } else if (!element_nullable(e, nullable)) {
            alt_nullable = false;
          }
        }
      }
    }
    return nullable;
  }

  bool element_nullable(const Element& e, const std::vector<bool>& nullable) const {
    if (e.type == Element::kBytes) return false;
    if (e.type == Element::kRuleRef) return nullable[e.value];
    const PendingRepetition& rep = repetitions_[e.value];
    return rep.min == 0 || nullable[rep.rule];
  }

  // A counter advances on every round of its symbol, and a symbol that can match nothing could
  // run it through every count without reading a byte (thousands of stacks): such repetitions
  // are unrolled, as before counting existed.
  void unroll_nullable_repetitions() {
    const std::vector<bool> nullable = nullable_rules();
    bool any = false;
    for (PendingRepetition& rep : repetitions_) {
      rep.unrolled = nullable[rep.rule];
      any = any || rep.unrolled;
    }
    if (!any) return;
    const size_t n_rules = rules_.size();  // unroll() adds rules without repetitions in them
    for (size_t r = 0; r < n_rules; ++r) {
      std::vector<Element> body;
      bool changed = false;
      for (const Element& e : rules_[r].body) {
        if (e.type == Element::kRepeat && repetitions_[e.value].unrolled) {
          const PendingRepetition rep = repetitions_[e.value];
          const std::vector<Element> sym{Element{Element::kRuleRef, rep.rule}};
          unroll(rep.origin, rep.where, sym, rep.min, rep.max, false, body);
          changed = true;
        } else {
          body.push_back(e);
        }
      }
      if (changed) rules_[r].body = std::move(body);
    }
  }

  // Reads one character of a literal or class at pos_ (an escape or a raw UTF-8 code point).
  uint32_t parse_char(const char* what) {
    const size_t at = pos_;
    if (peek() != '\\') {
      uint32_t cp = 0;
      if (!utf8_decode(text_, pos_, cp)) fail(at, std::string("invalid UTF-8 in ") + what);
      return cp;
    }
    ++pos_;
    const char e = peek();
    ++pos_;
    int digits = 0;
    switch (e) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '\\': case '"': case '[': case ']': case '-': case '^': case '/': case '\'':
        return static_cast<uint8_t>(e);
      case 'x': digits = 2; break;
      case 'u': digits = 4; break;
      case 'U': digits = 8; break;
      default:
        if (at_end()) fail(at, std::string("unterminated ") + what);
        fail(at, std::string("unknown escape '\\") + e + "'");
    }
    uint64_t cp = 0;
    for (int i = 0; i < digits; ++i) {
      const int h = hex_value(peek());
      if (h < 0) fail(at, "escape \\" + std::string(1, e) + " needs " + std::to_string(digits) +
                              " hex digits");
      cp = cp * 16 + static_cast<uint64_t>(h);
      ++pos_;
    }
    if (cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) {
      fail(at, "escape is not a Unicode scalar value");
    }
    return static_cast<uint32_t>(cp);
  }

  void parse_literal(std::vector<Element>& out) {
    const size_t open = pos_;
    ++pos_;
    std::string bytes;
    while (true) {
      if (at_end() || peek() == '\n' || peek() == '\r') fail(open, "unterminated string literal");
      if (peek() == '"') break;
      utf8_append(bytes, parse_char("string literal"));
    }
    ++pos_;
    for (char b : bytes) {
      ByteSet s{};
      byteset_add_range(s, static_cast<uint8_t>(b), static_cast<uint8_t>(b));
      out.push_back({Element::kBytes, byte_set_id(s)});
    }
  }

  void parse_class(const std::string& rule, std::vector<Element>& out) {
    const size_t open = pos_;
    ++pos_;
    const bool negated = peek() == '^';
    if (negated) ++pos_;
    std::vector<std::pair<uint32_t, uint32_t>> ranges;
    while (true) {
      if (at_end() || peek() == '\n' || peek() == '\r') fail(open, "unterminated character class");
      if (peek() == ']') break;
      const size_t item = pos_;
      const uint32_t lo = parse_char("character class");
      uint32_t hi = lo;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < text_.size()) {
        ++pos_;
        if (at_end() || peek() == '\n') fail(open, "unterminated character class");
        hi = parse_char("character class");
        if (hi < lo) fail(item, "character range is backwards");
      }
      ranges.push_back({lo, hi});
    }
    ++pos_;
    if (ranges.empty()) fail(open, "empty character class");
    std::sort(ranges.begin(), ranges.end());
    if (negated) {
      std::vector<std::pair<uint32_t, uint32_t>> inverse;
      uint32_t next = 0;  // first code point not yet covered
      bool done = false;
      for (auto [lo, hi] : ranges) {
        if (lo > next) inverse.push_back({next, lo - 1});
        if (hi >= kMaxCodePoint) {
          done = true;
          break;
        }
        next = std::max(next, hi + 1);
      }
      if (!done) inverse.push_back({next, kMaxCodePoint});
      ranges = std::move(inverse);
    }
    emit_class(std::move(ranges), rule, open, out);
  }

  // Emits a set of code points: one byte-set element when all are ASCII, otherwise a reference
  // to a (shared) rule whose alternatives spell the UTF-8 encodings.
  void emit_class(std::vector<std::pair<uint32_t, uint32_t>> ranges, const std::string& rule,
                  size_t at, std::vector<Element>& out) {
    std::vector<ByteSeq> seqs;
    for (auto [lo, hi] : ranges) {
      // Surrogates have no UTF-8 encoding: leave them out.
      if (lo < 0xD800 && hi >= 0xD800) {
        utf8_sequences(lo, 0xD7FF, seqs);
        if (hi > 0xDFFF) utf8_sequences(0xE000, hi, seqs);
      } else if (lo >= 0xD800 && lo <= 0xDFFF) {
        if (hi > 0xDFFF) utf8_sequences(0xE000, hi, seqs);
      } else {
        utf8_sequences(lo, hi, seqs);
      }
    }
    if (seqs.empty()) fail(at, "character class matches nothing");
    // Sequences with the same continuation share one alternative: [E1-EC][80-BF][80-BF] and
    // [EE-EF][80-BF][80-BF] become one, so the matcher carries fewer stacks.
    std::map<std::vector<std::pair<uint8_t, uint8_t>>, ByteSet> by_tail;
    for (const ByteSeq& seq : seqs) {
      std::vector<std::pair<uint8_t, uint8_t>> tail;
      for (size_t j = 1; j < seq.size(); ++j) tail.push_back({seq[j].lo, seq[j].hi});
      byteset_add_range(by_tail[tail], seq[0].lo, seq[0].hi);
    }
    if (by_tail.size() == 1 && by_tail.begin()->first.empty()) {
      out.push_back({Element::kBytes, byte_set_id(by_tail.begin()->second)});
      return;
    }
    std::vector<Element> body;
    for (const auto& [tail, first] : by_tail) {
      if (!body.empty()) body.push_back({Element::kAlt, 0});
      body.push_back({Element::kBytes, byte_set_id(first)});
      for (auto [lo, hi] : tail) {
        ByteSet s{};
        byteset_add_range(s, lo, hi);
        body.push_back({Element::kBytes, byte_set_id(s)});
      }
    }
    body.push_back({Element::kEnd, 0});
    std::vector<uint32_t> key;
    for (const Element& e : body) key.push_back(e.type << 24 | e.value);
    auto it = class_rules_.find(key);
    if (it == class_rules_.end()) {
      it = class_rules_.emplace(key, add_generated_rule(rule, at, std::move(body))).first;
    }
    out.push_back({Element::kRuleRef, it->second});
  }

  uint32_t byte_set_id(const ByteSet& s) {
    auto [it, inserted] = byte_set_ids_.try_emplace(s, static_cast<uint32_t>(byte_sets_.size()));
    if (inserted) byte_sets_.push_back(s);
    return it->second;
  }

  // The matcher expands rule references until a byte set is on top; a rule that can reach
  // itself without consuming a byte would expand forever, so such grammars are refused.
  void check_left_recursion() {
    const size_t n = rules_.size();
    const std::vector<bool> nullable = nullable_rules();
    // Edges r -> s when s can come first in r; a cycle is left recursion.
    std::vector<std::vector<uint32_t>> first(n);
    for (size_t r = 0; r < n; ++r) {
      bool blocked = false;
      for (const Element& e : rules_[r].body) {
        if (e.type == Element::kAlt || e.type == Element::kEnd) {
          blocked = false;
        } else if (!blocked) {
          if (e.type == Element::kRuleRef) first[r].push_back(e.value);
          if (e.type == Element::kRepeat) first[r].push_back(repetitions_[e.value].rule);
          if (!element_nullable(e, nullable)) blocked = true;
        }
      }
    }
    std::vector<uint8_t> color(n, 0);  // 0 new, 1 on the path, 2 done
    for (size_t start = 0; start < n; ++start) {
      if (color[start]) continue;
      std::vector<std::pair<uint32_t, size_t>> path{{static_cast<uint32_t>(start), 0}};
      color[start] = 1;
      while (!path.empty()) {
        auto& [r, next] = path.back();
        if (next == first[r].size()) {
          color[r] = 2;
          path.pop_back();
          continue;
        }
        const uint32_t s = first[r][next++];
        if (color[s] == 1) {
          const Rule& rule = rules_[s];
          fail(rule.where, "rule '" + rule.origin +
                               "' is left-recursive (it can reach itself without consuming "
                               "input), which this engine does not support");
        }
        if (color[s] == 0) {
          color[s] = 1;
          path.push_back({s, 0});
        }
      }
    }
  }

  std::shared_ptr<const Grammar> flatten(uint32_t root) {
    auto g = std::shared_ptr<Grammar>(new Grammar());
    g->root_ = root;
    g->byte_sets_ = std::move(byte_sets_);
    uint32_t frames = 0;
    for (const PendingRepetition& rep : repetitions_) {
      const uint32_t max = rep.max == -1 ? kUnbounded : static_cast<uint32_t>(rep.max);
      g->repetitions_.push_back({rep.rule, static_cast<uint32_t>(rep.min), max, frames});
      // Counts 0..max, or 0..min when unbounded (counts stop at min). The element limit keeps
      // the total far below kCounterFrame.
      if (!rep.unrolled) frames += static_cast<uint32_t>(rep.max == -1 ? rep.min : rep.max) + 1;
      RS_CHECK(frames < kCounterFrame);
    }
    g->elements_.reserve(n_elements_);
    for (Rule& rule : rules_) {
      const auto start = static_cast<uint32_t>(g->elements_.size());
      g->rule_starts_.push_back(start);
      std::vector<uint32_t> alts{start};
      for (size_t i = 0; i < rule.body.size(); ++i) {
        if (rule.body[i].type == Element::kAlt) alts.push_back(start + i + 1);
      }
      g->alternatives_.push_back(std::move(alts));
      g->elements_.insert(g->elements_.end(), rule.body.begin(), rule.body.end());
      g->rule_names_.push_back(std::move(rule.name));
    }
    return g;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<Rule> rules_;
  std::unordered_map<std::string, uint32_t> symbols_;
  int n_user_rules_ = 0;
  size_t n_elements_ = 0;
  std::vector<ByteSet> byte_sets_;
  std::map<ByteSet, uint32_t> byte_set_ids_;
  std::map<std::vector<uint32_t>, uint32_t> class_rules_;
  std::vector<PendingRepetition> repetitions_;
};

std::shared_ptr<const Grammar> Grammar::parse(std::string_view gbnf, std::string_view root) {
  return GrammarBuilder(gbnf).build(root);
}

uint32_t Grammar::decode_counter(uint32_t frame, uint32_t& count) const {
  const uint32_t index = frame & ~kCounterFrame;
  // The last repetition starting at or before `index`; unrolled ones take no frames and share
  // their start with the next counted one, which comes after them.
  auto it = std::upper_bound(repetitions_.begin(), repetitions_.end(), index,
                             [](uint32_t i, const Repetition& r) { return i < r.first_frame; });
  RS_CHECK(it != repetitions_.begin());
  --it;
  count = index - it->first_frame;
  return static_cast<uint32_t>(it - repetitions_.begin());
}

// Within `horizon` bytes at most `horizon` rounds of the symbol can start (none is empty), so what
// matters of a count is min(rounds still needed, horizon + 1) and min(rounds still allowed,
// horizon + 1); every count with the same pair maps to one frame.
uint32_t Grammar::clamp_counter(uint32_t frame, uint32_t horizon) const {
  uint32_t k = 0;
  const Repetition& rep = repetitions_[decode_counter(frame, k)];
  const uint64_t reach = uint64_t{horizon} + 1;
  uint64_t c = k;
  if (rep.max == kUnbounded || k + reach < rep.max) {
    if (k >= rep.min && rep.max != kUnbounded) {
      c = rep.min;
    } else if (rep.min > k + reach) {
      c = rep.min - reach;
    }
  }
  return kCounterFrame | static_cast<uint32_t>(rep.first_frame + c);
}

// ---------------------------------------------------------------------------------------------
// Matcher

namespace {

using Stack = std::vector<uint32_t>;

// Expands `start` until every stack has a byte set on top (or is empty: complete), adding the
// results to `out` (deduplicated later). Iterative, and each intermediate stack is expanded once,
// so a nullable-heavy grammar cannot blow up the work.
void advance_stack(const Grammar& g, Stack start, std::vector<Stack>& out) {
  std::vector<Stack> work;
  std::set<Stack> seen;
  work.push_back(std::move(start));
  while (!work.empty()) {
    Stack s = std::move(work.back());
    work.pop_back();
    if (s.empty() || g.is_byte_frame(s.back())) {
      out.push_back(std::move(s));
      if (out.size() > kMaxStacks * 4) {
        throw rightsize::Error("grammar too ambiguous: more than " + std::to_string(kMaxStacks) +
                               " parse stacks");
      }
      continue;
    }
    g.expand(s.back(), 0, [&](uint32_t lower, uint32_t upper) {
      Stack t(s.begin(), s.end() - 1);
      if (lower != kNoFrame) t.push_back(lower);
      if (upper != kNoFrame) t.push_back(upper);
      if (t.size() > kMaxStackDepth) {
        throw rightsize::Error("grammar nesting too deep: more than " +
                               std::to_string(kMaxStackDepth) + " open rules");
      }
      if (seen.insert(t).second) work.push_back(std::move(t));
    });
  }
}

void dedupe(std::vector<Stack>& stacks) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  if (stacks.size() > kMaxStacks) {
    throw rightsize::Error("grammar too ambiguous: more than " + std::to_string(kMaxStacks) +
                           " parse stacks");
  }
}

}  // namespace

Matcher::Matcher(std::shared_ptr<const Grammar> g) : grammar_(std::move(g)) {
  RS_CHECK(grammar_ != nullptr);
  std::vector<Stack> stacks;
  for (uint32_t alt : grammar_->alternatives(grammar_->root_rule())) {
    Stack s;
    if (!grammar_->is_end_of_sequence(alt)) s.push_back(alt);
    advance_stack(*grammar_, std::move(s), stacks);
  }
  dedupe(stacks);
  offsets_.push_back(0);
  for (const Stack& s : stacks) {
    data_.insert(data_.end(), s.begin(), s.end());
    offsets_.push_back(static_cast<uint32_t>(data_.size()));
  }
}

bool Matcher::accept_byte(uint8_t b) {
  const Grammar& g = *grammar_;
  std::vector<Stack> next;
  for (size_t i = 0; i + 1 < offsets_.size(); ++i) {
    const auto s = stack(i);
    if (s.empty()) continue;
    const uint32_t top = s.back();
    if (!byteset_has(g.byte_set(g.at(top).value), b)) continue;
    Stack t(s.begin(), s.end() - 1);
    if (!g.is_end_of_sequence(top + 1)) t.push_back(top + 1);
    advance_stack(g, std::move(t), next);
  }
  if (next.empty()) return false;
  dedupe(next);
  data_.clear();
  offsets_.assign(1, 0);
  for (const Stack& s : next) {
    data_.insert(data_.end(), s.begin(), s.end());
    offsets_.push_back(static_cast<uint32_t>(data_.size()));
  }
  return true;
}

bool Matcher::accept_bytes(std::string_view bytes) {
  if (bytes.empty()) return true;
  Matcher saved = *this;
  for (char c : bytes) {
    if (!accept_byte(static_cast<uint8_t>(c))) {
      *this = std::move(saved);
      return false;
    }
  }
  return true;
}

bool Matcher::is_complete() const {
  for (size_t i = 0; i + 1 < offsets_.size(); ++i) {
    if (offsets_[i] == offsets_[i + 1]) return true;
  }
  return false;
}

bool Matcher::can_continue() const {
  for (size_t i = 0; i + 1 < offsets_.size(); ++i) {
    if (offsets_[i] != offsets_[i + 1]) return true;
  }
  return false;
}

}  // namespace rightsize::sampling::grammar
