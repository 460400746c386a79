// Python string formatting for templates: `"%s and %d" % (a, b)` (and the format filter, which
// is the same thing) and str.format with the format-spec mini-language.
#pragma once

#include <string>
#include <string_view>

#include "tokenizer/chat/value.h"

namespace rightsize::tokenizer::chat {

class Interpreter;

// fmt % args: a tuple supplies the positional values, a dict the %(name)s ones, anything else
// is the single value. Throws TemplateRuntimeError with Python's messages.
std::string percent_format(std::string_view fmt, const Value& args);

// fmt.format(*args, **kwargs); field names may follow attributes and items ("{0.name}",
// "{m[role]}"), which are looked up the way Jinja's sandboxed formatter does.
std::string brace_format(Interpreter& interp, std::string_view fmt, const CallArgs& args);

// format(value, spec) for one value.
std::string format_value(const Value& v, std::string_view spec);

}  // namespace rightsize::tokenizer::chat
