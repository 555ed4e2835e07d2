#include "ledger/evidence.h"

#include <algorithm>
#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "base/crypto.h"

namespace writ::ledger {

Result<std::string> SensitiveDigest(std::string_view key, const boost::json::value& value) {
  WRIT_ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(value));
  return DigestHex(HmacSha256(key, canonical));
}

namespace {

// Fields of a decision record that the engine also copies into its request context.
constexpr std::string_view kCopiedIntoContext[] = {"intent", "upstream"};
constexpr std::string_view kContext = "request.context";

// `path` is `field` or below it.
bool Within(std::string_view path, std::string_view field) {
  return path.size() >= field.size() && path.substr(0, field.size()) == field &&
         (path.size() == field.size() || path[field.size()] == '.');
}

}  // namespace

EvidencePolicy::EvidencePolicy(EvidenceConfig config) : config_(std::move(config)) {
  auto add = [&](std::string p) {
    if (std::find(paths_.begin(), paths_.end(), p) == paths_.end()) paths_.push_back(std::move(p));
  };
  for (const std::string& path : config_.sensitive_paths) {
    add(path);
    for (std::string_view field : kCopiedIntoContext) {
      std::string copy = std::string(kContext) + "." + std::string(field);
      if (Within(path, field)) {
        add(std::string(kContext) + "." + path);  // intent -> request.context.intent
      } else if (Within(path, copy)) {
        add(path.substr(kContext.size() + 1));  // request.context.intent -> intent
      } else if (Within(copy, path)) {
        add(std::string(field));  // request.context -> intent (the whole context is digested)
      }
    }
  }
  for (std::string_view field : kCopiedIntoContext) {
    if (std::find(config_.sensitive_names.begin(), config_.sensitive_names.end(), field) !=
        config_.sensitive_names.end()) {
      add(std::string(field));
    }
  }
}

Result<EvidencePolicy> EvidencePolicy::Create(EvidenceConfig config) {
  bool sensitive = !config.sensitive_paths.empty() || !config.sensitive_names.empty();
  if (sensitive && config.hmac_key.size() < 16) {
    return InvalidArgument(
        "evidence: sensitive fields are configured but the deployment HMAC key is missing or "
        "shorter than 16 bytes");
  }
  for (const auto& p : config.sensitive_paths) {
    if (p.empty() || p.front() == '.' || p.back() == '.') {
      return InvalidArgument("evidence: bad sensitive path '" + p + "'");
    }
  }
  return EvidencePolicy(std::move(config));
}

Result<boost::json::object> EvidencePolicy::Digest(const boost::json::value& v) const {
  boost::json::object o;
  if (!config_.hmac_key.empty()) {
    WRIT_ASSIGN_OR_RETURN(std::string d, SensitiveDigest(config_.hmac_key, v));
    o["hmac_sha256"] = d;
  } else {
    WRIT_ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(v));
    o["sha256"] = DigestHex(Sha256(canonical));
  }
  return o;
}

Status EvidencePolicy::RedactNames(boost::json::value& v, int depth) const {
  if (depth > kMaxCanonicalJsonDepth) return InvalidArgument("evidence: nesting too deep");
  if (v.is_array()) {
    for (auto& e : v.get_array()) WRIT_RETURN_IF_ERROR(RedactNames(e, depth + 1));
  } else if (v.is_object()) {
    for (auto& kv : v.get_object()) {
      std::string_view name(kv.key().data(), kv.key().size());
      if (std::find(config_.sensitive_names.begin(), config_.sensitive_names.end(), name) !=
          config_.sensitive_names.end()) {
        WRIT_ASSIGN_OR_RETURN(boost::json::object d, Digest(kv.value()));
        if (config_.hmac_key.empty()) return Internal("evidence: no key");
        kv.value() = std::move(d);
      } else {
        WRIT_RETURN_IF_ERROR(RedactNames(kv.value(), depth + 1));
      }
    }
  }
  return Status::Ok();
}

Status EvidencePolicy::RedactSensitive(boost::json::object& body) const {
  for (const auto& path : paths_) {
    boost::json::object* obj = &body;
    size_t start = 0;
    for (;;) {
      size_t dot = path.find('.', start);
      std::string_view part(path.data() + start,
                            (dot == std::string::npos ? path.size() : dot) - start);
      auto* v = obj->if_contains(part);
      if (!v) break;
      if (dot == std::string::npos) {
        WRIT_ASSIGN_OR_RETURN(boost::json::object d, Digest(*v));
        *v = std::move(d);
        break;
      }
      if (!v->is_object()) break;
      obj = &v->get_object();
      start = dot + 1;
    }
  }
  if (!config_.sensitive_names.empty()) {
    for (const char* root : {"upstream", "request"}) {
      auto* v = body.if_contains(root);
      if (!v) continue;
      if (std::string_view(root) == "request") {
        if (!v->is_object()) continue;
        auto* ctx = v->get_object().if_contains("context");
        if (ctx) WRIT_RETURN_IF_ERROR(RedactNames(*ctx, 0));
      } else {
        WRIT_RETURN_IF_ERROR(RedactNames(*v, 0));
      }
    }
  }
  return Status::Ok();
}

Result<LedgerEntry> EvidencePolicy::DecisionEntry(DecisionRecord record,
                                                  std::optional<EvidenceDepth> requested) const {
  EvidenceDepth depth = requested.value_or(config_.default_depth);
  bool always_full = record.verdict == Verdict::kDeny || record.risk >= RiskTier::kHigh ||
                     !record.transitions.empty();
  if (always_full) depth = EvidenceDepth::kFull;
  record.evidence = depth;
  boost::json::object body = std::move(record).ToJson();
  if (depth == EvidenceDepth::kSummary) {
    for (const char* field : {"intent", "upstream"}) {
      if (auto* v = body.if_contains(field)) {
        WRIT_ASSIGN_OR_RETURN(boost::json::object d, Digest(*v));
        body[std::string(field) + "_digest"] = std::move(d);
        body.erase(field);
      }
    }
    if (auto* req = body.if_contains("request"); req && req->is_object()) {
      if (auto* ctx = req->get_object().if_contains("context")) {
        WRIT_ASSIGN_OR_RETURN(boost::json::object d, Digest(*ctx));
        req->get_object()["context_digest"] = std::move(d);
        req->get_object().erase("context");
      }
    }
  }
  WRIT_RETURN_IF_ERROR(RedactSensitive(body));
  return MakeEntry(RecordKind::kDecision, body);
}

bool EvidencePolicy::IsSensitive(std::string_view path) const {
  for (const std::string& p : paths_) {
    if (Within(path, p)) return true;
  }
  // A configured name below request.context or upstream.
  for (std::string_view root : {kContext, std::string_view("upstream")}) {
    if (!Within(path, root) || path.size() == root.size()) continue;
    std::string_view rest = path.substr(root.size() + 1);
    while (!rest.empty()) {
      size_t dot = rest.find('.');
      std::string_view name = rest.substr(0, dot);
      if (std::find(config_.sensitive_names.begin(), config_.sensitive_names.end(), name) !=
          config_.sensitive_names.end()) {
        return true;
      }
      if (dot == std::string_view::npos) break;
      rest = rest.substr(dot + 1);
    }
  }
  return false;
}

Result<LedgerEntry> EvidencePolicy::Entry(RecordKind kind, boost::json::object body) const {
  WRIT_RETURN_IF_ERROR(RedactSensitive(body));
  return MakeEntry(kind, body);
}

}  // namespace writ::ledger
