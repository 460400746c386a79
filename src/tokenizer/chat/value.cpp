// Template values: construction, Python's truth, str/repr, equality, ordering and json.dumps.
#include "tokenizer/chat/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "tokenizer/chat/errors.h"
#include "tokenizer/chat/pystr.h"

namespace rightsize::tokenizer::chat {
namespace {

[[noreturn]] void throw_too_deep() {
  throw TemplateRuntimeError("value nested more than " + std::to_string(kMaxValueDepth) +
                             " levels deep");
}

void check_depth(int depth) {
  if (depth > kMaxValueDepth) throw_too_deep();
}

void append_repr(const Value& v, std::string& out, int depth);

void append_items(const std::vector<Value>& items, std::string& out, int depth) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    append_repr(items[i], out, depth);
  }
}

void append_dict(const Dict& d, std::string& out, int depth) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : d.items()) {
    if (!first) out += ", ";
    first = false;
    append_repr(key, out, depth);
    out += ": ";
    append_repr(value, out, depth);
  }
  out.push_back('}');
}

// repr() of v appended to out; `depth` guards against namespaces that contain themselves.
void append_repr(const Value& v, std::string& out, int depth) {
  check_depth(depth);
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      out += "Undefined";
      return;
    case Value::Kind::kString:
      out += pystr::repr(v.as_string());
      return;
    case Value::Kind::kList:
      if (v.is_tuple()) {
        out.push_back('(');
        append_items(v.as_list(), out, depth + 1);
        if (v.as_list().size() == 1) out.push_back(',');
        out.push_back(')');
      } else {
        static constexpr const char* kViewNames[] = {"", "dict_keys(", "dict_values(",
                                                     "dict_items("};
        const int view = static_cast<int>(v.view());
        out += kViewNames[view];
        out.push_back('[');
        append_items(v.as_list(), out, depth + 1);
        out.push_back(']');
        if (view != 0) out.push_back(')');
      }
      return;
    case Value::Kind::kDict:
      append_dict(v.as_dict(), out, depth + 1);
      return;
    case Value::Kind::kNamespace:
      out += "<Namespace ";
      append_dict(v.namespace_attributes(), out, depth + 1);
      out += ">";
      return;
    default:
      out += v.str();
      return;
  }
}

bool equal_impl(const Value& a, const Value& b, int depth) {
  check_depth(depth);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.to_double() == b.to_double();
    return a.to_int() == b.to_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.as_string() == b.as_string();
    case Value::Kind::kList: {
      if (a.is_tuple() != b.is_tuple()) return false;
      const auto& x = a.as_list();
      const auto& y = b.as_list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!equal_impl(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      if (a.same_object(b)) return true;
      const Dict& x = a.as_dict();
      const Dict& y = b.as_dict();
      if (x.size() != y.size()) return false;
      for (const auto& [key, value] : x.items()) {
        const Value* other = y.find(key);
        if (other == nullptr || !equal_impl(value, *other, depth + 1)) return false;
      }
      return true;
    }
    default:
      return a.same_object(b);
  }
}

int compare_impl(const Value& a, const Value& b, std::string_view op, int depth) {
  check_depth(depth);
  if (a.is_undefined()) throw_undefined(a);
  if (b.is_undefined()) throw_undefined(b);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      const double x = a.to_double();
      const double y = b.to_double();
      return x < y ? -1 : (x > y ? 1 : 0);  // NaN compares as neither, like Python
    }
    const int64_t x = a.to_int();
    const int64_t y = b.to_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    // Byte order of UTF-8 is code point order, which is how Python orders str.
    const int c = a.as_string().compare(b.as_string());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto& x = a.as_list();
    const auto& y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equal_impl(x[i], y[i], depth + 1)) return compare_impl(x[i], y[i], op, depth + 1);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  throw TemplateRuntimeError("'" + std::string(op) + "' not supported between instances of '" +
                             a.python_type() + "' and '" + b.python_type() + "'");
}

void append_json_escape(char32_t c, std::string& out) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
  out += buf;
}

// One byte of a JSON string as json.dumps writes it: quotes, backslashes and control
// characters escaped, everything else (including UTF-8 bytes) as is.
void append_json_byte(char ch, std::string& out) {
  const auto c = static_cast<unsigned char>(ch);
  switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (c < 0x20) {
        append_json_escape(c, out);
      } else {
        out.push_back(ch);
      }
  }
}

void append_json_string(std::string_view s, std::string& out, bool ensure_ascii) {
  out.push_back('"');
  if (ensure_ascii && !pystr::is_ascii(s)) {
    // Python escapes every non-ASCII code point, astral ones as a surrogate pair.
    for (char32_t c : pystr::decode(s)) {
      if (c < 0x80) {
        append_json_byte(static_cast<char>(c), out);
      } else if (c < 0x10000) {
        append_json_escape(c, out);
      } else {
        const char32_t v = c - 0x10000;
        append_json_escape(0xD800 + (v >> 10), out);
        append_json_escape(0xDC00 + (v & 0x3FF), out);
      }
    }
  } else {
    for (char ch : s) append_json_byte(ch, out);
  }
  out.push_back('"');
}

std::string json_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return format_float(v);
}

// A dict key as json.dumps converts it.
std::string json_key(const Value& key) {
  switch (key.kind()) {
    case Value::Kind::kString:
      return key.as_string();
    case Value::Kind::kInt:
      return std::to_string(key.as_int());
    case Value::Kind::kFloat:
      return json_float(key.as_float());
    case Value::Kind::kBool:
      return key.as_bool() ? "true" : "false";
    case Value::Kind::kNone:
      return "null";
    default:
      throw TemplateRuntimeError("keys must be str, int, float, bool or None, not " +
                                 key.python_type());
  }
}

class JsonWriter {
 public:
  JsonWriter(const JsonOptions& options, std::string& out) : options_(options), out_(out) {
    item_separator_ = options.item_separator.value_or(options.indent ? "," : ", ");
  }

  void write(const Value& v, int level) {
    check_depth(level);
    switch (v.kind()) {
      case Value::Kind::kNone:
        out_ += "null";
        return;
      case Value::Kind::kBool:
        out_ += v.as_bool() ? "true" : "false";
        return;
      case Value::Kind::kInt:
        out_ += std::to_string(v.as_int());
        return;
      case Value::Kind::kFloat:
        out_ += json_float(v.as_float());
        return;
      case Value::Kind::kString:
        append_json_string(v.as_string(), out_, options_.ensure_ascii);
        return;
      case Value::Kind::kList:
        write_list(v.as_list(), level);
        return;
      case Value::Kind::kDict:
        write_dict(v.as_dict(), level);
        return;
      case Value::Kind::kUndefined:
        throw TemplateRuntimeError("Object of type Undefined is not JSON serializable");
      case Value::Kind::kNamespace:
        throw TemplateRuntimeError("Object of type Namespace is not JSON serializable");
      case Value::Kind::kObject:
        throw TemplateRuntimeError("Object of type " + v.python_type() +
                                   " is not JSON serializable");
    }
  }

 private:
  void newline(int level) {
    if (!options_.indent) return;
    out_.push_back('\n');
    for (int i = 0; i < level; ++i) out_ += *options_.indent;
  }

  void write_list(const std::vector<Value>& items, int level) {
    if (items.empty()) {
      out_ += "[]";
      return;
    }
    out_.push_back('[');
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_ += item_separator_;
      newline(level + 1);
      write(items[i], level + 1);
    }
    newline(level);
    out_.push_back(']');
  }

  void write_dict(const Dict& d, int level) {
    if (d.empty()) {
      out_ += "{}";
      return;
    }
    std::vector<std::pair<std::string, const Value*>> entries;
    entries.reserve(d.size());
    for (const auto& [key, value] : d.items()) entries.emplace_back(json_key(key), &value);
    if (options_.sort_keys) {
      std::stable_sort(entries.begin(), entries.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    out_.push_back('{');
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out_ += item_separator_;
      newline(level + 1);
      append_json_string(entries[i].first, out_, options_.ensure_ascii);
      out_ += options_.key_separator;
      write(*entries[i].second, level + 1);
    }
    newline(level);
    out_.push_back('}');
  }

  const JsonOptions& options_;
  std::string& out_;
  std::string item_separator_;
};

Value from_json_impl(const nlohmann::ordered_json& j, int depth) {
  check_depth(depth);
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value::none();
    case nlohmann::ordered_json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<int64_t>(u));
      return Value(static_cast<double>(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& item : j) items.push_back(from_json_impl(item, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      Dict d;
      for (const auto& [key, item] : j.items()) d.set(Value(key), from_json_impl(item, depth + 1));
      return Value::dict(std::move(d));
    }
    default:
      throw TemplateRuntimeError("unsupported JSON value (binary data) in template input");
  }
}

}  // namespace

Value Object::attribute(std::string_view) const { return Value::undefined(); }

Value Object::call(Interpreter&, CallArgs&) const {
  throw TemplateRuntimeError("'" + repr() + "' object is not callable");
}

const Value* Dict::find(std::string_view key) const {
  const auto it = string_index_.find(key);
  return it == string_index_.end() ? nullptr : &items_[it->second].second;
}

const Value* Dict::find(const Value& key) const {
  if (key.is_string()) return find(std::string_view(key.as_string()));
  for (const auto& [k, v] : items_) {
    if (!k.is_string() && py_equal(k, key)) return &v;
  }
  return nullptr;
}

void Dict::set(Value key, Value value) {
  depth_ = std::max(depth_, 1 + std::max(key.depth(), value.depth()));
  check_depth(depth_);
  if (key.is_string()) {
    const auto it = string_index_.find(std::string_view(key.as_string()));
    if (it != string_index_.end()) {
      items_[it->second].second = std::move(value);
      return;
    }
    string_index_.emplace(key.as_string(), items_.size());
  } else {
    for (auto& [k, v] : items_) {
      if (!k.is_string() && py_equal(k, key)) {
        v = std::move(value);
        return;
      }
    }
  }
  items_.emplace_back(std::move(key), std::move(value));
}

void Dict::clear() {
  items_.clear();
  string_index_.clear();
  depth_ = 1;
}

Value Value::undefined(std::string hint) {
  Value v;
  if (!hint.empty()) {
    v.data_ = UndefinedData{std::make_shared<const std::string>(std::move(hint))};
  }
  return v;
}

Value Value::none() {
  Value v;
  v.data_ = nullptr;
  return v;
}

Value Value::list(std::vector<Value> items) {
  int depth = 1;
  for (const Value& item : items) depth = std::max(depth, 1 + item.depth());
  check_depth(depth);
  Value v;
  v.data_ = std::make_shared<const ListData>(ListData{std::move(items), false, depth, View::kNone});
  return v;
}

Value Value::tuple(std::vector<Value> items) {
  Value v = list(std::move(items));
  const auto& data = std::get<ListRef>(v.data_);
  v.data_ = std::make_shared<const ListData>(ListData{data->items, true, data->depth, View::kNone});
  return v;
}

Value Value::dict(Dict d) {
  Value v;
  v.data_ = std::make_shared<const Dict>(std::move(d));
  return v;
}

Value Value::new_namespace(Dict attributes) {
  Value v;
  v.data_ = std::make_shared<Dict>(std::move(attributes));
  return v;
}

Value Value::object(std::shared_ptr<const Object> obj) {
  Value v;
  v.data_ = std::move(obj);
  return v;
}

Value Value::from_json(const nlohmann::ordered_json& j) { return from_json_impl(j, 0); }

bool Value::is_callable() const { return is_object() && as_object().callable(); }

Value Value::dict_view(std::vector<Value> items, View view) {
  Value v = list(std::move(items));
  const auto& data = std::get<ListRef>(v.data_);
  v.data_ = std::make_shared<const ListData>(ListData{data->items, false, data->depth, view});
  return v;
}

Value::View Value::view() const { return std::get<ListRef>(data_)->view; }

bool Value::is_tuple() const { return is_list() && std::get<ListRef>(data_)->tuple; }

double Value::to_double() const {
  if (is_float()) return as_float();
  return static_cast<double>(to_int());
}

const std::string& Value::undefined_hint() const {
  static const std::string kNoHint;
  const auto& hint = std::get<UndefinedData>(data_).hint;
  return hint ? *hint : kNoHint;
}

int Value::depth() const {
  if (is_list()) return std::get<ListRef>(data_)->depth;
  if (is_dict()) return as_dict().depth();
  return 0;
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return as_bool();
    case Kind::kInt:
      return as_int() != 0;
    case Kind::kFloat:
      return as_float() != 0.0;
    case Kind::kString:
      return !as_string().empty();
    case Kind::kList:
      return !as_list().empty();
    case Kind::kDict:
      return !as_dict().empty();
    default:
      return true;
  }
}

std::string Value::str() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "";
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return as_bool() ? "True" : "False";
    case Kind::kInt:
      return std::to_string(as_int());
    case Kind::kFloat:
      return format_float(as_float());
    case Kind::kString:
      return as_string();
    case Kind::kObject:
      return as_object().repr();
    default: {
      std::string out;
      append_repr(*this, out, 0);
      return out;
    }
  }
}

std::string Value::repr() const {
  std::string out;
  append_repr(*this, out, 0);
  return out;
}

std::string Value::type_name() const {
  if (is_none()) return "None";
  return python_type() + " object";
}

std::string Value::python_type() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return is_tuple() ? "tuple" : "list";
    case Kind::kDict:
      return "dict";
    case Kind::kNamespace:
      return "Namespace";
    case Kind::kObject:
      return as_object().callable() ? "function" : "object";
  }
  return "object";
}

bool Value::same_object(const Value& other) const {
  if (kind() != other.kind()) return false;
  switch (kind()) {
    case Kind::kList:
      return std::get<ListRef>(data_) == std::get<ListRef>(other.data_);
    case Kind::kDict:
      return std::get<DictRef>(data_) == std::get<DictRef>(other.data_);
    case Kind::kNamespace:
      return std::get<NamespaceRef>(data_) == std::get<NamespaceRef>(other.data_);
    case Kind::kObject:
      return std::get<ObjectRef>(data_) == std::get<ObjectRef>(other.data_);
    default:
      return py_equal(*this, other);
  }
}

bool py_equal(const Value& a, const Value& b) { return equal_impl(a, b, 0); }

int py_compare(const Value& a, const Value& b, std::string_view op) {
  return compare_impl(a, b, op, 0);
}

void throw_undefined(const Value& v) {
  const std::string& hint = v.undefined_hint();
  throw TemplateRuntimeError(hint.empty() ? "use of an undefined value" : hint);
}

std::string format_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // Shortest round-trip digits in scientific form, re-laid out with Python's repr rules:
  // positional notation for exponents -4 <= e < 16, else d.ddde+XX.
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, result.ptr - buf);
  std::string out;
  if (sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  const int exponent = std::stoi(std::string(sci.substr(e_pos + 1)));
  const int point = exponent + 1;  // digits before the decimal point
  const int n = static_cast<int>(digits.size());
  if (point > -4 && point <= 16) {
    if (point <= 0) {
      out += "0.";
      out.append(-point, '0');
      out += digits;
    } else if (point >= n) {
      out += digits;
      out.append(point - n, '0');
      out += ".0";
    } else {
      out += digits.substr(0, point);
      out.push_back('.');
      out += digits.substr(point);
    }
    return out;
  }
  out.push_back(digits[0]);
  if (n > 1) {
    out.push_back('.');
    out += digits.substr(1);
  }
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof exp_buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  out += exp_buf;
  return out;
}

std::vector<Value> iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return {};
    case Value::Kind::kList:
      return v.as_list();
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      keys.reserve(v.as_dict().size());
      for (const auto& [key, value] : v.as_dict().items()) keys.push_back(key);
      return keys;
    }
    case Value::Kind::kString: {
      const std::string& s = v.as_string();
      std::vector<Value> chars;
      chars.reserve(s.size());
      for (size_t pos = 0; pos < s.size();) {
        const size_t n = pystr::char_bytes(s, pos);
        chars.emplace_back(s.substr(pos, n));
        pos += n;
      }
      return chars;
    }
    default:
      throw TemplateRuntimeError("'" + v.python_type() + "' object is not iterable");
  }
}

int64_t py_len(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return 0;
    case Value::Kind::kString:
      return static_cast<int64_t>(pystr::length(v.as_string()));
    case Value::Kind::kList:
      return static_cast<int64_t>(v.as_list().size());
    case Value::Kind::kDict:
      return static_cast<int64_t>(v.as_dict().size());
    default:
      throw TemplateRuntimeError("object of type '" + v.python_type() + "' has no len()");
  }
}

std::string to_json(const Value& v, const JsonOptions& options) {
  std::string out;
  JsonWriter(options, out).write(v, 0);
  return out;
}

}  // namespace rightsize::tokenizer::chat
