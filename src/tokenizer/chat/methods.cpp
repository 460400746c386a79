// str, dict and list methods with Python's behaviour (see methods.h).
#include "tokenizer/chat/methods.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "tokenizer/chat/callables.h"
#include "tokenizer/chat/errors.h"
#include "tokenizer/chat/interpreter.h"
#include "tokenizer/chat/py_format.h"
#include "tokenizer/chat/pystr.h"

namespace rightsize::tokenizer::chat {
namespace {

using MethodFn = Value (*)(Interpreter&, const Value&, CallArgs&);
using MethodTable = std::unordered_map<std::string_view, MethodFn>;

std::optional<std::string> optional_string(const ArgParser& a, size_t i) {
  if (!a.has(i) || a.get(i).is_none()) return std::nullopt;
  return a.get_string(i, "");
}

Value string_list(std::vector<std::string> parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (auto& p : parts) items.emplace_back(std::move(p));
  return Value::list(std::move(items));
}

// Python's str.center/ljust/rjust padding with one fill character.
std::string justify(Interpreter& interp, const std::string& s, int64_t width, const ArgParser& a,
                    char how) {
  const std::string fill = a.get_string(1, " ");
  if (pystr::length(fill) != 1) {
    throw TemplateRuntimeError("The fill character must be exactly one character long");
  }
  const auto len = static_cast<int64_t>(pystr::length(s));
  if (width <= len) return s;
  interp.check_size(static_cast<uint64_t>(width) * fill.size());
  const int64_t margin = width - len;
  int64_t left = 0;
  if (how == '^') {
    left = margin / 2 + (margin & width & 1);  // CPython's rounding for odd margins
  } else if (how == '>') {
    left = margin;
  }
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += fill;
  out += s;
  for (int64_t i = 0; i < margin - left; ++i) out += fill;
  return out;
}

bool starts_or_ends(const Value& self, const Value& affix, bool ends, std::string_view name) {
  const std::string& s = self.as_string();
  auto test = [&](const Value& v) {
    if (!v.is_string()) {
      throw TemplateRuntimeError(
          std::string(name) + " first arg must be str or a tuple of str, not " + v.python_type());
    }
    const std::string& x = v.as_string();
    if (x.size() > s.size()) return false;
    return ends ? s.compare(s.size() - x.size(), x.size(), x) == 0 : s.compare(0, x.size(), x) == 0;
  };
  if (affix.is_tuple()) {
    return std::any_of(affix.as_list().begin(), affix.as_list().end(), test);
  }
  return test(affix);
}

template <bool (*Pred)(char32_t)>
Value all_chars(const Value& self) {
  const std::u32string s = pystr::decode(self.as_string());
  return Value(!s.empty() && std::all_of(s.begin(), s.end(), [](char32_t c) { return Pred(c); }));
}

bool is_alnum(char32_t c) { return pystr::is_alpha(c) || pystr::is_digit(c); }

const MethodTable& string_methods() {
  static const MethodTable table = {
      {"strip",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("strip", args, {"chars"});
         return Value(pystr::strip(self.as_string(), optional_string(a, 0), true, true));
       }},
      {"lstrip",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("lstrip", args, {"chars"});
         return Value(pystr::strip(self.as_string(), optional_string(a, 0), true, false));
       }},
      {"rstrip",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("rstrip", args, {"chars"});
         return Value(pystr::strip(self.as_string(), optional_string(a, 0), false, true));
       }},
      {"split",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("split", args, {"sep", "maxsplit"});
         return string_list(
             pystr::split(self.as_string(), optional_string(a, 0), a.get_int(1, -1)));
       }},
      {"rsplit",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("rsplit", args, {"sep", "maxsplit"});
         return string_list(
             pystr::rsplit(self.as_string(), optional_string(a, 0), a.get_int(1, -1)));
       }},
      {"splitlines",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("splitlines", args, {"keepends"});
         return string_list(pystr::splitlines(self.as_string(), a.get_bool(0, false)));
       }},
      {"startswith",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("startswith", args, {"prefix"}, 1);
         return Value(starts_or_ends(self, a.get(0), false, "startswith"));
       }},
      {"endswith",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("endswith", args, {"suffix"}, 1);
         return Value(starts_or_ends(self, a.get(0), true, "endswith"));
       }},
      {"upper",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("upper", args);
         return Value(pystr::upper(self.as_string()));
       }},
      {"lower",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("lower", args);
         return Value(pystr::lower(self.as_string()));
       }},
      {"casefold",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("casefold", args);
         return Value(pystr::lower(self.as_string()));
       }},
      {"title",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("title", args);
         return Value(pystr::title(self.as_string()));
       }},
      {"capitalize",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("capitalize", args);
         return Value(pystr::capitalize(self.as_string()));
       }},
      {"swapcase",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("swapcase", args);
         return Value(pystr::swapcase(self.as_string()));
       }},
      {"replace",
       [](Interpreter& interp, const Value& self, CallArgs& args) {
         ArgParser a("replace", args, {"old", "new", "count"}, 2);
         const std::string old = a.get_string(0, "");
         const std::string replacement = a.get_string(1, "");
         const int64_t count = a.get_int(2, -1);
         const std::string& s = self.as_string();
         // Refuse before building: the result can be far larger than the input.
         const int64_t hits =
             old.empty() ? static_cast<int64_t>(pystr::length(s)) + 1 : pystr::count(s, old);
         const int64_t done = count < 0 ? hits : std::min(hits, count);
         interp.check_size(s.size() + static_cast<uint64_t>(done) * replacement.size());
         return Value(pystr::replace(s, old, replacement, count));
       }},
      {"find",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("find", args, {"sub"}, 1);
         return Value(pystr::find(self.as_string(), a.get_string(0, "")));
       }},
      {"rfind",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("rfind", args, {"sub"}, 1);
         return Value(pystr::rfind(self.as_string(), a.get_string(0, "")));
       }},
      {"index",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("index", args, {"sub"}, 1);
         const int64_t i = pystr::find(self.as_string(), a.get_string(0, ""));
         if (i < 0) throw TemplateRuntimeError("substring not found");
         return Value(i);
       }},
      {"rindex",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("rindex", args, {"sub"}, 1);
         const int64_t i = pystr::rfind(self.as_string(), a.get_string(0, ""));
         if (i < 0) throw TemplateRuntimeError("substring not found");
         return Value(i);
       }},
      {"count",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("count", args, {"sub"}, 1);
         return Value(pystr::count(self.as_string(), a.get_string(0, "")));
       }},
      {"join",
       [](Interpreter& interp, const Value& self, CallArgs& args) {
         ArgParser a("join", args, {"iterable"}, 1);
         std::string out;
         size_t i = 0;
         for (const Value& item : iterate(a.get(0))) {
           if (!item.is_string()) {
             throw TemplateRuntimeError("sequence item " + std::to_string(i) +
                                        ": expected str instance, " + item.python_type() +
                                        " found");
           }
           if (i++ > 0) out += self.as_string();
           out += item.as_string();
           interp.check_size(out.size());
         }
         return Value(std::move(out));
       }},
      {"format",
       [](Interpreter& interp, const Value& self, CallArgs& args) {
         return Value(brace_format(interp, self.as_string(), args));
       }},
      {"center",
       [](Interpreter& interp, const Value& self, CallArgs& args) {
         ArgParser a("center", args, {"width", "fillchar"}, 1);
         return Value(justify(interp, self.as_string(), a.get_int(0, 0), a, '^'));
       }},
      {"ljust",
       [](Interpreter& interp, const Value& self, CallArgs& args) {
         ArgParser a("ljust", args, {"width", "fillchar"}, 1);
         return Value(justify(interp, self.as_string(), a.get_int(0, 0), a, '<'));
       }},
      {"rjust",
       [](Interpreter& interp, const Value& self, CallArgs& args) {
         ArgParser a("rjust", args, {"width", "fillchar"}, 1);
         return Value(justify(interp, self.as_string(), a.get_int(0, 0), a, '>'));
       }},
      {"zfill",
       [](Interpreter& interp, const Value& self, CallArgs& args) {
         ArgParser a("zfill", args, {"width"}, 1);
         const int64_t width = a.get_int(0, 0);
         std::string s = self.as_string();
         const auto len = static_cast<int64_t>(pystr::length(s));
         if (width <= len) return Value(s);
         interp.check_size(static_cast<uint64_t>(width));
         const size_t at = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
         s.insert(at, static_cast<size_t>(width - len), '0');
         return Value(std::move(s));
       }},
      {"partition",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("partition", args, {"sep"}, 1);
         const std::string sep = a.get_string(0, "");
         if (sep.empty()) throw TemplateRuntimeError("empty separator");
         const std::string& s = self.as_string();
         const size_t at = s.find(sep);
         if (at == std::string::npos) return Value::tuple({Value(s), Value(""), Value("")});
         return Value::tuple(
             {Value(s.substr(0, at)), Value(sep), Value(s.substr(at + sep.size()))});
       }},
      {"rpartition",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("rpartition", args, {"sep"}, 1);
         const std::string sep = a.get_string(0, "");
         if (sep.empty()) throw TemplateRuntimeError("empty separator");
         const std::string& s = self.as_string();
         const size_t at = s.rfind(sep);
         if (at == std::string::npos) return Value::tuple({Value(""), Value(""), Value(s)});
         return Value::tuple(
             {Value(s.substr(0, at)), Value(sep), Value(s.substr(at + sep.size()))});
       }},
      {"removeprefix",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("removeprefix", args, {"prefix"}, 1);
         const std::string p = a.get_string(0, "");
         const std::string& s = self.as_string();
         return Value(s.compare(0, p.size(), p) == 0 ? s.substr(p.size()) : s);
       }},
      {"removesuffix",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("removesuffix", args, {"suffix"}, 1);
         const std::string p = a.get_string(0, "");
         const std::string& s = self.as_string();
         const bool has =
             !p.empty() && s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
         return Value(has ? s.substr(0, s.size() - p.size()) : s);
       }},
      {"isdigit",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("isdigit", args);
         return all_chars<pystr::is_digit>(self);
       }},
      {"isdecimal",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("isdecimal", args);
         return all_chars<pystr::is_digit>(self);
       }},
      {"isnumeric",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("isnumeric", args);
         return all_chars<pystr::is_digit>(self);
       }},
      {"isalpha",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("isalpha", args);
         return all_chars<pystr::is_alpha>(self);
       }},
      {"isalnum",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("isalnum", args);
         return all_chars<is_alnum>(self);
       }},
      {"isspace",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("isspace", args);
         return all_chars<pystr::is_space>(self);
       }},
      {"islower",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("islower", args);
         return Value(pystr::is_lower(self.as_string()));
       }},
      {"isupper",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("isupper", args);
         return Value(pystr::is_upper(self.as_string()));
       }},
  };
  return table;
}

Value dict_items(const Dict& d) {
  std::vector<Value> items;
  items.reserve(d.size());
  for (const auto& [k, v] : d.items()) items.push_back(Value::tuple({k, v}));
  return Value::dict_view(std::move(items), Value::View::kItems);
}

const MethodTable& dict_methods() {
  static const MethodTable table = {
      {"items",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("items", args);
         return dict_items(self.as_dict());
       }},
      {"keys",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("keys", args);
         return Value::dict_view(iterate(self), Value::View::kKeys);
       }},
      {"values",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("values", args);
         std::vector<Value> values;
         for (const auto& [k, v] : self.as_dict().items()) values.push_back(v);
         return Value::dict_view(std::move(values), Value::View::kValues);
       }},
      {"get",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("get", args, {"key", "default"}, 1);
         const Value* v = self.as_dict().find(a.get(0));
         return v != nullptr ? *v : a.get_or(1, Value::none());
       }},
      {"copy",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("copy", args);
         return self;  // values are immutable, so sharing is copying
       }},
  };
  return table;
}

const MethodTable& list_methods() {
  static const MethodTable table = {
      {"index",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("index", args, {"value"}, 1);
         const auto& items = self.as_list();
         for (size_t i = 0; i < items.size(); ++i) {
           if (py_equal(items[i], a.get(0))) return Value(static_cast<int64_t>(i));
         }
         throw TemplateRuntimeError(a.get(0).repr() + " is not in list");
       }},
      {"count",
       [](Interpreter&, const Value& self, CallArgs& args) {
         ArgParser a("count", args, {"value"}, 1);
         int64_t n = 0;
         for (const Value& v : self.as_list()) n += py_equal(v, a.get(0)) ? 1 : 0;
         return Value(n);
       }},
      {"copy",
       [](Interpreter&, const Value& self, CallArgs& args) {
         expect_no_args("copy", args);
         return self;
       }},
  };
  return table;
}

const std::unordered_set<std::string_view>& unsafe_dict_methods() {
  static const std::unordered_set<std::string_view> names = {"clear", "pop", "popitem",
                                                             "setdefault", "update"};
  return names;
}

const std::unordered_set<std::string_view>& unsafe_list_methods() {
  static const std::unordered_set<std::string_view> names = {
      "append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"};
  return names;
}

const MethodTable* table_for(const Value& v) {
  if (v.is_string()) return &string_methods();
  if (v.is_dict()) return &dict_methods();
  if (v.is_list()) return &list_methods();
  return nullptr;
}

}  // namespace

MethodKind find_method(const Value& receiver, std::string_view name) {
  const MethodTable* table = table_for(receiver);
  if (table == nullptr) return MethodKind::kNone;
  if (table->count(name) > 0) return MethodKind::kSafe;
  if (receiver.is_dict() && unsafe_dict_methods().count(name) > 0) return MethodKind::kUnsafe;
  // Tuples have no mutating methods; lists do.
  if (receiver.is_list() && !receiver.is_tuple() && unsafe_list_methods().count(name) > 0) {
    return MethodKind::kUnsafe;
  }
  return MethodKind::kNone;
}

Value call_method(Interpreter& interp, const Value& receiver, std::string_view name,
                  CallArgs& args) {
  const MethodTable* table = table_for(receiver);
  const auto it = table != nullptr ? table->find(name) : MethodTable::const_iterator();
  if (table == nullptr || it == table->end()) {
    throw TemplateRuntimeError("'" + receiver.python_type() + "' object has no method '" +
                               std::string(name) + "'");
  }
  return it->second(interp, receiver, args);
}

}  // namespace rightsize::tokenizer::chat
