// Jinja's built-in filters (see filters.h). Where Jinja returns a generator (select, map,
// reverse, ...) these return a list, which iterates, joins and tests the same way.
#include "tokenizer/chat/filters.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "tokenizer/chat/callables.h"
#include "tokenizer/chat/errors.h"
#include "tokenizer/chat/interpreter.h"
#include "tokenizer/chat/methods.h"
#include "tokenizer/chat/operators.h"
#include "tokenizer/chat/py_format.h"
#include "tokenizer/chat/pystr.h"

namespace rightsize::tokenizer::chat {
namespace {

// ---- helpers ---------------------------------------------------------------------------------

// Jinja's make_attrgetter: "a.b.0" looks up a, then b, then item 0, item-first at each step.
Value get_path(Interpreter& interp, Value item, const Value& attribute) {
  if (attribute.is_none() || attribute.is_undefined()) return item;
  if (!attribute.is_string()) return interp.get_item(item, attribute);
  for (const std::string& part : pystr::split(attribute.as_string(), std::string("."), -1)) {
    const bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    item =
        interp.get_item(item, digits ? Value(static_cast<int64_t>(std::stoll(part))) : Value(part));
  }
  return item;
}

Value lower_if_string(const Value& v) {
  return v.is_string() ? Value(pystr::lower(v.as_string())) : v;
}

// Sort keys for sort/unique/min/max/dictsort, strings lowered unless case-sensitive.
Value sort_key(Interpreter& interp, const Value& item, const Value& attribute,
               bool case_sensitive) {
  const Value key = get_path(interp, item, attribute);
  return case_sensitive ? key : lower_if_string(key);
}

void stable_sort_by(std::vector<std::pair<Value, Value>>& keyed, bool reverse) {
  std::stable_sort(keyed.begin(), keyed.end(), [reverse](const auto& a, const auto& b) {
    return reverse ? py_compare(b.first, a.first) < 0 : py_compare(a.first, b.first) < 0;
  });
}

Value list_of(std::vector<Value> items) { return Value::list(std::move(items)); }

std::string soft_str(const Value& v) { return v.str(); }

// Python's int(str, base): surrounding whitespace, a sign, digits with single underscores.
std::optional<int64_t> parse_python_int(const std::string& text, int64_t base) {
  const std::string s = pystr::strip(text, std::nullopt, true, true);
  std::string digits;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) digits.push_back(s[i++]);
  if (base == 16 && s.size() > i + 1 && s[i] == '0' && (s[i + 1] | 0x20) == 'x') i += 2;
  if (base == 8 && s.size() > i + 1 && s[i] == '0' && (s[i + 1] | 0x20) == 'o') i += 2;
  if (base == 2 && s.size() > i + 1 && s[i] == '0' && (s[i + 1] | 0x20) == 'b') i += 2;
  bool prev_digit = false;
  for (; i < s.size(); ++i) {
    if (s[i] == '_' && prev_digit && i + 1 < s.size() && s[i + 1] != '_') {
      prev_digit = false;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(s[i]))) return std::nullopt;
    digits.push_back(s[i]);
    prev_digit = true;
  }
  if (!prev_digit) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(digits.c_str(), &end, static_cast<int>(base));
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

// Python's float(str): decimal notation, "inf", "nan", "infinity", underscores between digits.
std::optional<double> parse_python_float(const std::string& text) {
  std::string s = pystr::strip(text, std::nullopt, true, true);
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      const bool between = i > 0 && i + 1 < s.size() &&
                           std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                           std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!between) return std::nullopt;
      continue;
    }
    if (c == 'x' || c == 'X' || c == 'p' || c == 'P') return std::nullopt;  // no hex floats
    clean.push_back(c);
  }
  if (clean.empty()) return std::nullopt;
  const std::string lower = pystr::lower(clean);
  const std::string body = (lower[0] == '+' || lower[0] == '-') ? lower.substr(1) : lower;
  if (body == "inf" || body == "infinity" || body == "nan") {
    const double v = body == "nan" ? NAN : INFINITY;
    return lower[0] == '-' ? -v : v;
  }
  if (body.find_first_not_of("0123456789.e+-") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(clean.c_str(), &end);
  if (*end != '\0') return std::nullopt;
  return v;
}

std::optional<double> to_python_float(const Value& v) {
  if (v.is_number()) return v.to_double();
  if (v.is_string()) return parse_python_float(v.as_string());
  return std::nullopt;
}

// Python's round(x, ndigits) on a float: correctly rounded, ties to even.
double round_float(double x, int64_t ndigits) {
  if (!std::isfinite(x)) return x;
  if (ndigits > 300) return x;
  if (ndigits < 0) {
    const double scale = std::pow(10.0, static_cast<double>(-ndigits));
    return std::nearbyint(x / scale) * scale;
  }
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(ndigits), x);
  return std::strtod(buf, nullptr);
}

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// select/reject/selectattr/rejectattr share this: keep items whose (attribute's) test result
// equals `keep`. Without a test name the value's truth is the test.
Value select_items(Interpreter& interp, const Value& value, CallArgs& args, bool keep,
                   bool by_attribute, std::string_view filter_name) {
  if (!value.truthy()) return list_of({});
  size_t offset = 0;
  Value attribute;
  if (by_attribute) {
    if (args.positional.empty()) {
      throw TemplateRuntimeError(std::string(filter_name) +
                                 ": missing parameter for attribute name");
    }
    attribute = args.positional[0];
    offset = 1;
  }
  std::optional<std::string> test;
  CallArgs test_args;
  if (args.positional.size() > offset) {
    const Value& name = args.positional[offset];
    if (!name.is_string())
      throw TemplateRuntimeError(std::string(filter_name) + ": test name must be a string");
    test = name.as_string();
    test_args.positional.assign(args.positional.begin() + offset + 1, args.positional.end());
    test_args.keyword = args.keyword;
  }
  std::vector<Value> out;
  for (const Value& item : iterate(value)) {
    const Value subject = by_attribute ? get_path(interp, item, attribute) : item;
    bool result;
    if (test) {
      CallArgs a = test_args;
      result = interp.apply_test(*test, subject, a);
    } else {
      result = subject.truthy();
    }
    if (result == keep) out.push_back(item);
  }
  return list_of(std::move(out));
}

// ---- the filters -----------------------------------------------------------------------------

Value f_abs(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("abs", args);
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  if (v.is_int() || v.is_bool()) {
    if (v.to_int() == INT64_MIN)
      throw TemplateRuntimeError("integer result out of the 64-bit range");
    return Value(v.to_int() < 0 ? -v.to_int() : v.to_int());
  }
  if (v.is_undefined()) throw_undefined(v);
  throw TemplateRuntimeError("bad operand type for abs(): '" + v.python_type() + "'");
}

Value f_attr(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgParser a("attr", args, {"name"}, 1);
  const std::string name = a.get(0).str();
  // Only attributes (methods), never items: a dict's keys are not its attributes.
  if (v.is_dict() && find_method(v, name) == MethodKind::kNone) {
    return Value::undefined("'dict object' has no attribute '" + name + "'");
  }
  return interp.get_attribute(v, name);
}

Value f_batch(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgParser a("batch", args, {"linecount", "fill_with"}, 1);
  const int64_t n = a.get_int(0, 1);
  if (n <= 0) throw TemplateRuntimeError("batch: linecount must be positive");
  std::vector<Value> batches;
  std::vector<Value> current;
  for (const Value& item : iterate(v)) {
    if (static_cast<int64_t>(current.size()) == n) {
      batches.push_back(list_of(std::move(current)));
      current.clear();
    }
    current.push_back(item);
  }
  if (!current.empty()) {
    if (a.has(1) && !a.get(1).is_none()) {
      interp.check_size(static_cast<uint64_t>(n));
      while (static_cast<int64_t>(current.size()) < n) current.push_back(a.get(1));
    }
    batches.push_back(list_of(std::move(current)));
  }
  return list_of(std::move(batches));
}

Value f_capitalize(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("capitalize", args);
  return Value(pystr::capitalize(soft_str(v)));
}

Value f_center(Interpreter& interp, const Value& v, CallArgs& args) {
  CallArgs method_args = args;
  if (method_args.positional.empty() && method_args.keyword.empty())
    method_args.positional.push_back(Value(80));
  return interp.call(interp.get_attribute(Value(soft_str(v)), "center"), method_args);
}

Value f_default(Interpreter&, const Value& v, CallArgs& args) {
  ArgParser a("default", args, {"default_value", "boolean"});
  if (v.is_undefined() || (a.get_bool(1, false) && !v.truthy())) return a.get_or(0, Value(""));
  return v;
}

Value f_dictsort(Interpreter&, const Value& v, CallArgs& args) {
  ArgParser a("dictsort", args, {"case_sensitive", "by", "reverse"});
  if (!v.is_dict()) throw TemplateRuntimeError("dictsort: value is not a mapping");
  const std::string by = a.get_string(1, "key");
  if (by != "key" && by != "value") {
    throw TemplateRuntimeError("You can only sort by either \"key\" or \"value\"");
  }
  const bool case_sensitive = a.get_bool(0, false);
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [k, val] : v.as_dict().items()) {
    const Value& key = by == "key" ? k : val;
    keyed.emplace_back(case_sensitive ? key : lower_if_string(key), Value::tuple({k, val}));
  }
  stable_sort_by(keyed, a.get_bool(2, false));
  std::vector<Value> out;
  for (auto& [key, item] : keyed) out.push_back(std::move(item));
  return list_of(std::move(out));
}

Value f_escape(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("escape", args);
  return Value(html_escape(soft_str(v)));
}

Value f_filesizeformat(Interpreter&, const Value& v, CallArgs& args) {
  ArgParser a("filesizeformat", args, {"binary"});
  const auto bytes_opt = to_python_float(v);
  if (!bytes_opt) throw TemplateRuntimeError("filesizeformat: could not convert to float");
  const double bytes = *bytes_opt;
  const bool binary = a.get_bool(0, false);
  const double base = binary ? 1024 : 1000;
  static const char* kBinary[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  static const char* kDecimal[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  if (bytes == 1) return Value("1 Byte");
  char buf[64];
  if (bytes < base) {
    std::snprintf(buf, sizeof buf, "%lld Bytes", static_cast<long long>(bytes));
    return Value(buf);
  }
  double unit = base;
  for (int i = 0; i < 8; ++i) {
    unit *= base;
    if (bytes < unit || i == 7) {
      std::snprintf(buf, sizeof buf, "%.1f %s", base * bytes / unit,
                    binary ? kBinary[i] : kDecimal[i]);
      break;
    }
  }
  return Value(buf);
}

Value f_first(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("first", args);
  if (v.is_list()) {
    return v.as_list().empty() ? Value::undefined("No first item, sequence was empty.")
                               : v.as_list().front();
  }
  const std::vector<Value> items = iterate(v);
  return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
}

Value f_float(Interpreter&, const Value& v, CallArgs& args) {
  ArgParser a("float", args, {"default"});
  if (v.is_undefined()) throw_undefined(v);  // float(Undefined) raises in Jinja
  const auto f = to_python_float(v);
  return f ? Value(*f) : a.get_or(0, Value(0.0));
}

Value f_format(Interpreter&, const Value& v, CallArgs& args) {
  if (!args.positional.empty() && !args.keyword.empty()) {
    throw TemplateRuntimeError("can't handle positional and keyword arguments at the same time");
  }
  if (!args.keyword.empty()) {
    Dict d;
    for (const auto& [k, val] : args.keyword) d.set(Value(k), val);
    return Value(percent_format(soft_str(v), Value::dict(std::move(d))));
  }
  return Value(percent_format(soft_str(v), Value::tuple(args.positional)));
}

Value f_indent(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgParser a("indent", args, {"width", "first", "blank"});
  std::string indention;
  if (a.has(0) && a.get(0).is_string()) {
    indention = a.get(0).as_string();
  } else {
    const int64_t width = a.get_int(0, 4);
    interp.check_size(static_cast<uint64_t>(std::max<int64_t>(width, 0)));
    indention.assign(static_cast<size_t>(std::max<int64_t>(width, 0)), ' ');
  }
  // Jinja appends "\n" to the value itself, so anything but a string fails as it does there.
  if (v.is_undefined()) throw_undefined(v);
  if (!v.is_string()) {
    throw TemplateRuntimeError(
        v.is_list() ? "'" + v.python_type() + "' object has no attribute 'splitlines'"
                    : "unsupported operand type(s) for +=: '" + v.python_type() + "' and 'str'");
  }
  const std::vector<std::string> lines = pystr::splitlines(v.as_string() + "\n", false);
  std::string out;
  const bool blank = a.get_bool(2, false);
  if (a.get_bool(1, false)) out += indention;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out.push_back('\n');
      if (blank || !lines[i].empty()) out += indention;  // blank lines stay empty unless asked
    }
    out += lines[i];
  }
  interp.check_size(out.size());
  return Value(std::move(out));
}

Value f_int(Interpreter&, const Value& v, CallArgs& args) {
  ArgParser a("int", args, {"default", "base"});
  const int64_t base = a.get_int(1, 10);
  if (v.is_undefined()) throw_undefined(v);  // int(Undefined) raises in Jinja
  if (v.is_int() || v.is_bool()) return Value(v.to_int());
  if (v.is_string()) {
    if (const auto n = parse_python_int(v.as_string(), base)) return Value(*n);
  }
  if (const auto f = to_python_float(v)) {
    if (std::isfinite(*f) && std::fabs(*f) < 9.2e18)
      return Value(static_cast<int64_t>(std::trunc(*f)));
  }
  return a.get_or(0, Value(0));
}

Value f_items(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("items", args);
  if (v.is_undefined()) return list_of({});
  if (!v.is_dict()) throw TemplateRuntimeError("Can only get item pairs from a mapping.");
  std::vector<Value> items;
  for (const auto& [k, val] : v.as_dict().items()) items.push_back(Value::tuple({k, val}));
  return list_of(std::move(items));
}

Value f_join(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgParser a("join", args, {"d", "attribute"});
  const std::string sep = a.has(0) ? a.get(0).str() : "";
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first) out += sep;
    first = false;
    out += (a.has(1) ? get_path(interp, item, a.get(1)) : item).str();
    interp.check_size(out.size());
  }
  return Value(std::move(out));
}

Value f_last(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("last", args);
  const std::vector<Value> items = iterate(v);
  return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Value f_length(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("length", args);
  return Value(py_len(v));
}

Value f_list(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("list", args);
  return list_of(iterate(v));
}

Value f_lower(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("lower", args);
  return Value(pystr::lower(soft_str(v)));
}

Value f_map(Interpreter& interp, const Value& v, CallArgs& args) {
  std::vector<Value> out;
  if (!v.truthy()) return list_of({});  // Jinja does not even iterate a false value
  const auto attribute_kw = std::find_if(args.keyword.begin(), args.keyword.end(),
                                         [](const auto& kw) { return kw.first == "attribute"; });
  if (args.positional.empty() && attribute_kw != args.keyword.end()) {
    Value fallback;
    for (const auto& [k, val] : args.keyword) {
      if (k == "default") {
        fallback = val;
      } else if (k != "attribute") {
        throw TemplateRuntimeError("Unexpected keyword argument '" + k + "'");
      }
    }
    for (const Value& item : iterate(v)) {
      Value x = get_path(interp, item, attribute_kw->second);
      if (x.is_undefined() && !fallback.is_undefined() && !fallback.is_none()) x = fallback;
      out.push_back(std::move(x));
    }
    return list_of(std::move(out));
  }
  if (args.positional.empty()) throw TemplateRuntimeError("map requires a filter argument");
  const Value name = args.positional[0];
  if (!name.is_string()) throw TemplateRuntimeError("map: filter name must be a string");
  CallArgs filter_args;
  filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
  filter_args.keyword = args.keyword;
  for (const Value& item : iterate(v)) {
    CallArgs a = filter_args;
    out.push_back(interp.apply_filter(name.as_string(), item, a));
  }
  return list_of(std::move(out));
}

Value min_or_max(Interpreter& interp, const Value& v, CallArgs& args, bool want_max,
                 const char* name) {
  ArgParser a(name, args, {"case_sensitive", "attribute"});
  const std::vector<Value> items = iterate(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  const bool case_sensitive = a.get_bool(0, false);
  size_t best = 0;
  Value best_key = sort_key(interp, items[0], a.get(1), case_sensitive);
  for (size_t i = 1; i < items.size(); ++i) {
    Value key = sort_key(interp, items[i], a.get(1), case_sensitive);
    const int c = py_compare(key, best_key);
    if (want_max ? c > 0 : c < 0) {  // first of equals wins, as Python's min/max
      best = i;
      best_key = std::move(key);
    }
  }
  return items[best];
}

Value f_max(Interpreter& interp, const Value& v, CallArgs& args) {
  return min_or_max(interp, v, args, true, "max");
}
Value f_min(Interpreter& interp, const Value& v, CallArgs& args) {
  return min_or_max(interp, v, args, false, "min");
}

Value f_pprint(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("pprint", args);
  return Value(v.repr());
}

Value f_reject(Interpreter& interp, const Value& v, CallArgs& args) {
  return select_items(interp, v, args, false, false, "reject");
}
Value f_rejectattr(Interpreter& interp, const Value& v, CallArgs& args) {
  return select_items(interp, v, args, false, true, "rejectattr");
}
Value f_select(Interpreter& interp, const Value& v, CallArgs& args) {
  return select_items(interp, v, args, true, false, "select");
}
Value f_selectattr(Interpreter& interp, const Value& v, CallArgs& args) {
  return select_items(interp, v, args, true, true, "selectattr");
}

Value f_replace(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgParser a("replace", args, {"old", "new", "count"}, 2);
  CallArgs method_args;
  method_args.positional = {Value(a.get(0).str()), Value(a.get(1).str())};
  if (a.has(2) && !a.get(2).is_none()) method_args.positional.push_back(a.get(2));
  return interp.call(interp.get_attribute(Value(soft_str(v)), "replace"), method_args);
}

Value f_reverse(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("reverse", args);
  if (v.is_string()) {
    std::u32string s = pystr::decode(v.as_string());
    std::reverse(s.begin(), s.end());
    return Value(pystr::encode(s));
  }
  std::vector<Value> items = iterate(v);
  std::reverse(items.begin(), items.end());
  return list_of(std::move(items));
}

Value f_round(Interpreter&, const Value& v, CallArgs& args) {
  ArgParser a("round", args, {"precision", "method"});
  const int64_t precision = a.get_int(0, 0);
  const std::string method = a.get_string(1, "common");
  if (method != "common" && method != "ceil" && method != "floor") {
    throw TemplateRuntimeError("method must be common, ceil or floor");
  }
  if (v.is_undefined()) throw_undefined(v);
  if (!v.is_number()) {
    throw TemplateRuntimeError("type " + v.python_type() + " doesn't define __round__ method");
  }
  if (method == "common") {
    if (v.is_int() || v.is_bool()) return Value(v.to_int());  // round(int, n) stays an int
    return Value(round_float(v.as_float(), precision));
  }
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.to_double() * scale;
  return Value((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
}

Value f_safe(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("safe", args);
  return Value(soft_str(v));
}

Value f_slice(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgParser a("slice", args, {"slices", "fill_with"}, 1);
  const int64_t slices = a.get_int(0, 1);
  if (slices <= 0) throw TemplateRuntimeError("slice: slices must be positive");
  interp.check_size(static_cast<uint64_t>(slices));
  const std::vector<Value> seq = iterate(v);
  const auto length = static_cast<int64_t>(seq.size());
  const int64_t per = length / slices;
  const int64_t with_extra = length % slices;
  int64_t offset = 0;
  std::vector<Value> out;
  for (int64_t k = 0; k < slices; ++k) {
    const int64_t start = offset + k * per;
    if (k < with_extra) ++offset;
    const int64_t end = offset + (k + 1) * per;
    std::vector<Value> part(seq.begin() + start, seq.begin() + end);
    if (a.has(1) && !a.get(1).is_none() && k >= with_extra) part.push_back(a.get(1));
    out.push_back(list_of(std::move(part)));
  }
  return list_of(std::move(out));
}

Value f_sort(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgParser a("sort", args, {"reverse", "case_sensitive", "attribute"});
  const bool case_sensitive = a.get_bool(1, false);
  std::vector<std::pair<Value, Value>> keyed;
  std::vector<std::string> attributes;
  if (a.has(2) && a.get(2).is_string()) {
    attributes = pystr::split(a.get(2).as_string(), std::string(","), -1);
  }
  for (const Value& item : iterate(v)) {
    Value key;
    if (attributes.size() > 1) {
      // "age,name": compare by a list of keys.
      std::vector<Value> parts;
      for (const std::string& attr : attributes) {
        parts.push_back(sort_key(interp, item, Value(attr), case_sensitive));
      }
      key = list_of(std::move(parts));
    } else {
      key = sort_key(interp, item, a.get(2), case_sensitive);
    }
    keyed.emplace_back(std::move(key), item);
  }
  stable_sort_by(keyed, a.get_bool(0, false));
  std::vector<Value> out;
  for (auto& [key, item] : keyed) out.push_back(std::move(item));
  return list_of(std::move(out));
}

Value f_string(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("string", args);
  return Value(soft_str(v));
}

Value f_striptags(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("striptags", args);
  // Drop comments and tags, then collapse whitespace, as markupsafe's striptags does.
  const std::string s = soft_str(v);
  std::string text;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 4, "<!--") == 0) {
      const size_t end = s.find("-->", i + 4);
      if (end == std::string::npos) {
        text.append(s, i, std::string::npos);
        break;
      }
      i = end + 3;
    } else if (s[i] == '<') {
      const size_t end = s.find('>', i + 1);
      if (end == std::string::npos) {
        text.append(s, i, std::string::npos);
        break;
      }
      i = end + 1;
    } else {
      text.push_back(s[i++]);
    }
  }
  std::string out;
  for (const std::string& word : pystr::split(text, std::nullopt, -1)) {
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return Value(std::move(out));
}

Value f_sum(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgParser a("sum", args, {"attribute", "start"});
  Value total = a.get_or(1, Value(0));
  for (const Value& item : iterate(v)) {
    const Value x = a.has(0) ? get_path(interp, item, a.get(0)) : item;
    total = binary_op(interp, ast::BinaryOp::kAdd, total, x);
  }
  return total;
}

Value f_title(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("title", args);
  // Jinja's own title: words start after -, whitespace, or an opening bracket.
  const std::u32string s = pystr::decode(soft_str(v));
  auto is_boundary = [](char32_t c) {
    return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || pystr::is_space(c);
  };
  std::u32string out;
  bool word_start = true;
  for (char32_t c : s) {
    if (is_boundary(c)) {
      out.push_back(c);
      word_start = true;
    } else {
      out.push_back(word_start ? pystr::to_upper(c) : pystr::to_lower(c));
      word_start = false;
    }
  }
  return Value(pystr::encode(out));
}

// transformers' tojson: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False). Unlike Jinja's own filter it does not escape <, >, & and '.
Value f_tojson(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgParser a("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonOptions options;
  options.ensure_ascii = a.get_bool(0, false);
  if (a.has(1) && !a.get(1).is_none()) {
    const Value& indent = a.get(1);
    if (indent.is_string()) {
      options.indent = indent.as_string();
    } else if (indent.is_int() || indent.is_bool()) {
      const int64_t n = std::max<int64_t>(indent.to_int(), 0);
      interp.check_size(static_cast<uint64_t>(n));
      options.indent = std::string(static_cast<size_t>(n), ' ');
    } else {
      throw TemplateRuntimeError("tojson: indent must be an integer or a string");
    }
  }
  if (a.has(2) && !a.get(2).is_none()) {
    const std::vector<Value> seps = iterate(a.get(2));
    if (seps.size() != 2 || !seps[0].is_string() || !seps[1].is_string()) {
      throw TemplateRuntimeError("tojson: separators must be a pair of strings");
    }
    options.item_separator = seps[0].as_string();
    options.key_separator = seps[1].as_string();
  }
  options.sort_keys = a.get_bool(3, false);
  std::string out = to_json(v, options);
  interp.check_size(out.size());
  return Value(std::move(out));
}

Value f_trim(Interpreter&, const Value& v, CallArgs& args) {
  ArgParser a("trim", args, {"chars"});
  std::optional<std::string> chars;
  if (a.has(0) && !a.get(0).is_none()) chars = a.get(0).str();
  return Value(pystr::strip(soft_str(v), chars, true, true));
}

Value f_truncate(Interpreter&, const Value& v, CallArgs& args) {
  ArgParser a("truncate", args, {"length", "killwords", "end", "leeway"});
  const std::string s = soft_str(v);
  const int64_t length = a.get_int(0, 255);
  const std::string end = a.get_string(2, "...");
  const int64_t leeway = a.get_int(3, 5);
  const auto end_len = static_cast<int64_t>(pystr::length(end));
  if (length < end_len) {
    throw TemplateRuntimeError("expected length >= " + std::to_string(end_len) + ", got " +
                               std::to_string(length));
  }
  if (leeway < 0) throw TemplateRuntimeError("expected leeway >= 0, got " + std::to_string(leeway));
  const auto len = static_cast<int64_t>(pystr::length(s));
  if (len <= length + leeway) return Value(s);
  const std::string head = pystr::slice(s, pystr::slice_range(len, 0, length - end_len, 1));
  if (a.get_bool(1, false)) return Value(head + end);
  return Value(pystr::rsplit(head, std::string(" "), 1)[0] + end);
}

Value f_unique(Interpreter& interp, const Value& v, CallArgs& args) {
  ArgParser a("unique", args, {"case_sensitive", "attribute"});
  const bool case_sensitive = a.get_bool(0, false);
  std::vector<Value> seen;
  std::vector<Value> out;
  for (const Value& item : iterate(v)) {
    Value key = sort_key(interp, item, a.get(1), case_sensitive);
    const bool dup =
        std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return py_equal(s, key); });
    if (!dup) {
      seen.push_back(std::move(key));
      out.push_back(item);
    }
  }
  return list_of(std::move(out));
}

Value f_upper(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("upper", args);
  return Value(pystr::upper(soft_str(v)));
}

Value f_wordcount(Interpreter&, const Value& v, CallArgs& args) {
  expect_no_args("wordcount", args);
  // Runs of word characters (\w: letters, digits, underscore).
  int64_t words = 0;
  bool in_word = false;
  for (char32_t c : pystr::decode(soft_str(v))) {
    const bool word_char =
        c == '_' || pystr::is_alpha(c) || pystr::is_digit(c) ||
        (c >= 0x80 && !pystr::is_space(c) && pystr::is_printable(c) && c > 0x2FFF);
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return Value(words);
}

const std::unordered_map<std::string_view, FilterFn>& filters() {
  static const std::unordered_map<std::string_view, FilterFn> table = {
      {"abs", f_abs},
      {"attr", f_attr},
      {"batch", f_batch},
      {"capitalize", f_capitalize},
      {"center", f_center},
      {"count", f_length},
      {"d", f_default},
      {"default", f_default},
      {"dictsort", f_dictsort},
      {"e", f_escape},
      {"escape", f_escape},
      {"filesizeformat", f_filesizeformat},
      {"first", f_first},
      {"float", f_float},
      {"forceescape", f_escape},
      {"format", f_format},
      {"indent", f_indent},
      {"int", f_int},
      {"items", f_items},
      {"join", f_join},
      {"last", f_last},
      {"length", f_length},
      {"list", f_list},
      {"lower", f_lower},
      {"map", f_map},
      {"max", f_max},
      {"min", f_min},
      {"pprint", f_pprint},
      {"reject", f_reject},
      {"rejectattr", f_rejectattr},
      {"replace", f_replace},
      {"reverse", f_reverse},
      {"round", f_round},
      {"safe", f_safe},
      {"select", f_select},
      {"selectattr", f_selectattr},
      {"slice", f_slice},
      {"sort", f_sort},
      {"string", f_string},
      {"striptags", f_striptags},
      {"sum", f_sum},
      {"title", f_title},
      {"tojson", f_tojson},
      {"trim", f_trim},
      {"truncate", f_truncate},
      {"unique", f_unique},
      {"upper", f_upper},
      {"wordcount", f_wordcount},
  };
  return table;
}

}  // namespace

FilterFn find_filter(std::string_view name) {
  const auto& table = filters();
  const auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace rightsize::tokenizer::chat
