// Parses a template into a syntax tree with Jinja's grammar, operator precedence and error
// checks (unknown tags, filters and tests, break outside a loop), bounding nesting depth.
#pragma once

#include <string_view>

#include "tokenizer/chat/ast.h"

namespace rightsize::tokenizer::chat {

// Deepest expression tree and statement nesting a template may have: enough for any real
// template, small enough that evaluating and destroying the tree cannot exhaust the stack.
inline constexpr int kMaxExprDepth = 256;
inline constexpr int kMaxStmtDepth = 64;

// `source` must already be normalized (see normalize_source). Throws TemplateSyntaxError.
ast::Body parse_template(std::string_view source);

}  // namespace rightsize::tokenizer::chat
