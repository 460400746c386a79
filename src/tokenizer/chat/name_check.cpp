// The compile-time check of filter and test names (see name_check.h).
#include "tokenizer/chat/name_check.h"

#include "tokenizer/chat/filters.h"
#include "tokenizer/chat/jinja_tests.h"

namespace rightsize::tokenizer::chat {
namespace {

using namespace ast;

void check_stmt(const Stmt& s, bool soft);
void check_expr(const Expr* e, bool soft);

// `soft` is true inside an if-statement or inline if, where unknown names wait for runtime.
void check_names(const Body& body, bool soft) {
  for (const StmtPtr& s : body) check_stmt(*s, soft);
}

void check_args(const Arguments& args, bool soft) {
  for (const auto& e : args.positional) check_expr(e.get(), soft);
  for (const auto& [name, e] : args.keyword) check_expr(e.get(), soft);
  check_expr(args.star_args.get(), soft);
  check_expr(args.star_kwargs.get(), soft);
}

void check_expr(const Expr* e, bool soft) {
  if (e == nullptr) return;
  switch (e->kind) {
    case ExprKind::kList:
      for (const auto& item : static_cast<const ListExpr*>(e)->items) check_expr(item.get(), soft);
      return;
    case ExprKind::kDict:
      for (const auto& [k, v] : static_cast<const DictExpr*>(e)->items) {
        check_expr(k.get(), soft);
        check_expr(v.get(), soft);
      }
      return;
    case ExprKind::kAttribute:
      check_expr(static_cast<const AttributeExpr*>(e)->object.get(), soft);
      return;
    case ExprKind::kItem: {
      const auto* n = static_cast<const ItemExpr*>(e);
      check_expr(n->object.get(), soft);
      check_expr(n->index.get(), soft);
      return;
    }
    case ExprKind::kSlice: {
      const auto* n = static_cast<const SliceExpr*>(e);
      check_expr(n->start.get(), soft);
      check_expr(n->stop.get(), soft);
      check_expr(n->step.get(), soft);
      return;
    }
    case ExprKind::kCall: {
      const auto* n = static_cast<const CallExpr*>(e);
      check_expr(n->callee.get(), soft);
      check_args(n->args, soft);
      return;
    }
    case ExprKind::kFilter: {
      const auto* n = static_cast<const FilterExpr*>(e);
      if (!soft && !is_filter(n->name)) {
        throw TemplateSyntaxError("No filter named '" + n->name + "'.", n->pos);
      }
      check_expr(n->operand.get(), soft);
      check_args(n->args, soft);
      return;
    }
    case ExprKind::kTest: {
      const auto* n = static_cast<const TestExpr*>(e);
      if (!soft && !is_test(n->name)) {
        throw TemplateSyntaxError("No test named '" + n->name + "'.", n->pos);
      }
      check_expr(n->operand.get(), soft);
      check_args(n->args, soft);
      return;
    }
    case ExprKind::kUnary:
      check_expr(static_cast<const UnaryExpr*>(e)->operand.get(), soft);
      return;
    case ExprKind::kBinary: {
      const auto* n = static_cast<const BinaryExpr*>(e);
      check_expr(n->left.get(), soft);
      check_expr(n->right.get(), soft);
      return;
    }
    case ExprKind::kCompare: {
      const auto* n = static_cast<const CompareExpr*>(e);
      check_expr(n->first.get(), soft);
      for (const auto& [op, operand] : n->rest) check_expr(operand.get(), soft);
      return;
    }
    case ExprKind::kCondition: {
      const auto* n = static_cast<const ConditionExpr*>(e);
      check_expr(n->test.get(), true);
      check_expr(n->then.get(), true);
      check_expr(n->otherwise.get(), true);
      return;
    }
    case ExprKind::kLiteral:
    case ExprKind::kName:
      return;
  }
}

void check_macro(const MacroDef& def) {
  for (const auto& d : def.defaults) check_expr(d.get(), false);
  check_names(def.body, false);
}

void check_stmt(const Stmt& s, bool soft) {
  switch (s.kind) {
    case StmtKind::kPrint:
      check_expr(static_cast<const PrintStmt&>(s).expr.get(), soft);
      return;
    case StmtKind::kIf: {
      const auto& n = static_cast<const IfStmt&>(s);
      for (const auto& [test, body] : n.branches) {
        check_expr(test.get(), true);
        check_names(body, true);
      }
      check_names(n.else_body, true);
      return;
    }
    case StmtKind::kFor: {
      const auto& n = static_cast<const ForStmt&>(s);
      check_expr(n.iterable.get(), soft);
      check_expr(n.condition.get(), false);
      check_names(n.body, false);
      check_names(n.else_body, false);
      return;
    }
    case StmtKind::kSet:
      check_expr(static_cast<const SetStmt&>(s).value.get(), soft);
      return;
    case StmtKind::kSetBlock: {
      const auto& n = static_cast<const SetBlockStmt&>(s);
      check_expr(n.filter.get(), false);
      check_names(n.body, false);
      return;
    }
    case StmtKind::kMacro:
      check_macro(static_cast<const MacroStmt&>(s).def);
      return;
    case StmtKind::kCallBlock: {
      const auto& n = static_cast<const CallBlockStmt&>(s);
      check_expr(n.call.get(), soft);
      check_macro(n.caller);
      return;
    }
    case StmtKind::kFilterBlock: {
      const auto& n = static_cast<const FilterBlockStmt&>(s);
      check_expr(n.filter.get(), false);
      check_names(n.body, false);
      return;
    }
    case StmtKind::kWith: {
      const auto& n = static_cast<const WithStmt&>(s);
      for (const auto& v : n.values) check_expr(v.get(), soft);
      check_names(n.body, false);
      return;
    }
    case StmtKind::kScope:
      check_names(static_cast<const ScopeStmt&>(s).body, soft);
      return;
    case StmtKind::kText:
    case StmtKind::kBreak:
    case StmtKind::kContinue:
      return;
  }
}

}  // namespace

void check_filter_and_test_names(const ast::Body& body) { check_names(body, false); }

}  // namespace rightsize::tokenizer::chat
