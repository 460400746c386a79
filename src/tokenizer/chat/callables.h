// Functions a template can call: native functions, Python-style argument binding for them, and
// the global functions Jinja and transformers provide (range, dict, namespace, joiner, cycler,
// raise_exception, strftime_now).
#pragma once

#include <ctime>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/chat/value.h"

namespace rightsize::tokenizer::chat {

// A function implemented in C++.
class NativeFunction : public Object {
 public:
  using Fn = std::function<Value(Interpreter&, CallArgs&)>;
  NativeFunction(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string repr() const override { return "<built-in function " + name_ + ">"; }
  bool callable() const override { return true; }
  Value call(Interpreter& interp, CallArgs& args) const override { return fn_(interp, args); }

 private:
  std::string name_;
  Fn fn_;
};

Value make_function(std::string name, NativeFunction::Fn fn);

// Binds arguments to named parameters as Python does (positional first, then by keyword) and
// rejects unknown keywords and surplus arguments with Python's messages.
class ArgParser {
 public:
  ArgParser(std::string_view function, const CallArgs& args,
            std::initializer_list<std::string_view> params, size_t required = 0);
  bool has(size_t i) const { return !missing_[i]; }
  // The argument, or undefined when it was not given.
  const Value& get(size_t i) const { return values_[i]; }
  Value get_or(size_t i, Value fallback) const { return has(i) ? values_[i] : fallback; }
  // Typed accessors that raise a TypeError naming the parameter.
  int64_t get_int(size_t i, int64_t fallback) const;
  bool get_bool(size_t i, bool fallback) const;
  std::string get_string(size_t i, std::string fallback) const;

 private:
  std::string function_;
  std::vector<std::string_view> names_;
  std::vector<Value> values_;
  std::vector<bool> missing_;
};

// Rejects any argument: for functions and methods without parameters.
void expect_no_args(std::string_view function, const CallArgs& args);

// The global function `name` (range, dict, namespace, ...) or nullptr. Its strftime_now
// formats the current local time; render_chat passes a fixed one instead.
const Value* find_global(std::string_view name);

// strftime_now(format) bound to a fixed time, as render_chat passes it.
Value make_strftime_now(const std::tm& time);

}  // namespace rightsize::tokenizer::chat
