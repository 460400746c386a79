// A parsed Jinja chat template and how to render it: the variables it sees (Context) and the
// limits that keep a hostile template from hanging or exhausting memory (RenderLimits).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tokenizer/chat/ast.h"
#include "tokenizer/chat/callables.h"
#include "tokenizer/chat/errors.h"
#include "tokenizer/chat/value.h"

namespace rightsize::tokenizer::chat {

// Bounds on one render. The defaults are far above what any real chat template needs (they
// render in microseconds) and far below what would hurt the process.
struct RenderLimits {
  // The rendered text, and any single string or list the template builds along the way.
  size_t max_output_bytes = 32u << 20;
  // Loop iterations of all loops together.
  uint64_t max_loop_iterations = 1'000'000;
  // Nested macro (and caller) calls.
  int max_call_depth = 100;
  // Bytes and items produced by all operations together: bounds quadratic string building.
  uint64_t max_work = 1ull << 30;
  // Wall-clock backstop, checked as work is charged.
  std::chrono::milliseconds max_duration{10'000};
};

// The variables a template renders with. Lookups fall back to the built-in globals (range,
// namespace, raise_exception, strftime_now, ...), which a variable of the same name shadows.
class Context {
 public:
  void set(std::string name, Value value);
  void set_json(std::string name, const nlohmann::ordered_json& value);
  void set_function(std::string name, NativeFunction::Fn fn);
  const Value* find(std::string_view name) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Value, Hash, std::equal_to<>> vars_;
};

class Template {
 public:
  // Throws TemplateSyntaxError (with line and column) when the source is not a valid template.
  static Template parse(std::string_view source);

  // Throws TemplateRuntimeError when rendering fails or a limit is hit, and TemplateException
  // when the template calls raise_exception(). Safe to call from several threads at once.
  std::string render(const Context& context, const RenderLimits& limits = {}) const;

 private:
  struct Parsed {
    std::string source;
    ast::Body body;
  };
  explicit Template(std::shared_ptr<const Parsed> parsed) : parsed_(std::move(parsed)) {}
  std::shared_ptr<const Parsed> parsed_;
};

}  // namespace rightsize::tokenizer::chat
