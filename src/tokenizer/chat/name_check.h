// Jinja rejects a template that names an unknown filter or test when it compiles it, except
// inside an `if` statement or an inline if-expression, where the error waits until evaluation.
#pragma once

#include "tokenizer/chat/ast.h"

namespace rightsize::tokenizer::chat {

// Throws TemplateSyntaxError at the first unknown filter or test outside such a soft region.
void check_filter_and_test_names(const ast::Body& body);

}  // namespace rightsize::tokenizer::chat
