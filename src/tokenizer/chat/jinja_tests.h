// Jinja's tests, the predicates of `x is defined`, `x is string`, `x is equalto y` and of the
// select/reject filters, with Jinja 3.1's definitions (a string is iterable, a bool is a number).
#pragma once

#include <string_view>

#include "tokenizer/chat/value.h"

namespace rightsize::tokenizer::chat {

using TestFn = bool (*)(Interpreter& interp, const Value& operand, CallArgs& args);

// The test called `name`, or nullptr.
TestFn find_test(std::string_view name);
inline bool is_test(std::string_view name) { return find_test(name) != nullptr; }

}  // namespace rightsize::tokenizer::chat
