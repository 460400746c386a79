// Jinja's built-in tests (see jinja_tests.h).
#include "tokenizer/chat/jinja_tests.h"

#include <unordered_map>

#include "tokenizer/chat/callables.h"
#include "tokenizer/chat/errors.h"
#include "tokenizer/chat/filters.h"
#include "tokenizer/chat/operators.h"
#include "tokenizer/chat/pystr.h"

namespace rightsize::tokenizer::chat {
namespace {

const Value& one_arg(std::string_view test, CallArgs& args) {
  if (args.positional.size() != 1 || !args.keyword.empty()) {
    throw TemplateRuntimeError("test '" + std::string(test) + "' takes exactly one argument");
  }
  return args.positional[0];
}

void no_args(std::string_view test, CallArgs& args) {
  if (!args.positional.empty() || !args.keyword.empty()) {
    throw TemplateRuntimeError("test '" + std::string(test) + "' takes no arguments");
  }
}

int compare_for_test(const Value& a, CallArgs& args, std::string_view test, std::string_view op) {
  return py_compare(a, one_arg(test, args), op);
}

// Python's `value % divisor`, for the parity tests; floats allowed as Python allows them.
Value modulo(Interpreter& interp, const Value& v, const Value& divisor) {
  return binary_op(interp, ast::BinaryOp::kMod, v, divisor);
}

bool test_eq(Interpreter&, const Value& v, CallArgs& args) {
  return py_equal(v, one_arg("eq", args));
}
bool test_ne(Interpreter&, const Value& v, CallArgs& args) {
  return !py_equal(v, one_arg("ne", args));
}
bool test_lt(Interpreter&, const Value& v, CallArgs& args) {
  return compare_for_test(v, args, "lt", "<") < 0;
}
bool test_le(Interpreter&, const Value& v, CallArgs& args) {
  return compare_for_test(v, args, "le", "<=") <= 0;
}
bool test_gt(Interpreter&, const Value& v, CallArgs& args) {
  return compare_for_test(v, args, "gt", ">") > 0;
}
bool test_ge(Interpreter&, const Value& v, CallArgs& args) {
  return compare_for_test(v, args, "ge", ">=") >= 0;
}

const std::unordered_map<std::string_view, TestFn>& tests() {
  static const std::unordered_map<std::string_view, TestFn> table = {
      {"defined",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("defined", args);
         return !v.is_undefined();
       }},
      {"undefined",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("undefined", args);
         return v.is_undefined();
       }},
      {"none",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("none", args);
         return v.is_none();
       }},
      {"boolean",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("boolean", args);
         return v.is_bool();
       }},
      {"false",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("false", args);
         return v.is_bool() && !v.as_bool();
       }},
      {"true",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("true", args);
         return v.is_bool() && v.as_bool();
       }},
      {"integer",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("integer", args);
         return v.is_int();
       }},
      {"float",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("float", args);
         return v.is_float();
       }},
      {"number",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("number", args);
         return v.is_number();  // Python's bool is an int, so True is a number
       }},
      {"string",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("string", args);
         return v.is_string();
       }},
      {"mapping",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("mapping", args);
         return v.is_dict();
       }},
      {"iterable",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("iterable", args);
         // Undefined iterates as empty, so Jinja calls it iterable too.
         return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
       }},
      {"sequence",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("sequence", args);
         // Anything with len() and [] : str, list, tuple, dict, and undefined.
         return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
       }},
      {"callable",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("callable", args);
         return v.is_callable();
       }},
      {"lower",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("lower", args);
         return pystr::is_lower(v.str());
       }},
      {"upper",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("upper", args);
         return pystr::is_upper(v.str());
       }},
      {"escaped",
       [](Interpreter&, const Value&, CallArgs& args) {
         no_args("escaped", args);
         return false;  // there is no Markup type: nothing is marked as escaped
       }},
      {"odd",
       [](Interpreter& interp, const Value& v, CallArgs& args) {
         no_args("odd", args);
         return py_equal(modulo(interp, v, Value(2)), Value(1));
       }},
      {"even",
       [](Interpreter& interp, const Value& v, CallArgs& args) {
         no_args("even", args);
         return py_equal(modulo(interp, v, Value(2)), Value(0));
       }},
      {"divisibleby",
       [](Interpreter& interp, const Value& v, CallArgs& args) {
         return py_equal(modulo(interp, v, one_arg("divisibleby", args)), Value(0));
       }},
      {"sameas", [](Interpreter&, const Value& v,
                    CallArgs& args) { return v.same_object(one_arg("sameas", args)); }},
      {"in", [](Interpreter&, const Value& v,
                CallArgs& args) { return contains(one_arg("in", args), v); }},
      {"filter",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("filter", args);
         return v.is_string() && is_filter(v.as_string());
       }},
      {"test",
       [](Interpreter&, const Value& v, CallArgs& args) {
         no_args("test", args);
         return v.is_string() && find_test(v.as_string()) != nullptr;
       }},
      {"eq", test_eq},
      {"equalto", test_eq},
      {"==", test_eq},
      {"ne", test_ne},
      {"!=", test_ne},
      {"lt", test_lt},
      {"lessthan", test_lt},
      {"<", test_lt},
      {"le", test_le},
      {"<=", test_le},
      {"gt", test_gt},
      {"greaterthan", test_gt},
      {">", test_gt},
      {"ge", test_ge},
      {">=", test_ge},
  };
  return table;
}

}  // namespace

TestFn find_test(std::string_view name) {
  const auto& table = tests();
  const auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace rightsize::tokenizer::chat
