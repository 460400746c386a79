// Tree-walking evaluation of templates with Jinja's scoping and undefined semantics.
#include "tokenizer/chat/interpreter.h"

#include <algorithm>

#include "tokenizer/chat/callables.h"
#include "tokenizer/chat/filters.h"
#include "tokenizer/chat/jinja_tests.h"
#include "tokenizer/chat/methods.h"
#include "tokenizer/chat/operators.h"
#include "tokenizer/chat/pystr.h"

namespace rightsize::tokenizer::chat {
namespace {

using namespace ast;

// Nested evaluation (expressions in statements in macros in loops ...) deeper than this is
// refused; it keeps the C++ stack well within a thread's default size.
constexpr int kMaxEvalDepth = 1000;

uint64_t size_of(const Value& v) {
  if (v.is_string()) return v.as_string().size();
  if (v.is_list()) return v.as_list().size();
  if (v.is_dict()) return v.as_dict().size();
  return 1;
}

// How Jinja names the container in "has no attribute" messages.
std::string object_type_repr(const Value& v) {
  if (v.is_none()) return "None";
  if (v.is_object()) return v.as_object().repr();
  return v.type_name();
}

Value missing_attribute(const Value& obj, std::string_view name) {
  return Value::undefined("'" + object_type_repr(obj) + "' has no attribute '" + std::string(name) +
                          "'");
}

Value missing_element(const Value& obj, const Value& key) {
  return Value::undefined(object_type_repr(obj) + " has no element " + key.repr());
}

class Macro : public Object {
 public:
  Macro(const MacroDef* def, std::shared_ptr<Frame> closure)
      : def_(def), closure_(std::move(closure)) {}
  std::string repr() const override { return "<Macro '" + def_->name + "'>"; }
  bool callable() const override { return true; }
  Value call(Interpreter& interp, CallArgs& args) const override {
    return interp.call_macro(*def_, closure_, args);
  }
  Value attribute(std::string_view name) const override {
    if (name == "name") return Value(def_->name);
    if (name == "arguments") {
      std::vector<Value> params(def_->params.begin(), def_->params.end());
      return Value::tuple(std::move(params));
    }
    if (name == "catch_kwargs") return Value(def_->uses_kwargs);
    if (name == "catch_varargs") return Value(def_->uses_varargs);
    if (name == "caller") return Value(def_->uses_caller);
    return Value::undefined();
  }

 private:
  const MacroDef* def_;
  std::shared_ptr<Frame> closure_;
};

// A method looked up on a value (`message.get`), called later.
class BoundMethod : public Object {
 public:
  BoundMethod(Value receiver, std::string name)
      : receiver_(std::move(receiver)), name_(std::move(name)) {}
  std::string repr() const override {
    return "<built-in method " + name_ + " of " + receiver_.python_type() + " object>";
  }
  bool callable() const override { return true; }
  Value call(Interpreter& interp, CallArgs& args) const override {
    return call_method(interp, receiver_, name_, args);
  }

 private:
  Value receiver_;
  std::string name_;
};

// What all iterations of one loop share.
struct LoopShared {
  std::vector<Value> items;
  const ForStmt* node = nullptr;
  std::shared_ptr<Frame> frame;  // where the loop runs; kept only for recursive loops
  int depth = 0;                 // 0 for the outermost level of a recursive loop
  std::vector<Value> last_changed;
  bool changed_called = false;
};

// The `loop` variable of one iteration.
class LoopObject : public Object {
 public:
  LoopObject(std::shared_ptr<LoopShared> shared, size_t index)
      : shared_(std::move(shared)), index_(index) {}

  std::string repr() const override {
    return "<LoopContext " + std::to_string(index_ + 1) + "/" +
           std::to_string(shared_->items.size()) + ">";
  }
  bool callable() const override { return shared_->node->recursive; }
  Value call(Interpreter& interp, CallArgs& args) const override {
    if (!shared_->node->recursive) return Object::call(interp, args);
    if (args.positional.size() != 1 || !args.keyword.empty()) {
      throw TemplateRuntimeError("loop() takes exactly one argument");
    }
    return interp.recurse_loop(*shared_->node, shared_->frame, args.positional[0],
                               shared_->depth + 1);
  }

  Value attribute(std::string_view name) const override {
    const auto n = static_cast<int64_t>(shared_->items.size());
    const auto i = static_cast<int64_t>(index_);
    if (name == "index") return Value(i + 1);
    if (name == "index0") return Value(i);
    if (name == "revindex") return Value(n - i);
    if (name == "revindex0") return Value(n - i - 1);
    if (name == "first") return Value(i == 0);
    if (name == "last") return Value(i == n - 1);
    if (name == "length") return Value(n);
    if (name == "depth") return Value(int64_t{shared_->depth + 1});
    if (name == "depth0") return Value(int64_t{shared_->depth});
    if (name == "previtem") {
      return i > 0 ? shared_->items[i - 1] : Value::undefined("there is no previous item");
    }
    if (name == "nextitem") {
      return i + 1 < n ? shared_->items[i + 1] : Value::undefined("there is no next item");
    }
    if (name == "cycle") {
      return make_function("cycle", [i](Interpreter&, CallArgs& args) {
        if (args.positional.empty()) throw TemplateRuntimeError("no items for cycling given");
        return args.positional[i % args.positional.size()];
      });
    }
    if (name == "changed") {
      auto shared = shared_;
      return make_function("changed", [shared](Interpreter&, CallArgs& args) {
        bool changed =
            !shared->changed_called || shared->last_changed.size() != args.positional.size();
        for (size_t k = 0; !changed && k < args.positional.size(); ++k) {
          changed = !py_equal(shared->last_changed[k], args.positional[k]);
        }
        shared->changed_called = true;
        shared->last_changed = args.positional;
        return Value(changed);
      });
    }
    return Value::undefined("'LoopContext object' has no attribute '" + std::string(name) + "'");
  }

 private:
  std::shared_ptr<LoopShared> shared_;
  size_t index_;
};

// Restores the interpreter's current frame and output buffer when a scope ends.
class ScopeSwap {
 public:
  ScopeSwap(std::shared_ptr<Frame>& frame, std::string*& out, std::shared_ptr<Frame> new_frame,
            std::string* new_out)
      : frame_(frame), out_(out), saved_frame_(frame), saved_out_(out) {
    frame_ = std::move(new_frame);
    if (new_out != nullptr) out_ = new_out;
  }
  ~ScopeSwap() {
    frame_ = std::move(saved_frame_);
    out_ = saved_out_;
  }
  ScopeSwap(const ScopeSwap&) = delete;
  ScopeSwap& operator=(const ScopeSwap&) = delete;

 private:
  std::shared_ptr<Frame>& frame_;
  std::string*& out_;
  std::shared_ptr<Frame> saved_frame_;
  std::string* saved_out_;
};

}  // namespace

class Interpreter::DepthGuard {
 public:
  explicit DepthGuard(Interpreter& interp) : interp_(interp) {
    if (++interp_.depth_ > kMaxEvalDepth) {
      --interp_.depth_;
      throw TemplateRuntimeError("template nesting exceeds " + std::to_string(kMaxEvalDepth) +
                                 " levels (runaway recursion?)");
    }
  }
  ~DepthGuard() { --interp_.depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  Interpreter& interp_;
};

Interpreter::Interpreter(const Context& context, const RenderLimits& limits)
    : context_(context), limits_(limits) {}

Interpreter::~Interpreter() {
  for (Value& ns : namespaces_) ns.namespace_attributes().clear();
  for (auto& frame : captured_frames_) {
    frame->vars.clear();
    frame->parent.reset();
  }
}

std::string Interpreter::render(const Body& body) {
  std::string out;
  out_ = &out;
  frame_ = new_frame(nullptr);
  deadline_ = std::chrono::steady_clock::now() + limits_.max_duration;
  try {
    exec_body(body);
  } catch (const TemplateRuntimeError& e) {
    if (!e.pos().known() && pos_.known()) throw TemplateRuntimeError(e.message(), pos_);
    throw;
  }
  return out;
}

// ---- budgets -------------------------------------------------------------------------------

void Interpreter::check_size(uint64_t size) {
  if (size > limits_.max_output_bytes) {
    throw TemplateRuntimeError("template built a value of " + std::to_string(size) +
                               " bytes or items, over the limit of " +
                               std::to_string(limits_.max_output_bytes));
  }
}

void Interpreter::charge(uint64_t work) {
  work_ += work;
  if (work_ > limits_.max_work) {
    throw TemplateRuntimeError("template exceeded its work budget of " +
                               std::to_string(limits_.max_work) + " operations");
  }
  if (work_ >= next_clock_check_) {
    next_clock_check_ = work_ + 4096;
    if (std::chrono::steady_clock::now() > deadline_) {
      throw TemplateRuntimeError("template rendering took longer than " +
                                 std::to_string(limits_.max_duration.count()) + " ms");
    }
  }
}

void Interpreter::charge_iteration() {
  if (++iterations_ > limits_.max_loop_iterations) {
    throw TemplateRuntimeError("template exceeded " + std::to_string(limits_.max_loop_iterations) +
                               " loop iterations");
  }
  charge(1);
}

void Interpreter::emit(std::string_view text) {
  if (out_->size() + text.size() > limits_.max_output_bytes) {
    throw TemplateRuntimeError("rendered text exceeds the limit of " +
                               std::to_string(limits_.max_output_bytes) + " bytes");
  }
  out_->append(text);
  charge(text.size());
}

std::shared_ptr<Frame> Interpreter::new_frame(std::shared_ptr<Frame> parent) {
  return std::make_shared<Frame>(std::move(parent));
}

Value Interpreter::new_namespace(Dict attributes) {
  Value ns = Value::new_namespace(std::move(attributes));
  namespaces_.push_back(ns);
  return ns;
}

// ---- statements ----------------------------------------------------------------------------

Interpreter::Flow Interpreter::exec_body(const Body& body) {
  for (const StmtPtr& stmt : body) {
    const Flow flow = exec(*stmt);
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::exec(const Stmt& stmt) {
  DepthGuard guard(*this);
  pos_ = stmt.pos;
  switch (stmt.kind) {
    case StmtKind::kText:
      emit(static_cast<const TextStmt&>(stmt).text);
      return Flow::kNormal;
    case StmtKind::kPrint: {
      const Value v = eval(*static_cast<const PrintStmt&>(stmt).expr);
      emit(v.str());
      return Flow::kNormal;
    }
    case StmtKind::kIf: {
      const auto& node = static_cast<const IfStmt&>(stmt);
      for (const auto& [test, body] : node.branches) {
        if (eval(*test).truthy()) return exec_body(body);
      }
      return exec_body(node.else_body);
    }
    case StmtKind::kFor: {
      const auto& node = static_cast<const ForStmt&>(stmt);
      exec_for(node, eval(*node.iterable), 0);
      return Flow::kNormal;
    }
    case StmtKind::kSet: {
      const auto& node = static_cast<const SetStmt&>(stmt);
      assign(node.target, eval(*node.value));
      return Flow::kNormal;
    }
    case StmtKind::kSetBlock:
      return exec_set_block(static_cast<const SetBlockStmt&>(stmt));
    case StmtKind::kMacro: {
      const auto& node = static_cast<const MacroStmt&>(stmt);
      captured_frames_.push_back(frame_);
      frame_->vars[node.def.name] = Value::object(std::make_shared<Macro>(&node.def, frame_));
      return Flow::kNormal;
    }
    case StmtKind::kCallBlock:
      exec_call_block(static_cast<const CallBlockStmt&>(stmt));
      return Flow::kNormal;
    case StmtKind::kFilterBlock:
      return exec_filter_block(static_cast<const FilterBlockStmt&>(stmt));
    case StmtKind::kWith: {
      const auto& node = static_cast<const WithStmt&>(stmt);
      std::vector<Value> values;
      for (const auto& v : node.values) values.push_back(eval(*v));
      ScopeSwap scope(frame_, out_, new_frame(frame_), nullptr);
      for (size_t i = 0; i < node.targets.size(); ++i) assign(node.targets[i], values[i]);
      return exec_body(node.body);
    }
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
    case StmtKind::kScope:
      return exec_body(static_cast<const ScopeStmt&>(stmt).body);
  }
  return Flow::kNormal;
}

void Interpreter::exec_for(const ForStmt& node, const Value& iterable, int depth) {
  pos_ = node.pos;
  std::vector<Value> items = iterate(iterable);
  charge(items.size());
  if (node.condition) {
    std::vector<Value> kept;
    for (Value& item : items) {
      charge_iteration();
      ScopeSwap scope(frame_, out_, new_frame(frame_), nullptr);
      assign(node.target, item);
      if (eval(*node.condition).truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    ScopeSwap scope(frame_, out_, new_frame(frame_), nullptr);
    exec_body(node.else_body);
    return;
  }
  std::shared_ptr<LoopShared> shared;
  if (node.uses_loop) {
    shared = std::make_shared<LoopShared>();
    shared->items = items;
    shared->node = &node;
    shared->depth = depth;
    if (node.recursive) shared->frame = frame_;
  }
  const std::shared_ptr<Frame> outer = frame_;
  for (size_t i = 0; i < items.size(); ++i) {
    charge_iteration();
    ScopeSwap scope(frame_, out_, new_frame(outer), nullptr);
    assign(node.target, items[i]);
    if (shared) frame_->vars["loop"] = Value::object(std::make_shared<LoopObject>(shared, i));
    const Flow flow = exec_body(node.body);
    if (flow == Flow::kBreak) break;
  }
}

Value Interpreter::recurse_loop(const ForStmt& node, const std::shared_ptr<Frame>& frame,
                                const Value& iterable, int depth) {
  std::string text;
  ScopeSwap scope(frame_, out_, frame, &text);
  exec_for(node, iterable, depth);
  return Value(std::move(text));
}

void Interpreter::assign(const Target& target, const Value& value) {
  switch (target.kind) {
    case Target::Kind::kName:
      frame_->vars[target.name] = value;
      return;
    case Target::Kind::kTuple: {
      const std::vector<Value> items = iterate(value);
      const size_t want = target.items.size();
      if (items.size() < want) {
        throw TemplateRuntimeError("not enough values to unpack (expected " + std::to_string(want) +
                                   ", got " + std::to_string(items.size()) + ")");
      }
      if (items.size() > want) {
        throw TemplateRuntimeError("too many values to unpack (expected " + std::to_string(want) +
                                   ")");
      }
      for (size_t i = 0; i < want; ++i) assign(target.items[i], items[i]);
      return;
    }
    case Target::Kind::kNamespaceAttribute: {
      const Value ns = lookup(target.name);
      if (!ns.is_namespace()) {
        pos_ = target.pos;
        throw TemplateRuntimeError("cannot assign attribute on non-namespace object");
      }
      ns.namespace_attributes().set(Value(target.attribute), value);
      return;
    }
  }
}

Interpreter::Flow Interpreter::capture(const Body& body, std::shared_ptr<Frame> frame,
                                       std::string* text) {
  ScopeSwap scope(frame_, out_, std::move(frame), text);
  return exec_body(body);
}

Interpreter::Flow Interpreter::exec_set_block(const SetBlockStmt& node) {
  std::string text;
  // A break or continue inside the block ends the iteration before the assignment, as in Jinja.
  const Flow flow = capture(node.body, new_frame(frame_), &text);
  if (flow != Flow::kNormal) return flow;
  Value v(std::move(text));
  if (node.filter) {
    const Value* saved = block_input_;
    block_input_ = &v;
    Value filtered = eval(*node.filter);
    block_input_ = saved;
    v = std::move(filtered);
  }
  assign(node.target, v);
  return Flow::kNormal;
}

void Interpreter::exec_call_block(const CallBlockStmt& node) {
  captured_frames_.push_back(frame_);
  const Value caller = Value::object(std::make_shared<Macro>(&node.caller, frame_));
  const Value result = eval_call(static_cast<const CallExpr&>(*node.call), &caller);
  emit(result.str());
}

Interpreter::Flow Interpreter::exec_filter_block(const FilterBlockStmt& node) {
  std::string body_text;
  const Flow flow = capture(node.body, new_frame(frame_), &body_text);
  if (flow != Flow::kNormal) return flow;  // Jinja drops the block's text on break/continue
  const Value text(std::move(body_text));
  const Value* saved = block_input_;
  block_input_ = &text;
  const Value result = eval(*node.filter);
  block_input_ = saved;
  emit(result.str());
  return Flow::kNormal;
}

Value Interpreter::call_macro(const MacroDef& def, const std::shared_ptr<Frame>& closure,
                              CallArgs& args) {
  auto frame = new_frame(closure);
  const size_t n_params = def.params.size();
  const size_t first_default = n_params - def.defaults.size();
  if (args.positional.size() > n_params && !def.uses_varargs) {
    throw TemplateRuntimeError("macro '" + def.name + "' takes not more than " +
                               std::to_string(n_params) + " argument(s)");
  }
  std::vector<bool> bound(n_params, false);
  for (size_t i = 0; i < n_params && i < args.positional.size(); ++i) {
    frame->vars[def.params[i]] = args.positional[i];
    bound[i] = true;
  }
  Dict extra_kwargs;
  for (auto& [name, value] : args.keyword) {
    const auto it = std::find(def.params.begin(), def.params.end(), name);
    if (it != def.params.end()) {
      const size_t i = it - def.params.begin();
      if (bound[i]) {
        throw TemplateRuntimeError("macro '" + def.name + "' got multiple values for argument '" +
                                   name + "'");
      }
      frame->vars[name] = value;
      bound[i] = true;
    } else if (name == "caller") {
      frame->vars["caller"] = value;
    } else if (def.uses_kwargs) {
      extra_kwargs.set(Value(name), value);
    } else {
      throw TemplateRuntimeError("macro '" + def.name + "' takes no keyword argument '" + name +
                                 "'");
    }
  }
  if (def.uses_varargs) {
    std::vector<Value> rest;
    for (size_t i = n_params; i < args.positional.size(); ++i) rest.push_back(args.positional[i]);
    frame->vars["varargs"] = Value::tuple(std::move(rest));
  }
  if (def.uses_kwargs) frame->vars["kwargs"] = Value::dict(std::move(extra_kwargs));
  std::string text;
  ScopeSwap scope(frame_, out_, frame, &text);
  for (size_t i = 0; i < n_params; ++i) {
    if (bound[i]) continue;
    // Defaults are evaluated at call time in the macro's frame, after earlier parameters.
    frame->vars[def.params[i]] =
        i >= first_default ? eval(*def.defaults[i - first_default])
                           : Value::undefined("parameter '" + def.params[i] + "' was not provided");
  }
  exec_body(def.body);
  return Value(std::move(text));
}

// ---- expressions ---------------------------------------------------------------------------

Value Interpreter::lookup(std::string_view name) const {
  for (const Frame* f = frame_.get(); f != nullptr; f = f->parent.get()) {
    const auto it = f->vars.find(name);
    if (it != f->vars.end()) return it->second;
  }
  if (const Value* v = context_.find(name)) return *v;
  if (const Value* v = find_global(name)) return *v;
  return Value::undefined("'" + std::string(name) + "' is undefined");
}

Value Interpreter::eval(const Expr& expr) {
  DepthGuard guard(*this);
  switch (expr.kind) {
    case ExprKind::kLiteral:
      return static_cast<const LiteralExpr&>(expr).value;
    case ExprKind::kName:
      return lookup(static_cast<const NameExpr&>(expr).name);
    case ExprKind::kList: {
      const auto& node = static_cast<const ListExpr&>(expr);
      std::vector<Value> items;
      items.reserve(node.items.size());
      for (const auto& item : node.items) items.push_back(eval(*item));
      pos_ = expr.pos;
      return node.tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
    }
    case ExprKind::kDict: {
      const auto& node = static_cast<const DictExpr&>(expr);
      Dict d;
      for (const auto& [key_expr, value_expr] : node.items) {
        Value key = eval(*key_expr);
        Value value = eval(*value_expr);
        pos_ = key_expr->pos;
        if ((key.is_list() && !key.is_tuple()) || key.is_dict() || key.is_namespace()) {
          throw TemplateRuntimeError("unhashable type: '" + key.python_type() + "'");
        }
        d.set(std::move(key), std::move(value));
      }
      return Value::dict(std::move(d));
    }
    case ExprKind::kAttribute: {
      const auto& node = static_cast<const AttributeExpr&>(expr);
      const Value obj = eval(*node.object);
      pos_ = expr.pos;
      return get_attribute(obj, node.name);
    }
    case ExprKind::kItem:
      return eval_item(static_cast<const ItemExpr&>(expr));
    case ExprKind::kSlice:
      pos_ = expr.pos;
      throw TemplateRuntimeError("a slice is only valid inside []");
    case ExprKind::kCall:
      return eval_call(static_cast<const CallExpr&>(expr), nullptr);
    case ExprKind::kFilter:
      return eval_filter(static_cast<const FilterExpr&>(expr));
    case ExprKind::kTest: {
      const auto& node = static_cast<const TestExpr&>(expr);
      const Value operand = eval(*node.operand);
      CallArgs args = eval_args(node.args);
      pos_ = expr.pos;
      return Value(apply_test(node.name, operand, args));
    }
    case ExprKind::kUnary: {
      const auto& node = static_cast<const UnaryExpr&>(expr);
      const Value operand = eval(*node.operand);
      pos_ = expr.pos;
      switch (node.op) {
        case UnaryOp::kNot:
          return Value(!operand.truthy());
        case UnaryOp::kNeg:
          return negate(operand);
        case UnaryOp::kPos:
          return unary_plus(operand);
      }
      return Value();
    }
    case ExprKind::kBinary: {
      const auto& node = static_cast<const BinaryExpr&>(expr);
      Value left = eval(*node.left);
      if (node.op == BinaryOp::kAnd) return left.truthy() ? eval(*node.right) : left;
      if (node.op == BinaryOp::kOr) return left.truthy() ? left : eval(*node.right);
      const Value right = eval(*node.right);
      pos_ = expr.pos;
      Value result = binary_op(*this, node.op, left, right);
      charge(size_of(result));
      return result;
    }
    case ExprKind::kCompare:
      return eval_compare(static_cast<const CompareExpr&>(expr));
    case ExprKind::kCondition: {
      const auto& node = static_cast<const ConditionExpr&>(expr);
      if (eval(*node.test).truthy()) return eval(*node.then);
      if (node.otherwise) return eval(*node.otherwise);
      return Value::undefined("the inline if-expression on line " + std::to_string(expr.pos.line) +
                              " evaluated to false and no else section was defined.");
    }
  }
  return Value();
}

Value Interpreter::eval_item(const ItemExpr& node) {
  const Value obj = eval(*node.object);
  if (node.index->kind != ExprKind::kSlice) {
    const Value key = eval(*node.index);
    pos_ = node.pos;
    return get_item(obj, key);
  }
  const auto& slice = static_cast<const SliceExpr&>(*node.index);
  // A bound that is not an int makes Python's obj[slice] raise TypeError, which Jinja turns
  // into an undefined value.
  bool bad_bound = false;
  auto bound_of = [&](const ExprPtr& e) -> std::optional<int64_t> {
    if (!e) return std::nullopt;
    const Value v = eval(*e);
    if (v.is_int() || v.is_bool()) return v.to_int();
    if (!v.is_none()) bad_bound = true;
    return std::nullopt;
  };
  const auto start = bound_of(slice.start);
  const auto stop = bound_of(slice.stop);
  const auto step = bound_of(slice.step);
  pos_ = node.pos;
  if (obj.is_undefined()) throw_undefined(obj);
  if (bad_bound) return Value::undefined(object_type_repr(obj) + " has no element slice");
  if (obj.is_string()) {
    const std::string& s = obj.as_string();
    return Value(pystr::slice(
        s, pystr::slice_range(static_cast<int64_t>(pystr::length(s)), start, stop, step)));
  }
  if (obj.is_list()) {
    const auto& items = obj.as_list();
    const auto range = pystr::slice_range(static_cast<int64_t>(items.size()), start, stop, step);
    std::vector<Value> out;
    out.reserve(range.count);
    for (int64_t i = 0; i < range.count; ++i) out.push_back(items[range.start + i * range.step]);
    return obj.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
  }
  return Value::undefined(object_type_repr(obj) + " has no element slice");
}

CallArgs Interpreter::eval_args(const Arguments& args) {
  CallArgs out;
  out.positional.reserve(args.positional.size());
  for (const auto& e : args.positional) out.positional.push_back(eval(*e));
  for (const auto& [name, e] : args.keyword) out.keyword.emplace_back(name, eval(*e));
  if (args.star_args) {
    const Value extra = eval(*args.star_args);
    for (Value& v : iterate(extra)) out.positional.push_back(std::move(v));
  }
  if (args.star_kwargs) {
    const Value extra = eval(*args.star_kwargs);
    if (!extra.is_dict()) {
      pos_ = args.star_kwargs->pos;
      throw TemplateRuntimeError("argument after ** must be a mapping, not " + extra.python_type());
    }
    for (const auto& [k, v] : extra.as_dict().items()) {
      if (!k.is_string()) throw TemplateRuntimeError("keywords must be strings");
      out.keyword.emplace_back(k.as_string(), v);
    }
  }
  return out;
}

Value Interpreter::eval_call(const CallExpr& node, const Value* caller) {
  const Value callee = eval(*node.callee);
  CallArgs args = eval_args(node.args);
  if (caller != nullptr) args.keyword.emplace_back("caller", *caller);
  pos_ = node.pos;
  return call(callee, args);
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  if (callee.is_undefined()) throw_undefined(callee);
  if (!callee.is_callable()) {
    throw TemplateRuntimeError("'" + callee.python_type() + "' object is not callable");
  }
  if (call_depth_ >= limits_.max_call_depth) {
    throw TemplateRuntimeError("calls nested more than " + std::to_string(limits_.max_call_depth) +
                               " deep (runaway recursion?)");
  }
  ++call_depth_;
  struct Unwind {
    int& depth;
    ~Unwind() { --depth; }
  } unwind{call_depth_};
  Value result = callee.as_object().call(*this, args);
  charge(size_of(result));
  return result;
}

Value Interpreter::eval_filter(const FilterExpr& node) {
  Value operand;
  if (node.operand) {
    operand = eval(*node.operand);
  } else if (block_input_ != nullptr) {
    operand = *block_input_;
  }
  CallArgs args = eval_args(node.args);
  pos_ = node.pos;
  return apply_filter(node.name, operand, args);
}

Value Interpreter::apply_filter(std::string_view name, const Value& operand, CallArgs& args) {
  const FilterFn fn = find_filter(name);
  if (fn == nullptr)
    throw TemplateRuntimeError("No filter named '" + std::string(name) + "' found.");
  Value result = fn(*this, operand, args);
  charge(size_of(result));
  return result;
}

bool Interpreter::apply_test(std::string_view name, const Value& operand, CallArgs& args) {
  const TestFn fn = find_test(name);
  if (fn == nullptr) throw TemplateRuntimeError("No test named '" + std::string(name) + "' found.");
  return fn(*this, operand, args);
}

Value Interpreter::eval_compare(const CompareExpr& node) {
  Value left = eval(*node.first);
  for (const auto& [op, operand] : node.rest) {
    Value right = eval(*operand);
    pos_ = node.pos;
    bool ok = false;
    switch (op) {
      case CompareOp::kEq:
        ok = py_equal(left, right);
        break;
      case CompareOp::kNe:
        ok = !py_equal(left, right);
        break;
      case CompareOp::kLt:
        ok = py_compare(left, right, "<") < 0;
        break;
      case CompareOp::kLe:
        ok = py_compare(left, right, "<=") <= 0;
        break;
      case CompareOp::kGt:
        ok = py_compare(left, right, ">") > 0;
        break;
      case CompareOp::kGe:
        ok = py_compare(left, right, ">=") >= 0;
        break;
      case CompareOp::kIn:
        ok = contains(right, left);
        break;
      case CompareOp::kNotIn:
        ok = !contains(right, left);
        break;
    }
    if (!ok) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

// ---- attribute and item lookup --------------------------------------------------------------

Value Interpreter::get_attribute(const Value& obj, std::string_view name) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined:
      throw_undefined(obj);
    case Value::Kind::kNamespace: {
      const Value* v = obj.namespace_attributes().find(name);
      return v != nullptr ? *v : missing_attribute(obj, name);
    }
    case Value::Kind::kObject: {
      Value v = obj.as_object().attribute(name);
      if (v.is_undefined() && v.undefined_hint().empty()) return missing_attribute(obj, name);
      return v;
    }
    default:
      break;
  }
  switch (find_method(obj, name)) {
    case MethodKind::kSafe:
      return Value::object(std::make_shared<BoundMethod>(obj, std::string(name)));
    case MethodKind::kUnsafe:
      // transformers renders with Jinja's ImmutableSandboxedEnvironment, which hides the
      // methods that would modify a value.
      return Value::undefined("access to attribute '" + std::string(name) + "' of '" +
                              obj.python_type() + "' object is unsafe.");
    case MethodKind::kNone:
      break;
  }
  if (obj.is_dict()) {
    if (const Value* v = obj.as_dict().find(name)) return *v;
  }
  return missing_attribute(obj, name);
}

Value Interpreter::get_item(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined:
      throw_undefined(obj);
    case Value::Kind::kDict:
      if (const Value* v = obj.as_dict().find(key)) return *v;
      break;
    case Value::Kind::kList:
    case Value::Kind::kString:
      if (key.is_int() || key.is_bool()) {
        int64_t i = key.to_int();
        if (obj.is_list()) {
          const auto n = static_cast<int64_t>(obj.as_list().size());
          if (i < 0) i += n;
          if (i >= 0 && i < n) return obj.as_list()[i];
        } else {
          const std::string& s = obj.as_string();
          const auto n = static_cast<int64_t>(pystr::length(s));
          if (i < 0) i += n;
          if (i >= 0 && i < n) return Value(pystr::slice(s, pystr::SliceRange{i, 1, 1}));
        }
        return missing_element(obj, key);
      }
      break;
    default:
      break;
  }
  if (key.is_string()) return get_attribute(obj, key.as_string());
  return missing_element(obj, key);
}

}  // namespace rightsize::tokenizer::chat
