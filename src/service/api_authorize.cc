// POST /v1/authorize and POST /v1/outcomes: the decision before a tool call, and what came of
// it.
#include <boost/json.hpp>

#include "ledger/records.h"
#include "server/json_body.h"
#include "service/api_support.h"
#include "service/decision_service.h"

namespace writ::service {
namespace {

namespace json = boost::json;
using server::Access;
using server::ApiError;
using server::Request;
using server::Responder;

constexpr std::string_view kAuthorizeFields[] = {"action", "resource", "context", "approval_id",
                                                 "credential"};
constexpr std::string_view kResourceFields[] = {"type", "id"};
constexpr std::string_view kCredentialFields[] = {"audience", "lifetime_s", "scopes"};
constexpr std::string_view kOutcomeFields[] = {"decision_id", "status",     "result_digest",
                                               "result_size", "latency_us", "error"};

// What the engine's refusals of a request (before any recording) become.
ApiError DecisionError(const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument) {
    return ApiError{400, authz::kCodeInvalidRequest, s.message()};
  }
  if (s.code() == StatusCode::kUnavailable) {
    return ApiError{503, "decision_unavailable", s.message()};
  }
  return server::ApiErrorFromStatus(s);
}

// Reads the authorize body into `in`; an error answer when it is malformed.
std::optional<ApiError> ReadAuthorize(const Request& request, authz::DecisionInput* in) {
  server::ApiResult<json::value> body = server::ParseJsonBody(
      request, server::FieldList(kAuthorizeFields, std::size(kAuthorizeFields)));
  if (!body.ok()) return body.error();
  const json::object& o = body->get_object();
  if (auto e = api::ReadString(o, "action", true, &in->action, 1024)) return e;
  json::object resource;
  if (auto e = api::ReadObject(o, "resource", true, &resource)) return e;
  if (auto e = server::CheckFields(resource, server::FieldList(kResourceFields, 2), "`resource`")) {
    return e;
  }
  if (auto e = api::ReadString(resource, "type", true, &in->resource_type, 256)) {
    e->message = "`resource." + e->message.substr(1);
    return e;
  }
  if (auto e = api::ReadString(resource, "id", true, &in->resource_id, 1024)) {
    e->message = "`resource." + e->message.substr(1);
    return e;
  }
  if (auto e = api::ReadObject(o, "context", false, &in->context)) return e;
  if (auto e = api::ReadString(o, "approval_id", false, &in->approval_id, 128)) return e;
  if (const json::value* c = o.if_contains("credential"); c != nullptr && !c->is_null()) {
    if (!c->is_object()) return api::InvalidField("credential", "must be an object");
    const json::object& co = c->get_object();
    if (auto e = server::CheckFields(co, server::FieldList(kCredentialFields, 3), "`credential`")) {
      return e;
    }
    authz::CredentialAsk ask;
    if (auto e = api::ReadString(co, "audience", true, &ask.audience, 128)) return e;
    std::optional<int64_t> lifetime;
    if (auto e = api::ReadInt(co, "lifetime_s", 0, 86400, &lifetime)) return e;
    ask.lifetime_s = lifetime.value_or(0);
    if (auto e = api::ReadStrings(co, "scopes", &ask.scopes)) return e;
    in->credential = std::move(ask);
  }
  return std::nullopt;
}

}  // namespace

Status DecisionService::AddAuthorizeRoutes(server::Router& router) {
  WRIT_RETURN_IF_ERROR(router.Handle(
      "POST", "/v1/authorize",
      [this](const Request& request, Responder r) {
        std::shared_ptr<const identity::VerifiedToken> token = api::AgentToken(request);
        if (!token) return r.SendError(401, "bearer_token_required", "an agent token is needed");
        auto in = std::make_shared<authz::DecisionInput>();
        if (auto e = ReadAuthorize(request, in.get())) return r.SendError(*e);
        Result<authz::Caller> caller = resolver_->Resolve(*token);
        if (!caller.ok()) return r.SendStatus(caller.status());
        in->caller = std::move(caller).value();
        in->trace = api::TraceOf(request);
        auto answer = [](Responder& r, Result<authz::DecisionOutcome> out) {
          if (!out.ok()) return r.SendError(DecisionError(out.status()));
          r.SendJson(200, out->ToJson());
        };
        if (!in->credential) {
          // The hot path: decided here, answered from the ledger's callback once durable.
          auto responder = std::make_shared<Responder>(std::move(r));
          Decide(*in, "authorize", [responder, answer](Result<authz::DecisionOutcome> out) {
            answer(*responder, std::move(out));
          });
          return;
        }
        // Minting a credential writes and syncs its row: off the server's thread.
        in->presented_token = std::string(api::BearerCredential(request));
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload(
            [this, in, responder, answer] { answer(*responder, DecideNow(*in, "authorize")); });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      Access::Agents()));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "POST", "/v1/outcomes",
      [this](const Request& request, Responder r) {
        std::shared_ptr<const identity::VerifiedToken> token = api::AgentToken(request);
        if (!token) return r.SendError(401, "bearer_token_required", "an agent token is needed");
        server::ApiResult<json::value> body = server::ParseJsonBody(
            request, server::FieldList(kOutcomeFields, std::size(kOutcomeFields)));
        if (!body.ok()) return r.SendError(body.error());
        const json::object& o = body->get_object();
        ledger::OutcomeRecord rec;
        if (auto e = api::ReadString(o, "decision_id", true, &rec.decision_id, 128)) {
          return r.SendError(*e);
        }
        if (auto e = api::ReadString(o, "status", true, &rec.status, 16)) return r.SendError(*e);
        if (rec.status != "success" && rec.status != "error") {
          return r.SendError(api::InvalidField("status", "must be \"success\" or \"error\""));
        }
        if (auto e = api::ReadString(o, "result_digest", false, &rec.result_digest, 256)) {
          return r.SendError(*e);
        }
        if (auto e = api::ReadString(o, "error", false, &rec.error, 4096)) {
          return r.SendError(*e);
        }
        std::optional<int64_t> size, latency;
        if (auto e = api::ReadInt(o, "result_size", 0, INT64_MAX, &size)) return r.SendError(*e);
        if (auto e = api::ReadInt(o, "latency_us", 0, INT64_MAX, &latency)) {
          return r.SendError(*e);
        }
        rec.result_size = size.value_or(0);
        rec.latency_us = latency.value_or(0);

        // Only decisions of the caller's own task.
        store::RecordQuery q;
        q.decision_id = rec.decision_id;
        q.limit = 64;
        Result<std::vector<store::StoredRecord>> rows = store_.ledger().QueryRecords(q);
        if (!rows.ok()) return r.SendStatus(rows.status());
        const store::StoredRecord* decision = nullptr;
        for (const store::StoredRecord& row : *rows) {
          if (row.kind == "decision") decision = &row;
          if (row.kind == "outcome") {
            return r.SendError(409, "outcome_recorded",
                               "an outcome is already recorded for this decision");
          }
        }
        if (decision == nullptr) {
          return r.SendError(404, "decision_not_found", "no decision has this id");
        }
        if (decision->task_id != token->claims.task_id) {
          return r.SendError(403, "not_your_decision",
                             "the decision belongs to another task than the caller's token");
        }
        rec.task_id = decision->task_id;
        rec.principal = decision->principal;
        rec.trace_id = request.trace().trace_id;
        std::string decision_id = rec.decision_id;
        auto responder = std::make_shared<Responder>(std::move(r));
        AppendThen(ledger::RecordKind::kOutcome, rec.ToJson(),
                   [responder, decision_id](Result<ledger::AppendReceipt> receipt) {
                     if (!receipt.ok()) {
                       return responder->SendError(
                           503, "ledger_unavailable",
                           "the outcome could not be recorded: " + receipt.status().message());
                     }
                     responder->SendJson(201, json::object{{"decision_id", decision_id},
                                                           {"ledger_seq", receipt->seq}});
                   });
      },
      Access::Agents()));
  return Status::Ok();
}

}  // namespace writ::service
