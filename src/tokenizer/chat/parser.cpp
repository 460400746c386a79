// Recursive-descent parser following jinja2/parser.py rule for rule, so that precedence and
// corner cases (filters binding tighter than `+`, left-associative `**`, `x is test arg`) match.
#include "tokenizer/chat/parser.h"

#include <algorithm>
#include <unordered_set>

#include "tokenizer/chat/lexer.h"
#include "tokenizer/chat/name_check.h"

namespace rightsize::tokenizer::chat {
namespace {

using namespace ast;

bool is_constant_name(std::string_view n) {
  return n == "true" || n == "false" || n == "True" || n == "False" || n == "none" || n == "None";
}

class Parser {
 public:
  Parser(std::string_view source, std::vector<Token> tokens)
      : source_(source), tokens_(std::move(tokens)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < source_.size(); ++i) {
      if (source_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  Body parse() {
    name_scopes_.emplace_back();
    Body body = subparse({});
    check_filter_and_test_names(body);
    return body;
  }

 private:
  // ---- token stream -----------------------------------------------------------------------

  const Token& current() const { return tokens_[index_]; }
  const Token& look() const { return tokens_[std::min(index_ + 1, tokens_.size() - 1)]; }
  void next() {
    if (index_ + 1 < tokens_.size()) ++index_;
  }
  bool at(TokenType type) const { return current().type == type; }
  bool at_name(std::string_view name) const {
    return at(TokenType::kName) && current().text == name;
  }
  bool at_op(std::string_view op) const { return at(TokenType::kOperator) && current().text == op; }
  bool skip_name(std::string_view name) {
    if (!at_name(name)) return false;
    next();
    return true;
  }
  bool skip_op(std::string_view op) {
    if (!at_op(op)) return false;
    next();
    return true;
  }

  SourcePos pos(const Token& t) const {
    const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), t.offset);
    const size_t line_start = *(it - 1);
    SourcePos p{static_cast<int>(it - line_starts_.begin()), 1};
    for (size_t i = line_start; i < t.offset; i += pystr_char_bytes(i)) ++p.column;
    return p;
  }
  SourcePos pos() const { return pos(current()); }

  size_t pystr_char_bytes(size_t i) const {
    const auto b = static_cast<unsigned char>(source_[i]);
    if (b < 0xC0) return 1;
    return b < 0xE0 ? 2 : (b < 0xF0 ? 3 : 4);
  }

  [[noreturn]] void fail(const std::string& message, const Token& at_token) const {
    throw TemplateSyntaxError(message, pos(at_token));
  }
  [[noreturn]] void fail(const std::string& message) const { fail(message, current()); }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case TokenType::kName:
        return t.text;
      case TokenType::kOperator:
        return t.text;
      case TokenType::kString:
        return "string";
      case TokenType::kInteger:
        return "integer";
      case TokenType::kFloat:
        return "float";
      case TokenType::kData:
        return "template data / text";
      case TokenType::kVariableBegin:
        return "begin of print statement";
      case TokenType::kVariableEnd:
        return "end of print statement";
      case TokenType::kBlockBegin:
        return "begin of statement block";
      case TokenType::kBlockEnd:
        return "end of statement block";
      case TokenType::kEof:
        return "end of template";
    }
    return "token";
  }

  void expect(TokenType type, std::string_view what) {
    if (!at(type)) {
      if (at(TokenType::kEof)) fail_eof_in_tag();
      fail("expected token '" + std::string(what) + "', got '" + describe(current()) + "'");
    }
    next();
  }
  void expect_op(std::string_view op) {
    if (!at_op(op)) {
      if (at(TokenType::kEof)) fail_eof_in_tag();
      fail("expected token '" + std::string(op) + "', got '" + describe(current()) + "'");
    }
    next();
  }
  std::string expect_name() {
    if (!at(TokenType::kName)) {
      if (at(TokenType::kEof)) fail_eof_in_tag();
      fail("expected token 'name', got '" + describe(current()) + "'");
    }
    std::string name = current().text;
    next();
    return name;
  }
  [[noreturn]] void fail_eof_in_tag() const { fail("unexpected end of template"); }

  // ---- nesting bounds ---------------------------------------------------------------------

  template <typename T>
  std::unique_ptr<T> bound(std::unique_ptr<T> node, std::initializer_list<const Expr*> children) {
    int depth = 0;
    for (const Expr* child : children) {
      if (child != nullptr) depth = std::max(depth, child->depth);
    }
    node->depth = depth + 1;
    check_depth(*node);
    return node;
  }

  static void check_depth(const Expr& e) {
    if (e.depth > kMaxExprDepth) {
      throw TemplateSyntaxError(
          "expression nested more than " + std::to_string(kMaxExprDepth) + " levels deep", e.pos);
    }
  }

  int args_depth(const Arguments& args) const {
    int depth = 0;
    for (const auto& e : args.positional) depth = std::max(depth, e->depth);
    for (const auto& [name, e] : args.keyword) depth = std::max(depth, e->depth);
    if (args.star_args) depth = std::max(depth, args.star_args->depth);
    if (args.star_kwargs) depth = std::max(depth, args.star_kwargs->depth);
    return depth;
  }

  // Recursion guard for the rules that call themselves without building a node first.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.recursion_ > kMaxExprDepth) {
        p_.fail("expression nested more than " + std::to_string(kMaxExprDepth) + " levels deep");
      }
    }
    ~DepthGuard() { --p_.recursion_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Parser& p_;
  };

  // ---- statements -------------------------------------------------------------------------

  using EndTags = std::vector<std::string_view>;

  bool at_end_tag(const EndTags& end_tags) const {
    return at(TokenType::kName) &&
           std::find(end_tags.begin(), end_tags.end(), current().text) != end_tags.end();
  }

  // Template data and tags up to a block tag named in end_tags; the stream is left on that
  // name. Stops at the end of the template too (the caller checks).
  Body subparse(const EndTags& end_tags) {
    if (static_cast<int>(end_token_stack_.size()) > kMaxStmtDepth) {
      fail("blocks nested more than " + std::to_string(kMaxStmtDepth) + " levels deep");
    }
    end_token_stack_.push_back(end_tags);
    Body body;
    while (!at(TokenType::kEof)) {
      const Token& t = current();
      if (t.type == TokenType::kData) {
        body.push_back(std::make_unique<TextStmt>(pos(t), t.text));
        next();
      } else if (t.type == TokenType::kVariableBegin) {
        const SourcePos p = pos(t);
        next();
        ExprPtr e = parse_tuple(false, true, {}, false);
        expect(TokenType::kVariableEnd, "end of print statement");
        body.push_back(std::make_unique<PrintStmt>(p, std::move(e)));
      } else if (t.type == TokenType::kBlockBegin) {
        next();
        if (!end_tags.empty() && at_end_tag(end_tags)) {
          end_token_stack_.pop_back();
          return body;
        }
        body.push_back(parse_statement());
        expect(TokenType::kBlockEnd, "end of statement block");
      } else {
        fail("unexpected '" + describe(t) + "'");
      }
    }
    end_token_stack_.pop_back();
    return body;
  }

  Body parse_statements(const EndTags& end_tags, bool drop_needle) {
    skip_op(":");
    expect(TokenType::kBlockEnd, "end of statement block");
    Body body = subparse(end_tags);
    if (at(TokenType::kEof)) fail_unknown_tag("", end_tags);
    if (drop_needle) next();
    return body;
  }

  [[noreturn]] void fail_unknown_tag(const std::string& name, const EndTags& innermost) {
    std::string message =
        name.empty() ? "Unexpected end of template." : "Encountered unknown tag '" + name + "'.";
    std::unordered_set<std::string_view> expected;
    for (const EndTags& tags : end_token_stack_) expected.insert(tags.begin(), tags.end());
    expected.insert(innermost.begin(), innermost.end());
    std::string looking;
    for (std::string_view tag : innermost) {
      if (!looking.empty()) looking += " or ";
      looking += "'" + std::string(tag) + "'";
    }
    if (!looking.empty()) {
      if (!name.empty() && expected.count(name) > 0) {
        message +=
            " You probably made a nesting mistake. Jinja is expecting this tag, but "
            "currently looking for " +
            looking + ".";
      } else {
        message += " Jinja was looking for the following tags: " + looking + ".";
      }
    }
    if (!tag_stack_.empty()) {
      message += " The innermost block that needs to be closed is '" + tag_stack_.back() + "'.";
    }
    fail(message);
  }

  StmtPtr parse_statement() {
    if (!at(TokenType::kName)) {
      if (at(TokenType::kEof)) fail_eof_in_tag();
      fail("tag name expected");
    }
    const std::string tag = current().text;
    tag_stack_.push_back(tag);
    StmtPtr stmt;
    if (tag == "for") {
      stmt = parse_for();
    } else if (tag == "if") {
      stmt = parse_if();
    } else if (tag == "set") {
      stmt = parse_set();
    } else if (tag == "macro") {
      stmt = parse_macro();
    } else if (tag == "call") {
      stmt = parse_call_block();
    } else if (tag == "filter") {
      stmt = parse_filter_block();
    } else if (tag == "with") {
      stmt = parse_with();
    } else if (tag == "print") {
      stmt = parse_print();
    } else if (tag == "generation") {
      stmt = parse_scope("endgeneration");
    } else if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) fail("'" + tag + "' outside of a loop");
      const SourcePos p = pos();
      next();
      if (tag == "break") {
        stmt = std::make_unique<BreakStmt>(p);
      } else {
        stmt = std::make_unique<ContinueStmt>(p);
      }
    } else if (tag == "block" || tag == "extends" || tag == "include" || tag == "import" ||
               tag == "from" || tag == "autoescape") {
      fail("tag '" + tag + "' is not supported in chat templates");
    } else {
      tag_stack_.pop_back();
      fail_unknown_tag(tag, end_token_stack_.empty() ? EndTags{} : end_token_stack_.back());
    }
    tag_stack_.pop_back();
    return stmt;
  }

  // Names a body mentions decide what the interpreter must provide (`loop`, `caller`, ...).
  void push_name_scope() { name_scopes_.emplace_back(); }
  std::unordered_set<std::string> pop_name_scope() {
    std::unordered_set<std::string> names = std::move(name_scopes_.back());
    name_scopes_.pop_back();
    name_scopes_.back().insert(names.begin(), names.end());
    return names;
  }

  StmtPtr parse_for() {
    auto node = std::make_unique<ForStmt>(pos());
    next();
    node->target = parse_target(true, false, {"in"});
    if (!skip_name("in")) {
      fail("expected token 'in', got '" + describe(current()) + "'");
    }
    node->iterable = parse_tuple(false, false, {"recursive"}, false);
    if (skip_name("if")) node->condition = parse_expression(true);
    node->recursive = skip_name("recursive");
    push_name_scope();
    ++loop_depth_;
    node->body = parse_statements({"endfor", "else"}, false);
    --loop_depth_;
    const bool has_else = at_name("else");
    next();
    if (has_else) node->else_body = parse_statements({"endfor"}, true);
    const auto names = pop_name_scope();
    node->uses_loop = names.count("loop") > 0;
    return node;
  }

  StmtPtr parse_if() {
    auto node = std::make_unique<IfStmt>(pos());
    next();
    while (true) {
      ExprPtr test = parse_tuple(false, false, {}, false);
      Body body = parse_statements({"elif", "else", "endif"}, false);
      node->branches.emplace_back(std::move(test), std::move(body));
      const std::string tag = current().text;
      next();
      if (tag == "elif") continue;
      if (tag == "else") node->else_body = parse_statements({"endif"}, true);
      break;
    }
    return node;
  }

  StmtPtr parse_set() {
    const SourcePos p = pos();
    next();
    Target target = parse_target(true, true, {});
    if (skip_op("=")) {
      auto node = std::make_unique<SetStmt>(p);
      node->target = std::move(target);
      node->value = parse_tuple(false, true, {}, false);
      return node;
    }
    auto node = std::make_unique<SetBlockStmt>(p);
    node->target = std::move(target);
    if (at_op("|")) node->filter = parse_filter(nullptr, false);
    node->body = parse_statements({"endset"}, true);
    return node;
  }

  void parse_signature(MacroDef& def) {
    expect_op("(");
    while (!at_op(")")) {
      if (!def.params.empty()) expect_op(",");
      const Token& t = current();
      std::string param = expect_name();
      if (is_constant_name(param)) fail("can't assign to 'const'", t);
      if (skip_op("=")) {
        def.defaults.push_back(parse_expression(true));
      } else if (!def.defaults.empty()) {
        fail("non-default argument follows default argument");
      }
      def.params.push_back(std::move(param));
    }
    expect_op(")");
  }

  // A macro or caller body: its own name scope, and `break` cannot reach an outer loop.
  void parse_macro_body(MacroDef& def, std::string_view end_tag) {
    push_name_scope();
    const int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;
    def.body = parse_statements({end_tag}, true);
    loop_depth_ = saved_loop_depth;
    const auto names = pop_name_scope();
    def.uses_caller = names.count("caller") > 0;
    def.uses_varargs = names.count("varargs") > 0;
    def.uses_kwargs = names.count("kwargs") > 0;
  }

  StmtPtr parse_macro() {
    auto node = std::make_unique<MacroStmt>(pos());
    next();
    const Token& t = current();
    node->def.name = expect_name();
    if (is_constant_name(node->def.name)) fail("can't assign to 'const'", t);
    parse_signature(node->def);
    parse_macro_body(node->def, "endmacro");
    return node;
  }

  StmtPtr parse_call_block() {
    auto node = std::make_unique<CallBlockStmt>(pos());
    next();
    node->caller.name = "caller";
    if (at_op("(")) parse_signature(node->caller);
    const Token& t = current();
    node->call = parse_expression(true);
    if (node->call->kind != ExprKind::kCall) fail("expected call", t);
    parse_macro_body(node->caller, "endcall");
    return node;
  }

  StmtPtr parse_filter_block() {
    auto node = std::make_unique<FilterBlockStmt>(pos());
    next();
    node->filter = parse_filter(nullptr, true);
    node->body = parse_statements({"endfilter"}, true);
    return node;
  }

  StmtPtr parse_with() {
    auto node = std::make_unique<WithStmt>(pos());
    next();
    while (!at(TokenType::kBlockEnd)) {
      if (!node->targets.empty()) expect_op(",");
      node->targets.push_back(parse_target(true, false, {}));
      expect_op("=");
      node->values.push_back(parse_expression(true));
    }
    node->body = parse_statements({"endwith"}, true);
    return node;
  }

  StmtPtr parse_print() {
    auto node = std::make_unique<ScopeStmt>(pos());
    next();
    while (!at(TokenType::kBlockEnd)) {
      if (!node->body.empty()) expect_op(",");
      const SourcePos p = pos();
      node->body.push_back(std::make_unique<PrintStmt>(p, parse_expression(true)));
    }
    return node;
  }

  StmtPtr parse_scope(std::string_view end_tag) {
    auto node = std::make_unique<ScopeStmt>(pos());
    next();
    node->body = parse_statements({end_tag}, true);
    return node;
  }

  // ---- assignment targets -----------------------------------------------------------------

  bool is_tuple_end(const EndTags& extra) const {
    if (at(TokenType::kVariableEnd) || at(TokenType::kBlockEnd) || at_op(")")) return true;
    return at_end_tag(extra);
  }

  Target parse_target_item(bool with_namespace) {
    Target t;
    t.pos = pos();
    if (at(TokenType::kName)) {
      if (is_constant_name(current().text)) fail("can't assign to 'const'");
      t.name = current().text;
      next();
      if (with_namespace && at_op(".")) {
        next();
        t.kind = Target::Kind::kNamespaceAttribute;
        t.attribute = expect_name();
      }
      return t;
    }
    if (skip_op("(")) {
      t = parse_target(true, with_namespace, {});
      expect_op(")");
      return t;
    }
    if (at(TokenType::kEof)) fail_eof_in_tag();
    fail("can't assign to '" + describe(current()) + "'");
  }

  Target parse_target(bool with_tuple, bool with_namespace, const EndTags& extra_end) {
    Target tuple;
    tuple.kind = Target::Kind::kTuple;
    tuple.pos = pos();
    bool is_tuple = false;
    while (true) {
      if (!tuple.items.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      tuple.items.push_back(parse_target_item(with_namespace));
      if (with_tuple && at_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (tuple.items.empty()) {
        fail("Expected an expression, got '" + describe(current()) + "'");
      }
      return std::move(tuple.items[0]);
    }
    for (const Target& item : tuple.items) {
      if (item.kind == Target::Kind::kNamespaceAttribute) {
        fail("can't assign to a namespace attribute inside a tuple");
      }
    }
    return tuple;
  }

  // ---- expressions ------------------------------------------------------------------------

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(*this);
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  ExprPtr parse_tuple(bool /*simplified*/, bool with_condexpr, const EndTags& extra_end,
                      bool explicit_parentheses) {
    const SourcePos p = pos();
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      items.push_back(parse_expression(with_condexpr));
      if (at_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parentheses) {
        if (at(TokenType::kEof)) fail_eof_in_tag();
        fail("Expected an expression, got '" + describe(current()) + "'");
      }
    }
    auto node = std::make_unique<ListExpr>(p, true);
    int depth = 0;
    for (const auto& item : items) depth = std::max(depth, item->depth);
    node->items = std::move(items);
    node->depth = depth + 1;
    return node;
  }

  ExprPtr parse_condexpr() {
    ExprPtr expr = parse_or();
    while (at_name("if")) {
      const SourcePos p = pos();
      next();
      auto node = std::make_unique<ConditionExpr>(p);
      node->test = parse_or();
      if (skip_name("else")) {
        DepthGuard guard(*this);
        node->otherwise = parse_condexpr();
      }
      node->then = std::move(expr);
      const Expr* a = node->test.get();
      const Expr* b = node->then.get();
      const Expr* c = node->otherwise.get();
      expr = bound(std::move(node), {a, b, c});
    }
    return expr;
  }

  ExprPtr binary(BinaryOp op, SourcePos p, ExprPtr left, ExprPtr right) {
    const Expr* l = left.get();
    const Expr* r = right.get();
    return bound(std::make_unique<BinaryExpr>(p, op, std::move(left), std::move(right)), {l, r});
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (at_name("or")) {
      const SourcePos p = pos();
      next();
      left = binary(BinaryOp::kOr, p, std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (at_name("and")) {
      const SourcePos p = pos();
      next();
      left = binary(BinaryOp::kAnd, p, std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (at_name("not")) {
      const SourcePos p = pos();
      next();
      DepthGuard guard(*this);
      ExprPtr operand = parse_not();
      const Expr* o = operand.get();
      return bound(std::make_unique<UnaryExpr>(p, UnaryOp::kNot, std::move(operand)), {o});
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const SourcePos p = pos();
    ExprPtr first = parse_math1();
    std::unique_ptr<CompareExpr> node;
    int depth = first->depth;
    while (true) {
      CompareOp op;
      if (at_op("==")) {
        op = CompareOp::kEq;
      } else if (at_op("!=")) {
        op = CompareOp::kNe;
      } else if (at_op("<")) {
        op = CompareOp::kLt;
      } else if (at_op("<=")) {
        op = CompareOp::kLe;
      } else if (at_op(">")) {
        op = CompareOp::kGt;
      } else if (at_op(">=")) {
        op = CompareOp::kGe;
      } else if (at_name("in")) {
        op = CompareOp::kIn;
      } else if (at_name("not") && look().type == TokenType::kName && look().text == "in") {
        next();
        op = CompareOp::kNotIn;
      } else {
        break;
      }
      next();
      if (!node) node = std::make_unique<CompareExpr>(p, std::move(first));
      ExprPtr operand = parse_math1();
      depth = std::max(depth, operand->depth);
      node->rest.emplace_back(op, std::move(operand));
    }
    if (!node) return first;
    node->depth = depth + 1;
    check_depth(*node);
    return node;
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (at_op("+") || at_op("-")) {
      const BinaryOp op = current().text == "+" ? BinaryOp::kAdd : BinaryOp::kSub;
      const SourcePos p = pos();
      next();
      left = binary(op, p, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (at_op("~")) {
      const SourcePos p = pos();
      next();
      left = binary(BinaryOp::kConcat, p, std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (at_op("*") || at_op("/") || at_op("//") || at_op("%")) {
      const std::string& t = current().text;
      const BinaryOp op = t == "*"    ? BinaryOp::kMul
                          : t == "/"  ? BinaryOp::kDiv
                          : t == "//" ? BinaryOp::kFloorDiv
                                      : BinaryOp::kMod;
      const SourcePos p = pos();
      next();
      left = binary(op, p, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (at_op("**")) {
      const SourcePos p = pos();
      next();
      left = binary(BinaryOp::kPow, p, std::move(left), parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr node;
    if (at_op("-") || at_op("+")) {
      const UnaryOp op = current().text == "-" ? UnaryOp::kNeg : UnaryOp::kPos;
      const SourcePos p = pos();
      next();
      ExprPtr operand = parse_unary(false);
      const Expr* o = operand.get();
      node = bound(std::make_unique<UnaryExpr>(p, op, std::move(operand)), {o});
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& t = current();
    const SourcePos p = pos(t);
    switch (t.type) {
      case TokenType::kName: {
        const std::string name = t.text;
        next();
        if (name == "true" || name == "True") return std::make_unique<LiteralExpr>(p, Value(true));
        if (name == "false" || name == "False") {
          return std::make_unique<LiteralExpr>(p, Value(false));
        }
        if (name == "none" || name == "None")
          return std::make_unique<LiteralExpr>(p, Value::none());
        name_scopes_.back().insert(name);
        return std::make_unique<NameExpr>(p, name);
      }
      case TokenType::kString: {
        std::string text;
        while (at(TokenType::kString)) {  // adjacent literals concatenate, as in Python
          text += current().text;
          next();
        }
        return std::make_unique<LiteralExpr>(p, Value(std::move(text)));
      }
      case TokenType::kInteger: {
        const int64_t v = t.int_value;
        next();
        return std::make_unique<LiteralExpr>(p, Value(v));
      }
      case TokenType::kFloat: {
        const double v = t.float_value;
        next();
        return std::make_unique<LiteralExpr>(p, Value(v));
      }
      case TokenType::kOperator:
        if (t.text == "(") {
          next();
          ExprPtr e = parse_tuple(false, true, {}, true);
          expect_op(")");
          return e;
        }
        if (t.text == "[") return parse_list();
        if (t.text == "{") return parse_dict();
        break;
      case TokenType::kEof:
        fail_eof_in_tag();
      default:
        break;
    }
    fail("unexpected '" + describe(t) + "'");
  }

  ExprPtr parse_list() {
    auto node = std::make_unique<ListExpr>(pos(), false);
    next();
    int depth = 0;
    while (!at_op("]")) {
      if (!node->items.empty()) expect_op(",");
      if (at_op("]")) break;
      node->items.push_back(parse_expression(true));
      depth = std::max(depth, node->items.back()->depth);
    }
    expect_op("]");
    node->depth = depth + 1;
    return node;
  }

  ExprPtr parse_dict() {
    auto node = std::make_unique<DictExpr>(pos());
    next();
    int depth = 0;
    while (!at_op("}")) {
      if (!node->items.empty()) expect_op(",");
      if (at_op("}")) break;
      ExprPtr key = parse_expression(true);
      expect_op(":");
      ExprPtr value = parse_expression(true);
      depth = std::max({depth, key->depth, value->depth});
      node->items.emplace_back(std::move(key), std::move(value));
    }
    expect_op("}");
    node->depth = depth + 1;
    return node;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (at_op(".") || at_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (at_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (at_op("|")) {
        node = parse_filter(std::move(node), false);
      } else if (at_name("is")) {
        node = parse_test(std::move(node));
      } else if (at_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const Token& t = current();
    const SourcePos p = pos(t);
    const Expr* object = node.get();
    if (t.text == ".") {
      next();
      const Token& attr = current();
      if (attr.type == TokenType::kName) {
        std::string name = attr.text;
        next();
        return bound(std::make_unique<AttributeExpr>(p, std::move(node), std::move(name)),
                     {object});
      }
      if (attr.type != TokenType::kInteger) fail("expected name or number", attr);
      auto index = std::make_unique<LiteralExpr>(pos(attr), Value(attr.int_value));
      next();
      return bound(std::make_unique<ItemExpr>(p, std::move(node), std::move(index)), {object});
    }
    next();  // [
    std::vector<ExprPtr> args;
    while (!at_op("]")) {
      if (!args.empty()) expect_op(",");
      args.push_back(parse_subscribed());
    }
    expect_op("]");
    ExprPtr index;
    if (args.size() == 1) {
      index = std::move(args[0]);
    } else {
      auto tuple = std::make_unique<ListExpr>(p, true);
      for (auto& a : args) tuple->depth = std::max(tuple->depth, a->depth + 1);
      tuple->items = std::move(args);
      index = std::move(tuple);
    }
    const Expr* i = index.get();
    return bound(std::make_unique<ItemExpr>(p, std::move(node), std::move(index)), {object, i});
  }

  ExprPtr parse_subscribed() {
    const SourcePos p = pos();
    ExprPtr start;
    if (!at_op(":")) {
      ExprPtr e = parse_expression(true);
      if (!at_op(":")) return e;
      start = std::move(e);
    }
    next();  // :
    auto slice = std::make_unique<SliceExpr>(p);
    slice->start = std::move(start);
    if (!at_op(":") && !at_op("]") && !at_op(",")) slice->stop = parse_expression(true);
    if (skip_op(":")) {
      if (!at_op("]") && !at_op(",")) slice->step = parse_expression(true);
    }
    const Expr* a = slice->start.get();
    const Expr* b = slice->stop.get();
    const Expr* c = slice->step.get();
    return bound(std::move(slice), {a, b, c});
  }

  void parse_call_args(Arguments& args) {
    const Token& open = current();
    expect_op("(");
    bool require_comma = false;
    auto ensure = [&](bool ok) {
      if (!ok) fail("invalid syntax for function call expression", open);
    };
    while (!at_op(")")) {
      if (require_comma) {
        expect_op(",");
        if (at_op(")")) break;  // trailing comma
      }
      if (at_op("*")) {
        ensure(!args.star_args && !args.star_kwargs);
        next();
        args.star_args = parse_expression(true);
      } else if (at_op("**")) {
        ensure(!args.star_kwargs);
        next();
        args.star_kwargs = parse_expression(true);
      } else if (at(TokenType::kName) && look().type == TokenType::kOperator &&
                 look().text == "=") {
        ensure(!args.star_kwargs);
        std::string key = current().text;
        next();
        next();
        args.keyword.emplace_back(std::move(key), parse_expression(true));
      } else {
        ensure(!args.star_args && !args.star_kwargs && args.keyword.empty());
        args.positional.push_back(parse_expression(true));
      }
      require_comma = true;
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto node = std::make_unique<CallExpr>(pos(), std::move(callee));
    parse_call_args(node->args);
    node->depth = 1 + std::max(node->callee->depth, args_depth(node->args));
    check_depth(*node);
    return node;
  }

  std::string parse_dotted_name() {
    std::string name = expect_name();
    while (skip_op(".")) name += "." + expect_name();
    return name;
  }

  ExprPtr parse_filter(ExprPtr node, bool start_inline) {
    while (at_op("|") || start_inline) {
      if (!start_inline) next();
      const SourcePos p = pos();
      std::string name = parse_dotted_name();
      auto filter = std::make_unique<FilterExpr>(p, std::move(node), std::move(name));
      if (at_op("(")) parse_call_args(filter->args);
      filter->depth =
          1 + std::max(filter->operand ? filter->operand->depth : 0, args_depth(filter->args));
      check_depth(*filter);
      node = std::move(filter);
      start_inline = false;
    }
    return node;
  }

  ExprPtr parse_test(ExprPtr node) {
    const SourcePos p = pos();
    next();  // is
    const bool negated = skip_name("not");
    std::string name = parse_dotted_name();
    auto test = std::make_unique<TestExpr>(p, std::move(node), std::move(name));
    const Token& t = current();
    if (at_op("(")) {
      parse_call_args(test->args);
    } else if ((t.type == TokenType::kName || t.type == TokenType::kString ||
                t.type == TokenType::kInteger || t.type == TokenType::kFloat || at_op("(") ||
                at_op("[") || at_op("{")) &&
               !at_name("else") && !at_name("or") && !at_name("and")) {
      if (at_name("is")) fail("You cannot chain multiple tests with is");
      ExprPtr arg = parse_postfix(parse_primary());
      test->args.positional.push_back(std::move(arg));
    }
    test->depth = 1 + std::max(test->operand->depth, args_depth(test->args));
    check_depth(*test);
    if (!negated) return test;
    const Expr* inner = test.get();
    return bound(std::make_unique<UnaryExpr>(p, UnaryOp::kNot, std::move(test)), {inner});
  }

  std::string_view source_;
  std::vector<Token> tokens_;
  size_t index_ = 0;
  std::vector<size_t> line_starts_;
  std::vector<EndTags> end_token_stack_;
  std::vector<std::string> tag_stack_;
  std::vector<std::unordered_set<std::string>> name_scopes_;
  int loop_depth_ = 0;
  int recursion_ = 0;
};

}  // namespace

ast::Body parse_template(std::string_view source) {
  return Parser(source, tokenize(source)).parse();
}

}  // namespace rightsize::tokenizer::chat
