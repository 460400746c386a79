// Python methods of str, dict and list that templates call (`message.get('x')`,
// `content.split('</think>')`, `tool.items()`), with transformers' sandbox rule that methods
// modifying a value (list.append, dict.update, ...) are not available.
#pragma once

#include <string_view>

#include "tokenizer/chat/value.h"

namespace rightsize::tokenizer::chat {

enum class MethodKind {
  kNone,    // no such method: attribute lookup goes on (a dict's item, else undefined)
  kSafe,    // a method the template may call
  kUnsafe,  // exists in Python but the immutable sandbox hides it
};

MethodKind find_method(const Value& receiver, std::string_view name);

// Calls a kSafe method. Throws TemplateRuntimeError on bad arguments.
Value call_method(Interpreter& interp, const Value& receiver, std::string_view name,
                  CallArgs& args);

}  // namespace rightsize::tokenizer::chat
