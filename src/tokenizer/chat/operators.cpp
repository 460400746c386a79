// Python operator semantics on template values (see operators.h).
#include "tokenizer/chat/operators.h"

#include <cmath>
#include <limits>

#include "tokenizer/chat/errors.h"
#include "tokenizer/chat/interpreter.h"
#include "tokenizer/chat/py_format.h"

namespace rightsize::tokenizer::chat {
namespace {

using ast::BinaryOp;

bool is_integral(const Value& v) { return v.is_int() || v.is_bool(); }

[[noreturn]] void overflow() {
  throw TemplateRuntimeError("integer result out of the 64-bit range");
}

[[noreturn]] void unsupported(std::string_view op, const Value& a, const Value& b) {
  throw TemplateRuntimeError("unsupported operand type(s) for " + std::string(op) + ": '" +
                             a.python_type() + "' and '" + b.python_type() + "'");
}

const char* op_symbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kFloorDiv:
      return "//";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "** or pow()";
    default:
      return "?";
  }
}

double float_mod(double x, double y) {
  double mod = std::fmod(x, y);
  if (mod != 0.0) {
    if ((y < 0) != (mod < 0)) mod += y;
  } else {
    mod = std::copysign(0.0, y);
  }
  return mod;
}

// CPython's float floor division, which corrects the rounding of floor(x / y).
double float_floordiv(double x, double y) {
  const double mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0.0 && ((y < 0) != (mod < 0))) div -= 1.0;
  if (div == 0.0) return std::copysign(0.0, x / y);
  double floor_div = std::floor(div);
  if (div - floor_div > 0.5) floor_div += 1.0;
  return floor_div;
}

Value int_pow(int64_t base, int64_t exp) {
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) {
      if (__builtin_mul_overflow(result, base, &result)) overflow();
    }
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) overflow();
  }
  return Value(result);
}

Value repeat(Interpreter& interp, const Value& seq, int64_t times) {
  if (times <= 0)
    return seq.is_string() ? Value("") : (seq.is_tuple() ? Value::tuple({}) : Value::list({}));
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    if (!s.empty() && static_cast<uint64_t>(times) > interp.limits().max_output_bytes / s.size()) {
      interp.check_size(interp.limits().max_output_bytes + 1);
    }
    interp.check_size(s.size() * times);
    std::string out;
    out.reserve(s.size() * times);
    for (int64_t i = 0; i < times; ++i) out += s;
    return Value(std::move(out));
  }
  const auto& items = seq.as_list();
  if (!items.empty() &&
      static_cast<uint64_t>(times) > interp.limits().max_output_bytes / items.size()) {
    interp.check_size(interp.limits().max_output_bytes + 1);
  }
  interp.check_size(items.size() * times);
  std::vector<Value> out;
  out.reserve(items.size() * times);
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

Value add(Interpreter& interp, const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return Value(a.to_double() + b.to_double());
    int64_t r;
    if (__builtin_add_overflow(a.to_int(), b.to_int(), &r)) overflow();
    return Value(r);
  }
  if (a.is_string()) {
    if (!b.is_string()) {
      throw TemplateRuntimeError("can only concatenate str (not \"" + b.python_type() +
                                 "\") to str");
    }
    interp.check_size(a.as_string().size() + b.as_string().size());
    return Value(a.as_string() + b.as_string());
  }
  if (a.is_list()) {
    if (!b.is_list() || a.is_tuple() != b.is_tuple()) {
      throw TemplateRuntimeError("can only concatenate " + a.python_type() + " (not \"" +
                                 b.python_type() + "\") to " + a.python_type());
    }
    interp.check_size(a.as_list().size() + b.as_list().size());
    std::vector<Value> items = a.as_list();
    items.insert(items.end(), b.as_list().begin(), b.as_list().end());
    return a.is_tuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
  }
  unsupported("+", a, b);
}

Value arithmetic(BinaryOp op, const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) unsupported(op_symbol(op), a, b);
  const bool use_float = a.is_float() || b.is_float();
  if (op == BinaryOp::kDiv) {
    if (b.to_double() == 0.0) throw TemplateRuntimeError("division by zero");
    return Value(a.to_double() / b.to_double());
  }
  if (use_float) {
    const double x = a.to_double();
    const double y = b.to_double();
    switch (op) {
      case BinaryOp::kSub:
        return Value(x - y);
      case BinaryOp::kMul:
        return Value(x * y);
      case BinaryOp::kFloorDiv:
        if (y == 0.0) throw TemplateRuntimeError("float floor division by zero");
        return Value(float_floordiv(x, y));
      case BinaryOp::kMod:
        if (y == 0.0) throw TemplateRuntimeError("float modulo");
        return Value(float_mod(x, y));
      case BinaryOp::kPow:
        if (x == 0.0 && y < 0) {
          throw TemplateRuntimeError("0.0 cannot be raised to a negative power");
        }
        if (x < 0 && y != std::floor(y)) {
          throw TemplateRuntimeError("a negative number raised to a fractional power is complex");
        }
        return Value(std::pow(x, y));
      default:
        break;
    }
  } else {
    const int64_t x = a.to_int();
    const int64_t y = b.to_int();
    int64_t r;
    switch (op) {
      case BinaryOp::kSub:
        if (__builtin_sub_overflow(x, y, &r)) overflow();
        return Value(r);
      case BinaryOp::kMul:
        if (__builtin_mul_overflow(x, y, &r)) overflow();
        return Value(r);
      case BinaryOp::kFloorDiv: {
        if (y == 0) throw TemplateRuntimeError("integer division or modulo by zero");
        if (x == std::numeric_limits<int64_t>::min() && y == -1) overflow();
        int64_t q = x / y;
        if (x % y != 0 && ((x < 0) != (y < 0))) --q;
        return Value(q);
      }
      case BinaryOp::kMod: {
        if (y == 0) throw TemplateRuntimeError("integer division or modulo by zero");
        if (y == -1) return Value(int64_t{0});
        int64_t m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) m += y;
        return Value(m);
      }
      case BinaryOp::kPow:
        if (y < 0) {
          if (x == 0) throw TemplateRuntimeError("0.0 cannot be raised to a negative power");
          return Value(std::pow(static_cast<double>(x), static_cast<double>(y)));
        }
        return int_pow(x, y);
      default:
        break;
    }
  }
  unsupported(op_symbol(op), a, b);
}

}  // namespace

Value binary_op(Interpreter& interp, BinaryOp op, const Value& a, const Value& b) {
  if (op == BinaryOp::kConcat) {
    std::string left = a.str();
    const std::string right = b.str();
    interp.check_size(left.size() + right.size());
    left += right;
    return Value(std::move(left));
  }
  if (op == BinaryOp::kMod && a.is_string()) {
    // str % x formats even an undefined x (as ""): str.__mod__ is tried before Undefined's.
    std::string out = percent_format(a.as_string(), b);
    interp.check_size(out.size());
    return Value(std::move(out));
  }
  if (a.is_undefined()) throw_undefined(a);
  if (b.is_undefined()) throw_undefined(b);
  switch (op) {
    case BinaryOp::kAdd:
      return add(interp, a, b);
    case BinaryOp::kMul:
      if ((a.is_string() || a.is_list()) && is_integral(b)) return repeat(interp, a, b.to_int());
      if ((b.is_string() || b.is_list()) && is_integral(a)) return repeat(interp, b, a.to_int());
      if ((a.is_string() || a.is_list()) && b.is_number()) {
        throw TemplateRuntimeError("can't multiply sequence by non-int of type '" +
                                   b.python_type() + "'");
      }
      return arithmetic(op, a, b);
    default:
      return arithmetic(op, a, b);
  }
}

Value negate(const Value& v) {
  if (v.is_undefined()) throw_undefined(v);
  if (v.is_float()) return Value(-v.as_float());
  if (v.is_int() || v.is_bool()) {
    if (v.to_int() == std::numeric_limits<int64_t>::min()) overflow();
    return Value(-v.to_int());
  }
  throw TemplateRuntimeError("bad operand type for unary -: '" + v.python_type() + "'");
}

Value unary_plus(const Value& v) {
  if (v.is_undefined()) throw_undefined(v);
  if (v.is_float()) return v;
  if (v.is_int() || v.is_bool()) return Value(v.to_int());
  throw TemplateRuntimeError("bad operand type for unary +: '" + v.python_type() + "'");
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kUndefined:
      return false;  // iterating an undefined value yields nothing
    case Value::Kind::kString:
      if (!item.is_string()) {
        throw TemplateRuntimeError("'in <string>' requires string as left operand, not " +
                                   item.python_type());
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::kList:
      for (const Value& v : container.as_list()) {
        if (py_equal(v, item)) return true;
      }
      return false;
    case Value::Kind::kDict:
      if (item.is_list() && !item.is_tuple()) throw TemplateRuntimeError("unhashable type: 'list'");
      if (item.is_dict()) throw TemplateRuntimeError("unhashable type: 'dict'");
      return container.as_dict().find(item) != nullptr;
    default:
      throw TemplateRuntimeError("argument of type '" + container.python_type() +
                                 "' is not iterable");
  }
}

}  // namespace rightsize::tokenizer::chat
