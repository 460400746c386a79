// Walks a template's syntax tree and writes its output: Jinja's scoping (a frame per loop
// iteration and macro call), undefined values, macros, loops, and the render limits. Also the
// services filters, tests and methods call back into (attribute lookup, calls, budgets).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/chat/ast.h"
#include "tokenizer/chat/template.h"
#include "tokenizer/chat/value.h"

namespace rightsize::tokenizer::chat {

// Variables of one scope; lookups continue in the parent.
struct Frame {
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  explicit Frame(std::shared_ptr<Frame> p) : parent(std::move(p)) {}
  std::shared_ptr<Frame> parent;
  std::unordered_map<std::string, Value, Hash, std::equal_to<>> vars;
};

class Interpreter {
 public:
  Interpreter(const Context& context, const RenderLimits& limits);
  // Empties every namespace and captured frame the render created, so that reference cycles
  // (a namespace holding itself, a macro held by the frame it closes over) are freed.
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::string render(const ast::Body& body);

  // ---- services for filters, tests, methods and callables --------------------------------

  // `obj.name`: the attribute (or method) first, then the item, as Jinja's getattr does.
  Value get_attribute(const Value& obj, std::string_view name);
  // `obj[key]`: the item first, then for a string key the attribute.
  Value get_item(const Value& obj, const Value& key);
  Value call(const Value& callee, CallArgs& args);
  Value apply_filter(std::string_view name, const Value& operand, CallArgs& args);
  bool apply_test(std::string_view name, const Value& operand, CallArgs& args);
  Value new_namespace(Dict attributes);
  // Refuses a string or list of `size` bytes/items beyond the limits, before it is built.
  void check_size(uint64_t size);
  // Counts work done (bytes or items produced) and watches the clock.
  void charge(uint64_t work);
  const RenderLimits& limits() const { return limits_; }

  // Runs a macro body with bound arguments; used by macro objects.
  Value call_macro(const ast::MacroDef& def, const std::shared_ptr<Frame>& closure, CallArgs& args);
  // Runs a recursive loop's body over new items one level deeper; used by `loop(...)`.
  Value recurse_loop(const ast::ForStmt& node, const std::shared_ptr<Frame>& frame,
                     const Value& iterable, int depth);

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  Flow exec_body(const ast::Body& body);
  Flow exec(const ast::Stmt& stmt);
  void exec_for(const ast::ForStmt& node, const Value& iterable, int depth);
  Flow exec_set_block(const ast::SetBlockStmt& node);
  void exec_call_block(const ast::CallBlockStmt& node);
  Flow exec_filter_block(const ast::FilterBlockStmt& node);
  void exec_with(const ast::WithStmt& node);
  void assign(const ast::Target& target, const Value& value);
  // Renders `body` in `frame` into *text; returns how the body ended (break/continue).
  Flow capture(const ast::Body& body, std::shared_ptr<Frame> frame, std::string* text);
  void emit(std::string_view text);

  Value eval(const ast::Expr& expr);
  Value eval_name(const ast::NameExpr& node);
  Value eval_item(const ast::ItemExpr& node);
  Value eval_call(const ast::CallExpr& node, const Value* caller);
  Value eval_filter(const ast::FilterExpr& node);
  Value eval_compare(const ast::CompareExpr& node);
  CallArgs eval_args(const ast::Arguments& args);

  Value lookup(std::string_view name) const;
  std::shared_ptr<Frame> new_frame(std::shared_ptr<Frame> parent);
  void charge_iteration();

  // Keeps eval/exec recursion (expressions inside macros inside loops ...) bounded.
  class DepthGuard;

  const Context& context_;
  const RenderLimits& limits_;
  std::shared_ptr<Frame> frame_;
  std::string* out_ = nullptr;
  const Value* block_input_ = nullptr;  // the text a {% filter %} block filters
  SourcePos pos_;                       // of the node being evaluated, for error messages
  int depth_ = 0;
  int call_depth_ = 0;
  uint64_t iterations_ = 0;
  uint64_t work_ = 0;
  uint64_t next_clock_check_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  std::vector<Value> namespaces_;
  std::vector<std::shared_ptr<Frame>> captured_frames_;
};

}  // namespace rightsize::tokenizer::chat
