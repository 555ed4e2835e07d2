// Reading what was decided and proving it: GET /v1/decisions, /v1/decisions/{id},
// /v1/explain/{id}, /v1/ledger/checkpoint, /v1/ledger/proof/inclusion|consistency; the policy
// bundle: GET /v1/policies, POST /v1/policies/reload; and the public documents
// /.well-known/jwks.json and /.well-known/oauth-authorization-server (RFC 8414).
#include <boost/json.hpp>

#include "authz/explain.h"
#include "ledger/proof_bundle.h"
#include "ledger/record.h"
#include "ledger/records.h"
#include "service/api_support.h"
#include "service/decision_service.h"

namespace writ::service {
namespace {

namespace json = boost::json;
using server::Access;
using server::Request;
using server::Responder;

json::object RecordJson(const store::StoredRecord& r) {
  json::object o{{"origin", r.origin},
                 {"seq", r.seq},
                 {"kind", r.kind},
                 {"time", FormatRfc3339Micros(r.time_us)}};
  if (!r.decision_id.empty()) o["decision_id"] = r.decision_id;
  if (!r.task_id.empty()) o["task_id"] = r.task_id;
  if (!r.principal.empty()) o["principal"] = r.principal;
  if (!r.verdict.empty()) o["verdict"] = r.verdict;
  auto decoded = ledger::DecodeRecord(r.body);
  if (decoded.ok()) {
    o["record"] = std::move(decoded->body);
  } else {
    o["record_error"] = decoded.status().message();
  }
  return o;
}

std::optional<server::ApiError> QueryTime(const Request& request, std::string_view name,
                                          std::optional<int64_t>* out) {
  std::optional<std::string_view> text = request.query_param(name);
  if (!text) return std::nullopt;
  Result<int64_t> t = ParseRfc3339(*text);
  if (!t.ok()) {
    return server::ApiError{400, "invalid_parameter",
                            "`" + std::string(name) + "` must be an RFC 3339 date-time"};
  }
  *out = *t;
  return std::nullopt;
}

}  // namespace

Status DecisionService::AddQueryRoutes(server::Router& router) {
  const Access viewer = Access::AtLeast(server::Role::kViewer);

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/decisions",
      [this](const Request& request, Responder r) {
        store::RecordQuery q;
        q.kind = "decision";
        q.descending = true;
        if (auto agent = request.query_param("agent")) {
          q.principal = "Agent::\"" + std::string(*agent) + "\"";
        }
        if (auto verdict = request.query_param("verdict")) {
          if (!ledger::ParseVerdict(*verdict).ok()) {
            return r.SendError(400, "invalid_parameter",
                               "`verdict` must be allow, deny or approval_required");
          }
          q.verdict = std::string(*verdict);
        }
        q.task_id = std::string(request.query_param("task").value_or(""));
        q.origin = std::string(request.query_param("origin").value_or(""));
        if (auto e = QueryTime(request, "from", &q.time_from_us)) return r.SendError(*e);
        if (auto e = QueryTime(request, "to", &q.time_to_us)) return r.SendError(*e);
        std::optional<uint64_t> limit;
        if (auto e = api::QueryUint(request, "limit", 1000, &limit)) return r.SendError(*e);
        q.limit = static_cast<size_t>(limit.value_or(100));
        if (q.limit == 0) return r.SendError(400, "invalid_parameter", "`limit` must be positive");
        Result<std::vector<store::StoredRecord>> rows = store_.ledger().QueryRecords(q);
        if (!rows.ok()) return r.SendStatus(rows.status());
        json::array items;
        for (const store::StoredRecord& row : *rows) items.push_back(RecordJson(row));
        r.SendJson(200, json::object{{"decisions", std::move(items)}});
      },
      viewer));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/decisions/{id}",
      [this](const Request& request, Responder r) {
        store::RecordQuery q;
        q.decision_id = std::string(request.path_param("id").value_or(""));
        q.limit = 1000;
        Result<std::vector<store::StoredRecord>> rows = store_.ledger().QueryRecords(q);
        if (!rows.ok()) return r.SendStatus(rows.status());
        json::object answer;
        json::array related;
        for (const store::StoredRecord& row : *rows) {
          if (row.kind == "decision" && !answer.contains("decision")) {
            answer["decision"] = RecordJson(row);
          } else {
            related.push_back(RecordJson(row));
          }
        }
        if (!answer.contains("decision")) {
          return r.SendError(404, "decision_not_found", "no decision has this id");
        }
        answer["related"] = std::move(related);
        r.SendJson(200, answer);
      },
      viewer));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/explain/{id}",
      [this](const Request& request, Responder r) {
        std::string id(request.path_param("id").value_or(""));
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, id, responder] {
          // Every record gets an inclusion proof: checkpoint what is not yet covered.
          Status cp = ledger_->Checkpoint();
          if (!cp.ok()) return responder->SendStatus(cp);
          authz::ExplainOptions o;
          o.verifier_key = VerifierKey();
          Result<json::object> explained = authz::Explain(store_, id, o);
          if (!explained.ok()) return responder->SendStatus(explained.status());
          responder->SendJson(200, *explained);
        });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      viewer));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/ledger/checkpoint",
      [this](const Request& request, Responder r) {
        std::string origin(request.query_param("origin").value_or(origin_));
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, origin, responder] {
          auto latest = store_.ledger().LatestCheckpoint(origin);
          if (latest.ok() && !*latest && origin == origin_) {
            Status cp = ledger_->Checkpoint();
            if (!cp.ok()) return responder->SendStatus(cp);
            latest = store_.ledger().LatestCheckpoint(origin);
          }
          if (!latest.ok()) return responder->SendStatus(latest.status());
          if (!*latest) {
            return responder->SendError(404, "no_checkpoint", "this log has no checkpoint");
          }
          json::object answer{{"origin", (*latest)->origin},
                              {"tree_size", (*latest)->tree_size},
                              {"time", FormatRfc3339Micros((*latest)->time_us)},
                              {"note", (*latest)->note}};
          if (origin == origin_) answer["verifier_key"] = VerifierKey();
          responder->SendJson(200, answer);
        });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      viewer));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/ledger/proof/inclusion",
      [this](const Request& request, Responder r) {
        std::optional<uint64_t> seq;
        if (auto e = api::QueryUint(request, "seq", UINT64_MAX, &seq)) return r.SendError(*e);
        if (!seq) return r.SendError(400, "missing_parameter", "`seq` is required");
        std::string origin(request.query_param("origin").value_or(origin_));
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, origin, seq, responder] {
          std::string vkey = origin == origin_ ? VerifierKey() : std::string();
          auto bundle = ledger::InclusionBundle(store_.ledger(), origin, *seq, vkey);
          if (!bundle.ok() && bundle.status().code() == StatusCode::kFailedPrecondition &&
              origin == origin_) {
            // Not yet under a checkpoint: make one.
            Status cp = ledger_->Checkpoint();
            if (!cp.ok()) return responder->SendStatus(cp);
            bundle = ledger::InclusionBundle(store_.ledger(), origin, *seq, vkey);
          }
          if (!bundle.ok()) {
            if (bundle.status().code() == StatusCode::kNotFound) {
              return responder->SendError(404, "record_not_found", bundle.status().message());
            }
            return responder->SendStatus(bundle.status());
          }
          responder->SendJson(200, *bundle);
        });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      viewer));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/ledger/proof/consistency",
      [this](const Request& request, Responder r) {
        std::optional<uint64_t> first, second;
        if (auto e = api::QueryUint(request, "first", UINT64_MAX, &first)) return r.SendError(*e);
        if (auto e = api::QueryUint(request, "second", UINT64_MAX, &second)) {
          return r.SendError(*e);
        }
        if (!first || !second) {
          return r.SendError(400, "missing_parameter", "`first` and `second` are required");
        }
        if (*first > *second) {
          return r.SendError(400, "invalid_parameter", "`first` must not exceed `second`");
        }
        std::string origin(request.query_param("origin").value_or(origin_));
        std::string vkey = origin == origin_ ? VerifierKey() : std::string();
        auto bundle = ledger::ConsistencyBundle(store_.ledger(), origin, *first, *second, vkey);
        if (!bundle.ok()) {
          if (bundle.status().code() == StatusCode::kNotFound) {
            return r.SendError(404, "checkpoint_not_found", bundle.status().message());
          }
          return r.SendStatus(bundle.status());
        }
        r.SendJson(200, *bundle);
      },
      viewer));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/policies",
      [this](const Request&, Responder r) {
        std::shared_ptr<const authz::Bundle> b = overlay_.Current();
        authz::BundleWatcherStats stats = watcher_->Stats();
        json::object answer;
        if (b) {
          answer["version"] = b->Version();
          answer["policy_hash"] = DigestHex(b->policy_hash);
          answer["entities_hash"] = DigestHex(b->entities_hash);
          json::array ids;
          for (const auto& kv : b->policy_text) ids.emplace_back(kv.first);
          answer["policy_ids"] = std::move(ids);
          answer["has_schema"] = b->schema.has_value();
        } else {
          answer["version"] = nullptr;
        }
        answer["directory"] = settings_.bundle_dir;
        answer["loads"] = stats.loads;
        answer["rejected"] = stats.rejected;
        answer["unrecorded"] = unrecorded_publishes_.load(std::memory_order_relaxed);
        answer["last_error"] =
            stats.last_error.empty() ? json::value(nullptr) : json::value(stats.last_error);
        if (stats.last_change_us != 0) {
          answer["last_change"] = FormatRfc3339Micros(stats.last_change_us);
        }
        {
          std::lock_guard<std::mutex> lock(publish_mu_);
          if (!overlay_error_.empty()) answer["agents_overlay_error"] = overlay_error_;
        }
        r.SendJson(200, answer);
      },
      viewer));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "POST", "/v1/policies/reload",
      [this](const Request&, Responder r) {
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, responder] {
          Status s = watcher_->Reload();
          std::shared_ptr<const authz::Bundle> b = overlay_.Current();
          if (!s.ok()) {
            // unavailable: the bundle loaded but its load could not be recorded, so it does not
            // serve (fail closed); otherwise it did not load.
            bool unrecorded = s.code() == StatusCode::kUnavailable;
            const char* code = unrecorded ? "load_not_recorded" : "bundle_rejected";
            json::object body{{"error", json::object{{"code", code}, {"message", s.message()}}},
                              {"version", b ? json::value(b->Version()) : json::value(nullptr)}};
            server::Response resp = server::Response::Json(unrecorded ? 503 : 422, body);
            resp.error_code = code;
            return responder->Send(std::move(resp));
          }
          responder->SendJson(
              200, json::object{{"version", b ? b->Version() : std::string()},
                                {"policy_hash", b ? DigestHex(b->policy_hash) : std::string()}});
        });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      Access::AtLeast(server::Role::kAdmin)));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/.well-known/jwks.json",
      [this](const Request&, Responder r) {
        server::Response resp =
            server::Response::JsonText(200, keys_->JwksDocument(clock_.NowMicros()));
        resp.headers.emplace_back("Cache-Control", "public, max-age=60");
        r.Send(std::move(resp));
      },
      Access::Public()));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/.well-known/oauth-authorization-server",
      [this](const Request&, Responder r) {
        identity::IssuerEndpoints ep;
        ep.issuer = settings_.issuer;
        ep.jwks_uri = settings_.issuer + "/.well-known/jwks.json";
        ep.token_endpoint = token_endpoint_;
        ep.introspection_endpoint = settings_.issuer + "/oauth/introspect";
        ep.revocation_endpoint = settings_.issuer + "/oauth/revoke";
        json::value doc = json::parse(identity::IssuerMetadataJson(ep));
        json::object& o = doc.as_object();
        // Introspection and revocation take an agent's bearer token or an API key, for which
        // RFC 8414 registers no method name: the members are left out (docs/openapi.json).
        for (const char* k : {"introspection_endpoint_auth_methods_supported",
                              "introspection_endpoint_auth_signing_alg_values_supported",
                              "revocation_endpoint_auth_methods_supported",
                              "revocation_endpoint_auth_signing_alg_values_supported"}) {
          o.erase(k);
        }
        o["token_endpoint_auth_methods_supported"] =
            json::array{"private_key_jwt", "client_secret_basic", "client_secret_post"};
        server::Response resp = server::Response::Json(200, doc);
        resp.headers.emplace_back("Cache-Control", "public, max-age=60");
        r.Send(std::move(resp));
      },
      Access::Public()));
  return Status::Ok();
}

}  // namespace writ::service
