#include "authz/decision.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <set>
#include <utility>

#include "base/canonical_json.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "cedar/authorizer.h"
#include "cedar/json.h"

namespace writ::authz {

namespace json = boost::json;

namespace {

// A grant consumed by a decision that does not reach the ledger (an error while the decision is
// prepared, before its records are queued) is given back when this goes out of scope, unless
// Keep took it over: the call was not let through, so the grant was not used.
class ConsumedGrant {
 public:
  explicit ConsumedGrant(store::ApprovalStore& approvals) : approvals_(approvals) {}
  ConsumedGrant(const ConsumedGrant&) = delete;
  ConsumedGrant& operator=(const ConsumedGrant&) = delete;
  ~ConsumedGrant() {
    if (!id_.empty()) (void)approvals_.ReleaseApproval(id_, decision_id_);
  }
  void Consumed(std::string id, std::string decision_id) {
    id_ = std::move(id);
    decision_id_ = std::move(decision_id);
  }
  std::string Keep() { return std::exchange(id_, std::string()); }

 private:
  store::ApprovalStore& approvals_;
  std::string id_, decision_id_;
};

// Context members Writ fills in itself; a caller's values for them are replaced.
constexpr const char* kWritContextKeys[] = {
    "intent", "task", "delegation_depth", "approval", "trace", "time", "user"};

// Adds an entity for the request, keeping the bundle's attributes and parents for the same
// uid and putting `extra` attributes and `parents` on top.
cedar::Status AddLayered(cedar::EntitiesBuilder& b, const cedar::Entities& base,
                         const cedar::EntityUID* uid, std::vector<cedar::RecordField> extra,
                         std::vector<const cedar::EntityUID*> parents) {
  const cedar::Entity* existing = base.Find(*uid);
  std::vector<cedar::RecordField> fields;
  const cedar::RecordData* tags = nullptr;
  if (existing != nullptr) {
    for (const auto& f : existing->attrs->fields) {
      bool replaced = std::any_of(extra.begin(), extra.end(),
                                  [&](const cedar::RecordField& x) { return x.key == f.key; });
      if (!replaced) fields.push_back(f);
    }
    // Direct parents are not kept by the store; its ancestors give the same hierarchy.
    for (const cedar::EntityUID* anc : existing->ancestors) parents.push_back(anc);
    tags = existing->tags;
  }
  fields.insert(fields.end(), extra.begin(), extra.end());
  const cedar::RecordData* attrs = cedar::MakeRecord(b.arena(), fields);
  return b.Add(uid, attrs, tags, std::move(parents));
}

cedar::Value StringSet(cedar::Arena& a, const std::vector<std::string>& items) {
  std::vector<cedar::Value> vs;
  for (const auto& s : items) vs.push_back(cedar::Value::String(a.CopyString(s)));
  return cedar::Value::Set(cedar::MakeSet(a, vs));
}

ledger::RiskTier MaxRisk(ledger::RiskTier a, ledger::RiskTier b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

// Random bits for identifiers, drawn from the system generator 256 ids' worth at a time and
// handed out per thread: one call of the generator costs about as much as a whole small draw.
class IdRandomPool {
 public:
  static constexpr size_t kIdBytes = 10;
  static constexpr size_t kIds = 256;

  // Fills `out` with kIdBytes fresh bytes; fails when a refill is needed and the generator fails.
  Status Take(uint8_t* out) {
    if (next_ == kIds) {
      Result<std::string> fresh = RandomBytes(sizeof bytes_);
      if (!fresh.ok()) return fresh.status();
      std::memcpy(bytes_, fresh->data(), sizeof bytes_);
      next_ = 0;
    }
    std::memcpy(out, bytes_ + next_ * kIdBytes, kIdBytes);
    ++next_;
    return Status::Ok();
  }

 private:
  uint8_t bytes_[kIds * kIdBytes] = {};
  size_t next_ = kIds;
};

}  // namespace

Result<std::string> NewUuidV7(const Clock& clock) {
  thread_local IdRandomPool pool;
  uint8_t r[IdRandomPool::kIdBytes] = {};
  if (Status st = pool.Take(r); !st.ok()) {
    return Unavailable("no identifier could be made: " + std::string(st.message()));
  }
  uint64_t ms = static_cast<uint64_t>(clock.NowMicros() / 1000);
  uint8_t b[16];
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = 0x70 | (r[0] & 0x0F);
  b[7] = r[1];
  b[8] = 0x80 | (r[2] & 0x3F);
  for (int i = 9; i < 16; ++i) b[i] = r[i - 6];
  std::string id = HexEncode(std::string_view(reinterpret_cast<const char*>(b), 16));
  for (size_t at : {20, 16, 12, 8}) id.insert(at, 1, '-');  // 8-4-4-4-12
  return id;
}

std::string DecisionEngine::RequestDigest(const std::string& principal, const std::string& action,
                                          const std::string& resource, const json::value& input) {
  // The canonical JSON of {"principal", "action", "resource", "input"}, written in its members'
  // order without building the object.
  std::string canonical = "{\"action\":";
  bool ok = AppendJsonString(action, &canonical).ok();
  canonical += ",\"input\":";
  ok = ok && AppendCanonicalJson(input, &canonical).ok();
  canonical += ",\"principal\":";
  ok = ok && AppendJsonString(principal, &canonical).ok();
  canonical += ",\"resource\":";
  ok = ok && AppendJsonString(resource, &canonical).ok();
  canonical += '}';
  if (ok) return DigestHex(Sha256(canonical));
  // Inputs that RFC 8785 cannot express (integers beyond 2^53) still bind, by their text.
  json::object o{
      {"principal", principal}, {"action", action}, {"resource", resource}, {"input", input}};
  return DigestHex(Sha256(json::serialize(o)));
}

json::object DecisionOutcome::ToJson() const {
  json::object o;
  o["decision_id"] = decision_id;
  o["verdict"] = ledger::VerdictName(verdict);
  if (!code.empty()) o["code"] = code;
  if (!reason.empty()) o["reason"] = reason;
  json::array policies;
  for (const auto& p : determining_policies) policies.push_back(json::string(p));
  o["policies"] = std::move(policies);
  if (!erroring_policies.empty()) {
    json::array errs;
    for (const auto& p : erroring_policies) errs.push_back(json::string(p));
    o["erroring_policies"] = std::move(errs);
  }
  if (!obligations.empty()) o["obligations"] = obligations.ToJson();
  if (narrowed_input) o["narrowed"] = json::object{{"input", *narrowed_input}};
  if (!approval_id.empty()) o["approval_id"] = approval_id;
  if (credential) {
    json::array scopes;
    for (const auto& sc : credential->scopes) scopes.push_back(json::string(sc));
    o["credential"] = json::object{{"id", credential->id},
                                   {"token", credential->token},
                                   {"expires_us", credential->expires_us},
                                   {"scopes", std::move(scopes)}};
  }
  o["risk"] = ledger::RiskTierName(risk);
  if (!transitions.empty()) {
    json::array t;
    for (auto c : transitions) t.push_back(json::string(ledger::TransitionClassName(c)));
    o["transitions"] = std::move(t);
  }
  o["policy_version"] = policy_version;
  o["ledger_seq"] = ledger_seq;
  o["latency_us"] = latency_us;
  if (!trace.trace_id.empty()) {
    o["trace"] = json::object{{"trace_id", trace.trace_id}, {"span_id", trace.span_id}};
  }
  return o;
}

DecisionEngine::DecisionEngine(const BundleSource& bundles, ledger::Ledger& ledger,
                               const ledger::EvidencePolicy& evidence,
                               store::ApprovalStore& approvals, const Clock& clock,
                               EngineOptions options)
    : bundles_(bundles),
      ledger_(ledger),
      evidence_(evidence),
      approvals_(approvals),
      clock_(clock),
      options_(std::move(options)) {}

Result<DecisionEngine::Prepared> DecisionEngine::Prepare(const DecisionInput& in) {
  int64_t start = MonotonicMicros();
  std::shared_ptr<const Bundle> bundle = bundles_.Current();
  if (!bundle) return Unavailable("no policy bundle is loaded");
  const cedar::Schema* schema = bundle->schema ? &*bundle->schema : nullptr;
  const Caller& caller = in.caller;
  if (caller.agent.empty()) return InvalidArgument("the caller has no agent identity");
  if (in.resource_type.empty()) return InvalidArgument("the request names no resource type");
  // What the ledger could not record exactly is refused before anything is decided or minted.
  WRIT_RETURN_IF_ERROR(CheckCanonicalNumbers(in.context));

  DecisionOutcome out;
  WRIT_ASSIGN_OR_RETURN(out.decision_id, NewUuidV7(clock_));
  out.policy_version = DigestHex(bundle->policy_hash);
  out.trace = in.trace;
  int64_t now_us = clock_.NowMicros();

  // 1. Request-time entities (the agent and the user) over the bundle's entity data.
  cedar::EntitiesBuilder eb;
  eb.SetBase(&bundle->entities);
  cedar::Arena& a = eb.arena();
  const cedar::EntityUID* user_uid = nullptr;
  if (!caller.user.empty()) {
    user_uid = cedar::EntityUID::Make(a, "User", caller.user);
    std::vector<const cedar::EntityUID*> groups;
    for (const auto& g : caller.user_groups)
      groups.push_back(cedar::EntityUID::Make(a, "UserGroup", g));
    cedar::Status st = AddLayered(eb, bundle->entities, user_uid, {}, std::move(groups));
    if (!st.ok()) return Internal(st.error().message);
  }
  const cedar::EntityUID* agent_uid = cedar::EntityUID::Make(a, "Agent", caller.agent);
  {
    std::vector<cedar::RecordField> attrs;
    auto str = [&](const char* key, const std::string& v) {
      if (!v.empty()) attrs.push_back({key, cedar::Value::String(a.CopyString(v))});
    };
    str("spiffe_id", caller.spiffe_id);
    str("team", caller.team);
    str("owner", caller.owner);
    str("task", caller.task_id);
    attrs.push_back({"delegation_depth", cedar::Value::Long(caller.delegation_depth)});
    attrs.push_back({"scopes", StringSet(a, caller.scopes)});
    std::vector<cedar::Value> actors;
    for (const auto& actor : caller.actor_chain) {
      actors.push_back(cedar::Value::Entity(cedar::EntityUID::Make(a, "Agent", actor)));
    }
    attrs.push_back({"actors", cedar::Value::Set(cedar::MakeSet(a, actors))});
    if (user_uid != nullptr) attrs.push_back({"user", cedar::Value::Entity(user_uid)});
    std::vector<const cedar::EntityUID*> parents;
    if (!caller.team.empty()) parents.push_back(cedar::EntityUID::Make(a, "Team", caller.team));
    cedar::Status st =
        AddLayered(eb, bundle->entities, agent_uid, std::move(attrs), std::move(parents));
    if (!st.ok()) return Internal(st.error().message);
  }
  auto entities = std::move(eb).Build();
  if (!entities.ok()) return InvalidArgument("request entities: " + entities.error().message);

  // 2. Action, resource, context.
  cedar::Arena& ra = a;  // the request lives as long as the layered entities
  const cedar::EntityUID* action_uid;
  if (in.action.find("::\"") != std::string::npos) {
    auto parsed = cedar::ParseEntityUID(ra, in.action);
    if (!parsed.ok()) return InvalidArgument("action: " + parsed.error().message);
    action_uid = *parsed;
  } else {
    action_uid = cedar::EntityUID::Make(ra, "Action", in.action);
  }
  auto resource_type = cedar::ParseName(in.resource_type);
  if (!resource_type.ok() || *resource_type != in.resource_type) {
    return InvalidArgument("resource type `" + in.resource_type +
                           "` is not a valid entity type name");
  }
  const cedar::EntityUID* resource_uid =
      cedar::EntityUID::Make(ra, in.resource_type, in.resource_id);
  // Their text, for the approval digest, the record and messages.
  const std::string principal_text = agent_uid->ToString();
  const std::string action_text = action_uid->ToString();
  const std::string resource_text = resource_uid->ToString();

  const json::value empty_input = json::object{};
  const json::value* input = in.context.if_contains("input");
  if (input == nullptr) input = &empty_input;
  // The approval digest is made only when an approval may be involved: one is named, the
  // store may hold an open one for this principal, action and resource, or one is created.
  std::string digest;
  auto request_digest = [&]() -> const std::string& {
    if (digest.empty()) digest = RequestDigest(principal_text, action_text, resource_text, *input);
    return digest;
  };
  std::optional<store::StoredApproval> open_approval;
  if (!in.approval_id.empty()) {
    WRIT_ASSIGN_OR_RETURN(open_approval, approvals_.GetApproval(in.approval_id));
    // An approval of another request (or policy set) is as good as none: the call is looked up
    // as if it named none, so that it finds its own rather than opening a second one.
    if (open_approval && (open_approval->request_digest != request_digest() ||
                          open_approval->policy_version != out.policy_version)) {
      open_approval.reset();
    }
  }
  if (!open_approval && bundle->has_approval_policies) {
    WRIT_ASSIGN_OR_RETURN(
        bool may, approvals_.MayHaveOpenApproval(principal_text, action_text, resource_text));
    if (may) {
      WRIT_ASSIGN_OR_RETURN(
          open_approval, approvals_.FindOpenApproval(request_digest(), out.policy_version, now_us));
    }
  }
  std::string approval_status = "none";
  if (open_approval) {
    bool open = open_approval->status == "pending" || open_approval->status == "granted";
    if (open && open_approval->expires_us <= now_us) {
      // A grant not used in time is as expired as a request nobody decided in time.
      approval_status = "expired";
    } else {
      approval_status = open_approval->status;
    }
  }

  // The context is copied once: held as a value for Cedar, then moved into the record.
  json::value ctx_value = in.context;
  json::object& ctx = ctx_value.get_object();
  for (const char* k : kWritContextKeys) ctx.erase(k);
  const cedar::ActionDef* action_def =
      schema ? schema->FindAction(action_uid->type, action_uid->id) : nullptr;
  auto wants = [&](const char* key) {
    if (schema == nullptr) return true;
    return action_def != nullptr && action_def->context &&
           action_def->context->attributes.count(key) > 0;
  };
  if (wants("intent")) ctx["intent"] = caller.intent;
  if (wants("task")) ctx["task"] = caller.task_id;
  if (wants("delegation_depth")) ctx["delegation_depth"] = caller.delegation_depth;
  if (wants("approval")) ctx["approval"] = json::object{{"status", approval_status}};
  if (wants("trace")) {
    ctx["trace"] = json::object{{"trace_id", in.trace.trace_id}, {"span_id", in.trace.span_id}};
  }
  if (wants("time")) {
    cedar::Datetime t{now_us / 1000};
    ctx["time"] = json::object{{"__extn", {{"fn", "datetime"}, {"arg", t.ToString()}}}};
  }
  if (user_uid != nullptr && wants("user")) {
    ctx["user"] = json::object{{"__entity", {{"type", "User"}, {"id", caller.user}}}};
  }
  auto context = cedar::ContextFromJson(ctx_value, ra, in.listing ? nullptr : schema, action_uid);
  if (!context.ok()) return InvalidArgument(context.error().message);
  cedar::Request request;
  request.principal = agent_uid;
  request.action = action_uid;
  request.resource = resource_uid;
  request.context = *context;
  if (schema != nullptr && in.listing && action_def == nullptr) {
    return InvalidArgument("action " + action_text + " is not in the schema");
  }
  if (schema != nullptr && !in.listing) {
    cedar::Status valid = cedar::ValidateRequest(request, *schema);
    if (!valid.ok()) return InvalidArgument(valid.error().message);
  }

  // 3. Decide, then apply Writ's annotations.
  cedar::Response response = cedar::Authorize(bundle->policies, *entities, request);
  for (const auto& e : response.errors) out.erroring_policies.push_back(e.policy->id());
  std::sort(out.erroring_policies.begin(), out.erroring_policies.end());
  if (!response.errors.empty()) ++metrics_.evaluation_errors;
  std::vector<std::string> reasons;
  for (const auto* p : response.reasons) reasons.push_back(p->id());
  std::sort(reasons.begin(), reasons.end());
  ledger::ApprovalRecord approval_used;
  // A pending approval this decision asks for: stored once its records are made (below).
  std::optional<store::StoredApproval> approval_asked;
  bool approval_consumed = false;
  bool approval_overridden = false;  // the approval consumed was an administrator's override
  ConsumedGrant consumed_grant(approvals_);

  if (response.decision == cedar::Decision::kDeny) {
    out.verdict = ledger::Verdict::kDeny;
    out.determining_policies = reasons;
    if (!reasons.empty()) {
      out.code = kCodePolicyDenied;
      for (const auto& id : reasons) {
        const PolicyMeta* m = bundle->Meta(id);
        if (m != nullptr && !m->reason.empty()) {
          out.reason = m->reason;
          break;
        }
      }
      if (out.reason.empty()) out.reason = "denied by policy `" + reasons.front() + "`";
    } else {
      out.code = kCodeNoPermit;
      out.reason = "no policy permits " + principal_text + " to perform " + action_text + " on " +
                   resource_text;
    }
  } else {
    std::vector<std::string> plain, gated;
    for (const auto& id : reasons) {
      const PolicyMeta* m = bundle->Meta(id);
      (m != nullptr && !m->approval_group.empty() ? gated : plain).push_back(id);
    }
    if (!plain.empty()) {
      out.verdict = ledger::Verdict::kAllow;
      out.determining_policies = plain;
    } else {
      out.determining_policies = gated;
      const std::string& group = bundle->Meta(gated.front())->approval_group;
      if (open_approval && approval_status == "granted") {
        Status used = approvals_.ConsumeApproval(open_approval->id, digest, out.policy_version,
                                                 out.decision_id, now_us);
        if (used.ok()) {
          consumed_grant.Consumed(open_approval->id, out.decision_id);
          out.verdict = ledger::Verdict::kAllow;
          out.approval_id = open_approval->id;
          approval_consumed = true;
          approval_used.approval_id = open_approval->id;
          approval_used.approver = open_approval->approver;
          approval_used.group = open_approval->group;
          approval_used.request_digest = open_approval->request_digest;
          approval_used.policy_set_hash = open_approval->policy_version;
          approval_used.expires_at = FormatRfc3339Micros(open_approval->expires_us);
          approval_overridden = open_approval->override_;
          if (approval_overridden) {
            out.transitions.push_back(ledger::TransitionClass::kApprovalOverride);
          }
        } else {
          approval_status = "none";
          open_approval.reset();
        }
      }
      if (out.verdict != ledger::Verdict::kAllow) {
        if (open_approval && approval_status == "denied") {
          out.verdict = ledger::Verdict::kDeny;
          out.code = kCodeApprovalDenied;
          out.approval_id = open_approval->id;
          out.reason = "an approver of `" + open_approval->group + "` denied this request" +
                       (open_approval->note.empty() ? "" : ": " + open_approval->note);
        } else {
          out.verdict = ledger::Verdict::kApprovalRequired;
          out.code = kCodeApprovalRequired;
          out.reason = "this request needs the approval of a member of `" + group + "`";
          if (open_approval && approval_status == "pending") {
            out.approval_id = open_approval->id;
          } else if (!in.listing) {
            store::StoredApproval ap;
            WRIT_ASSIGN_OR_RETURN(ap.id, NewUuidV7(clock_));
            ap.decision_id = out.decision_id;
            ap.request_digest = request_digest();
            ap.policy_version = out.policy_version;
            ap.group = group;
            ap.status = "pending";
            ap.principal = principal_text;
            ap.action = action_text;
            ap.resource = resource_text;
            // The summary is shown to approvers (GET /v1/approvals): an intent the evidence
            // policy digests is digested here too. The user stays (self-approval is refused by
            // it).
            json::value intent = json::string(caller.intent);
            if (evidence_.IsSensitive("intent")) {
              WRIT_ASSIGN_OR_RETURN(intent, evidence_.Digest(intent));
            }
            json::object summary{{"task", caller.task_id},
                                 {"intent", std::move(intent)},
                                 {"user", caller.user},
                                 {"policies", json::array(gated.begin(), gated.end())}};
            ap.summary = json::serialize(summary);
            ap.created_us = now_us;
            ap.expires_us = now_us + options_.approval_ttl_us;
            out.approval_id = ap.id;
            approval_asked = std::move(ap);
          }
        }
      }
    }
    if (out.verdict == ledger::Verdict::kAllow) {
      for (const auto& id : out.determining_policies) {
        const PolicyMeta* m = bundle->Meta(id);
        if (m != nullptr && !m->obligations.empty()) out.obligations.Add(m->obligations, id);
      }
      if (!out.obligations.empty()) {
        const json::object empty;
        NarrowingResult n =
            ApplyToInput(out.obligations, input->is_object() ? input->get_object() : empty);
        if (!n.satisfiable) {
          out.verdict = ledger::Verdict::kDeny;
          out.code = kCodeObligationUnmet;
          out.reason = "the call cannot be narrowed to what policy allows: " + n.violation;
        } else if (n.changed) {
          out.narrowed_input = std::move(n.input);
        }
      }
    }
  }

  // A just-in-time credential for an allowed call, narrowed by the obligations.
  if (out.verdict == ledger::Verdict::kAllow && in.credential) {
    CredentialAsk ask = *in.credential;
    if (out.obligations.ttl_ms) {
      int64_t cap_s = std::max<int64_t>(1, *out.obligations.ttl_ms / 1000);
      ask.lifetime_s = ask.lifetime_s == 0 ? cap_s : std::min(ask.lifetime_s, cap_s);
    }
    bool scopes_unmet = false;
    if (out.obligations.scopes) {
      const auto& allowed = *out.obligations.scopes;
      std::vector<std::string> wanted = ask.scopes.empty() ? caller.scopes : ask.scopes;
      std::vector<std::string> kept;
      for (const auto& sc : wanted) {
        if (std::find(allowed.begin(), allowed.end(), sc) != allowed.end()) kept.push_back(sc);
      }
      // The minter reads an empty list as "the token's scopes": narrowed to nothing, the
      // credential is refused, never minted with every scope of the token.
      scopes_unmet = kept.empty();
      ask.scopes = std::move(kept);
    }
    if (scopes_unmet) {
      std::string allowed;
      for (const auto& sc : *out.obligations.scopes) {
        allowed += (allowed.empty() ? "'" : ", '") + sc + "'";
      }
      out.verdict = ledger::Verdict::kDeny;
      out.code = kCodeObligationUnmet;
      out.reason = "the credential cannot be narrowed to what policy allows: scopes(" + allowed +
                   ") keeps none of the scopes " +
                   (in.credential->scopes.empty() ? "the caller holds" : "asked for");
      out.narrowed_input.reset();
    } else {
      Result<MintedCredential> minted =
          options_.minter == nullptr
              ? Result<MintedCredential>(
                    FailedPrecondition("this service does not mint credentials"))
              : options_.minter->Mint(in.presented_token, out.decision_id, ask);
      if (minted.ok()) {
        out.credential = std::move(minted).value();
      } else {
        out.verdict = ledger::Verdict::kDeny;
        out.code = kCodeCredentialUnavailable;
        out.reason = "the call was allowed but its credential could not be issued: " +
                     minted.status().message();
        out.narrowed_input.reset();
      }
    }
  }

  // Risk, transitions and evidence depth follow the determining policies.
  // Depth: full when any determining policy asks @log("full"), summary when every one asks
  // @log("summary"), otherwise (none asks) the configured default.
  std::optional<ledger::EvidenceDepth> depth;
  bool any_full = false;
  bool all_summary = !out.determining_policies.empty();
  std::set<ledger::TransitionClass> transitions(out.transitions.begin(), out.transitions.end());
  for (const auto& id : out.determining_policies) {
    const PolicyMeta* m = bundle->Meta(id);
    if (m == nullptr) {
      all_summary = false;
      continue;
    }
    if (m->risk) out.risk = MaxRisk(out.risk, *m->risk);
    transitions.insert(m->transitions.begin(), m->transitions.end());
    any_full |= m->log == ledger::EvidenceDepth::kFull;
    all_summary &= m->log == ledger::EvidenceDepth::kSummary;
  }
  if (any_full) {
    depth = ledger::EvidenceDepth::kFull;
  } else if (all_summary) {
    depth = ledger::EvidenceDepth::kSummary;
  }
  out.transitions.assign(transitions.begin(), transitions.end());

  // 4. The record, durable before the answer.
  ledger::DecisionRecord rec;
  rec.decision_id = out.decision_id;
  rec.task_id = caller.task_id;
  rec.intent = caller.intent;
  if (const json::value* up = in.context.if_contains("upstream"); up && up->is_object()) {
    rec.upstream = up->get_object();
  }
  rec.request.action = action_text;
  rec.request.resource = resource_text;
  rec.request.context = std::move(ctx);
  rec.identity.principal = principal_text;
  if (user_uid != nullptr) rec.identity.user = user_uid->ToString();
  rec.identity.actor_chain = caller.actor_chain;
  rec.identity.token_id = caller.token_id;
  rec.identity.spiffe_id = caller.spiffe_id;
  rec.verdict = out.verdict;
  rec.reason = out.reason;
  rec.determining_policies = out.determining_policies;
  rec.erroring_policies = out.erroring_policies;
  rec.policy_set_hash = out.policy_version;
  rec.entities_hash = DigestHex(bundle->entities_hash);
  rec.obligations = out.obligations.ToJson();
  if (out.credential) rec.credentials_issued.push_back(out.credential->id);
  rec.approval_id = out.approval_id;
  rec.risk = out.risk;
  rec.transitions = out.transitions;
  rec.trace_id = in.trace.trace_id;
  rec.span_id = in.trace.span_id;
  rec.parent_span_id = in.trace.parent_span_id;
  rec.node = options_.node;
  out.latency_us = MonotonicMicros() - start;
  rec.latency_us = out.latency_us;

  auto entry = evidence_.DecisionEntry(std::move(rec), depth);
  if (!entry.ok()) return entry.status();
  std::vector<ledger::LedgerEntry> entries;
  entries.push_back(std::move(entry).value());
  if (approval_consumed) {
    approval_used.decision_id = out.decision_id;
    approval_used.task_id = caller.task_id;
    approval_used.principal = principal_text;
    approval_used.reason = "consumed by the decision it allowed";
    // The use of an override is recorded as an override, like its giving: in the ledger nothing
    // an administrator let through reads as a grant by a member of the policy's group.
    auto e = evidence_.Entry(approval_overridden ? ledger::RecordKind::kApprovalOverride
                                                 : ledger::RecordKind::kApprovalGrant,
                             approval_used.ToJson());
    if (e.ok()) entries.push_back(std::move(e).value());
  }
  Prepared p;
  if (approval_asked) {
    // The request for the approval goes in the same batch as the held decision: both are
    // durable or neither. The approval itself is stored only once both records are made, and
    // withdrawn if they cannot be written (DecideAsync).
    ledger::ApprovalRecord asked;
    asked.approval_id = approval_asked->id;
    asked.decision_id = out.decision_id;
    asked.task_id = caller.task_id;
    asked.principal = principal_text;
    asked.group = approval_asked->group;
    asked.request_digest = approval_asked->request_digest;
    asked.policy_set_hash = approval_asked->policy_version;
    asked.expires_at = FormatRfc3339Micros(approval_asked->expires_us);
    asked.reason = out.reason;
    WRIT_ASSIGN_OR_RETURN(ledger::LedgerEntry e,
                          evidence_.Entry(ledger::RecordKind::kApprovalRequest, asked.ToJson()));
    entries.push_back(std::move(e));
    WRIT_RETURN_IF_ERROR(approvals_.InsertApproval(*approval_asked));
    p.created_approval_id = approval_asked->id;
  }
  p.consumed_approval_id = consumed_grant.Keep();
  p.outcome = std::move(out);
  p.entries = std::move(entries);
  p.start_us = start;
  return p;
}

void DecisionEngine::FailClosed(DecisionOutcome& out) {
  ++metrics_.ledger_failures;
  // A credential minted for a decision that could not be recorded is not handed out.
  out.credential.reset();
  out.verdict = ledger::Verdict::kDeny;
  out.code = kCodeLedgerUnavailable;
  out.reason = "the decision could not be recorded, so it is denied (fail closed)";
  out.narrowed_input.reset();
  out.obligations = ObligationSet();
  // Nor is an approval it asked for or used: the answer acknowledges nothing half-done.
  out.approval_id.clear();
}

void DecisionEngine::Count(const DecisionOutcome& out) {
  switch (out.verdict) {
    case ledger::Verdict::kAllow:
      ++metrics_.allow;
      break;
    case ledger::Verdict::kDeny:
      ++metrics_.deny;
      break;
    case ledger::Verdict::kApprovalRequired:
      ++metrics_.approval_required;
      break;
  }
}

void DecisionEngine::DecideAsync(const DecisionInput& in, DecisionCallback done) {
  auto prepared = Prepare(in);
  if (!prepared.ok()) {
    done(prepared.status());
    return;
  }
  auto state = std::make_shared<Prepared>(std::move(prepared).value());
  auto finish = [this, state, done](Result<std::vector<ledger::AppendReceipt>> receipts) {
    DecisionOutcome& out = state->outcome;
    if (!receipts.ok()) {
      if (!state->consumed_approval_id.empty()) {
        // Denied, so the grant was not used: it stays for the call once the ledger records.
        (void)approvals_.ReleaseApproval(state->consumed_approval_id, out.decision_id);
      }
      FailClosed(out);
      if (!state->created_approval_id.empty()) {
        // Its approval_request was not written: nobody may decide or use the approval. Best
        // effort (a single-row delete; this path runs only when the ledger refused).
        (void)approvals_.WithdrawApproval(state->created_approval_id);
      }
    } else {
      out.ledger_seq = (*receipts)[0].seq;
    }
    Count(out);
    out.latency_us = MonotonicMicros() - state->start_us;
    done(std::move(out));
  };
  Status queued = ledger_.AppendBatchAsync(std::move(state->entries), finish);
  if (!queued.ok()) finish(queued);  // not accepted (queue full, closed): fail closed now
}

Result<DecisionOutcome> DecisionEngine::Decide(const DecisionInput& in) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<DecisionOutcome>> result;
  DecideAsync(in, [&](Result<DecisionOutcome> r) {
    std::lock_guard<std::mutex> lock(mu);
    result.emplace(std::move(r));
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return result.has_value(); });
  return std::move(*result);
}

}  // namespace writ::authz
