#include "identity/claims.h"

#include <algorithm>
#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "identity/errors.h"

namespace writ::identity {
namespace {

namespace json = boost::json;

constexpr int kMaxChain = 64;

Status Invalid(std::string_view why) {
  return IdentityFailure(IdentityError::kClaimsInvalid, why);
}

Result<std::string> Str(const json::object& o, const char* name, bool required = true) {
  auto it = o.find(name);
  if (it == o.end()) {
    if (!required) return std::string();
    return Invalid(std::string("claim \"") + name + "\" is missing");
  }
  if (!it->value().is_string()) {
    return Invalid(std::string("claim \"") + name + "\" is not a string");
  }
  return std::string(it->value().as_string());
}

Result<int64_t> Int(const json::object& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end()) return Invalid(std::string("claim \"") + name + "\" is missing");
  const json::value& v = it->value();
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.as_uint64());
  }
  return Invalid(std::string("claim \"") + name + "\" is not an integer");
}

bool ScopeCharOk(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
}

}  // namespace

std::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kTask:
      return "task";
    case TokenKind::kDelegated:
      return "delegated";
    case TokenKind::kCredential:
      return "credential";
  }
  return "?";
}

std::string_view TokenTypeHeader(TokenKind kind) {
  return kind == TokenKind::kCredential ? kCredentialTokenType : kTaskTokenType;
}

const std::string& TokenClaims::parent_token_id() const {
  static const std::string kNone;
  return ancestors.empty() ? kNone : ancestors.back();
}

Result<std::vector<std::string>> NormalizeScopes(std::vector<std::string> scopes) {
  for (const std::string& s : scopes) {
    if (s.empty()) return InvalidArgument("scope: empty scope");
    if (s.size() > 256) return InvalidArgument("scope: longer than 256 characters");
    for (char c : s) {
      if (!ScopeCharOk(c)) {
        return InvalidArgument("scope: character not allowed by RFC 6749 §3.3 in `" + s + "`");
      }
    }
  }
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  return scopes;
}

Result<std::vector<std::string>> ParseScopeString(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t space = text.find(' ', pos);
    if (space == std::string_view::npos) space = text.size();
    if (space > pos) out.emplace_back(text.substr(pos, space - pos));
    pos = space + 1;
  }
  return NormalizeScopes(std::move(out));
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

bool ScopesSubset(const std::vector<std::string>& child, const std::vector<std::string>& parent) {
  return std::includes(parent.begin(), parent.end(), child.begin(), child.end());
}

Result<std::string> EncodeClaims(const TokenClaims& c) {
  json::object o;
  o["iss"] = c.issuer;
  o["sub"] = c.subject;
  o["aud"] = c.audience;
  o["jti"] = c.token_id;
  o["iat"] = c.issued_at;
  o["nbf"] = c.not_before;
  o["exp"] = c.expires_at;
  o["kind"] = TokenKindName(c.kind);
  o["task"] = c.task_id;
  o["txn"] = c.transaction_id;
  o["usr"] = json::object{{"sub", c.user.subject}, {"iss", c.user.issuer}};
  o["scope"] = JoinScopes(c.scopes);
  o["intent"] = c.intent_digest;
  o["depth"] = c.depth;
  if (!c.actors.empty()) {
    json::value act;
    for (auto it = c.actors.rbegin(); it != c.actors.rend(); ++it) {
      json::object level{{"sub", *it}};
      if (!act.is_null()) level["act"] = std::move(act);
      act = std::move(level);
    }
    o["act"] = std::move(act);
  }
  if (!c.ancestors.empty()) {
    json::array chain;
    for (const std::string& a : c.ancestors) chain.emplace_back(a);
    o["chain"] = std::move(chain);
  }
  if (c.kind == TokenKind::kCredential) o["decision"] = c.decision_id;
  return CanonicalJson(o);
}

Result<TokenClaims> DecodeClaims(std::string_view text) {
  auto parsed = ParseJson(text);
  if (!parsed.ok() || !parsed->is_object()) return Invalid("the claims are not a JSON object");
  const json::object& o = parsed->as_object();
  TokenClaims c;
  WRIT_ASSIGN_OR_RETURN(std::string kind, Str(o, "kind"));
  if (kind == "task") {
    c.kind = TokenKind::kTask;
  } else if (kind == "delegated") {
    c.kind = TokenKind::kDelegated;
  } else if (kind == "credential") {
    c.kind = TokenKind::kCredential;
  } else {
    return Invalid("claim \"kind\" is not task, delegated or credential");
  }
  WRIT_ASSIGN_OR_RETURN(c.issuer, Str(o, "iss"));
  WRIT_ASSIGN_OR_RETURN(c.subject, Str(o, "sub"));
  WRIT_ASSIGN_OR_RETURN(c.audience, Str(o, "aud"));
  WRIT_ASSIGN_OR_RETURN(c.token_id, Str(o, "jti"));
  WRIT_ASSIGN_OR_RETURN(c.issued_at, Int(o, "iat"));
  WRIT_ASSIGN_OR_RETURN(c.not_before, Int(o, "nbf"));
  WRIT_ASSIGN_OR_RETURN(c.expires_at, Int(o, "exp"));
  WRIT_ASSIGN_OR_RETURN(c.task_id, Str(o, "task"));
  WRIT_ASSIGN_OR_RETURN(c.transaction_id, Str(o, "txn"));
  auto usr = o.find("usr");
  if (usr == o.end() || !usr->value().is_object()) return Invalid("claim \"usr\" is not an object");
  WRIT_ASSIGN_OR_RETURN(c.user.subject, Str(usr->value().as_object(), "sub"));
  WRIT_ASSIGN_OR_RETURN(c.user.issuer, Str(usr->value().as_object(), "iss"));
  WRIT_ASSIGN_OR_RETURN(std::string scope, Str(o, "scope"));
  auto scopes = ParseScopeString(scope);
  if (!scopes.ok() || JoinScopes(*scopes) != scope) return Invalid("claim \"scope\" malformed");
  c.scopes = std::move(scopes).value();
  WRIT_ASSIGN_OR_RETURN(c.intent_digest, Str(o, "intent"));
  WRIT_ASSIGN_OR_RETURN(int64_t depth, Int(o, "depth"));
  if (depth < 0 || depth > kMaxChain) return Invalid("claim \"depth\" out of range");
  c.depth = static_cast<int>(depth);
  if (auto act = o.find("act"); act != o.end()) {
    const json::value* level = &act->value();
    while (level != nullptr) {
      if (!level->is_object()) return Invalid("claim \"act\" is not an object");
      const json::object& lo = level->as_object();
      WRIT_ASSIGN_OR_RETURN(std::string sub, Str(lo, "sub"));
      c.actors.push_back(std::move(sub));
      if (c.actors.size() > static_cast<size_t>(kMaxChain)) return Invalid("\"act\" too deep");
      auto next = lo.find("act");
      level = next == lo.end() ? nullptr : &next->value();
    }
  }
  if (auto chain = o.find("chain"); chain != o.end()) {
    if (!chain->value().is_array()) return Invalid("claim \"chain\" is not an array");
    for (const json::value& v : chain->value().as_array()) {
      if (!v.is_string() || v.as_string().empty()) return Invalid("claim \"chain\" malformed");
      c.ancestors.emplace_back(v.as_string());
    }
    if (c.ancestors.size() > static_cast<size_t>(kMaxChain)) return Invalid("\"chain\" too long");
  }
  switch (c.kind) {
    case TokenKind::kTask:
      if (c.depth != 0 || !c.actors.empty() || !c.ancestors.empty()) {
        return Invalid("a task token has depth 0 and no actor chain");
      }
      break;
    case TokenKind::kDelegated:
      if (c.depth < 1 || c.actors.size() != static_cast<size_t>(c.depth) ||
          c.ancestors.size() != static_cast<size_t>(c.depth)) {
        return Invalid("a delegated token's depth, \"act\" and \"chain\" disagree");
      }
      break;
    case TokenKind::kCredential:
      WRIT_ASSIGN_OR_RETURN(c.decision_id, Str(o, "decision"));
      if (c.decision_id.empty() || c.ancestors.size() != static_cast<size_t>(c.depth) + 1 ||
          c.actors.size() != static_cast<size_t>(c.depth)) {
        return Invalid("a credential names its decision and its parent's chain");
      }
      break;
  }
  if (c.token_id.empty() || c.subject.empty() || c.task_id.empty()) {
    return Invalid("empty \"jti\", \"sub\" or \"task\"");
  }
  return c;
}

}  // namespace writ::identity
