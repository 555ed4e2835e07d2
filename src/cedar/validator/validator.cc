// The validator's driver: per policy, the checks that need no types (entity references,
// strings), the typechecker over every request environment, the policy-level warnings, and
// the issues sorted and freed of duplicates (several environments find the same mistake).
#include "cedar/validator.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <tuple>
#include <utility>

#include "cedar/policy.h"
#include "cedar/schema.h"
#include "cedar/syntax/lexer.h"
#include "cedar/validator/schema_view.h"
#include "cedar/validator/string_checks.h"
#include "cedar/validator/typechecker.h"

namespace cedar {

using validation::ActionInfo;
using validation::EntityTypeInfo;
using validation::Issue;
using validation::SchemaView;

const char* ValidationCodeName(ValidationCode code) {
  switch (code) {
    case ValidationCode::kUnrecognizedEntityType:
      return "unrecognized_entity_type";
    case ValidationCode::kUnrecognizedAction:
      return "unrecognized_action";
    case ValidationCode::kInvalidEnumEntity:
      return "invalid_enum_entity";
    case ValidationCode::kUnexpectedType:
      return "unexpected_type";
    case ValidationCode::kIncompatibleTypes:
      return "incompatible_types";
    case ValidationCode::kAttributeNotFound:
      return "attribute_not_found";
    case ValidationCode::kUnsafeOptionalAttributeAccess:
      return "unsafe_optional_attribute_access";
    case ValidationCode::kUnsafeTagAccess:
      return "unsafe_tag_access";
    case ValidationCode::kWrongArgumentCount:
      return "wrong_argument_count";
    case ValidationCode::kInvalidExtensionArgument:
      return "invalid_extension_argument";
    case ValidationCode::kNonLiteralExtensionConstructor:
      return "non_literal_extension_constructor";
    case ValidationCode::kEmptySetLiteral:
      return "empty_set_literal";
    case ValidationCode::kEntityDerefLevel:
      return "entity_deref_level";
    case ValidationCode::kEntityLiteralDeref:
      return "entity_literal_deref";
    case ValidationCode::kImpossiblePolicy:
      return "impossible_policy";
    case ValidationCode::kNoApplicableAction:
      return "no_applicable_action";
    case ValidationCode::kMixedScriptString:
      return "mixed_script_string";
    case ValidationCode::kBidiCharsInString:
      return "bidi_chars_in_string";
    case ValidationCode::kMixedScriptIdentifier:
      return "mixed_script_identifier";
    case ValidationCode::kBidiCharsInIdentifier:
      return "bidi_chars_in_identifier";
    case ValidationCode::kConfusableIdentifier:
      return "confusable_identifier";
  }
  return "unknown";
}

bool IsValidationWarning(ValidationCode code) {
  return code >= ValidationCode::kImpossiblePolicy;
}

std::string ValidationIssue::ToString() const {
  std::string out = policy_id;
  if (pos.line != 0) out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  out += is_warning() ? ": warning[" : ": error[";
  out += ValidationCodeName(code);
  out += "]: ";
  out += message;
  return out;
}

namespace {

bool IsActionTypeName(std::string_view type) {
  return type == "Action" || (type.size() > 8 && type.substr(type.size() - 8) == "::Action");
}

// Where the entity references of a scope (or of an entity literal) are written: the scope
// keeps its uids but not their positions, so the source is scanned again.
struct SourceRefs {
  std::vector<SourceSpan> uids;       // `Type::"id"`, in order
  std::vector<SourceSpan> uid_types;  // the `Type` of each
  std::vector<SourceSpan> is_types;   // the type name after `is`
};

SourceRefs ScanRefs(const PolicyAst& ast, SourceSpan span) {
  SourceRefs refs;
  if (!ast.source || span.end > ast.source->size() || span.begin >= span.end) return refs;
  std::string_view text(ast.source->data() + span.begin, span.end - span.begin);
  auto ts = Tokenize(text);
  if (!ts.ok()) return refs;
  const std::vector<Token>& t = ts->tokens;
  auto at = [&](size_t i, Tok k) { return i < t.size() && t[i].kind == k; };
  auto word = [&](size_t i) { return text.substr(t[i].begin, t[i].end - t[i].begin); };
  for (size_t i = 0; i < t.size();) {
    if (t[i].kind != Tok::kIdent) {
      ++i;
      continue;
    }
    size_t j = i;
    while (at(j + 1, Tok::kColonColon) && at(j + 2, Tok::kIdent)) j += 2;
    SourceSpan type{span.begin + t[i].begin, span.begin + t[j].end};
    if (at(j + 1, Tok::kColonColon) && at(j + 2, Tok::kString)) {
      refs.uids.push_back(SourceSpan{type.begin, span.begin + t[j + 2].end});
      refs.uid_types.push_back(type);
      i = j + 3;
      continue;
    }
    if (i > 0 && t[i - 1].kind == Tok::kIdent && word(i - 1) == "is") refs.is_types.push_back(type);
    i = j + 1;
  }
  return refs;
}

SourceSpan Nth(const std::vector<SourceSpan>& spans, size_t i, SourceSpan fallback) {
  return i < spans.size() ? spans[i] : fallback;
}

// The checks that need no types: every entity type, action and enumerated id the policy
// names must be declared (dead code included), and strings and identifiers are checked for
// confusable text.
class ReferenceChecks {
 public:
  ReferenceChecks(const SchemaView& view, const PolicyAst& ast, std::vector<Issue>& issues)
      : view_(view), ast_(ast), issues_(issues) {}

  void Run() {
    Scope(ast_.principal);
    // Positions are found (by scanning the source again) only for what is reported.
    std::optional<SourceRefs> arefs;
    auto refs = [&]() -> const SourceRefs& {
      if (!arefs) arefs = ScanRefs(ast_, ast_.action.span);
      return *arefs;
    };
    for (size_t i = 0; i < ast_.action.uids.size(); ++i) {
      Uid(*ast_.action.uids[i], [&] {
        return std::pair{Nth(refs().uids, i, ast_.action.span),
                         Nth(refs().uid_types, i, ast_.action.span)};
      });
    }
    Scope(ast_.resource);
    for (const Condition& c : ast_.conditions) Visit(*c.expr);
  }

 private:
  void Scope(const EntityScope& s) {
    if (s.op == EntityScope::kAny) return;
    std::optional<SourceRefs> cache;
    auto refs = [&]() -> const SourceRefs& {
      if (!cache) cache = ScanRefs(ast_, s.span);
      return *cache;
    };
    if (s.op == EntityScope::kIs || s.op == EntityScope::kIsIn) {
      TypeName(s.entity_type, [&] { return Nth(refs().is_types, 0, s.span); });
    }
    if (s.uid != nullptr) {
      Uid(*s.uid, [&] {
        return std::pair{Nth(refs().uids, 0, s.span), Nth(refs().uid_types, 0, s.span)};
      });
    }
  }

  // `where()` gives the spans of the uid and of its type, when an issue needs them.
  template <typename Where>
  void Uid(const EntityUID& uid, Where where) {
    if (IsActionTypeName(uid.type)) {
      if (view_.FindAction(uid.type, uid.id) == nullptr) {
        Report(ValidationCode::kUnrecognizedAction, where().first,
               "unrecognized action `" + uid.ToString() + "`");
      }
    } else if (const EntityTypeInfo* info = view_.FindEntityType(uid.type); info == nullptr) {
      Report(ValidationCode::kUnrecognizedEntityType, where().second,
             "unrecognized entity type `" + std::string(uid.type) + "`");
    } else if (info->enum_ids != nullptr &&
               std::find(info->enum_ids->begin(), info->enum_ids->end(), uid.id) ==
                   info->enum_ids->end()) {
      std::string ids;
      for (const std::string& id : *info->enum_ids) {
        if (!ids.empty()) ids += ", ";
        ids += "\"" + EscapeString(id) + "\"";
      }
      Report(ValidationCode::kInvalidEnumEntity, where().first,
             "entity `" + uid.ToString() + "` is of an enumerated entity type, but `\"" +
                 EscapeString(uid.id) + "\"` is not one of its ids (" + ids + ")");
    }
    Identifier(uid.id, [&] { return where().first; });
  }

  template <typename Where>
  void TypeName(std::string_view name, Where where) {
    if (view_.FindEntityType(name) == nullptr) {
      Report(ValidationCode::kUnrecognizedEntityType, where(),
             "unrecognized entity type `" + std::string(name) + "`");
    }
  }

  void Identifier(std::string_view s, SourceSpan span) {
    Identifier(s, [span] { return span; });
  }

  template <typename Where>
  void Identifier(std::string_view s, Where where) {
    char32_t bad = 0;
    auto w = validation::IdentifierWarning(s, &bad);
    if (!w) return;
    SourceSpan span = where();
    std::string shown = validation::EscapeControls(s);
    switch (*w) {
      case ValidationCode::kBidiCharsInIdentifier:
        Report(*w, span, "identifier `" + shown + "` contains bidirectional control characters");
        break;
      case ValidationCode::kConfusableIdentifier:
        Report(*w, span,
               "identifier `" + shown + "` contains the character `" + validation::EscapeChar(bad) +
                   "`, which is neither printable ASCII nor allowed in identifiers by Unicode's "
                   "General Security Profile");
        break;
      default:
        Report(*w, span, "identifier `" + shown + "` contains mixed scripts");
        break;
    }
  }

  void String(std::string_view s, SourceSpan span) {
    auto w = validation::StringWarning(s);
    if (!w) return;
    std::string shown = "\"" + validation::EscapeControls(s) + "\"";
    Report(*w, span,
           *w == ValidationCode::kBidiCharsInString
               ? "string `" + shown + "` contains bidirectional control characters"
               : "string `" + shown + "` contains mixed scripts");
  }

  // A `like` pattern is checked as written out with its escapes.
  void Pattern(const std::string& text, SourceSpan span) {
    auto w = validation::StringWarning(text);
    if (!w) return;
    Report(*w, span,
           *w == ValidationCode::kBidiCharsInString
               ? "pattern `\"" + text + "\"` contains bidirectional control characters"
               : "pattern `\"" + text + "\"` contains mixed scripts");
  }

  void Visit(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kLiteral:
        if (e.lit.is(ValueKind::kString)) String(e.lit.AsString(), e.span);
        if (e.lit.is(ValueKind::kEntity)) {
          Uid(e.lit.AsEntity(), [&] {
            return std::pair{e.span, Nth(ScanRefs(ast_, e.span).uid_types, 0, e.span)};
          });
        }
        break;
      case ExprKind::kLike: {
        // A pattern of ASCII characters reads as ASCII once escaped: nothing to warn about.
        bool ascii = true;
        for (const PatternElem& p : e.pattern) {
          for (char c : p.literal) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
        }
        if (!ascii) Pattern(validation::LikePatternText(e.pattern), e.span);
        break;
      }
      case ExprKind::kGetAttr:
        Identifier(e.name, e.span);
        break;
      case ExprKind::kHasAttr:
        for (std::string_view p : e.path) Identifier(p, e.span);
        break;
      case ExprKind::kRecord:
        for (const ExprField& f : e.fields) Identifier(f.key, e.span);
        break;
      case ExprKind::kIs: {
        TypeName(e.name, [&] {
          // The type after this `is`, not one inside its left operand.
          for (SourceSpan t : ScanRefs(ast_, e.span).is_types) {
            if (t.begin >= e.a->span.end) return t;
          }
          return e.span;
        });
        break;
      }
      default:
        break;
    }
    for (const Expr* child : {e.a, e.b, e.c}) {
      if (child != nullptr) Visit(*child);
    }
    for (const Expr* item : e.items) Visit(*item);
    for (const ExprField& f : e.fields) Visit(*f.value);
  }

  void Report(ValidationCode code, SourceSpan span, std::string message) {
    issues_.push_back(Issue{code, span, std::move(message)});
  }

  const SchemaView& view_;
  const PolicyAst& ast_;
  std::vector<Issue>& issues_;
};

// Whether a scope admits an entity type, by the types and hierarchy the schema declares.
// `link` is the value of the scope's slot (null for an unlinked template).
bool Admits(const SchemaView& view, const EntityScope& s, const EntityUID* link,
            const EntityTypeInfo* type) {
  const EntityUID* uid = s.slot ? link : s.uid;
  auto in = [&] {
    if (uid == nullptr) return true;
    const EntityTypeInfo* target = view.FindEntityType(uid->type);
    return target != nullptr && type->MayBeIn(*target);
  };
  switch (s.op) {
    case EntityScope::kAny:
      return true;
    case EntityScope::kEq:
      return uid == nullptr || view.FindEntityType(uid->type) == type;
    case EntityScope::kIn:
      return in();
    case EntityScope::kIs:
      return view.FindEntityType(s.entity_type) == type;
    case EntityScope::kIsIn:
      return view.FindEntityType(s.entity_type) == type && in();
  }
  return true;
}

// True when some action's appliesTo matches the scope. An undeclared action anywhere in the
// action scope makes the whole scope inapplicable (as the reference engine reports it).
bool Applicable(const SchemaView& view, const PolicyAst& ast, const EntityUID* principal_link,
                const EntityUID* resource_link) {
  std::vector<const ActionInfo*> targets;
  for (const EntityUID* uid : ast.action.uids) {
    const ActionInfo* a = view.FindAction(uid->type, uid->id);
    if (a == nullptr) return false;
    targets.push_back(a);
  }
  for (const validation::RequestEnv& env : view.environments()) {
    bool action_ok = ast.action.op == ActionScope::kAny;
    for (const ActionInfo* t : targets) {
      action_ok =
          action_ok || (ast.action.op == ActionScope::kEq ? env.action == t : env.action->IsIn(*t));
    }
    if (action_ok && Admits(view, ast.principal, principal_link, env.principal) &&
        Admits(view, ast.resource, resource_link, env.resource)) {
      return true;
    }
  }
  return false;
}

// Index just past the `)` that closes the `(` at `open`, or npos.
size_t ClosingParen(std::string_view text, size_t open) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Expressions keep the parentheses written around them; issues point inside them.
SourceSpan WithoutParens(std::string_view text, SourceSpan span) {
  while (span.end <= text.size() && span.begin < span.end && text[span.begin] == '(' &&
         ClosingParen(text, span.begin) == span.end) {
    ++span.begin;
    --span.end;
    while (span.begin < span.end && std::isspace(static_cast<unsigned char>(text[span.begin]))) {
      ++span.begin;
    }
    while (span.end > span.begin && std::isspace(static_cast<unsigned char>(text[span.end - 1]))) {
      --span.end;
    }
  }
  return span;
}

void Emit(std::string_view id, const PolicyAst& ast, std::vector<Issue>& issues,
          ValidationResult& out) {
  std::string_view source = ast.source ? std::string_view(*ast.source) : std::string_view();
  for (Issue& i : issues) i.span = WithoutParens(source, i.span);
  auto key = [](const Issue& i) { return std::tie(i.span.begin, i.span.end, i.code, i.message); };
  std::sort(issues.begin(), issues.end(),
            [&](const Issue& a, const Issue& b) { return key(a) < key(b); });
  issues.erase(std::unique(issues.begin(), issues.end(),
                           [&](const Issue& a, const Issue& b) { return key(a) == key(b); }),
               issues.end());
  for (Issue& i : issues) {
    ValidationIssue v;
    v.code = i.code;
    v.policy_id = std::string(id);
    v.span = i.span;
    if (i.span.begin < source.size()) v.pos = PositionOf(source, i.span.begin);
    v.message = std::move(i.message);
    (v.is_warning() ? out.warnings : out.errors).push_back(std::move(v));
  }
}

const char kNoApplicableMessage[] =
    "no action's appliesTo matches the policy scope: the policy applies to no request";
const char kImpossibleMessage[] =
    "policy is impossible: it evaluates to false for every request the schema allows";

}  // namespace

struct Validator::Impl {
  explicit Impl(const Schema& s) : view(s) {}
  SchemaView view;
};

Validator::Validator(const Schema& schema) : impl_(std::make_unique<Impl>(schema)) {}
Validator::~Validator() = default;
Validator::Validator(Validator&&) noexcept = default;
Validator& Validator::operator=(Validator&&) noexcept = default;

void Validator::ValidatePolicy(std::string_view id, const PolicyAst& ast,
                               const ValidationOptions& options, ValidationResult& out) const {
  const SchemaView& view = impl_->view;
  std::vector<Issue> issues;
  ReferenceChecks(view, ast, issues).Run();
  validation::Typechecker checker(view, ast, issues, options.max_deref_level);
  bool possible = false;
  for (const validation::RequestEnv& env : view.environments()) {
    if (!checker.CheckPolicy(env).is(validation::TypeKind::kFalse)) possible = true;
  }
  if (!Applicable(view, ast, nullptr, nullptr)) {
    issues.push_back(Issue{ValidationCode::kNoApplicableAction, ast.span, kNoApplicableMessage});
  }
  if (!possible) {
    issues.push_back(Issue{ValidationCode::kImpossiblePolicy, ast.span, kImpossibleMessage});
  }
  if (options.max_deref_level && checker.required_level() > *options.max_deref_level) {
    issues.push_back(Issue{ValidationCode::kEntityDerefLevel, checker.first_too_deep(),
                           "this policy requires level " +
                               std::to_string(checker.required_level()) +
                               ", which exceeds the maximum allowed level (" +
                               std::to_string(*options.max_deref_level) + ")"});
  }
  Emit(id, ast, issues, out);
}

ValidationResult Validator::Validate(const PolicySet& policies,
                                     const ValidationOptions& options) const {
  ValidationResult out;
  for (const auto& p : policies.policies()) {
    if (!p->is_linked()) ValidatePolicy(p->id(), p->ast(), options, out);
  }
  for (const auto& t : policies.templates()) ValidatePolicy(t->id, *t->ast, options, out);
  // A linked policy was checked as its template; what remains is whether the values given
  // to its slots exist and leave it an applicable action.
  const SchemaView& view = impl_->view;
  for (const auto& p : policies.policies()) {
    if (!p->is_linked()) continue;
    const PolicyAst& ast = p->ast();
    std::vector<Issue> issues;
    for (const auto& [slot, value] : {std::pair{&ast.principal, p->principal_slot_value()},
                                      std::pair{&ast.resource, p->resource_slot_value()}}) {
      if (value != nullptr && view.FindEntityType(value->type) == nullptr) {
        issues.push_back(Issue{ValidationCode::kUnrecognizedEntityType, slot->span,
                               "unrecognized entity type `" + std::string(value->type) +
                                   "` in the value linked to the slot"});
      }
    }
    if (!Applicable(view, ast, p->principal_slot_value(), p->resource_slot_value())) {
      issues.push_back(Issue{ValidationCode::kNoApplicableAction, ast.span, kNoApplicableMessage});
    }
    Emit(p->id(), ast, issues, out);
  }
  return out;
}

ValidationResult Validate(const Schema& schema, const PolicySet& policies,
                          const ValidationOptions& options) {
  return Validator(schema).Validate(policies, options);
}

}  // namespace cedar
