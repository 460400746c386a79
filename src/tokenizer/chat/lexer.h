// Splits a template into text and tag tokens the way Jinja's lexer does with transformers'
// settings: trim_blocks and lstrip_blocks on, `-`/`+` whitespace control, raw blocks, comments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/chat/errors.h"

namespace rightsize::tokenizer::chat {

enum class TokenType {
  kData,           // literal template text, whitespace control already applied
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,
  kString,  // text holds the decoded value
  kInteger,
  kFloat,
  kOperator,  // text holds the spelling: "+", "//", "(", ...
  kEof,
};

struct Token {
  TokenType type = TokenType::kEof;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
  size_t offset = 0;  // byte offset in the normalized source
};

// Jinja first turns \r\n and \r into \n and drops one newline at the very end of the template
// (keep_trailing_newline is off); offsets and positions refer to this normalized text.
std::string normalize_source(std::string_view source);

// Tokens of a normalized source, ending with kEof. Throws TemplateSyntaxError.
std::vector<Token> tokenize(std::string_view source);

// Line and column (1-based, column in code points) of a byte offset.
SourcePos position_of(std::string_view source, size_t offset);

}  // namespace rightsize::tokenizer::chat
