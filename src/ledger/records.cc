#include "ledger/records.h"

#include <array>
#include <boost/json.hpp>

namespace writ::ledger {
namespace {

template <size_t N>
Result<size_t> FindName(const std::array<std::string_view, N>& names, std::string_view s,
                        const char* what) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s) return i;
  }
  return InvalidArgument(std::string("ledger: unknown ") + what + " '" + std::string(s) + "'");
}

constexpr std::array<std::string_view, 3> kVerdicts = {"allow", "deny", "approval_required"};
constexpr std::array<std::string_view, 4> kRisks = {"low", "medium", "high", "critical"};
constexpr std::array<std::string_view, 4> kTransitions = {
    "privilege_escalation", "data_export", "external_tool_invocation", "approval_override"};
constexpr std::array<std::string_view, 2> kDepths = {"full", "summary"};

// Writes fields into a JSON object, leaving out empty values. With `take`, JSON members are
// moved out of the record instead of copied.
struct Writer {
  boost::json::object& o;
  bool take = false;
  void operator()(const char* k, const std::string& v) {
    if (!v.empty()) o[k] = v;
  }
  void operator()(const char* k, const int64_t& v) { o[k] = v; }
  void operator()(const char* k, const std::vector<std::string>& v) {
    if (v.empty()) return;
    boost::json::array a;
    for (const auto& s : v) a.emplace_back(s);
    o[k] = std::move(a);
  }
  template <typename Json>  // an object or an array
  void PutJson(const char* k, Json& v) {
    if (v.empty()) return;
    if (take) {
      o[k] = std::move(v);
    } else {
      o[k] = v;
    }
  }
  void operator()(const char* k, boost::json::object& v) { PutJson(k, v); }
  void operator()(const char* k, boost::json::array& v) { PutJson(k, v); }
  void operator()(const char* k, const Verdict& v) { o[k] = VerdictName(v); }
  void operator()(const char* k, const RiskTier& v) { o[k] = RiskTierName(v); }
  void operator()(const char* k, const EvidenceDepth& v) { o[k] = EvidenceDepthName(v); }
  void operator()(const char* k, const std::vector<TransitionClass>& v) {
    if (v.empty()) return;
    boost::json::array a;
    for (auto t : v) a.emplace_back(TransitionClassName(t));
    o[k] = std::move(a);
  }
};

// Reads fields from a JSON object; the first type error is kept.
struct Reader {
  const boost::json::object& o;
  Status status;

  const boost::json::value* Get(const char* k) {
    auto* v = o.if_contains(k);
    return v && !v->is_null() ? v : nullptr;
  }
  void Error(const char* k, const char* want) {
    if (status.ok()) status = InvalidArgument(std::string("ledger: field ") + k + ": want " + want);
  }
  void operator()(const char* k, std::string& v) {
    if (auto* x = Get(k)) {
      if (x->is_string()) {
        v = std::string(x->get_string());
      } else {
        Error(k, "a string");
      }
    }
  }
  void operator()(const char* k, int64_t& v) {
    if (auto* x = Get(k)) {
      if (x->is_int64()) {
        v = x->get_int64();
      } else if (x->is_uint64() && x->get_uint64() <= INT64_MAX) {
        v = static_cast<int64_t>(x->get_uint64());
      } else {
        Error(k, "an integer");
      }
    }
  }
  void operator()(const char* k, std::vector<std::string>& v) {
    if (auto* x = Get(k)) {
      if (!x->is_array()) return Error(k, "an array of strings");
      for (const auto& e : x->get_array()) {
        if (!e.is_string()) return Error(k, "an array of strings");
        v.emplace_back(e.get_string());
      }
    }
  }
  void operator()(const char* k, boost::json::object& v) {
    if (auto* x = Get(k)) {
      if (x->is_object()) {
        v = x->get_object();
      } else {
        Error(k, "an object");
      }
    }
  }
  void operator()(const char* k, boost::json::array& v) {
    if (auto* x = Get(k)) {
      if (x->is_array()) {
        v = x->get_array();
      } else {
        Error(k, "an array");
      }
    }
  }
  template <typename E, typename Parse>
  void Enum(const char* k, E& v, Parse parse) {
    if (auto* x = Get(k)) {
      if (!x->is_string()) return Error(k, "a string");
      auto r = parse(x->get_string());
      if (!r.ok()) {
        if (status.ok()) status = r.status();
        return;
      }
      v = *r;
    }
  }
  void operator()(const char* k, Verdict& v) { Enum(k, v, ParseVerdict); }
  void operator()(const char* k, RiskTier& v) { Enum(k, v, ParseRiskTier); }
  void operator()(const char* k, EvidenceDepth& v) { Enum(k, v, ParseEvidenceDepth); }
  void operator()(const char* k, std::vector<TransitionClass>& v) {
    std::vector<std::string> names;
    (*this)(k, names);
    for (const auto& n : names) {
      auto t = ParseTransitionClass(n);
      if (!t.ok()) {
        if (status.ok()) status = t.status();
        return;
      }
      v.push_back(*t);
    }
  }
};

template <typename R, typename Visit>
boost::json::object ToJsonWith(const R& r, Visit visit) {
  boost::json::object o;
  Writer w{o};
  visit(const_cast<R&>(r), w);  // the Writer only reads
  return o;
}

template <typename R, typename Visit>
boost::json::object TakeJsonWith(R& r, Visit visit, size_t members) {
  boost::json::object o;
  o.reserve(members);  // room for the members at once, rather than rehashing as they come
  Writer w{o, true};
  visit(r, w);
  return o;
}

template <typename R, typename Visit>
Result<R> FromJsonWith(const boost::json::object& o, Visit visit) {
  R r;
  Reader rd{o, Status::Ok()};
  visit(r, rd);
  if (!rd.status.ok()) return rd.status;
  return r;
}

// Field lists: the one place where each record's JSON names are written down.
template <typename V>
void Fields(IdentityChain& r, V& v) {
  v("principal", r.principal);
  v("user", r.user);
  v("actor_chain", r.actor_chain);
  v("token_id", r.token_id);
  v("spiffe_id", r.spiffe_id);
}
template <typename V>
void Fields(DecisionRequest& r, V& v) {
  v("action", r.action);
  v("resource", r.resource);
  v("context", r.context);
}
template <typename V>
void Fields(DecisionRecord& r, V& v) {
  v("decision_id", r.decision_id);
  v("task_id", r.task_id);
  v("intent", r.intent);
  v("upstream", r.upstream);
  v("verdict", r.verdict);
  v("reason", r.reason);
  v("determining_policies", r.determining_policies);
  v("erroring_policies", r.erroring_policies);
  v("policy_set_hash", r.policy_set_hash);
  v("entities_hash", r.entities_hash);
  v("obligations", r.obligations);
  v("credentials_issued", r.credentials_issued);
  v("approval_id", r.approval_id);
  v("risk", r.risk);
  v("transitions", r.transitions);
  v("trace_id", r.trace_id);
  v("span_id", r.span_id);
  v("parent_span_id", r.parent_span_id);
  v("latency_us", r.latency_us);
  v("node", r.node);
  v("evidence", r.evidence);
}
template <typename V>
void Fields(TaskStartRecord& r, V& v) {
  v("task_id", r.task_id);
  v("decision_id", r.decision_id);
  v("principal", r.principal);
  v("user", r.user);
  v("spiffe_id", r.spiffe_id);
  v("intent", r.intent);
  v("token_id", r.token_id);
  v("trace_id", r.trace_id);
  v("expires_at", r.expires_at);
}
template <typename V>
void Fields(TaskEndRecord& r, V& v) {
  v("task_id", r.task_id);
  v("principal", r.principal);
  v("reason", r.reason);
  v("trace_id", r.trace_id);
  v("revoked_credentials", r.revoked_credentials);
}
template <typename V>
void Fields(DelegationRecord& r, V& v) {
  v("task_id", r.task_id);
  v("decision_id", r.decision_id);
  v("principal", r.principal);
  v("delegate", r.delegate);
  v("parent_token_id", r.parent_token_id);
  v("child_token_id", r.child_token_id);
  v("expires_at", r.expires_at);
  v("trace_id", r.trace_id);
  v("actor_chain", r.actor_chain);
  v("scopes", r.scopes);
  v("depth", r.depth);
}
template <typename V>
void Fields(CredentialRecord& r, V& v) {
  v("credential_id", r.credential_id);
  v("credential_type", r.credential_type);
  v("task_id", r.task_id);
  v("decision_id", r.decision_id);
  v("principal", r.principal);
  v("audience", r.audience);
  v("expires_at", r.expires_at);
  v("reason", r.reason);
  v("revoked_via", r.revoked_via);
  v("scopes", r.scopes);
}
template <typename V>
void Fields(ApprovalRecord& r, V& v) {
  v("approval_id", r.approval_id);
  v("decision_id", r.decision_id);
  v("task_id", r.task_id);
  v("principal", r.principal);
  v("approver", r.approver);
  v("group", r.group);
  v("reason", r.reason);
  v("request_digest", r.request_digest);
  v("policy_set_hash", r.policy_set_hash);
  v("expires_at", r.expires_at);
}
template <typename V>
void Fields(OutcomeRecord& r, V& v) {
  v("decision_id", r.decision_id);
  v("task_id", r.task_id);
  v("principal", r.principal);
  v("status", r.status);
  v("result_digest", r.result_digest);
  v("error", r.error);
  v("trace_id", r.trace_id);
  v("result_size", r.result_size);
  v("latency_us", r.latency_us);
}
template <typename V>
void Fields(VersionLoadedRecord& r, V& v) {
  v("content_hash", r.content_hash);
  v("previous_hash", r.previous_hash);
  v("source", r.source);
  v("node", r.node);
  v("size", r.size);
}
template <typename V>
void Fields(KeyRotationRecord& r, V& v) {
  v("key_use", r.key_use);
  v("old_key_id", r.old_key_id);
  v("new_key_id", r.new_key_id);
  v("reason", r.reason);
}
template <typename V>
void Fields(CheckpointRecord& r, V& v) {
  v("tree_size", r.tree_size);
  v("root", r.root);
  v("note", r.note);
}

auto kVisit = [](auto& r, auto& v) { Fields(r, v); };

}  // namespace

std::string_view VerdictName(Verdict v) {
  return kVerdicts[static_cast<size_t>(v)];
}
Result<Verdict> ParseVerdict(std::string_view s) {
  WRIT_ASSIGN_OR_RETURN(size_t i, FindName(kVerdicts, s, "verdict"));
  return static_cast<Verdict>(i);
}
std::string_view RiskTierName(RiskTier r) {
  return kRisks[static_cast<size_t>(r)];
}
Result<RiskTier> ParseRiskTier(std::string_view s) {
  WRIT_ASSIGN_OR_RETURN(size_t i, FindName(kRisks, s, "risk tier"));
  return static_cast<RiskTier>(i);
}
std::string_view TransitionClassName(TransitionClass t) {
  return kTransitions[static_cast<size_t>(t)];
}
Result<TransitionClass> ParseTransitionClass(std::string_view s) {
  WRIT_ASSIGN_OR_RETURN(size_t i, FindName(kTransitions, s, "transition class"));
  return static_cast<TransitionClass>(i);
}
std::string_view EvidenceDepthName(EvidenceDepth d) {
  return kDepths[static_cast<size_t>(d)];
}
Result<EvidenceDepth> ParseEvidenceDepth(std::string_view s) {
  WRIT_ASSIGN_OR_RETURN(size_t i, FindName(kDepths, s, "evidence depth"));
  return static_cast<EvidenceDepth>(i);
}

boost::json::object DecisionRecord::ToJson() const& {
  DecisionRecord copy = *this;
  return std::move(copy).ToJson();
}

boost::json::object DecisionRecord::ToJson() && {
  boost::json::object o = TakeJsonWith(*this, kVisit, 25);
  boost::json::object req = TakeJsonWith(request, kVisit, 3);
  if (!req.empty()) o["request"] = std::move(req);
  boost::json::object id = TakeJsonWith(identity, kVisit, 6);
  if (!id.empty()) o["identity"] = std::move(id);
  return o;
}

Result<DecisionRecord> DecisionRecord::FromJson(const boost::json::object& o) {
  WRIT_ASSIGN_OR_RETURN(DecisionRecord r, FromJsonWith<DecisionRecord>(o, kVisit));
  for (auto [name, target] : {std::pair<const char*, int>{"request", 0}, {"identity", 1}}) {
    auto* v = o.if_contains(name);
    if (!v || v->is_null()) continue;
    if (!v->is_object())
      return InvalidArgument(std::string("ledger: field ") + name + ": want an object");
    if (target == 0) {
      WRIT_ASSIGN_OR_RETURN(r.request, FromJsonWith<DecisionRequest>(v->get_object(), kVisit));
    } else {
      WRIT_ASSIGN_OR_RETURN(r.identity, FromJsonWith<IdentityChain>(v->get_object(), kVisit));
    }
  }
  return r;
}

#define WRIT_SIMPLE_RECORD_JSON(Type)                         \
  boost::json::object Type::ToJson() const {                  \
    return ToJsonWith(*this, kVisit);                         \
  }                                                           \
  Result<Type> Type::FromJson(const boost::json::object& o) { \
    return FromJsonWith<Type>(o, kVisit);                     \
  }
WRIT_SIMPLE_RECORD_JSON(TaskStartRecord)
WRIT_SIMPLE_RECORD_JSON(TaskEndRecord)
WRIT_SIMPLE_RECORD_JSON(DelegationRecord)
WRIT_SIMPLE_RECORD_JSON(CredentialRecord)
WRIT_SIMPLE_RECORD_JSON(ApprovalRecord)
WRIT_SIMPLE_RECORD_JSON(OutcomeRecord)
WRIT_SIMPLE_RECORD_JSON(VersionLoadedRecord)
WRIT_SIMPLE_RECORD_JSON(KeyRotationRecord)
WRIT_SIMPLE_RECORD_JSON(CheckpointRecord)
#undef WRIT_SIMPLE_RECORD_JSON

}  // namespace writ::ledger
