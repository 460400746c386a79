// The errors a chat template can raise: it does not parse, it fails while rendering, or it
// calls raise_exception() on purpose (the message is then the template author's, verbatim).
#pragma once

#include <string>

#include "util/error.h"

namespace rightsize::tokenizer::chat {

// Where in the template source something went wrong; 1-based, column counts characters.
struct SourcePos {
  int line = 0;
  int column = 0;
  bool known() const { return line > 0; }
};

// The template text is not valid Jinja (or uses a construct this engine does not support).
class TemplateSyntaxError : public Error {
 public:
  TemplateSyntaxError(const std::string& message, SourcePos pos)
      : Error("chat template syntax error at line " + std::to_string(pos.line) + ", column " +
              std::to_string(pos.column) + ": " + message),
        message_(message),
        pos_(pos) {}
  const std::string& message() const { return message_; }
  int line() const { return pos_.line; }
  int column() const { return pos_.column; }

 private:
  std::string message_;
  SourcePos pos_;
};

// Rendering failed: a type error, an undefined value used where a value is needed, a limit hit.
// Raised without a position deep inside value code; the interpreter adds the position of the
// expression it was evaluating before the error leaves render().
class TemplateRuntimeError : public Error {
 public:
  explicit TemplateRuntimeError(const std::string& message, SourcePos pos = {})
      : Error(pos.known() ? "chat template error at line " + std::to_string(pos.line) +
                                ", column " + std::to_string(pos.column) + ": " + message
                          : "chat template error: " + message),
        message_(message),
        pos_(pos) {}
  const std::string& message() const { return message_; }
  SourcePos pos() const { return pos_; }

 private:
  std::string message_;
  SourcePos pos_;
};

// The template called raise_exception(message): the conversation is not one the model accepts
// (a system message Gemma does not take, roles that do not alternate). what() is the message
// itself so that callers can relay it unchanged, as transformers does.
class TemplateException : public Error {
 public:
  explicit TemplateException(const std::string& message) : Error(message) {}
  std::string message() const { return what(); }
};

}  // namespace rightsize::tokenizer::chat
