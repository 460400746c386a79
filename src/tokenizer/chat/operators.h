// Python's arithmetic, concatenation, repetition and `in` on template values: `/` always gives
// a float, `//` and `%` floor, `+` joins strings and lists, `~` joins anything as text.
#pragma once

#include "tokenizer/chat/ast.h"
#include "tokenizer/chat/value.h"

namespace rightsize::tokenizer::chat {

class Interpreter;

// Every BinaryOp except `and` and `or`, which the interpreter short-circuits. Sizes of strings
// and lists are checked with the interpreter before they are built.
Value binary_op(Interpreter& interp, ast::BinaryOp op, const Value& a, const Value& b);
Value negate(const Value& v);
Value unary_plus(const Value& v);
// Python `item in container`.
bool contains(const Value& container, const Value& item);

}  // namespace rightsize::tokenizer::chat
