// The Cedar schema format: a recursive-descent parser over the shared lexer's tokens.
//
// Grammar (the reference's, with what the reference engine accepts where they differ):
//   Schema    := {Namespace}
//   Namespace := Annotations 'namespace' Path '{' {Decl} '}' | Decl
//   Decl      := Entity | Action | TypeDecl
//   Entity    := Annotations 'entity' Idents ['in' EntOrTyps] [['='] RecType] ['tags' Type] ';'
//              | Annotations 'entity' Idents 'enum' '[' STR {',' STR} ']' ';'
//   Action    := Annotations 'action' Names ['in' RefOrRefs] [AppliesTo] [ActAttrs] ';'
//   ActAttrs  := 'attributes' '{' '}'
//   TypeDecl  := Annotations 'type' IDENT '=' Type ';'
//   Type      := 'Set' '<' Type '>' | RecType | Path
//   RecType   := '{' [AttrDecl {',' AttrDecl} [',']] '}'
//   AttrDecl  := Annotations Name ['?'] ':' Type
//   AppliesTo := 'appliesTo' '{' AppDecl {',' AppDecl} [','] '}'
//   AppDecl   := ('principal' | 'resource') ':' EntOrTyps | 'context' ':' (Path | RecType)
//   EntOrTyps := Path | '[' [Path {',' Path}] ']'
//   RefOrRefs := Ref | '[' Ref {',' Ref} ']'
//   Ref       := Path '::' STR | Name
//   Annotation:= '@' ANYIDENT ['(' STR ')']
// Keywords are contextual: `entity`, `action`, `type`, `namespace`, `Set`, ... also name
// things; only Cedar's reserved words (`in`, `if`, `true`, ...) cannot.
#include <algorithm>
#include <string>

#include "cedar/schema/names.h"
#include "cedar/schema_fragment.h"
#include "cedar/syntax/lexer.h"

namespace cedar {

namespace {

using schema_internal::CheckDeclarations;
using schema_internal::IsReservedWord;

// Thrown inside this file only; SchemaFragment::FromCedar turns it into an Error.
struct ParseFailure {
  Error error;
};

class CedarSchemaParser {
 public:
  CedarSchemaParser(std::string_view src, std::vector<Token> tokens)
      : src_(src), toks_(std::move(tokens)) {
    line_starts_.push_back(0);
    for (uint32_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  SchemaFragment ParseSchema() {
    SchemaFragment out;
    while (Peek().kind != Tok::kEof) {
      Annotations annotations = ParseAnnotations();
      const Token& t = Peek();
      if (IsWord(t, "namespace")) {
        Next();
        SchemaNamespace ns;
        ns.pos = Pos(Peek());
        ns.name = ParsePath();
        ns.annotations = std::move(annotations);
        Expect(Tok::kLBrace, "`{`");
        while (true) {
          Annotations decl_annotations = ParseAnnotations();
          if (decl_annotations.empty() && Peek().kind == Tok::kRBrace) break;
          if (IsWord(Peek(), "namespace")) {
            Fail(Peek().begin, "unexpected token `namespace`: namespaces cannot be nested");
          }
          ParseDecl(ns, std::move(decl_annotations), /*in_namespace=*/true);
        }
        Next();
        if (Peek().kind == Tok::kSemi) {
          Fail(Peek().begin,
               "unexpected token `;`: a namespace declaration is not followed by `;`");
        }
        out.namespaces.push_back(std::move(ns));
        continue;
      }
      // A declaration outside any namespace joins the empty namespace.
      SchemaNamespace* empty = nullptr;
      for (SchemaNamespace& ns : out.namespaces) {
        if (ns.name.empty()) empty = &ns;
      }
      if (empty == nullptr) {
        out.namespaces.emplace_back();
        empty = &out.namespaces.back();
        empty->pos = Pos(t);
      }
      ParseDecl(*empty, std::move(annotations), /*in_namespace=*/false);
    }
    return out;
  }

 private:
  // ---- tokens ----
  const Token& Peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  const Token& Prev() const { return toks_[pos_ > 0 ? pos_ - 1 : 0]; }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  std::string_view Text(const Token& t) const { return src_.substr(t.begin, t.end - t.begin); }
  bool IsWord(const Token& t, std::string_view word) const {
    return t.kind == Tok::kIdent && Text(t) == word;
  }

  SourcePos Pos(const Token& t) const { return PosAt(t.begin); }
  // Positions are asked for mostly in increasing order, so each one continues from the last
  // (a schema written on one long line would otherwise cost a scan per position).
  SourcePos PosAt(uint32_t offset) const {
    if (offset < last_pos_.offset) {
      auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
      last_pos_ = SourcePos{*(it - 1), static_cast<uint32_t>(it - line_starts_.begin()), 1};
    }
    for (uint32_t i = last_pos_.offset; i < offset && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++last_pos_.line;
        last_pos_.column = 1;
      } else if ((static_cast<unsigned char>(src_[i]) & 0xC0) != 0x80) {
        // Columns count characters, not bytes: UTF-8 continuation bytes are skipped.
        ++last_pos_.column;
      }
    }
    last_pos_.offset = offset;
    return last_pos_;
  }

  [[noreturn]] void Fail(uint32_t offset, std::string message) const {
    throw ParseFailure{MakeError(ErrorCode::kParse, std::move(message), PosAt(offset))};
  }
  [[noreturn]] void Unexpected(std::string_view expected) const {
    const Token& t = Peek();
    std::string found = t.kind == Tok::kEof ? std::string("unexpected end of input")
                                            : "unexpected token `" + std::string(Text(t)) + "`";
    Fail(t.begin, found + "; expected " + std::string(expected));
  }
  const Token& Expect(Tok kind, std::string_view expected) {
    if (Peek().kind != kind) Unexpected(expected);
    return Next();
  }

  // ---- names and strings ----
  // An identifier that may not be a reserved word.
  std::string ParseIdent(std::string_view expected = "identifier") {
    const Token& t = Expect(Tok::kIdent, expected);
    CheckNotReserved(t);
    return std::string(Text(t));
  }
  void CheckNotReserved(const Token& t) const {
    if (IsReservedWord(Text(t))) {
      Fail(t.begin, "`" + std::string(Text(t)) + "` is a reserved identifier");
    }
  }
  // IDENT {'::' IDENT}, stopping before a `::` that is followed by a string.
  std::string ParsePath() {
    std::string path = ParseIdent();
    while (Peek().kind == Tok::kColonColon && Peek(1).kind == Tok::kIdent) {
      Next();
      path += "::";
      path += ParseIdent();
    }
    return path;
  }
  std::string StringValue(const Token& t) const {
    std::string_view raw = Text(t);
    auto value = UnescapeString(raw.substr(1, raw.size() - 2), t.begin + 1, src_);
    if (!value.ok()) throw ParseFailure{value.take_error()};
    return std::move(value).value();
  }
  // Name := IDENT | STR
  std::string ParseName(std::string_view expected) {
    const Token& t = Peek();
    if (t.kind == Tok::kString) return StringValue(Next());
    if (t.kind == Tok::kIdent) {
      CheckNotReserved(t);
      return std::string(Text(Next()));
    }
    Unexpected(expected);
  }

  Annotations ParseAnnotations() {
    Annotations out;
    while (Peek().kind == Tok::kAt) {
      Next();
      // Annotation names may be any identifier, reserved words included.
      const Token& key = Expect(Tok::kIdent, "annotation name");
      std::string value;
      if (Peek().kind == Tok::kLParen) {
        Next();
        value = StringValue(Expect(Tok::kString, "string literal"));
        Expect(Tok::kRParen, "`)`");
      }
      if (!out.emplace(std::string(Text(key)), std::move(value)).second) {
        Fail(key.begin, "duplicate annotation `@" + std::string(Text(key)) + "`");
      }
    }
    return out;
  }

  // ---- declarations ----
  void ParseDecl(SchemaNamespace& ns, Annotations annotations, bool in_namespace) {
    const Token& t = Peek();
    if (IsWord(t, "entity")) {
      Next();
      ParseEntity(ns, annotations);
    } else if (IsWord(t, "action")) {
      Next();
      ParseAction(ns, annotations);
    } else if (IsWord(t, "type")) {
      Next();
      ParseTypeDecl(ns, std::move(annotations));
    } else if (in_namespace) {
      Unexpected(annotations.empty() ? "`@`, `}`, `action`, `entity`, or `type`"
                                     : "`action`, `entity`, or `type`");
    } else {
      Unexpected(annotations.empty() ? "`@`, `action`, `entity`, `namespace`, or `type`"
                                     : "`action`, `entity`, `namespace`, or `type`");
    }
  }

  void ParseEntity(SchemaNamespace& ns, const Annotations& annotations) {
    std::vector<std::pair<std::string, SourcePos>> names;
    do {
      SourcePos pos = Pos(Peek());
      names.emplace_back(ParseIdent(), pos);
    } while (Peek().kind == Tok::kComma && (Next(), true));

    SchemaEntityDecl decl;
    decl.annotations = annotations;
    if (IsWord(Peek(), "enum")) {
      Next();
      Expect(Tok::kLBracket, "`[`");
      std::vector<std::string> ids;
      do {
        ids.push_back(StringValue(Expect(Tok::kString, "string literal")));
      } while (Peek().kind == Tok::kComma && (Next(), true));
      Expect(Tok::kRBracket, "`,` or `]`");
      decl.enum_ids = std::move(ids);
      Expect(Tok::kSemi, "`;`");
    } else {
      bool any = false;
      if (IsWord(Peek(), "in")) {
        Next();
        decl.member_of_types = ParseEntityTypeList();
        any = true;
      }
      if (Peek().kind == Tok::kAssign) {
        Next();
        if (Peek().kind != Tok::kLBrace) Unexpected("`{`");
        decl.shape = ParseRecord();
      } else if (Peek().kind == Tok::kLBrace) {
        decl.shape = ParseRecord();
      }
      if (IsWord(Peek(), "tags")) {
        Next();
        decl.tags = ParseType();
      }
      if (Peek().kind != Tok::kSemi) {
        if (decl.tags) Unexpected("`;`");
        if (decl.shape) Unexpected("`;` or `tags`");
        Unexpected(any ? "`;`, `=`, `{`, or `tags`"
                       : "`,`, `;`, `=`, `{`, `enum`, `in`, or `tags`");
      }
      Next();
    }
    for (auto& [name, pos] : names) {
      SchemaEntityDecl one = decl;
      one.name = std::move(name);
      one.pos = pos;
      ns.entity_types.push_back(std::move(one));
    }
  }

  // EntOrTyps := Path | '[' [Path {',' Path}] ']'
  std::vector<SchemaNameRef> ParseEntityTypeList() {
    std::vector<SchemaNameRef> out;
    auto one = [&] {
      SourcePos pos = Pos(Peek());
      out.push_back({ParsePath(), pos});
    };
    if (Peek().kind != Tok::kLBracket) {
      one();
      return out;
    }
    Next();
    if (Peek().kind == Tok::kRBracket) {
      Next();
      return out;
    }
    do {
      one();
    } while (Peek().kind == Tok::kComma && (Next(), true));
    Expect(Tok::kRBracket, "`,` or `]`");
    return out;
  }

  void ParseAction(SchemaNamespace& ns, const Annotations& annotations) {
    std::vector<std::pair<std::string, SourcePos>> names;
    do {
      SourcePos pos = Pos(Peek());
      names.emplace_back(ParseName("identifier or string literal"), pos);
    } while (Peek().kind == Tok::kComma && (Next(), true));

    SchemaActionDecl decl;
    decl.annotations = annotations;
    if (IsWord(Peek(), "in")) {
      Next();
      if (Peek().kind == Tok::kLBracket) {
        Next();
        do {
          decl.member_of.push_back(ParseActionRef());
        } while (Peek().kind == Tok::kComma && (Next(), true));
        Expect(Tok::kRBracket, "`,` or `]`");
      } else {
        decl.member_of.push_back(ParseActionRef());
      }
    }
    if (IsWord(Peek(), "appliesTo")) {
      Next();
      decl.applies_to = ParseAppliesTo(names.front().first, names.front().second);
    }
    if (IsWord(Peek(), "attributes")) {
      // The reference engine still accepts an empty attribute list, and nothing else.
      Next();
      Expect(Tok::kLBrace, "`{`");
      if (Peek().kind != Tok::kRBrace) {
        Fail(Peek().begin, "actions cannot have attributes; remove the `attributes` block");
      }
      Next();
    }
    if (Peek().kind != Tok::kSemi) {
      Unexpected(decl.applies_to          ? "`;`"
                 : decl.member_of.empty() ? "`,`, `;`, `appliesTo`, or `in`"
                                          : "`;` or `appliesTo`");
    }
    Next();
    for (auto& [name, pos] : names) {
      SchemaActionDecl one = decl;
      one.name = std::move(name);
      one.pos = pos;
      ns.actions.push_back(std::move(one));
    }
  }

  // Ref := Path '::' STR | Name
  SchemaActionRef ParseActionRef() {
    SchemaActionRef ref;
    ref.pos = Pos(Peek());
    if (Peek().kind == Tok::kIdent && Peek(1).kind == Tok::kColonColon) {
      ref.type = ParsePath();
      Expect(Tok::kColonColon, "`::`");
      ref.id = StringValue(Expect(Tok::kString, "string literal"));
      return ref;
    }
    ref.id = ParseName("identifier or string literal");
    return ref;
  }

  SchemaAppliesTo ParseAppliesTo(const std::string& action, SourcePos action_pos) {
    Expect(Tok::kLBrace, "`{`");
    SchemaAppliesTo out;
    bool principal = false, resource = false, context = false;
    bool after_path = false;  // the last declaration ended with a name, which `::` could extend
    auto duplicate = [&](const Token& t, bool& seen) {
      if (seen) {
        Fail(t.begin, "duplicate `" + std::string(Text(t)) + "` declaration in action " +
                          schema_internal::QuoteString(action));
      }
      seen = true;
    };
    while (true) {
      const Token& t = Peek();
      if (IsWord(t, "principal") || IsWord(t, "resource")) {
        bool is_principal = IsWord(t, "principal");
        const Token& key = Next();
        duplicate(key, is_principal ? principal : resource);
        Expect(Tok::kColon, "`:`");
        uint32_t list_begin = Peek().begin;
        auto types = ParseEntityTypeList();
        if (types.empty()) {
          Fail(list_begin, "`" + std::string(Text(key)) + "` of action " +
                               schema_internal::QuoteString(action) +
                               " is `[]`; an action must apply to at least one principal and one "
                               "resource type (to apply to nothing, leave out `appliesTo`)");
        }
        (is_principal ? out.principal_types : out.resource_types) = std::move(types);
        after_path = Prev().kind == Tok::kIdent;
      } else if (IsWord(t, "context")) {
        duplicate(Next(), context);
        Expect(Tok::kColon, "`:`");
        if (Peek().kind == Tok::kLBrace) {
          out.context = ParseRecord();
        } else {
          SourcePos pos = Pos(Peek());
          // A context written as a name refers to a common type (or a built-in), as in
          // the JSON format's {"type": name}.
          out.context = SchemaTypeExpr::Named(ParsePath(), SchemaTypeExpr::Kind::kCommon);
          out.context->pos = pos;
        }
        after_path = out.context->kind == SchemaTypeExpr::Kind::kCommon;
      } else {
        Unexpected("`context`, `principal`, or `resource`");
      }
      if (Peek().kind == Tok::kComma) {
        Next();
        if (Peek().kind == Tok::kRBrace) break;
        continue;
      }
      if (Peek().kind == Tok::kRBrace) break;
      Unexpected(after_path ? "`,`, `::`, or `}`" : "`,` or `}`");
    }
    Next();
    for (auto [seen, what] : {std::pair{principal, "principal"}, std::pair{resource, "resource"}}) {
      if (!seen) {
        throw ParseFailure{MakeError(
            ErrorCode::kParse,
            "missing `" + std::string(what) + "` in the `appliesTo` of action " +
                schema_internal::QuoteString(action) +
                "; an action with `appliesTo` must declare both `principal` and `resource`",
            action_pos)};
      }
    }
    return out;
  }

  void ParseTypeDecl(SchemaNamespace& ns, Annotations annotations) {
    SchemaCommonTypeDecl decl;
    decl.pos = Pos(Peek());
    decl.name = ParseIdent();
    decl.annotations = std::move(annotations);
    Expect(Tok::kAssign, "`=`");
    decl.type = ParseType();
    Expect(Tok::kSemi, "`;`");
    ns.common_types.push_back(std::move(decl));
  }

  // ---- types ----
  // Types nest by recursion; deeper nesting than this is refused rather than allowed to
  // exhaust the stack.
  static constexpr int kMaxTypeDepth = 512;
  class DepthGuard {
   public:
    explicit DepthGuard(CedarSchemaParser* p) : p_(p) {
      if (++p_->type_depth_ > kMaxTypeDepth) {
        p_->Fail(p_->Peek().begin, "types are nested too deeply (more than " +
                                       std::to_string(kMaxTypeDepth) + " levels)");
      }
    }
    ~DepthGuard() { --p_->type_depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    CedarSchemaParser* p_;
  };

  SchemaTypeExpr ParseType() {
    DepthGuard guard(this);
    const Token& t = Peek();
    SourcePos pos = Pos(t);
    if (t.kind == Tok::kLBrace) return ParseRecord();
    if (IsWord(t, "Set") && Peek(1).kind == Tok::kLt) {
      Next();
      Next();
      SchemaTypeExpr out = SchemaTypeExpr::SetOf(ParseType());
      Expect(Tok::kGt, "`>`");
      out.pos = pos;
      return out;
    }
    if (t.kind == Tok::kIdent) {
      SchemaTypeExpr out = SchemaTypeExpr::Named(ParsePath());
      out.pos = pos;
      return out;
    }
    Unexpected("`{`, identifier, or `Set`");
  }

  SchemaTypeExpr ParseRecord() {
    SchemaTypeExpr out = SchemaTypeExpr::Record({});
    out.pos = Pos(Expect(Tok::kLBrace, "`{`"));
    while (true) {
      Annotations annotations = ParseAnnotations();
      if (annotations.empty() && Peek().kind == Tok::kRBrace) break;
      SchemaAttributeDecl attr;
      attr.pos = Pos(Peek());
      attr.annotations = std::move(annotations);
      attr.name = ParseName(attr.annotations.empty() ? "`@`, `}`, identifier, or string literal"
                                                     : "identifier or string literal");
      if (Peek().kind == Tok::kQuestion) {
        Next();
        attr.required = false;
      }
      Expect(Tok::kColon, "`:`");
      attr.type = ParseType();
      // A repeated attribute replaces the earlier one, as in the reference engine.
      auto same = std::find_if(out.attributes.begin(), out.attributes.end(),
                               [&](const SchemaAttributeDecl& a) { return a.name == attr.name; });
      if (same != out.attributes.end()) {
        *same = std::move(attr);
      } else {
        out.attributes.push_back(std::move(attr));
      }
      if (Peek().kind == Tok::kComma) {
        Next();
        continue;
      }
      if (Peek().kind != Tok::kRBrace) {
        Unexpected(out.attributes.back().type.kind == SchemaTypeExpr::Kind::kName
                       ? "`,`, `::`, or `}`"
                       : "`,` or `}`");
      }
    }
    Next();
    return out;
  }

  std::string_view src_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int type_depth_ = 0;
  std::vector<uint32_t> line_starts_;
  mutable SourcePos last_pos_{0, 1, 1};
};

}  // namespace

Result<SchemaFragment> SchemaFragment::FromCedar(std::string_view text) {
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.take_error();
  SchemaFragment fragment;
  try {
    CedarSchemaParser parser(text, std::move(tokens->tokens));
    fragment = parser.ParseSchema();
  } catch (ParseFailure& failure) {
    return std::move(failure.error);
  }
  Status st = CheckDeclarations(fragment);
  if (!st.ok()) return st.error();
  return fragment;
}

}  // namespace cedar
