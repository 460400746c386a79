// The syntax tree of a parsed template: expressions and statements, each with the source
// position runtime errors report. Built by the parser, walked by the interpreter, immutable.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/chat/errors.h"
#include "tokenizer/chat/value.h"

namespace rightsize::tokenizer::chat::ast {

// ---- expressions -------------------------------------------------------------------------

enum class ExprKind {
  kLiteral,
  kName,
  kList,
  kDict,
  kAttribute,
  kItem,
  kSlice,
  kCall,
  kFilter,
  kTest,
  kUnary,
  kBinary,
  kCompare,
  kCondition,
};

struct Expr {
  Expr(ExprKind k, SourcePos p) : kind(k), pos(p) {}
  virtual ~Expr() = default;
  ExprKind kind;
  SourcePos pos;
  int depth = 1;  // height of the subtree; the parser bounds it
};
using ExprPtr = std::unique_ptr<Expr>;

struct Arguments {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
  ExprPtr star_args;    // *args
  ExprPtr star_kwargs;  // **kwargs
};

struct LiteralExpr : Expr {
  LiteralExpr(SourcePos p, Value v) : Expr(ExprKind::kLiteral, p), value(std::move(v)) {}
  Value value;
};

struct NameExpr : Expr {
  NameExpr(SourcePos p, std::string n) : Expr(ExprKind::kName, p), name(std::move(n)) {}
  std::string name;
};

// [a, b] or (a, b)
struct ListExpr : Expr {
  ListExpr(SourcePos p, bool t) : Expr(ExprKind::kList, p), tuple(t) {}
  std::vector<ExprPtr> items;
  bool tuple;
};

struct DictExpr : Expr {
  explicit DictExpr(SourcePos p) : Expr(ExprKind::kDict, p) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> items;
};

// object.name: Jinja looks up the attribute first, then the item.
struct AttributeExpr : Expr {
  AttributeExpr(SourcePos p, ExprPtr o, std::string n)
      : Expr(ExprKind::kAttribute, p), object(std::move(o)), name(std::move(n)) {}
  ExprPtr object;
  std::string name;
};

// object[index]: the item first, then (for a string index) the attribute.
struct ItemExpr : Expr {
  ItemExpr(SourcePos p, ExprPtr o, ExprPtr i)
      : Expr(ExprKind::kItem, p), object(std::move(o)), index(std::move(i)) {}
  ExprPtr object;
  ExprPtr index;
};

// start:stop:step, only as an ItemExpr index; absent parts are null.
struct SliceExpr : Expr {
  explicit SliceExpr(SourcePos p) : Expr(ExprKind::kSlice, p) {}
  ExprPtr start, stop, step;
};

struct CallExpr : Expr {
  CallExpr(SourcePos p, ExprPtr c) : Expr(ExprKind::kCall, p), callee(std::move(c)) {}
  ExprPtr callee;
  Arguments args;
};

// operand | name(args). In {% filter %} and {% set x | f %} blocks the operand is null and the
// block's output is filtered instead.
struct FilterExpr : Expr {
  FilterExpr(SourcePos p, ExprPtr o, std::string n)
      : Expr(ExprKind::kFilter, p), operand(std::move(o)), name(std::move(n)) {}
  ExprPtr operand;
  std::string name;
  Arguments args;
};

// operand is name(args)
struct TestExpr : Expr {
  TestExpr(SourcePos p, ExprPtr o, std::string n)
      : Expr(ExprKind::kTest, p), operand(std::move(o)), name(std::move(n)) {}
  ExprPtr operand;
  std::string name;
  Arguments args;
};

enum class UnaryOp { kNot, kNeg, kPos };
struct UnaryExpr : Expr {
  UnaryExpr(SourcePos p, UnaryOp o, ExprPtr e)
      : Expr(ExprKind::kUnary, p), op(o), operand(std::move(e)) {}
  UnaryOp op;
  ExprPtr operand;
};

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow, kConcat, kAnd, kOr };
struct BinaryExpr : Expr {
  BinaryExpr(SourcePos p, BinaryOp o, ExprPtr l, ExprPtr r)
      : Expr(ExprKind::kBinary, p), op(o), left(std::move(l)), right(std::move(r)) {}
  BinaryOp op;
  ExprPtr left, right;
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };
// a < b < c compares pairwise and stops at the first false, as Python does.
struct CompareExpr : Expr {
  CompareExpr(SourcePos p, ExprPtr f) : Expr(ExprKind::kCompare, p), first(std::move(f)) {}
  ExprPtr first;
  std::vector<std::pair<CompareOp, ExprPtr>> rest;
};

// then if test else otherwise; without `else` the result is undefined.
struct ConditionExpr : Expr {
  explicit ConditionExpr(SourcePos p) : Expr(ExprKind::kCondition, p) {}
  ExprPtr test, then, otherwise;
};

// ---- statements --------------------------------------------------------------------------

enum class StmtKind {
  kText,
  kPrint,
  kIf,
  kFor,
  kSet,
  kSetBlock,
  kMacro,
  kCallBlock,
  kFilterBlock,
  kWith,
  kBreak,
  kContinue,
  kScope,
};

struct Stmt {
  Stmt(StmtKind k, SourcePos p) : kind(k), pos(p) {}
  virtual ~Stmt() = default;
  StmtKind kind;
  SourcePos pos;
};
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

// Where `for` and `set` store values: a name, a tuple of targets, or namespace.attribute.
struct Target {
  enum class Kind { kName, kTuple, kNamespaceAttribute };
  Kind kind = Kind::kName;
  SourcePos pos;
  std::string name;
  std::string attribute;
  std::vector<Target> items;
};

struct TextStmt : Stmt {
  TextStmt(SourcePos p, std::string t) : Stmt(StmtKind::kText, p), text(std::move(t)) {}
  std::string text;
};

struct PrintStmt : Stmt {
  PrintStmt(SourcePos p, ExprPtr e) : Stmt(StmtKind::kPrint, p), expr(std::move(e)) {}
  ExprPtr expr;
};

struct IfStmt : Stmt {
  explicit IfStmt(SourcePos p) : Stmt(StmtKind::kIf, p) {}
  std::vector<std::pair<ExprPtr, Body>> branches;  // if, then each elif
  Body else_body;
};

struct ForStmt : Stmt {
  explicit ForStmt(SourcePos p) : Stmt(StmtKind::kFor, p) {}
  Target target;
  ExprPtr iterable;
  ExprPtr condition;  // `for x in xs if cond`, may be null
  Body body;
  Body else_body;  // runs when no item passed the condition
  bool recursive = false;
  bool uses_loop = false;  // the body mentions `loop`, so the loop object must be built
};

struct SetStmt : Stmt {
  explicit SetStmt(SourcePos p) : Stmt(StmtKind::kSet, p) {}
  Target target;
  ExprPtr value;
};

// {% set x | filters %}body{% endset %}
struct SetBlockStmt : Stmt {
  explicit SetBlockStmt(SourcePos p) : Stmt(StmtKind::kSetBlock, p) {}
  Target target;
  ExprPtr filter;  // a FilterExpr chain whose innermost operand is null, or null
  Body body;
};

// What a macro and a call block's caller() share: parameters with defaults and a body.
struct MacroDef {
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // for the last defaults.size() params
  Body body;
  bool uses_caller = false;
  bool uses_varargs = false;
  bool uses_kwargs = false;
};

struct MacroStmt : Stmt {
  explicit MacroStmt(SourcePos p) : Stmt(StmtKind::kMacro, p) {}
  MacroDef def;
};

// {% call(params) macro(args) %}body{% endcall %}: body becomes `caller` inside the macro.
struct CallBlockStmt : Stmt {
  explicit CallBlockStmt(SourcePos p) : Stmt(StmtKind::kCallBlock, p) {}
  ExprPtr call;  // a CallExpr
  MacroDef caller;
};

struct FilterBlockStmt : Stmt {
  explicit FilterBlockStmt(SourcePos p) : Stmt(StmtKind::kFilterBlock, p) {}
  ExprPtr filter;  // a FilterExpr chain whose innermost operand is null
  Body body;
};

struct WithStmt : Stmt {
  explicit WithStmt(SourcePos p) : Stmt(StmtKind::kWith, p) {}
  std::vector<Target> targets;
  std::vector<ExprPtr> values;
  Body body;
};

struct BreakStmt : Stmt {
  explicit BreakStmt(SourcePos p) : Stmt(StmtKind::kBreak, p) {}
};

struct ContinueStmt : Stmt {
  explicit ContinueStmt(SourcePos p) : Stmt(StmtKind::kContinue, p) {}
};

// A body rendered in place: transformers' {% generation %} marker.
struct ScopeStmt : Stmt {
  explicit ScopeStmt(SourcePos p) : Stmt(StmtKind::kScope, p) {}
  Body body;
};

}  // namespace rightsize::tokenizer::chat::ast
