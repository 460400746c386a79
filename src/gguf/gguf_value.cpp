// GGUF metadata values: type names, checked conversions and the display form.
#include "gguf/gguf_value.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <type_traits>

#include "util/error.h"

namespace rightsize::gguf {
namespace {

constexpr size_t kMaxDisplayChars = 64;  // a chat template would otherwise flood `info`

std::string quote(std::string_view key) { return "key '" + std::string(key) + "'"; }

[[noreturn]] void type_mismatch(std::string_view key, const char* wanted, const Value& v) {
  throw Error(quote(key) + ": expected " + wanted + ", found " + value_type_name(v.type));
}

std::string format_double(double d, bool single) {
  char buf[64];
  auto res = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(d))
                    : std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, res.ptr);
}

// Quotes and escapes so control characters and newlines in templates stay on one line.
std::string display_string(std::string_view s, size_t max_chars) {
  std::string out = "\"";
  size_t shown = 0;
  for (char c : s) {
    if (shown == max_chars) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
    ++shown;
  }
  out += '"';
  if (shown == max_chars && s.size() > max_chars)
    out += " (" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string display_number(ValueType t, double d) {
  if (t == ValueType::BOOL) return d != 0 ? "true" : "false";
  if (is_float_type(t)) return format_double(d, t == ValueType::F32);
  return format_double(d, false);  // integers up to 32 bits print exactly as doubles
}

std::string display_array(const Array& a, size_t max_items) {
  size_t n = a.size();
  size_t shown = std::min(n, max_items);
  std::string out = "[";
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += ", ";
    if (!a.items.empty()) {
      out += a.items[i].to_display(max_items);
    } else if (a.elem_type == ValueType::STRING) {
      out += display_string(a.strings[i], kMaxDisplayChars / 2);
    } else if (!a.ints64.empty()) {
      out += a.elem_type == ValueType::U64 ? std::to_string(static_cast<uint64_t>(a.ints64[i]))
                                           : std::to_string(a.ints64[i]);
    } else {
      out += display_number(a.elem_type, a.numbers[i]);
    }
  }
  if (shown < n)
    out += std::string(shown > 0 ? ", " : "") + "... (" + std::to_string(n) + " items)";
  out += "]";
  return out;
}

}  // namespace

const char* value_type_name(ValueType t) {
  switch (t) {
    case ValueType::U8:
      return "u8";
    case ValueType::I8:
      return "i8";
    case ValueType::U16:
      return "u16";
    case ValueType::I16:
      return "i16";
    case ValueType::U32:
      return "u32";
    case ValueType::I32:
      return "i32";
    case ValueType::F32:
      return "f32";
    case ValueType::BOOL:
      return "bool";
    case ValueType::STRING:
      return "string";
    case ValueType::ARRAY:
      return "array";
    case ValueType::U64:
      return "u64";
    case ValueType::I64:
      return "i64";
    case ValueType::F64:
      return "f64";
  }
  return "?";
}

bool is_integer_type(ValueType t) {
  switch (t) {
    case ValueType::U8:
    case ValueType::I8:
    case ValueType::U16:
    case ValueType::I16:
    case ValueType::U32:
    case ValueType::I32:
    case ValueType::U64:
    case ValueType::I64:
      return true;
    default:
      return false;
  }
}

bool is_float_type(ValueType t) { return t == ValueType::F32 || t == ValueType::F64; }

uint64_t min_encoded_size(ValueType t) {
  switch (t) {
    case ValueType::U8:
    case ValueType::I8:
    case ValueType::BOOL:
      return 1;
    case ValueType::U16:
    case ValueType::I16:
      return 2;
    case ValueType::U32:
    case ValueType::I32:
    case ValueType::F32:
      return 4;
    case ValueType::U64:
    case ValueType::I64:
    case ValueType::F64:
      return 8;
    case ValueType::STRING:
      return 8;  // u64 length
    case ValueType::ARRAY:
      return 12;  // u32 element type + u64 count
  }
  return 1;
}

size_t Array::size() const {
  if (!items.empty() || elem_type == ValueType::ARRAY) return items.size();
  if (elem_type == ValueType::STRING) return strings.size();
  return numbers.empty() ? ints64.size() : numbers.size();
}

bool Value::is_integer() const { return is_integer_type(type); }
bool Value::is_float() const { return is_float_type(type); }

int64_t Value::as_int(std::string_view key) const {
  if (!is_integer()) type_mismatch(key, "an integer", *this);
  if (auto* s = std::get_if<int64_t>(&data)) return *s;
  if (auto* u = std::get_if<uint64_t>(&data)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw Error(quote(key) + ": value " + std::to_string(*u) + " does not fit in int64");
    return static_cast<int64_t>(*u);
  }
  throw Error(quote(key) + ": integer value holds a non-integer");
}

uint64_t Value::as_uint(std::string_view key) const {
  if (!is_integer()) type_mismatch(key, "an unsigned integer", *this);
  if (auto* u = std::get_if<uint64_t>(&data)) return *u;
  if (auto* s = std::get_if<int64_t>(&data)) {
    if (*s < 0) throw Error(quote(key) + ": value " + std::to_string(*s) + " is negative");
    return static_cast<uint64_t>(*s);
  }
  throw Error(quote(key) + ": integer value holds a non-integer");
}

double Value::as_double(std::string_view key) const {
  if (auto* d = std::get_if<double>(&data); d && is_float()) return *d;
  if (auto* u = std::get_if<uint64_t>(&data); u && is_integer()) return static_cast<double>(*u);
  if (auto* s = std::get_if<int64_t>(&data); s && is_integer()) return static_cast<double>(*s);
  type_mismatch(key, "a number", *this);
}

bool Value::as_bool(std::string_view key) const {
  auto* b = std::get_if<bool>(&data);
  if (type != ValueType::BOOL || !b) type_mismatch(key, "a bool", *this);
  return *b;
}

const std::string& Value::as_string(std::string_view key) const {
  auto* s = std::get_if<std::string>(&data);
  if (type != ValueType::STRING || !s) type_mismatch(key, "a string", *this);
  return *s;
}

const Array& Value::as_array(std::string_view key) const {
  auto* a = std::get_if<std::shared_ptr<Array>>(&data);
  if (type != ValueType::ARRAY || !a || !*a) type_mismatch(key, "an array", *this);
  return **a;
}

std::string Value::to_display(size_t max_items) const {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return display_string(v, kMaxDisplayChars);
        } else if constexpr (std::is_same_v<T, std::shared_ptr<Array>>) {
          return v ? display_array(*v, max_items) : "[]";
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return format_double(v, type == ValueType::F32);
        } else {
          return std::to_string(v);
        }
      },
      data);
}

}  // namespace rightsize::gguf
