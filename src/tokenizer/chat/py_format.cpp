// Python's %-formatting and str.format (see py_format.h).
#include "tokenizer/chat/py_format.h"

#include <cmath>
#include <cstdio>

#include "tokenizer/chat/errors.h"
#include "tokenizer/chat/interpreter.h"
#include "tokenizer/chat/pystr.h"

namespace rightsize::tokenizer::chat {
namespace {

// Widths and precisions beyond this are refused: a template has no use for them and they would
// let one format call allocate without bound.
constexpr int64_t kMaxWidth = 1 << 20;

struct Spec {
  char32_t fill = ' ';
  char align = 0;  // '<', '>', '^', '=' or 0 for the type's default
  char sign = '-';
  bool alternate = false;
  char grouping = 0;
  int64_t width = -1;
  int64_t precision = -1;
  char type = 0;
};

std::string pad(const std::string& body, const Spec& spec, char default_align,
                size_t sign_prefix_len = 0) {
  const int64_t len = static_cast<int64_t>(pystr::length(body));
  if (spec.width <= len) return body;
  const int64_t n = spec.width - len;
  std::string fill;
  pystr::append_utf8(fill, spec.fill);
  auto fills = [&](int64_t count) {
    std::string s;
    for (int64_t i = 0; i < count; ++i) s += fill;
    return s;
  };
  switch (spec.align ? spec.align : default_align) {
    case '<':
      return body + fills(n);
    case '^':
      return fills(n / 2) + body + fills(n - n / 2);
    case '=':
      return body.substr(0, sign_prefix_len) + fills(n) + body.substr(sign_prefix_len);
    default:
      return fills(n) + body;
  }
}

std::string group_digits(const std::string& digits, char sep, int every) {
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % every == 0) out.push_back(sep);
    out.push_back(digits[i]);
  }
  return out;
}

std::string sign_of(bool negative, char sign) {
  if (negative) return "-";
  if (sign == '+') return "+";
  if (sign == ' ') return " ";
  return "";
}

std::string int_digits(uint64_t magnitude, char type) {
  char buf[80];
  switch (type) {
    case 'x':
      std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(magnitude));
      break;
    case 'X':
      std::snprintf(buf, sizeof buf, "%llX", static_cast<unsigned long long>(magnitude));
      break;
    case 'o':
      std::snprintf(buf, sizeof buf, "%llo", static_cast<unsigned long long>(magnitude));
      break;
    case 'b': {
      std::string bits;
      do {
        bits.insert(bits.begin(), static_cast<char>('0' + (magnitude & 1)));
        magnitude >>= 1;
      } while (magnitude != 0);
      return bits;
    }
    default:
      std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(magnitude));
      break;
  }
  return buf;
}

uint64_t magnitude_of(int64_t v) {
  return v < 0 ? static_cast<uint64_t>(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

// Digits of |x| in printf's %e/%f/%g (C and Python agree on these for finite values).
std::string float_digits(double x, char type, int64_t precision, bool alternate) {
  if (std::isnan(x)) return (type >= 'A' && type <= 'Z') ? "NAN" : "nan";
  if (std::isinf(x)) return (type >= 'A' && type <= 'Z') ? "INF" : "inf";
  char fmt[16];
  std::snprintf(fmt, sizeof fmt, "%%%s.%d%c", alternate ? "#" : "", static_cast<int>(precision),
                type);
  const int n = std::snprintf(nullptr, 0, fmt, std::fabs(x));
  std::string out(static_cast<size_t>(n) + 1, '\0');
  std::snprintf(out.data(), out.size(), fmt, std::fabs(x));
  out.resize(n);
  return out;
}

void check_width(int64_t v) {
  if (v > kMaxWidth) throw TemplateRuntimeError("format width or precision too big");
}

// ---- %-formatting ------------------------------------------------------------------------

std::string percent_one(const Value& v, char conv, const Spec& spec, bool left, bool zero) {
  Spec s = spec;
  s.align = left ? '<' : (zero ? '=' : '>');
  if (zero && !left) s.fill = '0';
  switch (conv) {
    case 's':
    case 'r':
    case 'a': {
      std::string text = conv == 's' ? v.str() : v.repr();
      if (spec.precision >= 0)
        text = pystr::slice(text, pystr::slice_range(static_cast<int64_t>(pystr::length(text)), 0,
                                                     spec.precision, 1));
      s.align = left ? '<' : '>';
      s.fill = ' ';
      return pad(text, s, '>');
    }
    case 'c': {
      std::string text;
      if (v.is_string() && pystr::length(v.as_string()) == 1) {
        text = v.as_string();
      } else if (v.is_int() || v.is_bool()) {
        pystr::append_utf8(text, static_cast<char32_t>(v.to_int()));
      } else {
        throw TemplateRuntimeError("%c requires int or char");
      }
      s.align = left ? '<' : '>';
      s.fill = ' ';
      return pad(text, s, '>');
    }
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      int64_t n;
      if (v.is_int() || v.is_bool()) {
        n = v.to_int();
      } else if (v.is_float() && (conv == 'd' || conv == 'i' || conv == 'u')) {
        if (!std::isfinite(v.as_float()))
          throw TemplateRuntimeError("cannot convert float infinity or NaN to integer");
        n = static_cast<int64_t>(std::trunc(v.as_float()));
      } else {
        throw TemplateRuntimeError(
            std::string("%") + conv + " format: " +
            (conv == 'd' || conv == 'i' || conv == 'u' ? "a real number" : "an integer") +
            " is required, not " + v.python_type());
      }
      const char type = (conv == 'i' || conv == 'u') ? 'd' : conv;
      std::string digits = int_digits(magnitude_of(n), type);
      if (spec.precision > static_cast<int64_t>(digits.size())) {
        digits.insert(0, spec.precision - digits.size(), '0');
      }
      std::string prefix = sign_of(n < 0, spec.sign);
      if (spec.alternate && type == 'x') prefix += "0x";
      if (spec.alternate && type == 'X') prefix += "0X";
      if (spec.alternate && type == 'o') prefix += "0o";
      return pad(prefix + digits, s, '>', prefix.size());
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      if (!v.is_number()) {
        throw TemplateRuntimeError("must be real number, not " + v.python_type());
      }
      const double x = v.to_double();
      const std::string digits =
          float_digits(x, conv, spec.precision < 0 ? 6 : spec.precision, spec.alternate);
      const std::string prefix = sign_of(std::signbit(x) && !std::isnan(x), spec.sign);
      if (!std::isfinite(x)) s.fill = ' ';
      return pad(prefix + digits, s, '>', prefix.size());
    }
    default: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "unsupported format character '%c'", conv);
      throw TemplateRuntimeError(buf);
    }
  }
}

// ---- format-spec mini-language -----------------------------------------------------------

Spec parse_spec(std::string_view text) {
  const std::u32string s = pystr::decode(text);
  Spec spec;
  size_t i = 0;
  auto is_align = [](char32_t c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (s.size() >= 2 && is_align(s[1])) {
    spec.fill = s[0];
    spec.align = static_cast<char>(s[1]);
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    spec.align = static_cast<char>(s[0]);
    i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' '))
    spec.sign = static_cast<char>(s[i++]);
  if (i < s.size() && s[i] == 'z') ++i;
  if (i < s.size() && s[i] == '#') {
    spec.alternate = true;
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    if (!spec.align) {
      spec.fill = '0';
      spec.align = '=';
    }
    ++i;
  }
  auto read_number = [&]() {
    int64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + (s[i++] - '0');
      check_width(v);
    }
    return v;
  };
  if (i < s.size() && s[i] >= '0' && s[i] <= '9') spec.width = read_number();
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) spec.grouping = static_cast<char>(s[i++]);
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9')
      throw TemplateRuntimeError("Format specifier missing precision");
    spec.precision = read_number();
  }
  if (i < s.size()) spec.type = static_cast<char>(s[i++]);
  if (i < s.size()) throw TemplateRuntimeError("Invalid format specifier");
  return spec;
}

std::string format_float_spec(double x, Spec spec) {
  char type = spec.type;
  std::string digits;
  bool percent = false;
  if (type == '%') {
    x *= 100;
    type = 'f';
    percent = true;
  }
  if (type == 0) {
    if (spec.precision < 0) {
      digits = format_float(std::fabs(x));
    } else {
      digits = float_digits(x, 'g', spec.precision == 0 ? 1 : spec.precision, spec.alternate);
      if (std::isfinite(x) && digits.find_first_of(".e") == std::string::npos) digits += ".0";
    }
  } else if (type == 'n') {
    digits = float_digits(x, 'g', spec.precision < 0 ? 6 : spec.precision, spec.alternate);
  } else if (type == 'e' || type == 'E' || type == 'f' || type == 'F' || type == 'g' ||
             type == 'G') {
    digits = float_digits(x, type, spec.precision < 0 ? 6 : spec.precision, spec.alternate);
  } else {
    throw TemplateRuntimeError(std::string("Unknown format code '") + spec.type +
                               "' for object of type 'float'");
  }
  if (spec.grouping && std::isfinite(x)) {
    const size_t end = digits.find_first_of(".e");
    const std::string whole = digits.substr(0, end);
    digits = group_digits(whole, spec.grouping, 3) +
             (end == std::string::npos ? "" : digits.substr(end));
  }
  if (percent) digits += "%";
  const std::string prefix = sign_of(std::signbit(x) && !std::isnan(x), spec.sign);
  return pad(prefix + digits, spec, '>', prefix.size());
}

std::string format_int_spec(int64_t n, const Spec& spec) {
  char type = spec.type ? spec.type : 'd';
  if (type == 'n') type = 'd';
  if (type == 'c') {
    std::string text;
    pystr::append_utf8(text, static_cast<char32_t>(n));
    return pad(text, spec, '<');
  }
  if (type != 'd' && type != 'b' && type != 'o' && type != 'x' && type != 'X') {
    throw TemplateRuntimeError(std::string("Unknown format code '") + spec.type +
                               "' for object of type 'int'");
  }
  std::string digits = int_digits(magnitude_of(n), type);
  if (spec.grouping) digits = group_digits(digits, spec.grouping, type == 'd' ? 3 : 4);
  std::string prefix = sign_of(n < 0, spec.sign);
  if (spec.alternate && type != 'd') prefix += std::string("0") + (type == 'X' ? 'X' : type);
  return pad(prefix + digits, spec, '>', prefix.size());
}

Value resolve_field(Interpreter& interp, std::string_view field, const CallArgs& args,
                    size_t* auto_index, int* numbering) {
  size_t end = 0;
  while (end < field.size() && field[end] != '.' && field[end] != '[') ++end;
  const std::string_view head = field.substr(0, end);
  Value v;
  auto positional = [&](size_t index) {
    if (index >= args.positional.size()) {
      throw TemplateRuntimeError("Replacement index " + std::to_string(index) +
                                 " out of range for positional args tuple");
    }
    return args.positional[index];
  };
  if (head.empty()) {
    if (*numbering == 2) {
      throw TemplateRuntimeError(
          "cannot switch from manual field specification to automatic field numbering");
    }
    *numbering = 1;
    v = positional((*auto_index)++);
  } else if (head.find_first_not_of("0123456789") == std::string_view::npos) {
    if (*numbering == 1) {
      throw TemplateRuntimeError(
          "cannot switch from automatic field numbering to manual field specification");
    }
    *numbering = 2;
    v = positional(std::stoul(std::string(head)));
  } else {
    bool found = false;
    for (const auto& [name, value] : args.keyword) {
      if (name == head) {
        v = value;
        found = true;
      }
    }
    if (!found) throw TemplateRuntimeError("'" + std::string(head) + "'");
  }
  size_t i = end;
  while (i < field.size()) {
    if (field[i] == '.') {
      size_t j = i + 1;
      while (j < field.size() && field[j] != '.' && field[j] != '[') ++j;
      v = interp.get_attribute(v, field.substr(i + 1, j - i - 1));
      i = j;
    } else {
      const size_t close = field.find(']', i);
      if (close == std::string_view::npos)
        throw TemplateRuntimeError("Missing ']' in format string");
      const std::string key(field.substr(i + 1, close - i - 1));
      if (!key.empty() && key.find_first_not_of("0123456789") == std::string::npos) {
        v = interp.get_item(v, Value(static_cast<int64_t>(std::stoll(key))));
      } else {
        v = interp.get_item(v, Value(key));
      }
      i = close + 1;
    }
  }
  return v;
}

}  // namespace

std::string percent_format(std::string_view fmt, const Value& args) {
  std::vector<Value> positional;
  const Dict* mapping = args.is_dict() ? &args.as_dict() : nullptr;
  if (args.is_tuple()) {
    positional = args.as_list();
  } else {
    positional.push_back(args);
  }
  size_t next = 0;
  auto next_arg = [&]() -> const Value& {
    if (next >= positional.size())
      throw TemplateRuntimeError("not enough arguments for format string");
    return positional[next++];
  };
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out.push_back(fmt[i]);
      continue;
    }
    if (++i >= fmt.size()) throw TemplateRuntimeError("incomplete format");
    const Value* keyed = nullptr;
    if (fmt[i] == '(') {
      int level = 1;
      const size_t start = ++i;
      while (i < fmt.size() && level > 0) {
        if (fmt[i] == '(') ++level;
        if (fmt[i] == ')') --level;
        ++i;
      }
      if (level > 0) throw TemplateRuntimeError("incomplete format key");
      if (mapping == nullptr) throw TemplateRuntimeError("format requires a mapping");
      const std::string key(fmt.substr(start, i - 1 - start));
      keyed = mapping->find(std::string_view(key));
      if (keyed == nullptr) throw TemplateRuntimeError("'" + key + "'");
    }
    Spec spec;
    bool left = false;
    bool zero = false;
    for (; i < fmt.size(); ++i) {
      const char c = fmt[i];
      if (c == '-') {
        left = true;
      } else if (c == '0') {
        zero = true;
      } else if (c == '+' || c == ' ') {
        if (spec.sign != '+') spec.sign = c;
      } else if (c == '#') {
        spec.alternate = true;
      } else {
        break;
      }
    }
    auto number = [&]() -> int64_t {
      if (i < fmt.size() && fmt[i] == '*') {
        ++i;
        const Value& v = next_arg();
        if (!v.is_int()) throw TemplateRuntimeError("* wants int");
        check_width(v.as_int());
        return v.as_int();
      }
      int64_t v = 0;
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
        v = v * 10 + (fmt[i++] - '0');
        check_width(v);
      }
      return v;
    };
    spec.width = number();
    if (spec.width < 0) {
      left = true;
      spec.width = -spec.width;
    }
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      spec.precision = number();
    }
    while (i < fmt.size() && (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'L')) ++i;
    if (i >= fmt.size()) throw TemplateRuntimeError("incomplete format");
    const char conv = fmt[i];
    if (conv == '%') {
      out.push_back('%');
      continue;
    }
    const Value& v = keyed != nullptr ? *keyed : next_arg();
    out += percent_one(v, conv, spec, left, zero);
  }
  // Like CPython, surplus arguments are an error only for a tuple or a single plain value;
  // a list, dict or undefined argument (anything subscriptable) is not checked.
  const bool subscriptable = (args.is_list() && !args.is_tuple()) || args.is_undefined();
  if (mapping == nullptr && !subscriptable && next < positional.size()) {
    throw TemplateRuntimeError("not all arguments converted during string formatting");
  }
  return out;
}

std::string format_value(const Value& v, std::string_view spec_text) {
  if (spec_text.empty()) return v.str();
  const Spec spec = parse_spec(spec_text);
  if (v.is_string()) {
    if (spec.type != 0 && spec.type != 's') {
      throw TemplateRuntimeError(std::string("Unknown format code '") + spec.type +
                                 "' for object of type 'str'");
    }
    if (spec.sign != '-') throw TemplateRuntimeError("Sign not allowed in string format specifier");
    if (spec.align == '=')
      throw TemplateRuntimeError("'=' alignment not allowed in string format specifier");
    std::string text = v.as_string();
    if (spec.precision >= 0)
      text = pystr::slice(text, pystr::slice_range(static_cast<int64_t>(pystr::length(text)), 0,
                                                   spec.precision, 1));
    return pad(text, spec, '<');
  }
  if (v.is_int() || v.is_bool()) {
    const char t = spec.type;
    if (t == 'e' || t == 'E' || t == 'f' || t == 'F' || t == 'g' || t == 'G' || t == '%') {
      return format_float_spec(v.to_double(), spec);
    }
    return format_int_spec(v.to_int(), spec);
  }
  if (v.is_float()) return format_float_spec(v.as_float(), spec);
  throw TemplateRuntimeError("unsupported format string passed to " + v.python_type() +
                             ".__format__");
}

std::string brace_format(Interpreter& interp, std::string_view fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  int numbering = 0;  // 0 unknown, 1 automatic, 2 manual
  for (size_t i = 0; i < fmt.size(); ++i) {
    const char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      throw TemplateRuntimeError("Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    // The field runs to the matching '}', skipping over [...] in the name.
    size_t j = i + 1;
    size_t name_end = std::string_view::npos;
    size_t conv_at = std::string_view::npos;
    bool in_brackets = false;
    for (; j < fmt.size(); ++j) {
      if (name_end == std::string_view::npos) {
        if (fmt[j] == '[') in_brackets = true;
        if (fmt[j] == ']') in_brackets = false;
        if (in_brackets) continue;
        if (fmt[j] == '!' || fmt[j] == ':') {
          name_end = j;
          if (fmt[j] == '!') conv_at = j;
        }
      }
      if (fmt[j] == '{') throw TemplateRuntimeError("nested format fields are not supported");
      if (fmt[j] == '}') break;
    }
    if (j >= fmt.size()) throw TemplateRuntimeError("Single '{' encountered in format string");
    if (name_end == std::string_view::npos) name_end = j;
    const std::string_view field = fmt.substr(i + 1, name_end - i - 1);
    char conversion = 0;
    std::string_view spec;
    size_t spec_at = name_end;
    if (conv_at != std::string_view::npos) {
      if (conv_at + 1 >= j)
        throw TemplateRuntimeError("end of string while looking for conversion specifier");
      conversion = fmt[conv_at + 1];
      spec_at = conv_at + 2;
      if (spec_at < j && fmt[spec_at] != ':')
        throw TemplateRuntimeError("expected ':' after conversion specifier");
    }
    if (spec_at < j && fmt[spec_at] == ':') spec = fmt.substr(spec_at + 1, j - spec_at - 1);
    Value v = resolve_field(interp, field, args, &auto_index, &numbering);
    if (conversion == 's') {
      v = Value(v.str());
    } else if (conversion == 'r' || conversion == 'a') {
      v = Value(v.repr());
    } else if (conversion != 0) {
      throw TemplateRuntimeError(std::string("Unknown conversion specifier ") + conversion);
    }
    out += v.is_undefined() && spec.empty() ? std::string() : format_value(v, spec);
    interp.check_size(out.size());
    i = j;
  }
  return out;
}

}  // namespace rightsize::tokenizer::chat
