// Jinja's built-in filters (`x | trim`, `tools | tojson(indent=4)`, `messages | selectattr(...)`)
// with Jinja 3.1's behaviour, and transformers' replacement for tojson.
#pragma once

#include <string_view>

#include "tokenizer/chat/value.h"

namespace rightsize::tokenizer::chat {

using FilterFn = Value (*)(Interpreter& interp, const Value& operand, CallArgs& args);

// The filter called `name`, or nullptr.
FilterFn find_filter(std::string_view name);
inline bool is_filter(std::string_view name) { return find_filter(name) != nullptr; }

}  // namespace rightsize::tokenizer::chat
