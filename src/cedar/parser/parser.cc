// Recursive-descent parser for Cedar policies, templates and expressions.
//
// Follows the grammar in the Cedar reference (docs: policies/syntax-grammar) and the
// parse-time errors Cedar reports. Parse failures unwind with an internal exception that never
// leaves this file; the public functions return Result.

#include <charconv>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "cedar/policy.h"
#include "cedar/stack_guard.h"
#include "cedar/syntax/lexer.h"

namespace cedar {
namespace {

struct ParseFailure {
  Error error;
};

bool IsReserved(std::string_view w) {
  return w == "true" || w == "false" || w == "if" || w == "then" || w == "else" || w == "in" ||
         w == "like" || w == "has" || w == "is" || w == "__cedar";
}

bool IsVarName(std::string_view w) {
  return w == "principal" || w == "action" || w == "resource" || w == "context";
}

bool IsActionType(std::string_view type) {
  return type == "Action" || (type.size() > 8 && type.substr(type.size() - 8) == "::Action");
}

class Parser {
 public:
  Parser(std::string_view src, const TokenStream& ts) : src_(src), toks_(ts.tokens) {}

  bool AtEnd() const { return Peek().kind == Tok::kEof; }

  std::shared_ptr<PolicyAst> ParsePolicy(std::shared_ptr<const std::string> source) {
    auto ast = std::make_shared<PolicyAst>();
    ast->source = std::move(source);
    arena_ = &ast->arena;
    uint32_t begin = Peek().begin;
    ParseAnnotations(*ast);
    const Token& eff = Peek();
    if (IsWord(eff, "permit")) {
      ast->effect = Effect::kPermit;
    } else if (IsWord(eff, "forbid")) {
      ast->effect = Effect::kForbid;
    } else {
      Fail(eff.begin, "expected `permit` or `forbid`, found " + Describe(eff));
    }
    ++pos_;
    Expect(Tok::kLParen, "`(` after the effect");
    ParseEntityScope(ast->principal, "principal", SlotId::kPrincipal);
    Expect(Tok::kComma, "`,` after the principal");
    ParseActionScope(ast->action);
    Expect(Tok::kComma, "`,` after the action");
    ParseEntityScope(ast->resource, "resource", SlotId::kResource);
    if (Peek().kind == Tok::kComma) ++pos_;
    Expect(Tok::kRParen, "`)` to close the scope");
    while (IsWord(Peek(), "when") || IsWord(Peek(), "unless")) {
      Condition cond;
      const Token& kw = Next();
      cond.is_when = Text(kw) == "when";
      Expect(Tok::kLBrace, "`{` after `when` or `unless`");
      if (Peek().kind == Tok::kRBrace) {
        Fail(kw.begin, "`" + std::string(Text(kw)) + "` condition clause cannot be empty");
      }
      cond.expr = CheckedDepth(ParseExpr());
      const Token& close = Expect(Tok::kRBrace, "`}` to close the condition");
      cond.span = {kw.begin, close.end};
      ast->conditions.push_back(cond);
    }
    const Token& semi = Peek();
    if (semi.kind != Tok::kSemi) {
      if (semi.kind == Tok::kIdent) {
        Fail(semi.begin,
             "expected `when`, `unless` or `;`, found `" + std::string(Text(semi)) + "`");
      }
      Fail(semi.begin, "expected `;` at the end of the policy, found " + Describe(semi));
    }
    ++pos_;
    ast->span = {begin, semi.end};
    return ast;
  }

  const Expr* ParseStandaloneExpr(Arena& arena) {
    arena_ = &arena;
    const Expr* e = CheckedDepth(ParseExpr());
    if (!AtEnd()) Fail(Peek().begin, "unexpected " + Describe(Peek()) + " after the expression");
    return e;
  }

  const EntityUID* ParseStandaloneEntity(Arena& arena) {
    arena_ = &arena;
    const EntityUID* uid = ParseEntityRef();
    if (!AtEnd()) Fail(Peek().begin, "unexpected " + Describe(Peek()) + " after the entity");
    return uid;
  }

  std::string ParseStandaloneName() {
    std::string name = ParsePathText(true);
    if (!AtEnd()) Fail(Peek().begin, "unexpected " + Describe(Peek()) + " after the name");
    return name;
  }

 private:
  // ---- token helpers ----
  const Token& Peek(size_t k = 0) const {
    size_t i = pos_ + k;
    return i < toks_.size() ? toks_[i] : toks_.back();
  }
  const Token& Next() {
    const Token& t = Peek();
    if (t.kind != Tok::kEof) ++pos_;
    return t;
  }
  std::string_view Text(const Token& t) const { return src_.substr(t.begin, t.end - t.begin); }
  bool IsWord(const Token& t, std::string_view w) const {
    return t.kind == Tok::kIdent && Text(t) == w;
  }
  std::string Describe(const Token& t) const {
    if (t.kind == Tok::kEof) return "end of input";
    return "`" + std::string(Text(t)) + "`";
  }
  [[noreturn]] void Fail(uint32_t offset, std::string message) const {
    throw ParseFailure{MakeError(ErrorCode::kParse, std::move(message), PositionOf(src_, offset))};
  }
  const Token& Expect(Tok kind, const char* what) {
    const Token& t = Peek();
    if (t.kind != kind) Fail(t.begin, std::string("expected ") + what + ", found " + Describe(t));
    return Next();
  }

  Expr* NewExpr(ExprKind kind, uint32_t begin, uint32_t end) {
    Expr* e = arena_->New<Expr>();
    e->kind = kind;
    e->span = {begin, end};
    return e;
  }
  uint32_t PrevEnd() const { return pos_ > 0 ? toks_[pos_ - 1].end : 0; }

  std::string Unescape(const Token& t) const {
    auto r = UnescapeString(Text(t).substr(1, t.end - t.begin - 2), t.begin + 1, src_);
    if (!r.ok()) throw ParseFailure{r.take_error()};
    return std::move(r).value();
  }

  // An identifier that may not be a reserved word.
  std::string_view ExpectIdent(const char* what) {
    const Token& t = Peek();
    if (t.kind != Tok::kIdent)
      Fail(t.begin, std::string("expected ") + what + ", found " + Describe(t));
    std::string_view w = Text(t);
    if (IsReserved(w))
      Fail(t.begin, "this identifier is reserved and cannot be used: " + std::string(w));
    ++pos_;
    return w;
  }

  // ---- annotations and scope ----
  void ParseAnnotations(PolicyAst& ast) {
    while (Peek().kind == Tok::kAt) {
      const Token& at = Next();
      const Token& key = Peek();
      if (key.kind != Tok::kIdent)
        Fail(key.begin, "expected an annotation name after `@`, found " + Describe(key));
      ++pos_;
      Annotation a;
      a.key = arena_->CopyString(Text(key));
      if (Peek().kind == Tok::kLParen) {
        ++pos_;
        const Token& val = Expect(Tok::kString, "a string literal as the annotation value");
        a.value = arena_->CopyString(Unescape(val));
        a.has_value = true;
        Expect(Tok::kRParen, "`)` after the annotation value");
      }
      for (const auto& other : ast.annotations) {
        if (other.key == a.key) Fail(at.begin, "duplicate annotation: @" + std::string(a.key));
      }
      ast.annotations.push_back(a);
    }
  }

  void ParseEntityScope(EntityScope& scope, const char* var, SlotId slot) {
    const Token& kw = Peek();
    if (!IsWord(kw, var))
      Fail(kw.begin, std::string("expected `") + var + "`, found " + Describe(kw));
    ++pos_;
    scope.span.begin = kw.begin;
    const Token& op = Peek();
    if (op.kind == Tok::kEqEq) {
      ++pos_;
      scope.op = EntityScope::kEq;
      ParseScopeTarget(scope, slot);
    } else if (IsWord(op, "is")) {
      ++pos_;
      scope.op = EntityScope::kIs;
      scope.entity_type = arena_->CopyString(ParsePathText(false));
      if (IsWord(Peek(), "in")) {
        ++pos_;
        scope.op = EntityScope::kIsIn;
        ParseScopeTarget(scope, slot);
      }
    } else if (IsWord(op, "in")) {
      ++pos_;
      scope.op = EntityScope::kIn;
      ParseScopeTarget(scope, slot);
    }
    scope.span.end = PrevEnd();
  }

  void ParseScopeTarget(EntityScope& scope, SlotId slot) {
    const Token& t = Peek();
    if (t.kind == Tok::kQuestion) {
      ++pos_;
      const Token& name = Peek();
      std::string_view want = slot == SlotId::kPrincipal ? "principal" : "resource";
      if (name.kind != Tok::kIdent || (Text(name) != "principal" && Text(name) != "resource")) {
        Fail(t.begin, "expected a template slot `?principal` or `?resource`");
      }
      if (Text(name) != want) {
        Fail(t.begin, "expected an entity uid or matching template slot, found ?" +
                          std::string(Text(name)) + " instead of ?" + std::string(want));
      }
      ++pos_;
      scope.slot = true;
      return;
    }
    if (t.kind == Tok::kLBracket) {
      Fail(t.begin, "expected single entity uid or template slot, found set of entity uids");
    }
    scope.uid = ParseEntityRef();
  }

  void ParseActionScope(ActionScope& scope) {
    const Token& kw = Peek();
    if (!IsWord(kw, "action")) Fail(kw.begin, "expected `action`, found " + Describe(kw));
    ++pos_;
    scope.span.begin = kw.begin;
    const Token& op = Peek();
    std::vector<const EntityUID*> uids;
    if (op.kind == Tok::kEqEq) {
      ++pos_;
      scope.op = ActionScope::kEq;
      if (Peek().kind == Tok::kQuestion)
        Fail(Peek().begin, "template slots are not allowed in the action scope");
      uids.push_back(ParseActionRef());
    } else if (IsWord(op, "in")) {
      ++pos_;
      if (Peek().kind == Tok::kLBracket) {
        ++pos_;
        scope.op = ActionScope::kInSet;
        while (Peek().kind != Tok::kRBracket) {
          uids.push_back(ParseActionRef());
          if (Peek().kind != Tok::kComma) break;
          ++pos_;
        }
        Expect(Tok::kRBracket, "`]` to close the list of actions");
      } else {
        scope.op = ActionScope::kIn;
        if (Peek().kind == Tok::kQuestion)
          Fail(Peek().begin, "template slots are not allowed in the action scope");
        uids.push_back(ParseActionRef());
      }
    } else if (IsWord(op, "is")) {
      Fail(op.begin, "`is` cannot appear in the action scope");
    }
    if (!uids.empty()) {
      auto** arr = static_cast<const EntityUID**>(
          arena_->Allocate(sizeof(const EntityUID*) * uids.size(), alignof(const EntityUID*)));
      std::copy(uids.begin(), uids.end(), arr);
      scope.uids = {arr, uids.size()};
    }
    scope.span.end = PrevEnd();
  }

  const EntityUID* ParseActionRef() {
    uint32_t begin = Peek().begin;
    const EntityUID* uid = ParseEntityRef();
    if (!IsActionType(uid->type)) {
      Fail(begin, "expected an entity uid with type `Action` but got `" + uid->ToString() + "`");
    }
    return uid;
  }

  // Path '::' STR
  const EntityUID* ParseEntityRef() {
    uint32_t begin = Peek().begin;
    std::string type;
    while (true) {
      const Token& t = Peek();
      if (t.kind != Tok::kIdent)
        Fail(t.begin, "expected an entity uid such as `User::\"alice\"`, found " + Describe(t));
      std::string_view w = Text(t);
      if (IsReserved(w) && w != "__cedar")
        Fail(t.begin, "this identifier is reserved and cannot be used: " + std::string(w));
      ++pos_;
      if (!type.empty()) type += "::";
      type += w;
      Expect(Tok::kColonColon, "`::` in an entity uid");
      if (Peek().kind == Tok::kString) break;
    }
    CheckNotCedarNamespace(type, begin);
    const Token& id = Next();
    return EntityUID::Make(*arena_, type, Unescape(id));
  }

  void CheckNotCedarNamespace(const std::string& name, uint32_t at) const {
    size_t p = 0;
    while (p <= name.size()) {
      size_t e = name.find("::", p);
      if (e == std::string::npos) e = name.size();
      if (name.compare(p, e - p, "__cedar") == 0) {
        Fail(at, "The name `" + name + "` contains `__cedar`, which is reserved");
      }
      p = e + 2;
    }
  }

  // IDENT {'::' IDENT}; with `whole`, stops only at the end (standalone names).
  std::string ParsePathText(bool whole) {
    uint32_t begin = Peek().begin;
    std::string name(ExpectIdentAllowCedar("a type name"));
    while (Peek().kind == Tok::kColonColon && Peek(1).kind == Tok::kIdent) {
      pos_ += 1;
      name += "::";
      name += ExpectIdentAllowCedar("a name after `::`");
    }
    (void)whole;
    CheckNotCedarNamespace(name, begin);
    return name;
  }

  std::string_view ExpectIdentAllowCedar(const char* what) {
    const Token& t = Peek();
    if (t.kind != Tok::kIdent)
      Fail(t.begin, std::string("expected ") + what + ", found " + Describe(t));
    std::string_view w = Text(t);
    if (IsReserved(w) && w != "__cedar") {
      Fail(t.begin, "this identifier is reserved and cannot be used: " + std::string(w));
    }
    ++pos_;
    return w;
  }

  // ---- expressions ----
  // Every nested expression goes through here, so this bounds the parser's recursion.
  const Expr* ParseExpr() {
    if (++depth_ > kMaxNesting || stack_.Exhausted()) {
      Fail(Peek().begin,
           "expression nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)");
    }
    const Expr* e = ParseExprAt();
    --depth_;
    return e;
  }

  const Expr* ParseExprAt() {
    const Token& t = Peek();
    if (IsWord(t, "if")) {
      ++pos_;
      const Expr* c = ParseExpr();
      if (!IsWord(Peek(), "then")) Fail(Peek().begin, "expected `then`, found " + Describe(Peek()));
      ++pos_;
      const Expr* a = ParseExpr();
      if (!IsWord(Peek(), "else")) Fail(Peek().begin, "expected `else`, found " + Describe(Peek()));
      ++pos_;
      const Expr* b = ParseExpr();
      Expr* e = NewExpr(ExprKind::kIf, t.begin, b->span.end);
      e->a = c;
      e->b = a;
      e->c = b;
      return e;
    }
    return ParseOr();
  }

  const Expr* ParseOr() {
    const Expr* lhs = ParseAnd();
    while (Peek().kind == Tok::kOr) {
      ++pos_;
      const Expr* rhs = ParseAnd();
      Expr* e = NewExpr(ExprKind::kOr, lhs->span.begin, rhs->span.end);
      e->a = lhs;
      e->b = rhs;
      lhs = e;
    }
    return lhs;
  }

  const Expr* ParseAnd() {
    const Expr* lhs = ParseRelation();
    while (Peek().kind == Tok::kAnd) {
      ++pos_;
      const Expr* rhs = ParseRelation();
      Expr* e = NewExpr(ExprKind::kAnd, lhs->span.begin, rhs->span.end);
      e->a = lhs;
      e->b = rhs;
      lhs = e;
    }
    return lhs;
  }

  bool AtRelOp() const {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kEqEq:
      case Tok::kNe:
      case Tok::kLt:
      case Tok::kLe:
      case Tok::kGt:
      case Tok::kGe:
        return true;
      case Tok::kIdent: {
        std::string_view w = Text(t);
        return w == "in" || w == "has" || w == "like" || w == "is";
      }
      default:
        return false;
    }
  }

  const Expr* ParseRelation() {
    const Expr* lhs = ParseAdd();
    const Token& t = Peek();
    const Expr* result = lhs;
    if (IsWord(t, "has")) {
      ++pos_;
      result = ParseHas(lhs);
      if (AtRelOp()) Fail(Peek().begin, "unexpected token " + Describe(Peek()));
      return result;
    }
    if (IsWord(t, "like")) {
      ++pos_;
      const Token& pat = Peek();
      if (pat.kind != Tok::kString)
        Fail(pat.begin, "expected a string literal pattern after `like`, found " + Describe(pat));
      ++pos_;
      auto pieces =
          UnescapePattern(Text(pat).substr(1, pat.end - pat.begin - 2), pat.begin + 1, src_);
      if (!pieces.ok()) throw ParseFailure{pieces.take_error()};
      auto* elems = arena_->NewArray<PatternElem>(pieces->size());
      for (size_t i = 0; i < pieces->size(); ++i) {
        elems[i].wildcard = (*pieces)[i].wildcard;
        elems[i].literal = arena_->CopyString((*pieces)[i].literal);
      }
      Expr* e = NewExpr(ExprKind::kLike, lhs->span.begin, pat.end);
      e->a = lhs;
      e->pattern = {elems, pieces->size()};
      if (AtRelOp()) Fail(Peek().begin, "unexpected token " + Describe(Peek()));
      return e;
    }
    if (IsWord(t, "is")) {
      ++pos_;
      std::string type = ParsePathText(false);
      Expr* e = NewExpr(ExprKind::kIs, lhs->span.begin, PrevEnd());
      e->a = lhs;
      e->name = arena_->CopyString(type);
      if (IsWord(Peek(), "in")) {
        ++pos_;
        e->b = ParseAdd();
        e->span.end = e->b->span.end;
      }
      if (AtRelOp()) Fail(Peek().begin, "unexpected token " + Describe(Peek()));
      return e;
    }
    BinaryOp op;
    switch (t.kind) {
      case Tok::kEqEq:
        op = BinaryOp::kEq;
        break;
      case Tok::kNe:
        op = BinaryOp::kNe;
        break;
      case Tok::kLt:
        op = BinaryOp::kLt;
        break;
      case Tok::kLe:
        op = BinaryOp::kLe;
        break;
      case Tok::kGt:
        op = BinaryOp::kGt;
        break;
      case Tok::kGe:
        op = BinaryOp::kGe;
        break;
      default:
        if (IsWord(t, "in")) {
          op = BinaryOp::kIn;
          break;
        }
        return result;
    }
    ++pos_;
    const Expr* rhs = ParseAdd();
    Expr* e = NewExpr(ExprKind::kBinary, lhs->span.begin, rhs->span.end);
    e->binary_op = op;
    e->a = lhs;
    e->b = rhs;
    if (AtRelOp()) {
      Fail(Peek().begin,
           "multiple relational operators (>, ==, in, etc.) must be used with parentheses to "
           "make ordering explicit");
    }
    return e;
  }

  const Expr* ParseHas(const Expr* lhs) {
    const Token& t = Peek();
    std::vector<std::string_view> path;
    bool quoted = false;
    if (t.kind == Tok::kString) {
      ++pos_;
      path.push_back(arena_->CopyString(Unescape(t)));
      quoted = true;
    } else {
      path.push_back(arena_->CopyString(ExpectIdent("an attribute name after `has`")));
      while (Peek().kind == Tok::kDot) {
        ++pos_;
        path.push_back(arena_->CopyString(ExpectIdent("an attribute name after `.`")));
      }
    }
    Expr* e = NewExpr(ExprKind::kHasAttr, lhs->span.begin, PrevEnd());
    e->a = lhs;
    e->bracket_or_quoted = quoted;
    e->path = arena_->CopyArray<std::string_view>(path);
    return e;
  }

  const Expr* ParseAdd() {
    const Expr* lhs = ParseMult();
    while (Peek().kind == Tok::kPlus || Peek().kind == Tok::kMinus) {
      BinaryOp op = Next().kind == Tok::kPlus ? BinaryOp::kAdd : BinaryOp::kSub;
      const Expr* rhs = ParseMult();
      Expr* e = NewExpr(ExprKind::kBinary, lhs->span.begin, rhs->span.end);
      e->binary_op = op;
      e->a = lhs;
      e->b = rhs;
      lhs = e;
    }
    return lhs;
  }

  const Expr* ParseMult() {
    const Expr* lhs = ParseUnary();
    while (true) {
      const Token& t = Peek();
      if (t.kind == Tok::kSlash) Fail(t.begin, "division is not supported");
      if (t.kind == Tok::kPercent) Fail(t.begin, "remainder/modulo is not supported");
      if (t.kind != Tok::kStar) break;
      ++pos_;
      const Expr* rhs = ParseUnary();
      Expr* e = NewExpr(ExprKind::kBinary, lhs->span.begin, rhs->span.end);
      e->binary_op = BinaryOp::kMul;
      e->a = lhs;
      e->b = rhs;
      lhs = e;
    }
    return lhs;
  }

  const Expr* ParseUnary() {
    const Token& first = Peek();
    if (first.kind != Tok::kBang && first.kind != Tok::kMinus) return ParseMember();
    Tok op = first.kind;
    size_t count = 0;
    while (Peek().kind == op) {
      ++pos_;
      ++count;
    }
    if (count > 4)
      Fail(first.begin,
           std::string("too many occurrences of `") + (op == Tok::kBang ? "!" : "-") + "`");
    if (Peek().kind == Tok::kBang || Peek().kind == Tok::kMinus) {
      Fail(Peek().begin, "unexpected token " + Describe(Peek()));
    }
    const Expr* operand;
    if (op == Tok::kMinus && Peek().kind == Tok::kInt && !StartsAccess(Peek(1))) {
      // `-N` is a literal, which is how i64::MIN is written.
      const Token& num = Next();
      uint64_t mag = ParseMagnitude(num);
      if (mag > uint64_t{1} << 63)
        Fail(num.begin, "integer literal `-" + std::string(Text(num)) + "` is too large");
      Expr* lit = NewExpr(ExprKind::kLiteral, toks_[pos_ - 2].begin, num.end);
      lit->lit = Value::Long(mag == uint64_t{1} << 63 ? std::numeric_limits<int64_t>::min()
                                                      : -static_cast<int64_t>(mag));
      operand = lit;
      --count;
    } else {
      operand = ParseMember();
    }
    const Expr* e = operand;
    for (size_t i = 0; i < count; ++i) {
      Expr* u =
          NewExpr(ExprKind::kUnary, static_cast<uint32_t>(toks_[pos_ - 1].begin), e->span.end);
      u->span.begin = first.begin;
      u->unary_op = op == Tok::kBang ? UnaryOp::kNot : UnaryOp::kNeg;
      u->a = e;
      e = u;
    }
    return e;
  }

  static bool StartsAccess(const Token& t) {
    return t.kind == Tok::kDot || t.kind == Tok::kLBracket;
  }

  uint64_t ParseMagnitude(const Token& num) const {
    std::string_view digits = Text(num);
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || p != digits.data() + digits.size()) {
      Fail(num.begin, "integer literal `" + std::string(digits) + "` is too large");
    }
    return v;
  }

  const Expr* ParseMember() {
    const Expr* e = ParsePrimary();
    while (true) {
      const Token& t = Peek();
      if (t.kind == Tok::kDot) {
        ++pos_;
        const Token& name_tok = Peek();
        std::string_view name = ExpectIdent("an attribute or method name after `.`");
        if (Peek().kind == Tok::kLParen) {
          e = ParseMethodCall(e, name, name_tok);
        } else {
          Expr* g = NewExpr(ExprKind::kGetAttr, e->span.begin, name_tok.end);
          g->a = e;
          g->name = arena_->CopyString(name);
          e = g;
        }
      } else if (t.kind == Tok::kLBracket) {
        ++pos_;
        const Token& key = Expect(Tok::kString, "a string literal inside `[ ]`");
        const Token& close = Expect(Tok::kRBracket, "`]`");
        Expr* g = NewExpr(ExprKind::kGetAttr, e->span.begin, close.end);
        g->a = e;
        g->name = arena_->CopyString(Unescape(key));
        g->bracket_or_quoted = true;
        e = g;
      } else {
        return e;
      }
    }
  }

  std::vector<const Expr*> ParseArgs() {
    Expect(Tok::kLParen, "`(`");
    std::vector<const Expr*> args;
    while (Peek().kind != Tok::kRParen) {
      args.push_back(ParseExpr());
      if (Peek().kind != Tok::kComma) break;
      ++pos_;
    }
    Expect(Tok::kRParen, "`)` to close the argument list");
    return args;
  }

  const Expr* ParseMethodCall(const Expr* receiver, std::string_view name, const Token& name_tok) {
    struct Builtin {
      const char* name;
      bool unary;
      BinaryOp op;
    };
    static constexpr Builtin kBuiltins[] = {
        {"contains", false, BinaryOp::kContains},
        {"containsAll", false, BinaryOp::kContainsAll},
        {"containsAny", false, BinaryOp::kContainsAny},
        {"getTag", false, BinaryOp::kGetTag},
        {"hasTag", false, BinaryOp::kHasTag},
        {"isEmpty", true, BinaryOp::kEq},
    };
    std::vector<const Expr*> args = ParseArgs();
    for (const auto& b : kBuiltins) {
      if (name != b.name) continue;
      size_t want = b.unary ? 0 : 1;
      if (args.size() != want) {
        Fail(name_tok.begin, "call to `" + std::string(name) + "` requires exactly " +
                                 std::to_string(want) + (want == 1 ? " argument" : " arguments") +
                                 ", but got " + std::to_string(args.size()) +
                                 (args.size() == 1 ? " argument" : " arguments"));
      }
      if (b.unary) {
        Expr* e = NewExpr(ExprKind::kUnary, receiver->span.begin, PrevEnd());
        e->unary_op = UnaryOp::kIsEmpty;
        e->a = receiver;
        return e;
      }
      Expr* e = NewExpr(ExprKind::kBinary, receiver->span.begin, PrevEnd());
      e->binary_op = b.op;
      e->a = receiver;
      e->b = args[0];
      return e;
    }
    const ExtFnInfo* info = FindExtFn(name);
    if (info == nullptr) Fail(name_tok.begin, "`" + std::string(name) + "` is not a valid method");
    if (!info->is_method)
      Fail(name_tok.begin, "`" + std::string(name) + "` is a function, not a method");
    args.insert(args.begin(), receiver);
    return MakeCall(*info, receiver->span.begin, args);
  }

  const Expr* MakeCall(const ExtFnInfo& info, uint32_t begin,
                       const std::vector<const Expr*>& args) {
    Expr* e = NewExpr(ExprKind::kCall, begin, PrevEnd());
    e->ext_fn = info.fn;
    e->items = arena_->CopyArray<const Expr*>(args);
    FoldConstructor(*e);
    return e;
  }

  // Constructors applied to a string literal are evaluated once, here; a literal that does
  // not parse is left for evaluation to report.
  void FoldConstructor(Expr& e) {
    if (e.items.size() != 1 || e.items[0]->kind != ExprKind::kLiteral ||
        !e.items[0]->lit.is(ValueKind::kString)) {
      return;
    }
    std::string_view s = e.items[0]->lit.AsString();
    switch (e.ext_fn) {
      case ExtFn::kIp: {
        auto r = IpAddr::Parse(s);
        if (r.ok()) e.lit = Value::Ip(arena_->New<IpAddr>(*r)), e.folded = true;
        break;
      }
      case ExtFn::kDecimal: {
        auto r = Decimal::Parse(s);
        if (r.ok()) e.lit = Value::Dec(*r), e.folded = true;
        break;
      }
      case ExtFn::kDatetime: {
        auto r = Datetime::Parse(s);
        if (r.ok()) e.lit = Value::Time(*r), e.folded = true;
        break;
      }
      case ExtFn::kDuration: {
        auto r = Duration::Parse(s);
        if (r.ok()) e.lit = Value::Dur(*r), e.folded = true;
        break;
      }
      default:
        break;
    }
  }

  const Expr* ParsePrimary() {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kInt: {
        ++pos_;
        uint64_t mag = ParseMagnitude(t);
        if (mag > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          Fail(t.begin, "integer literal `" + std::string(Text(t)) + "` is too large");
        }
        Expr* e = NewExpr(ExprKind::kLiteral, t.begin, t.end);
        e->lit = Value::Long(static_cast<int64_t>(mag));
        return e;
      }
      case Tok::kString: {
        ++pos_;
        Expr* e = NewExpr(ExprKind::kLiteral, t.begin, t.end);
        e->lit = Value::String(arena_->CopyString(Unescape(t)));
        return e;
      }
      case Tok::kLParen: {
        ++pos_;
        const Expr* inner = ParseExpr();
        const Token& close = Expect(Tok::kRParen, "`)`");
        // Parentheses are kept in the span so that error positions cover them.
        Expr* e = arena_->New<Expr>(*inner);
        e->span = {t.begin, close.end};
        if (e->parens < 255) ++e->parens;
        return e;
      }
      case Tok::kLBracket: {
        ++pos_;
        std::vector<const Expr*> items;
        while (Peek().kind != Tok::kRBracket) {
          items.push_back(ParseExpr());
          if (Peek().kind != Tok::kComma) break;
          ++pos_;
        }
        const Token& close = Expect(Tok::kRBracket, "`]` to close the set");
        Expr* e = NewExpr(ExprKind::kSet, t.begin, close.end);
        e->items = arena_->CopyArray<const Expr*>(items);
        FoldSetLiteral(*arena_, *e);
        return e;
      }
      case Tok::kLBrace: {
        ++pos_;
        std::vector<ExprField> fields;
        while (Peek().kind != Tok::kRBrace) {
          const Token& key_tok = Peek();
          std::string_view key;
          if (key_tok.kind == Tok::kString) {
            ++pos_;
            key = arena_->CopyString(Unescape(key_tok));
          } else {
            key = arena_->CopyString(ExpectIdent("a record key (identifier or string)"));
          }
          for (const auto& f : fields) {
            if (f.key == key)
              Fail(key_tok.begin, "duplicate key `" + std::string(key) + "` in record literal");
          }
          Expect(Tok::kColon, "`:` after the record key");
          fields.push_back({key, ParseExpr()});
          if (Peek().kind != Tok::kComma) break;
          ++pos_;
        }
        const Token& close = Expect(Tok::kRBrace, "`}` to close the record");
        Expr* e = NewExpr(ExprKind::kRecord, t.begin, close.end);
        e->fields = arena_->CopyArray<ExprField>(fields);
        return e;
      }
      case Tok::kQuestion: {
        const Token& name = Peek(1);
        if (name.kind == Tok::kIdent && (Text(name) == "principal" || Text(name) == "resource")) {
          Fail(t.begin, "found template slot ?" + std::string(Text(name)) +
                            " in a condition; slots may only appear in the scope");
        }
        Fail(t.begin, "unexpected token `?`");
      }
      case Tok::kIdent:
        return ParseNameExpr();
      default:
        Fail(t.begin, "unexpected token " + Describe(t));
    }
  }

  // Variables, literals true/false, entity uids and function calls all start with a name.
  const Expr* ParseNameExpr() {
    const Token& t = Peek();
    std::string_view w = Text(t);
    if (Peek(1).kind != Tok::kColonColon) {
      if (w == "true" || w == "false") {
        ++pos_;
        Expr* e = NewExpr(ExprKind::kLiteral, t.begin, t.end);
        e->lit = Value::Bool(w == "true");
        return e;
      }
      if (Peek(1).kind == Tok::kLParen) {
        ++pos_;
        const ExtFnInfo* info = FindExtFn(w);
        if (info == nullptr) Fail(t.begin, "`" + std::string(w) + "` is not a valid function");
        if (info->is_method) Fail(t.begin, "`" + std::string(w) + "` is a method, not a function");
        return MakeCall(*info, t.begin, ParseArgs());
      }
      if (IsReserved(w)) Fail(t.begin, "unexpected token `" + std::string(w) + "`");
      ++pos_;
      if (!IsVarName(w)) Fail(t.begin, "invalid variable: " + std::string(w));
      Expr* e = NewExpr(ExprKind::kVar, t.begin, t.end);
      e->var = w == "principal"  ? Var::kPrincipal
               : w == "action"   ? Var::kAction
               : w == "resource" ? Var::kResource
                                 : Var::kContext;
      return e;
    }
    // A path: either an entity uid (Path::"id") or a qualified function name (always unknown).
    size_t save = pos_;
    std::string path;
    while (true) {
      const Token& p = Peek();
      if (p.kind != Tok::kIdent) Fail(p.begin, "expected an identifier, found " + Describe(p));
      std::string_view pw = Text(p);
      if (IsReserved(pw) && pw != "__cedar")
        Fail(p.begin, "this identifier is reserved and cannot be used: " + std::string(pw));
      ++pos_;
      if (!path.empty()) path += "::";
      path += pw;
      if (Peek().kind == Tok::kLParen) {
        Fail(t.begin, "`" + path + "` is not a valid function");
      }
      if (Peek().kind != Tok::kColonColon)
        Fail(Peek().begin, "expected `::` and an entity id after `" + path + "`");
      ++pos_;
      if (Peek().kind == Tok::kString) break;
    }
    pos_ = save;
    const EntityUID* uid = ParseEntityRef();
    Expr* e = NewExpr(ExprKind::kLiteral, t.begin, PrevEnd());
    e->lit = Value::Entity(uid);
    return e;
  }

  // Long operator chains (`a + b + c + ...`) build deep trees without deep parser recursion;
  // every tree is measured without recursion, so that the evaluator and the other walkers
  // (which do recurse) never see more than kMaxNesting levels.
  const Expr* CheckedDepth(const Expr* root) const {
    std::vector<std::pair<const Expr*, size_t>> stack{{root, 1}};
    while (!stack.empty()) {
      auto [e, d] = stack.back();
      stack.pop_back();
      if (d > kMaxNesting) {
        Fail(e->span.begin,
             "expression nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)");
      }
      for (const Expr* c : {e->a, e->b, e->c}) {
        if (c != nullptr) stack.push_back({c, d + 1});
      }
      for (const Expr* c : e->items) stack.push_back({c, d + 1});
      for (const auto& f : e->fields) stack.push_back({f.value, d + 1});
    }
    return root;
  }

  static constexpr size_t kMaxNesting = 1000;
  std::string_view src_;
  const std::vector<Token>& toks_;
  size_t pos_ = 0;
  size_t depth_ = 0;
  StackGuard stack_;  // a sanitizer build or a small thread stack may allow fewer levels
  Arena* arena_ = nullptr;
};

Result<TokenStream> TokenizeChecked(std::string_view text) {
  if (!IsValidUtf8(text)) return MakeError(ErrorCode::kParse, "input is not valid UTF-8");
  return Tokenize(text);
}

}  // namespace

Result<std::vector<std::shared_ptr<PolicyAst>>> ParsePolicies(std::string_view text) {
  auto ts = TokenizeChecked(text);
  if (!ts.ok()) return ts.take_error();
  auto source = std::make_shared<const std::string>(text);
  Parser parser(*source, *ts);
  std::vector<std::shared_ptr<PolicyAst>> out;
  try {
    while (!parser.AtEnd()) out.push_back(parser.ParsePolicy(source));
  } catch (ParseFailure& f) {
    return std::move(f.error);
  }
  return out;
}

Result<std::shared_ptr<PolicyAst>> ParsePolicy(std::string_view text) {
  auto all = ParsePolicies(text);
  if (!all.ok()) return all.take_error();
  if (all->size() != 1) {
    return MakeError(ErrorCode::kParse,
                     "expected exactly one policy, found " + std::to_string(all->size()));
  }
  return std::move((*all)[0]);
}

Result<const EntityUID*> ParseEntityUID(Arena& arena, std::string_view text) {
  auto ts = TokenizeChecked(text);
  if (!ts.ok()) return ts.take_error();
  Parser parser(text, *ts);
  try {
    return parser.ParseStandaloneEntity(arena);
  } catch (ParseFailure& f) {
    return std::move(f.error);
  }
}

Result<std::string> ParseName(std::string_view text) {
  auto ts = TokenizeChecked(text);
  if (!ts.ok()) return ts.take_error();
  Parser parser(text, *ts);
  try {
    return parser.ParseStandaloneName();
  } catch (ParseFailure& f) {
    return std::move(f.error);
  }
}

Result<const Expr*> ParseExpression(Arena& arena, std::string_view text) {
  auto ts = TokenizeChecked(text);
  if (!ts.ok()) return ts.take_error();
  // Strings in the tree point into the arena, never into `text`.
  Parser parser(text, *ts);
  try {
    return parser.ParseStandaloneExpr(arena);
  } catch (ParseFailure& f) {
    return std::move(f.error);
  }
}

}  // namespace cedar
