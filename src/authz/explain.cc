#include "authz/explain.h"

#include <algorithm>
#include <map>
#include <set>

#include "authz/bundle.h"
#include "ledger/proof_bundle.h"
#include "ledger/record.h"
#include "store/approval_store.h"
#include "store/identity_store.h"

namespace writ::authz {

namespace json = boost::json;

namespace {

std::string Str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

Result<std::vector<store::StoredRecord>> Query(store::LedgerStore& ledger, store::RecordQuery q) {
  return ledger.QueryRecords(q);
}

// The text of the policies a decision names, from the policy set it was made under.
json::object PolicyTexts(store::Store& store, const std::string& policy_hash,
                         const std::vector<std::string>& ids,
                         std::map<std::string, std::shared_ptr<const Bundle>>& cache) {
  json::object out;
  if (policy_hash.empty() || ids.empty()) return out;
  auto it = cache.find(policy_hash);
  if (it == cache.end()) {
    std::shared_ptr<const Bundle> bundle;
    auto digest = DigestFromHex(policy_hash);
    if (digest.ok()) {
      auto blob = store.blobs().GetBlob(*digest);
      if (blob.ok() && blob->has_value()) {
        auto b = BundleFromBlobs((*blob)->data, "[]");
        if (b.ok()) bundle = *b;
      }
    }
    it = cache.emplace(policy_hash, bundle).first;
  }
  for (const auto& id : ids) {
    if (it->second) {
      auto t = it->second->policy_text.find(id);
      if (t != it->second->policy_text.end()) {
        out[id] = t->second;
        continue;
      }
    }
    out[id] = nullptr;  // the policy set blob is not in this store
  }
  return out;
}

}  // namespace

Result<json::object> Explain(store::Store& store, const std::string& id,
                             const ExplainOptions& options) {
  store::LedgerStore& ledger = store.ledger();
  std::string task_id;
  std::string kind;
  std::string focus_decision;
  // A decision id?
  {
    store::RecordQuery q;
    q.decision_id = id;
    q.limit = 1;
    WRIT_ASSIGN_OR_RETURN(auto rows, Query(ledger, q));
    if (!rows.empty()) {
      kind = "decision";
      focus_decision = id;
      task_id = rows[0].task_id;
    }
  }
  // A task id?
  if (kind.empty()) {
    store::RecordQuery q;
    q.task_id = id;
    q.limit = 1;
    WRIT_ASSIGN_OR_RETURN(auto rows, Query(ledger, q));
    if (!rows.empty()) {
      kind = "task";
      task_id = id;
    }
  }
  // A token id?
  std::string token_id;
  if (kind.empty()) {
    WRIT_ASSIGN_OR_RETURN(auto token, store.identity().GetToken(id));
    if (token) {
      kind = "token";
      token_id = id;
      task_id = token->task_id;
      focus_decision = token->decision_id;
    }
  }
  // An approval id? Its path is that of the decision that asked for it.
  std::string approval_id;
  if (kind.empty()) {
    WRIT_ASSIGN_OR_RETURN(auto approval, store.approvals().GetApproval(id));
    if (approval) {
      store::RecordQuery q;
      q.decision_id = approval->decision_id;
      q.limit = 1;
      WRIT_ASSIGN_OR_RETURN(auto rows, Query(ledger, q));
      if (!rows.empty()) {
        kind = "approval";
        approval_id = id;
        focus_decision = approval->decision_id;
        task_id = rows[0].task_id;
      }
    }
  }
  if (kind.empty()) return NotFound("nothing recorded has the id `" + id + "`");

  std::vector<store::StoredRecord> records;
  if (!task_id.empty()) {
    store::RecordQuery q;
    q.task_id = task_id;
    q.limit = options.max_records;
    WRIT_ASSIGN_OR_RETURN(records, Query(ledger, q));
  }
  // Records tied to the focus decision but not to the task (e.g. a decision made without one).
  if (!focus_decision.empty()) {
    store::RecordQuery q;
    q.decision_id = focus_decision;
    q.limit = options.max_records;
    WRIT_ASSIGN_OR_RETURN(auto more, Query(ledger, q));
    for (auto& r : more) {
      bool have = std::any_of(records.begin(), records.end(), [&](const store::StoredRecord& x) {
        return x.origin == r.origin && x.seq == r.seq;
      });
      if (!have) records.push_back(std::move(r));
    }
  }
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.time_us != b.time_us ? a.time_us < b.time_us : a.seq < b.seq;
  });

  std::map<std::string, std::shared_ptr<const Bundle>> bundles;
  json::array path;
  std::map<std::string, size_t> decision_index;  // decision id -> index in path
  std::set<std::string> origins;
  for (const auto& r : records) {
    auto decoded = ledger::DecodeRecord(r.body);
    if (!decoded.ok())
      return DataLoss("record " + std::to_string(r.seq) +
                      " does not decode: " + decoded.status().message());
    json::object node;
    node["seq"] = r.seq;
    node["origin"] = r.origin;
    node["kind"] = r.kind;
    node["time_us"] = r.time_us;
    node["record"] = decoded->body;
    auto proof = ledger::InclusionBundle(ledger, r.origin, r.seq, options.verifier_key);
    if (proof.ok()) {
      node["proof"] = std::move(proof).value();
    } else {
      node["proof_error"] = proof.status().message();
    }
    origins.insert(r.origin);
    if (r.kind == "decision") {
      std::vector<std::string> ids;
      if (const json::value* d = decoded->body.if_contains("determining_policies");
          d && d->is_array()) {
        for (const auto& x : d->get_array()) ids.push_back(std::string(x.as_string()));
      }
      node["policies"] = PolicyTexts(store, Str(decoded->body, "policy_set_hash"), ids, bundles);
      node["children"] = json::array{};
      if (r.decision_id == focus_decision) node["focus"] = true;
      decision_index[r.decision_id] = path.size();
      path.push_back(std::move(node));
      continue;
    }
    // Approvals, credentials and outcomes hang under their decision.
    auto parent = decision_index.find(r.decision_id);
    if (!r.decision_id.empty() && parent != decision_index.end() &&
        (r.kind.starts_with("approval_") || r.kind.starts_with("credential_") ||
         r.kind == "outcome")) {
      path[parent->second].as_object()["children"].as_array().push_back(std::move(node));
      continue;
    }
    path.push_back(std::move(node));
  }
  json::object out;
  out["id"] = id;
  out["kind"] = kind;
  if (!task_id.empty()) out["task_id"] = task_id;
  if (!focus_decision.empty()) out["decision_id"] = focus_decision;
  if (!token_id.empty()) out["token_id"] = token_id;
  if (!approval_id.empty()) out["approval_id"] = approval_id;
  json::object checkpoints;
  for (const auto& origin : origins) {
    auto cp = ledger.LatestCheckpoint(origin);
    if (cp.ok() && cp->has_value()) checkpoints[origin] = (*cp)->note;
  }
  out["checkpoints"] = std::move(checkpoints);
  if (!options.verifier_key.empty()) out["verifier_key"] = options.verifier_key;
  out["path"] = std::move(path);
  return out;
}

namespace {

std::string Describe(const json::object& node) {
  std::string kind = Str(node, "kind");
  const json::object* rec = node.if_contains("record") ? node.at("record").if_object() : nullptr;
  if (rec == nullptr) return kind;
  const json::object empty;
  auto obj = [&](const char* k) -> const json::object& {
    const json::value* v = rec->if_contains(k);
    return v != nullptr && v->is_object() ? v->get_object() : empty;
  };
  auto list = [&](const char* k) {
    std::string s;
    if (const json::value* v = rec->if_contains(k); v && v->is_array()) {
      for (const auto& x : v->get_array()) {
        if (!s.empty()) s += ", ";
        s += x.is_string() ? std::string(x.get_string()) : json::serialize(x);
      }
    }
    return s;
  };
  if (kind == "task_start") {
    return "task " + Str(*rec, "task_id") + " \"" + Str(*rec, "intent") + "\" for " +
           Str(*rec, "user") + " by " + Str(*rec, "principal");
  }
  if (kind == "delegation") {
    return "delegation from " + Str(*rec, "principal") + " to " + Str(*rec, "delegate") +
           " (scopes " + list("scopes") + ")";
  }
  if (kind == "decision") {
    std::string s = "decision " + Str(*rec, "decision_id") + ": " + Str(*rec, "verdict") + " " +
                    Str(obj("request"), "action") + " on " + Str(obj("request"), "resource") +
                    " for " + Str(obj("identity"), "principal");
    std::string policies = list("determining_policies");
    s += policies.empty() ? " (no policy applied)" : " by [" + policies + "]";
    if (!Str(*rec, "reason").empty()) s += " — " + Str(*rec, "reason");
    return s;
  }
  if (kind == "outcome") return "outcome " + Str(*rec, "status");
  if (kind.starts_with("credential_")) {
    return kind.substr(11) + " of " + Str(*rec, "credential_type") + " " +
           Str(*rec, "credential_id");
  }
  if (kind.starts_with("approval_")) {
    std::string s = kind + " " + Str(*rec, "approval_id");
    if (kind == "approval_request") {
      s += " to `" + Str(*rec, "group") + "`, expires " + Str(*rec, "expires_at");
    }
    std::string who = Str(*rec, "approver");
    return s + (who.empty() ? "" : " by " + who);
  }
  if (kind == "task_end") return "task end (" + Str(*rec, "reason") + ")";
  return kind;
}

void Render(const json::array& nodes, const std::string& indent, bool color, std::string& out) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    const json::object& n = nodes[i].as_object();
    bool last = i + 1 == nodes.size();
    bool focus = n.contains("focus");
    out += indent + (last ? "└─ " : "├─ ");
    if (focus && color) out += "\x1b[1m";
    out += Describe(n);
    if (focus && color) out += "\x1b[0m";
    std::string seq = "#" + std::to_string(n.at("seq").to_number<uint64_t>());
    if (n.contains("proof")) {
      out += color ? "  \x1b[32m✓ " + seq + "\x1b[0m" : "  ✓ " + seq;
    } else {
      out += "  (" + seq + ", " + Str(n, "proof_error") + ")";
    }
    out += "\n";
    std::string child_indent = indent + (last ? "    " : "│   ");
    if (const json::value* p = n.if_contains("policies"); p && p->is_object()) {
      for (const auto& kv : p->get_object()) {
        std::string text = kv.value().is_string() ? std::string(kv.value().get_string())
                                                  : "(policy text not in this store)";
        out += child_indent + "policy " + std::string(kv.key()) + ":\n";
        size_t start = 0;
        while (start < text.size()) {
          size_t end = text.find('\n', start);
          if (end == std::string::npos) end = text.size();
          out += child_indent + "  " + text.substr(start, end - start) + "\n";
          start = end + 1;
        }
      }
    }
    if (const json::value* c = n.if_contains("children"); c && c->is_array()) {
      Render(c->get_array(), child_indent, color, out);
    }
  }
}

}  // namespace

std::string RenderExplainTree(const json::object& explained, bool color) {
  std::string out = Str(explained, "kind") + " " + Str(explained, "id");
  if (!Str(explained, "task_id").empty() && Str(explained, "kind") != "task") {
    out += " (task " + Str(explained, "task_id") + ")";
  }
  out += "\n";
  if (const json::value* p = explained.if_contains("path"); p && p->is_array()) {
    Render(p->get_array(), "", color, out);
  }
  return out;
}

}  // namespace writ::authz
