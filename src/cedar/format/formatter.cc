// Lays policies out token by token.
//
// The text is first parsed by ParsePolicies, so it is known to be valid; this file then walks
// the tokens once more with the shape of Cedar's grammar and builds a layout document (doc.h)
// for each policy, keeping every token as written and each comment beside its token. The
// layout rules were taken from the reference formatter's output on the Cedar conformance
// corpus and on hand-written probes; tests/conformance/format_* measures the agreement.
//
// Comments: a comment on the same line after a token is that token's trailing comment
// (written after it, then a line break); any other comment leads the next token (each on its
// own line before it). A comment makes the groups around it break, with two exceptions that
// follow the reference formatter: comments leading the effect, a scope variable, a condition
// or a condition's expression are written before their group; and where a nested part ends
// with a token that has a trailing comment, the line after the comment is indented as the
// enclosing part (`[1, 2 // c` then `]` under the `[`, not under the `2`). Empty lines that
// comments leave behind are removed.
//
// One difference is deliberate: the reference formatter moves comments on the lines before a
// binary `in` to the end of the previous line, where they become that line's comment when
// formatted again; here they stay on their own lines, so that formatting is idempotent.

#include <algorithm>
#include <string>
#include <vector>

#include "cedar/format.h"
#include "cedar/format/doc.h"
#include "cedar/json.h"
#include "cedar/policy.h"
#include "cedar/stack_guard.h"
#include "cedar/syntax/lexer.h"

namespace cedar {
namespace {

using format::DocId;
using format::Docs;

// Stands for a line break inside a token; never in valid UTF-8, so never in the input.
constexpr char kLineInText = '\xff';

// Unwinds the layout pass when the tokens do not have the expected shape (the parser has
// accepted the text, so this would mean the two disagree) or nest too deeply; never leaves
// this file.
struct LayoutFailure {
  uint32_t offset;
  const char* message;
};

// Deeper nesting is refused rather than risk the stack (the reference formatter stops well
// before this).
constexpr int kMaxNesting = 1000;

class PolicyLayout {
 public:
  PolicyLayout(std::string_view src, const TokenStream& ts, int indent, Docs& docs)
      : src_(src), toks_(ts.tokens), comments_(ts.comments), indent_(indent), d_(docs) {
    AttachComments();
  }

  bool AtEnd() const { return Peek().kind == Tok::kEof; }

  // The next policy, from its first annotation (or effect) to its semicolon.
  DocId Policy() {
    std::vector<DocId> parts;
    while (Peek().kind == Tok::kAt) parts.push_back(Annotation());
    parts.push_back(EffectAndScope());
    while (IsWord(Peek(), "when") || IsWord(Peek(), "unless")) {
      parts.push_back(d_.HardLine());
      parts.push_back(Condition());
    }
    parts.push_back(Take(Tok::kSemi));
    return d_.Concat(parts);
  }

  // The comments after the last policy, as written (without trailing blanks).
  std::vector<std::string_view> EndComments() const {
    std::vector<std::string_view> out;
    for (uint32_t c : leading_[toks_.size() - 1]) out.push_back(CommentText(c));
    return out;
  }

 private:
  // ---- tokens and comments ----
  const Token& Peek(size_t k = 0) const {
    size_t i = pos_ + k;
    return i < toks_.size() ? toks_[i] : toks_.back();
  }
  std::string_view TextOf(const Token& t) const { return src_.substr(t.begin, t.end - t.begin); }
  bool IsWord(const Token& t, std::string_view w) const {
    return t.kind == Tok::kIdent && TextOf(t) == w;
  }
  [[noreturn]] void Fail() const {
    throw LayoutFailure{Peek().begin, "the formatter cannot lay out this text"};
  }

  std::string_view CommentText(uint32_t c) const {
    std::string_view s = src_.substr(comments_[c].begin, comments_[c].end - comments_[c].begin);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
      s.remove_suffix(1);
    }
    return s;
  }

  void AttachComments() {
    leading_.resize(toks_.size());
    trailing_.assign(toks_.size(), -1);
    trail_doc_.assign(toks_.size(), 0);
    lead_doc_.assign(toks_.size(), 0);
    size_t t = 0;  // first token after the comment
    for (uint32_t c = 0; c < comments_.size(); ++c) {
      while (t < toks_.size() && toks_[t].begin < comments_[c].begin) ++t;
      if (t > 0 && trailing_[t - 1] < 0 &&
          src_.substr(toks_[t - 1].end, comments_[c].begin - toks_[t - 1].end).find('\n') ==
              std::string_view::npos) {
        trailing_[t - 1] = static_cast<int32_t>(c);
      } else {
        leading_[std::min(t, toks_.size() - 1)].push_back(c);
      }
    }
  }

  DocId TrailDoc(size_t i) {
    std::string text = " ";
    text += CommentText(static_cast<uint32_t>(trailing_[i]));
    return d_.Concat({d_.Text(text), d_.HardLine()});
  }

  DocId LeadDoc(size_t i) {
    std::vector<DocId> parts{d_.HardLine()};
    for (uint32_t c : leading_[i]) {
      parts.push_back(d_.Text(CommentText(c)));
      parts.push_back(d_.HardLine());
    }
    return d_.Concat(parts);
  }

  // Token `i` written as `text`, with its comments.
  DocId TokenDoc(size_t i, std::string_view text) {
    std::vector<DocId> parts;
    if (!leading_[i].empty()) {
      lead_doc_[i] = LeadDoc(i);
      parts.push_back(lead_doc_[i]);
    }
    if (text.find('\n') == std::string_view::npos) {
      parts.push_back(d_.Text(text));
    } else {
      // A string literal with a line break in it: the break is written as kLineInText until the
      // empty lines are removed, so that none inside the literal is.
      std::string hidden(text);
      std::replace(hidden.begin(), hidden.end(), '\n', kLineInText);
      parts.push_back(d_.Text(hidden));
    }
    if (trailing_[i] >= 0) {
      trail_doc_[i] = TrailDoc(i);
      parts.push_back(trail_doc_[i]);
    }
    return d_.Concat(parts);
  }

  // The current token as written.
  DocId Take() {
    if (AtEnd()) Fail();
    size_t i = pos_++;
    return TokenDoc(i, TextOf(toks_[i]));
  }
  // The current token followed by `separator`, which a trailing comment replaces.
  DocId TakeThen(DocId separator) {
    size_t i = pos_;
    DocId token = Take();
    return trailing_[i] >= 0 ? token : d_.Concat({token, separator});
  }
  DocId CommaThen(DocId separator) {
    if (Peek().kind != Tok::kComma) Fail();
    return TakeThen(separator);
  }
  DocId Take(Tok kind) {
    if (Peek().kind != kind) Fail();
    return Take();
  }
  DocId TakeWord(std::string_view word) {
    if (!IsWord(Peek(), word)) Fail();
    return Take();
  }
  // A token left out of the output (a trailing comma): only its comments remain.
  DocId Drop() {
    size_t i = pos_++;
    return TokenDoc(i, {});
  }

  DocId Space() { return d_.Text(" "); }

  // Nests `content`, which ends with the token just taken. When that token has a trailing
  // comment, the break after the comment is not indented by this nest.
  DocId NestEnd(int indent, DocId content) {
    size_t last = pos_ - 1;
    if (trail_doc_[last] != 0) d_.Outdent(trail_doc_[last], indent);
    return d_.Nest(indent, content);
  }

  // Groups `content`, which starts with token `first`. Comments on the lines before that token
  // go before the group, so that they do not make it break. (Used for the parts of the policy
  // structure; in expressions, such comments stay inside the group and break it.)
  DocId GroupFrom(size_t first, DocId content) {
    DocId group = d_.Group(content);
    if (lead_doc_[first] == 0) return group;
    d_.Clear(lead_doc_[first]);
    lead_doc_[first] = LeadDoc(first);
    return d_.Concat({lead_doc_[first], group});
  }

  // ---- policy structure ----
  DocId Annotation() {
    std::vector<DocId> parts{Take(Tok::kAt), Take(Tok::kIdent)};
    if (Peek().kind == Tok::kLParen) {
      parts.push_back(Take());
      parts.push_back(Take(Tok::kString));
      parts.push_back(Take(Tok::kRParen));
    }
    parts.push_back(d_.HardLine());
    return d_.Concat(parts);
  }

  // True when the scope reads `(principal, action, resource)`, with no constraint.
  // (Called after the `(`.)
  bool BareScope() const {
    if (!IsWord(Peek(0), "principal") || Peek(1).kind != Tok::kComma ||
        !IsWord(Peek(2), "action") || Peek(3).kind != Tok::kComma || !IsWord(Peek(4), "resource")) {
      return false;
    }
    return Peek(5).kind == Tok::kRParen ||
           (Peek(5).kind == Tok::kComma && Peek(6).kind == Tok::kRParen);
  }

  DocId EffectAndScope() {
    if (!IsWord(Peek(), "permit") && !IsWord(Peek(), "forbid")) Fail();
    // `permit (`, with a break before the `(` if needed.
    size_t first = pos_;
    DocId head = GroupFrom(first, d_.Concat({TakeThen(d_.Line()), Take(Tok::kLParen)}));
    if (BareScope()) {
      // `permit (principal, action, resource)`.
      DocId principal = Take();
      DocId comma1 = CommaThen(Space());
      DocId action = Take();
      DocId comma2 = CommaThen(Space());
      std::vector<DocId> vars{principal, comma1, action, comma2, Take()};
      if (Peek().kind == Tok::kComma) vars.push_back(Drop());
      DocId body = NestEnd(indent_, d_.Concat(vars));
      return d_.Concat({head, body, Take(Tok::kRParen)});
    }
    DocId principal = ScopeVar();
    DocId comma1 = CommaThen(d_.HardLine());
    DocId action = ScopeVar();
    DocId comma2 = CommaThen(d_.HardLine());
    std::vector<DocId> vars{d_.HardLine(), principal, comma1, action, comma2, ScopeVar()};
    if (Peek().kind == Tok::kComma) vars.push_back(Drop());
    DocId body = NestEnd(indent_, d_.Concat(vars));
    return d_.Concat({head, body, d_.HardLine(), Take(Tok::kRParen)});
  }

  // `principal`, `principal == E`, `principal in E`, `principal is T [in E]`; action likewise
  // (with `in [...]`).
  DocId ScopeVar() {
    size_t first = pos_;
    DocId var = Take(Tok::kIdent);
    const Token& op = Peek();
    if (op.kind == Tok::kEqEq || IsWord(op, "in")) {
      DocId head = GroupFrom(first, d_.Concat({var, d_.Line(), Take()}));
      DocId target = ScopeTarget();
      return GroupFrom(first, d_.Concat({head, NestEnd(indent_, d_.Concat({d_.Line(), target}))}));
    }
    if (!IsWord(op, "is")) return var;
    DocId is = Take();
    DocId type = TypeName();
    DocId is_group = d_.Group(d_.Concat({d_.Line(), is}));
    // The group of `is T` starts after the variable.
    DocId head =
        d_.Concat({var, d_.Group(NestEnd(indent_, d_.Concat({is_group, d_.Line(), type})))});
    if (!IsWord(Peek(), "in")) return head;
    DocId with_in = GroupFrom(first, d_.Concat({head, d_.Line(), Take()}));
    DocId target = ScopeTarget();
    return GroupFrom(first, d_.Concat({with_in, NestEnd(indent_, d_.Concat({d_.Line(), target}))}));
  }

  DocId ScopeTarget() {
    if (Peek().kind == Tok::kQuestion) return d_.Concat({Take(), Take(Tok::kIdent)});
    if (Peek().kind != Tok::kLBracket) return EntityRef();
    DocId open = Take();
    if (Peek().kind == Tok::kRBracket) return d_.Concat({open, Take()});
    std::vector<DocId> items{EntityRef()};
    while (Peek().kind == Tok::kComma) {
      if (Peek(1).kind == Tok::kRBracket) {
        items.push_back(Drop());
        break;
      }
      items.push_back(CommaThen(d_.Line()));
      items.push_back(EntityRef());
    }
    DocId body = NestEnd(1, d_.Concat(items));
    return d_.Group(d_.Concat({open, body, Take(Tok::kRBracket)}));
  }

  // `when { e }` on one line, else `when` and the braces on separate lines, else the
  // expression on its own lines between the braces.
  DocId Condition() {
    size_t first = pos_;
    DocId keyword = TakeThen(d_.Line());
    size_t brace = pos_;
    DocId open = Take(Tok::kLBrace);
    size_t expr = pos_;
    DocId body = NestEnd(indent_, d_.Concat({d_.Line(), GroupFrom(expr, Expr())}));
    DocId braces = GroupFrom(brace, d_.Concat({open, body, d_.Line(), Take(Tok::kRBrace)}));
    return GroupFrom(first, d_.Concat({keyword, braces}));
  }

  // ---- names ----
  // A type name: IDENT {:: IDENT}.
  DocId TypeName() {
    std::vector<DocId> parts{Take(Tok::kIdent)};
    while (Peek().kind == Tok::kColonColon && Peek(1).kind == Tok::kIdent) {
      parts.push_back(Take());
      parts.push_back(Take());
    }
    return d_.Concat(parts);
  }

  // An entity reference: IDENT {:: IDENT} :: STRING.
  DocId EntityRef() {
    std::vector<DocId> parts{Take(Tok::kIdent)};
    while (true) {
      parts.push_back(Take(Tok::kColonColon));
      if (Peek().kind == Tok::kString) {
        parts.push_back(Take());
        return d_.Concat(parts);
      }
      parts.push_back(Take(Tok::kIdent));
    }
  }

  // ---- expressions ----
  DocId Expr() {
    struct Level {
      explicit Level(int& depth) : depth_(depth) { ++depth_; }
      ~Level() { --depth_; }
      int& depth_;
    } level(depth_);
    if (depth_ > kMaxNesting || stack_.Exhausted()) {
      throw LayoutFailure{Peek().begin, "expressions nested this deep cannot be formatted"};
    }
    if (!IsWord(Peek(), "if")) return Or();
    std::vector<DocId> parts{Take()};
    parts.push_back(NestEnd(indent_, d_.Concat({d_.Line(), Expr()})));
    parts.push_back(d_.Line());
    parts.push_back(TakeWord("then"));
    parts.push_back(NestEnd(indent_, d_.Concat({d_.Line(), Expr()})));
    parts.push_back(d_.Line());
    parts.push_back(TakeWord("else"));
    parts.push_back(NestEnd(indent_, d_.Concat({d_.Line(), Expr()})));
    return d_.Group(d_.Concat(parts));
  }

  // `||` and `&&` chains have no group of their own: they break with the group around them
  // (every operand of either on its own line), which is the expression's own group only in a
  // condition and between parentheses.
  DocId Or() {
    std::vector<DocId> parts{And()};
    while (Peek().kind == Tok::kOr) {
      parts.insert(parts.end(), {Space(), Take(), d_.Line(), And()});
    }
    return d_.Concat(parts);
  }

  DocId And() {
    std::vector<DocId> parts{Relation()};
    while (Peek().kind == Tok::kAnd) {
      parts.insert(parts.end(), {Space(), Take(), d_.Line(), Relation()});
    }
    return d_.Concat(parts);
  }

  DocId Relation() {
    DocId lhs = Add();
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kEqEq:
      case Tok::kNe:
      case Tok::kLt:
      case Tok::kLe:
      case Tok::kGt:
      case Tok::kGe: {
        DocId op = Take();
        return d_.Concat({lhs, Space(), op, Space(), Add()});
      }
      case Tok::kIdent:
        break;
      default:
        return lhs;
    }
    if (IsWord(t, "in")) {
      // Comments before this `in` stay on their own lines, as for `==` (see the top of the
      // file).
      DocId op = Take();
      return d_.Concat({lhs, Space(), op, Space(), Add()});
    }
    // The right-hand sides of `has`, `like` and `is` are nested: they only move when a comment
    // before them puts them on a line of their own.
    if (IsWord(t, "has")) {
      DocId op = Take();
      DocId rhs = NestEnd(indent_, Peek().kind == Tok::kString ? Take() : AttributePath());
      return d_.Group(d_.Concat({lhs, d_.Line(), op, d_.Line(), rhs}));
    }
    if (IsWord(t, "like")) {
      DocId op = Take();
      DocId rhs = NestEnd(indent_, Take(Tok::kString));
      return d_.Group(d_.Concat({lhs, d_.Line(), op, d_.Line(), rhs}));
    }
    if (IsWord(t, "is")) {
      DocId op = Take();
      std::vector<DocId> parts{lhs, Space(), op, Space(), NestEnd(indent_, TypeName())};
      if (IsWord(Peek(), "in")) {
        DocId in = Take();
        parts.insert(parts.end(), {d_.Line(), in, Space(), NestEnd(indent_, Add())});
      }
      return d_.Group(d_.Concat(parts));
    }
    return lhs;
  }

  // `a.b.c` after `has`, laid out like a member: `a.b`, then `.c` on a line of its own if the
  // path does not fit.
  DocId AttributePath() {
    DocId first = Take(Tok::kIdent);
    std::vector<DocId> rest;
    while (Peek().kind == Tok::kDot) {
      if (!rest.empty()) rest.push_back(d_.SoftLine());
      DocId dot = Take();
      rest.push_back(d_.Concat({dot, Take(Tok::kIdent)}));
    }
    if (rest.empty()) return first;
    return d_.Group(d_.Concat({first, NestEnd(indent_, d_.Concat(rest))}));
  }

  DocId Add() {
    std::vector<DocId> parts{Mult()};
    while (Peek().kind == Tok::kPlus || Peek().kind == Tok::kMinus) {
      parts.insert(parts.end(), {Space(), Take(), d_.Line(), Mult()});
    }
    return parts.size() == 1 ? parts[0] : d_.Group(d_.Concat(parts));
  }

  DocId Mult() {
    std::vector<DocId> parts{Unary()};
    while (Peek().kind == Tok::kStar) {
      parts.insert(parts.end(), {Space(), Take(), d_.Line(), Unary()});
    }
    return parts.size() == 1 ? parts[0] : d_.Group(d_.Concat(parts));
  }

  DocId Unary() {
    std::vector<DocId> parts;
    while (Peek().kind == Tok::kBang || Peek().kind == Tok::kMinus) parts.push_back(Take());
    parts.push_back(Member());
    return d_.Concat(parts);
  }

  // A primary and its accesses (`.name`, `(args)`, `["key"]`). The first access stays on the
  // primary's line; when the member breaks, each further access starts a line of its own.
  DocId Member() {
    DocId primary = Primary();
    std::vector<DocId> accesses;
    while (true) {
      Tok k = Peek().kind;
      DocId access;
      if (k == Tok::kDot) {
        access = d_.Concat({Take(), Take(Tok::kIdent)});
      } else if (k == Tok::kLParen) {
        access = Call();
      } else if (k == Tok::kLBracket) {
        access = d_.Concat({Take(), Take(Tok::kString), Take(Tok::kRBracket)});
      } else {
        break;
      }
      if (!accesses.empty()) accesses.push_back(d_.SoftLine());
      accesses.push_back(access);
    }
    if (accesses.empty()) return d_.Group(primary);
    return d_.Group(d_.Concat({primary, NestEnd(indent_, d_.Concat(accesses))}));
  }

  DocId Call() {
    DocId open = Take(Tok::kLParen);
    if (Peek().kind == Tok::kRParen) return d_.Concat({open, Take()});
    std::vector<DocId> args{d_.SoftLine(), Expr()};
    while (Peek().kind == Tok::kComma) {
      if (Peek(1).kind == Tok::kRParen) {
        args.push_back(Drop());
        break;
      }
      args.insert(args.end(), {CommaThen(d_.Line()), Expr()});
    }
    DocId body = NestEnd(indent_, d_.Concat(args));
    return d_.Concat({open, body, d_.SoftLine(), Take(Tok::kRParen)});
  }

  DocId Primary() {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kInt: {
        // Written as its value: no leading zeros.
        std::string_view digits = TextOf(t);
        while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
        return TokenDoc(pos_++, digits);
      }
      case Tok::kString:
        return Take();
      case Tok::kLParen: {
        DocId open = Take();
        DocId inner = NestEnd(1, Expr());
        return d_.Group(d_.Concat({open, inner, Take(Tok::kRParen)}));
      }
      case Tok::kLBracket: {
        DocId open = Take();
        if (Peek().kind == Tok::kRBracket) return d_.Concat({open, Take()});
        std::vector<DocId> items{Expr()};
        while (Peek().kind == Tok::kComma) {
          if (Peek(1).kind == Tok::kRBracket) {
            items.push_back(Drop());
            break;
          }
          items.insert(items.end(), {CommaThen(d_.Line()), Expr()});
        }
        DocId body = NestEnd(1, d_.Concat(items));
        return d_.Concat({open, body, Take(Tok::kRBracket)});
      }
      case Tok::kLBrace: {
        DocId open = Take();
        if (Peek().kind == Tok::kRBrace) return d_.Concat({open, Take()});
        std::vector<DocId> fields{d_.Line(), Field()};
        while (Peek().kind == Tok::kComma) {
          if (Peek(1).kind == Tok::kRBrace) {
            fields.push_back(Drop());
            break;
          }
          fields.insert(fields.end(), {CommaThen(d_.Line()), Field()});
        }
        // A record has a group of its own, between its braces.
        DocId body = NestEnd(indent_, d_.Concat(fields));
        return d_.Concat({open, d_.Group(d_.Concat({body, d_.Line()})), Take(Tok::kRBrace)});
      }
      case Tok::kIdent:
        if (Peek(1).kind == Tok::kColonColon) return EntityRef();
        return Take();
      default:
        Fail();
    }
  }

  DocId Field() {
    DocId key = Take();
    DocId colon = Take(Tok::kColon);
    return d_.Concat({key, colon, Space(), Expr()});
  }

  std::string_view src_;
  const std::vector<Token>& toks_;
  const std::vector<Comment>& comments_;
  int indent_;
  Docs& d_;
  size_t pos_ = 0;
  StackGuard stack_;  // a sanitizer build or a small thread stack may allow fewer levels
  int depth_ = 0;     // expressions being laid out, one inside the other
  std::vector<std::vector<uint32_t>> leading_;  // per token: comments on lines before it
  std::vector<int32_t> trailing_;               // per token: comment after it on its line
  std::vector<DocId> trail_doc_;                // per token: where that comment is written
  std::vector<DocId> lead_doc_;                 // per token: where its leading comments are
};

// Drops the lines that comments leave empty (a break before a comment's own line where the
// layout already broke) and the break before a first-line comment.
std::string RemoveEmptyLines(std::string_view text) {
  std::string out;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    if (line.find_first_not_of(' ') != std::string_view::npos) {
      if (!out.empty()) out.push_back('\n');
      out.append(line);
    }
    begin = end + 1;
  }
  return out;
}

// The formatted text must mean what the input meant: the same policies in the same order,
// with the same comments.
Status CheckSameMeaning(const std::vector<std::shared_ptr<PolicyAst>>& before,
                        const TokenStream& before_tokens, std::string_view after_text) {
  auto fail = [](std::string what) {
    return MakeError(ErrorCode::kParse, "the formatter would change the text: " + what);
  };
  auto after = ParsePolicies(after_text);
  if (!after.ok()) return fail("the result does not parse (" + after.error().ToString() + ")");
  if (after->size() != before.size()) return fail("the number of policies differs");
  for (size_t i = 0; i < before.size(); ++i) {
    if (PolicyToJson(*before[i]) != PolicyToJson(*(*after)[i])) {
      return fail("policy " + std::to_string(i) + " differs");
    }
  }
  auto after_tokens = Tokenize(after_text);
  if (!after_tokens.ok()) return fail("the result does not tokenize");
  if (after_tokens->comments.size() != before_tokens.comments.size()) {
    return fail("the number of comments differs");
  }
  return {};
}

}  // namespace

Result<std::string> FormatPolicies(std::string_view text, const FormatOptions& options) {
  if (options.line_width < 1 || options.line_width > 10000) {
    return MakeError(ErrorCode::kParse, "line width must be between 1 and 10000");
  }
  if (options.indent_width < 0 || options.indent_width > 16) {
    return MakeError(ErrorCode::kParse, "indentation must be between 0 and 16");
  }
  auto policies = ParsePolicies(text);
  if (!policies.ok()) return policies.take_error();
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.take_error();

  format::Docs docs;
  PolicyLayout layout(text, *tokens, options.indent_width, docs);
  std::string out;
  try {
    bool first = true;
    while (!layout.AtEnd()) {
      DocId doc = layout.Policy();
      if (!first) out += "\n\n";
      first = false;
      out += RemoveEmptyLines(docs.Render(doc, options.line_width));
    }
  } catch (const LayoutFailure& f) {
    return MakeError(ErrorCode::kParse, f.message, PositionOf(text, f.offset));
  }
  for (std::string_view comment : layout.EndComments()) {
    out += '\n';
    out += comment;
  }
  out += '\n';
  std::replace(out.begin(), out.end(), kLineInText, '\n');
  Status same = CheckSameMeaning(*policies, *tokens, out);
  if (!same.ok()) return same.error();
  return out;
}

}  // namespace cedar
