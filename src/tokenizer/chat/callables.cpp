// Native functions, Python-style argument binding and the global functions (see callables.h).
#include "tokenizer/chat/callables.h"

#include <algorithm>
#include <unordered_map>

#include "tokenizer/chat/clock_format.h"
#include "tokenizer/chat/errors.h"
#include "tokenizer/chat/interpreter.h"

namespace rightsize::tokenizer::chat {
namespace {

// Jinja's sandbox refuses ranges longer than this (SandboxedEnvironment.MAX_RANGE).
constexpr int64_t kMaxRange = 100000;

// dict(mapping_or_pairs, **kwargs), shared by dict() and namespace().
Dict build_dict(std::string_view function, const CallArgs& args) {
  if (args.positional.size() > 1) {
    throw TemplateRuntimeError(std::string(function) + " expected at most 1 argument, got " +
                               std::to_string(args.positional.size()));
  }
  Dict d;
  if (!args.positional.empty()) {
    const Value& source = args.positional[0];
    if (source.is_dict() || source.is_namespace()) {
      const Dict& from = source.is_dict() ? source.as_dict() : source.namespace_attributes();
      for (const auto& [k, v] : from.items()) d.set(k, v);
    } else {
      for (const Value& pair : iterate(source)) {
        const std::vector<Value> kv = iterate(pair);
        if (kv.size() != 2) {
          throw TemplateRuntimeError("dictionary update sequence element has length " +
                                     std::to_string(kv.size()) + "; 2 is required");
        }
        d.set(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [k, v] : args.keyword) d.set(Value(k), v);
  return d;
}

Value global_range(Interpreter&, CallArgs& args) {
  if (!args.keyword.empty()) throw TemplateRuntimeError("range() takes no keyword arguments");
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3) {
    throw TemplateRuntimeError("range expected at least 1 argument, got " +
                               std::to_string(p.size()));
  }
  for (const Value& v : p) {
    if (v.is_undefined()) throw_undefined(v);
    if (!v.is_int() && !v.is_bool()) {
      throw TemplateRuntimeError("'" + v.python_type() +
                                 "' object cannot be interpreted as an integer");
    }
  }
  const int64_t start = p.size() == 1 ? 0 : p[0].to_int();
  const int64_t stop = p.size() == 1 ? p[0].to_int() : p[1].to_int();
  const int64_t step = p.size() == 3 ? p[2].to_int() : 1;
  if (step == 0) throw TemplateRuntimeError("range() arg 3 must not be zero");
  // Count without overflow: the span can exceed int64 for extreme arguments.
  const long double span = static_cast<long double>(stop) - static_cast<long double>(start);
  long double count = step > 0 ? (span + step - 1) / step : (span + step + 1) / step;
  if (count < 0) count = 0;
  if (count > kMaxRange) {
    throw TemplateRuntimeError(
        "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  std::vector<Value> items;
  const auto n = static_cast<int64_t>(count);
  items.reserve(n);
  for (int64_t i = 0; i < n; ++i) items.emplace_back(start + i * step);
  return Value::list(std::move(items));
}

// joiner(sep): returns "" the first time it is called, then sep.
class Joiner : public Object {
 public:
  explicit Joiner(std::string sep) : sep_(std::move(sep)) {}
  std::string repr() const override { return "<jinja2.utils.Joiner object>"; }
  bool callable() const override { return true; }
  Value call(Interpreter&, CallArgs& args) const override {
    expect_no_args("joiner", args);
    if (!used_) {
      used_ = true;
      return Value("");
    }
    return Value(sep_);
  }

 private:
  std::string sep_;
  mutable bool used_ = false;  // the one piece of state a template may mutate
};

// cycler(*items): .next() walks the items round, .current peeks, .reset() starts over.
class Cycler : public Object {
 public:
  explicit Cycler(std::vector<Value> items) : state_(std::make_shared<State>()) {
    state_->items = std::move(items);
  }
  std::string repr() const override { return "<jinja2.utils.Cycler object>"; }
  Value attribute(std::string_view name) const override {
    auto state = state_;
    if (name == "current") return state->items[state->pos];
    if (name == "next") {
      return make_function("next", [state](Interpreter&, CallArgs& args) {
        expect_no_args("next", args);
        Value v = state->items[state->pos];
        state->pos = (state->pos + 1) % state->items.size();
        return v;
      });
    }
    if (name == "reset") {
      return make_function("reset", [state](Interpreter&, CallArgs& args) {
        expect_no_args("reset", args);
        state->pos = 0;
        return Value::none();
      });
    }
    return Value::undefined("'Cycler object' has no attribute '" + std::string(name) + "'");
  }

 private:
  struct State {
    std::vector<Value> items;
    size_t pos = 0;
  };
  std::shared_ptr<State> state_;
};

std::unordered_map<std::string_view, Value> make_globals() {
  std::unordered_map<std::string_view, Value> g;
  g["range"] = make_function("range", global_range);
  g["dict"] = make_function(
      "dict", [](Interpreter&, CallArgs& args) { return Value::dict(build_dict("dict", args)); });
  g["namespace"] = make_function("namespace", [](Interpreter& interp, CallArgs& args) {
    return interp.new_namespace(build_dict("namespace", args));
  });
  g["joiner"] = make_function("joiner", [](Interpreter&, CallArgs& args) {
    ArgParser a("joiner", args, {"sep"});
    return Value::object(std::make_shared<Joiner>(a.get_string(0, ", ")));
  });
  g["cycler"] = make_function("cycler", [](Interpreter&, CallArgs& args) {
    if (args.positional.empty()) throw TemplateRuntimeError("no items for cycling given");
    return Value::object(std::make_shared<Cycler>(args.positional));
  });
  g["raise_exception"] =
      make_function("raise_exception", [](Interpreter&, CallArgs& args) -> Value {
        ArgParser a("raise_exception", args, {"message"}, 1);
        throw TemplateException(a.get(0).str());
      });
  g["strftime_now"] = make_function("strftime_now", [](Interpreter&, CallArgs& args) {
    ArgParser a("strftime_now", args, {"format"}, 1);
    return Value(format_time(a.get(0).str(), local_now()));
  });
  return g;
}

}  // namespace

Value make_function(std::string name, NativeFunction::Fn fn) {
  return Value::object(std::make_shared<NativeFunction>(std::move(name), std::move(fn)));
}

ArgParser::ArgParser(std::string_view function, const CallArgs& args,
                     std::initializer_list<std::string_view> params, size_t required)
    : function_(function), names_(params), values_(params.size()), missing_(params.size(), true) {
  if (args.positional.size() > params.size()) {
    throw TemplateRuntimeError(function_ + "() takes at most " + std::to_string(params.size()) +
                               " argument(s) (" + std::to_string(args.positional.size()) +
                               " given)");
  }
  for (size_t i = 0; i < args.positional.size(); ++i) {
    values_[i] = args.positional[i];
    missing_[i] = false;
  }
  for (const auto& [name, value] : args.keyword) {
    const auto it = std::find(names_.begin(), names_.end(), name);
    if (it == names_.end()) {
      throw TemplateRuntimeError(function_ + "() got an unexpected keyword argument '" + name +
                                 "'");
    }
    const size_t i = it - names_.begin();
    if (!missing_[i]) {
      throw TemplateRuntimeError(function_ + "() got multiple values for argument '" + name + "'");
    }
    values_[i] = value;
    missing_[i] = false;
  }
  for (size_t i = 0; i < required; ++i) {
    if (missing_[i]) {
      throw TemplateRuntimeError(function_ + "() missing required argument '" +
                                 std::string(names_[i]) + "'");
    }
  }
}

int64_t ArgParser::get_int(size_t i, int64_t fallback) const {
  if (!has(i)) return fallback;
  const Value& v = values_[i];
  if (v.is_int() || v.is_bool()) return v.to_int();
  if (v.is_undefined()) throw_undefined(v);
  throw TemplateRuntimeError(function_ + "() argument '" + std::string(names_[i]) +
                             "' must be an integer, not " + v.python_type());
}

bool ArgParser::get_bool(size_t i, bool fallback) const {
  return has(i) ? values_[i].truthy() : fallback;
}

std::string ArgParser::get_string(size_t i, std::string fallback) const {
  if (!has(i)) return fallback;
  const Value& v = values_[i];
  if (v.is_string()) return v.as_string();
  if (v.is_undefined()) throw_undefined(v);
  throw TemplateRuntimeError(function_ + "() argument '" + std::string(names_[i]) +
                             "' must be a string, not " + v.python_type());
}

void expect_no_args(std::string_view function, const CallArgs& args) {
  if (!args.positional.empty() || !args.keyword.empty()) {
    throw TemplateRuntimeError(std::string(function) + "() takes no arguments");
  }
}

const Value* find_global(std::string_view name) {
  static const std::unordered_map<std::string_view, Value> kGlobals = make_globals();
  const auto it = kGlobals.find(name);
  return it == kGlobals.end() ? nullptr : &it->second;
}

Value make_strftime_now(const std::tm& time) {
  return make_function("strftime_now", [time](Interpreter&, CallArgs& args) {
    ArgParser a("strftime_now", args, {"format"}, 1);
    return Value(format_time(a.get(0).str(), time));
  });
}

}  // namespace rightsize::tokenizer::chat
