// Template parsing and rendering entry points, and the render Context.
#include "tokenizer/chat/template.h"

#include "tokenizer/chat/interpreter.h"
#include "tokenizer/chat/lexer.h"
#include "tokenizer/chat/parser.h"

namespace rightsize::tokenizer::chat {

void Context::set(std::string name, Value value) {
  vars_.insert_or_assign(std::move(name), std::move(value));
}

void Context::set_json(std::string name, const nlohmann::ordered_json& value) {
  set(std::move(name), Value::from_json(value));
}

void Context::set_function(std::string name, NativeFunction::Fn fn) {
  Value f = make_function(name, std::move(fn));
  set(std::move(name), std::move(f));
}

const Value* Context::find(std::string_view name) const {
  const auto it = vars_.find(name);
  return it == vars_.end() ? nullptr : &it->second;
}

Template Template::parse(std::string_view source) {
  auto parsed = std::make_shared<Parsed>();
  parsed->source = normalize_source(source);
  parsed->body = parse_template(parsed->source);
  return Template(std::move(parsed));
}

std::string Template::render(const Context& context, const RenderLimits& limits) const {
  Interpreter interp(context, limits);
  return interp.render(parsed_->body);
}

}  // namespace rightsize::tokenizer::chat
