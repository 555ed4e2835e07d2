// POST /v1/tasks (an agent opens a task for a user) and POST /v1/tasks/{id}/end (the cascade).
#include <boost/json.hpp>

#include "identity/claims.h"
#include "identity/errors.h"
#include "ledger/records.h"
#include "server/json_body.h"
#include "service/api_support.h"
#include "service/decision_service.h"
#include "service/service_metrics.h"

namespace writ::service {
namespace {

namespace json = boost::json;
using server::Access;
using server::ApiError;
using server::Request;
using server::Responder;

constexpr std::string_view kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr std::string_view kTaskFields[] = {"client_assertion_type",
                                            "client_assertion",
                                            "client_id",
                                            "client_secret",
                                            "user_token",
                                            "intent",
                                            "scopes",
                                            "lifetime_s",
                                            "approval_id"};

struct TaskRequest {
  std::string assertion_type, assertion, client_id, client_secret, user_token, intent, approval_id;
  std::vector<std::string> scopes;
  int64_t lifetime_s = 0;
  authz::TraceContext trace;
};

std::optional<ApiError> ReadTaskRequest(const Request& request, TaskRequest* t) {
  server::ApiResult<json::value> body =
      server::ParseJsonBody(request, server::FieldList(kTaskFields, std::size(kTaskFields)));
  if (!body.ok()) return body.error();
  const json::object& o = body->get_object();
  if (auto e = api::ReadString(o, "client_assertion_type", false, &t->assertion_type, 256)) {
    return e;
  }
  if (auto e = api::ReadString(o, "client_assertion", false, &t->assertion, 16384)) return e;
  if (auto e = api::ReadString(o, "client_id", false, &t->client_id, 2048)) return e;
  if (auto e = api::ReadString(o, "client_secret", false, &t->client_secret, 1024)) return e;
  if (auto e = api::ReadString(o, "user_token", true, &t->user_token, 16384)) return e;
  if (auto e = api::ReadString(o, "intent", true, &t->intent, 4096)) return e;
  if (auto e = api::ReadStrings(o, "scopes", &t->scopes)) return e;
  std::optional<int64_t> lifetime;
  if (auto e = api::ReadInt(o, "lifetime_s", 1, 86400, &lifetime)) return e;
  t->lifetime_s = lifetime.value_or(0);
  if (auto e = api::ReadString(o, "approval_id", false, &t->approval_id, 128)) return e;
  bool by_assertion = !t->assertion.empty();
  bool by_secret = !t->client_id.empty() || !t->client_secret.empty();
  if (by_assertion == by_secret) {
    return ApiError{401, "client_auth_required",
                    "authenticate the agent with exactly one of client_assertion (RFC 7523) "
                    "and client_id + client_secret"};
  }
  if (by_assertion && t->assertion_type != kJwtBearer) {
    return api::InvalidField("client_assertion_type", "must be " + std::string(kJwtBearer));
  }
  if (by_secret && (t->client_id.empty() || t->client_secret.empty())) {
    return ApiError{401, "client_auth_required", "client_id and client_secret go together"};
  }
  auto scopes = identity::NormalizeScopes(t->scopes);
  if (!scopes.ok()) return api::InvalidField("scopes", scopes.status().message());
  t->scopes = std::move(scopes).value();
  return std::nullopt;
}

// A refusal of the agent's or the user's credential: 401 with the identity code, or 503 when a
// dependency (a JWKS, the store) failed.
ApiError CredentialRefused(const Status& s, std::string_view whose) {
  if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kIoError ||
      s.code() == StatusCode::kResourceExhausted) {
    return ApiError{503, api::CodeOf(s), std::string(whose) + ": " + s.message()};
  }
  if (!identity::IdentityErrorOf(s)) return server::ApiErrorFromStatus(s);
  return ApiError{401, api::CodeOf(s), std::string(whose) + ": " + s.message()};
}

json::object DeniedBody(const authz::DecisionOutcome& out) {
  json::object o{{"error", json::object{{"code", out.code}, {"message", out.reason}}},
                 {"decision_id", out.decision_id},
                 {"verdict", ledger::VerdictName(out.verdict)},
                 {"ledger_seq", out.ledger_seq}};
  if (!out.approval_id.empty()) o["approval_id"] = out.approval_id;
  return o;
}

}  // namespace

Status DecisionService::AddTaskRoutes(server::Router& router) {
  WRIT_RETURN_IF_ERROR(router.Handle(
      "POST", "/v1/tasks",
      [this](const Request& request, Responder r) {
        auto t = std::make_shared<TaskRequest>();
        if (auto e = ReadTaskRequest(request, t.get())) {
          server::Response resp = server::Response::Error(*e);
          return r.Send(std::move(resp));
        }
        t->trace = api::TraceOf(request);
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, t, responder] {
          Responder& r = *responder;
          // 1. Who is asking (the agent's own workload credential) and for whom.
          Result<identity::Agent> agent =
              t->assertion.empty() ? agents_->AuthenticateSecret(t->client_id, t->client_secret)
                                   : agents_->AuthenticateAssertion(t->assertion);
          if (!agent.ok()) return r.SendError(CredentialRefused(agent.status(), "agent"));
          Result<identity::VerifiedUser> user = users_->Verify(t->user_token);
          if (!user.ok()) return r.SendError(CredentialRefused(user.status(), "user token"));

          // 2. Policy: may this agent act for this user with this intent?
          authz::DecisionInput in;
          Result<authz::Caller> caller = resolver_->ForAgent(*agent);
          if (!caller.ok()) return r.SendStatus(caller.status());
          in.caller = std::move(caller).value();
          Result<std::string> new_id = authz::NewUuidV7(clock_);
          if (!new_id.ok()) return r.SendStatus(new_id.status());
          const std::string task_id = std::move(new_id).value();
          in.caller.user = user->subject;
          in.caller.user_groups = user->groups;
          in.caller.task_id = task_id;
          in.caller.intent = t->intent;
          in.caller.scopes = t->scopes;
          in.action = "task/start";
          in.resource_type = "Task";
          in.resource_id = task_id;
          in.approval_id = t->approval_id;
          in.trace = t->trace;
          Result<authz::DecisionOutcome> out = DecideNow(in, "task_start");
          if (!out.ok()) {
            return r.SendError(
                out.status().code() == StatusCode::kInvalidArgument
                    ? ApiError{400, authz::kCodeInvalidRequest, out.status().message()}
                    : server::ApiErrorFromStatus(out.status()));
          }
          if (out->verdict != ledger::Verdict::kAllow) {
            int status = out->code == authz::kCodeLedgerUnavailable ? 503 : 403;
            server::Response resp = server::Response::Json(status, DeniedBody(*out));
            resp.error_code = out->code;
            return r.Send(std::move(resp));
          }

          // 3. The task token, then the task's record.
          sink_->ExpectDecision(LedgerEventSink::TaskKey(task_id), out->decision_id);
          identity::TaskTokenRequest tr;
          tr.agent = agent->name;
          tr.user = identity::UserRef{user->subject, user->issuer};
          tr.task_id = task_id;
          tr.transaction_id = t->trace.trace_id;
          tr.scopes = t->scopes;
          tr.intent = t->intent;
          tr.lifetime_s = t->lifetime_s;
          Result<identity::IssuedToken> issued = tokens_->IssueTaskToken(tr);
          if (!issued.ok()) {
            sink_->ForgetDecision(LedgerEventSink::TaskKey(task_id));
            return r.SendStatus(issued.status());
          }
          resolver_->RememberTask(task_id, TaskInfo{t->intent, user->groups});
          ledger::TaskStartRecord rec;
          rec.task_id = task_id;
          rec.decision_id = out->decision_id;
          rec.principal = "Agent::\"" + agent->name + "\"";
          rec.user = "User::\"" + user->subject + "\"";
          rec.spiffe_id = agent->spiffe_id;
          rec.intent = t->intent;
          rec.token_id = issued->claims.token_id;
          rec.trace_id = t->trace.trace_id;
          rec.expires_at = FormatRfc3339Micros(issued->claims.expires_at * 1000000);
          json::object body = rec.ToJson();
          body[kTaskStartGroupsField] = api::JsonStrings(user->groups);
          Result<ledger::AppendReceipt> recorded =
              AppendNow(ledger::RecordKind::kTaskStart, std::move(body));
          if (!recorded.ok()) {
            // Never handed out: the task ends here.
            (void)tokens_->EndTask(task_id);
            return r.SendError(503, "ledger_unavailable",
                               "the task could not be recorded, so it was not opened: " +
                                   recorded.status().message());
          }
          int64_t now_s = clock_.NowMicros() / 1000000;
          server::Response resp = server::Response::Json(
              201, json::object{{"task_id", task_id},
                                {"token", issued->token},
                                {"token_type", "Bearer"},
                                {"expires_at", rec.expires_at},
                                {"expires_in", issued->claims.expires_at - now_s},
                                {"scope", identity::JoinScopes(issued->claims.scopes)},
                                {"decision_id", out->decision_id},
                                {"decision_seq", out->ledger_seq},
                                {"ledger_seq", recorded->seq},
                                {"trace_id", t->trace.trace_id}});
          resp.headers.emplace_back("Cache-Control", "no-store");
          r.Send(std::move(resp));
        });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      Access::Public()));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "POST", "/v1/tasks/{id}/end",
      [this](const Request& request, Responder r) {
        std::string task_id(request.path_param("id").value_or(""));
        std::string principal = api::CallerLabel(request);
        if (auto token = api::AgentToken(request)) {
          if (token->claims.task_id != task_id ||
              token->claims.kind != identity::TokenKind::kTask) {
            return r.SendError(403, "not_task_owner",
                               "only the task's own task token (or an admin key) ends a task");
          }
          principal = AgentPrincipal(token->claims.subject, settings_.trust_domain);
        }
        std::string reason = "task ended";
        if (!request.body().empty()) {
          server::ApiResult<json::value> body = server::ParseJsonBody(request, {"reason"});
          if (!body.ok()) return r.SendError(body.error());
          if (auto e = api::ReadString(body->get_object(), "reason", false, &reason, 512)) {
            return r.SendError(*e);
          }
        }
        std::string trace_id = request.trace().trace_id;
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, task_id, principal, reason, trace_id, responder] {
          Responder& r = *responder;
          Result<TaskInfo> known = resolver_->FindTask(task_id);
          if (!known.ok() && known.status().code() != StatusCode::kNotFound) {
            return r.SendStatus(known.status());
          }
          if (!known.ok()) {
            auto tokens =
                store_.identity().TokensReachedBy(store::RevocationTarget::kTask, task_id, 0);
            if (!tokens.ok()) return r.SendStatus(tokens.status());
            if (tokens->empty()) {
              return r.SendError(404, "task_not_found", "no task has this id");
            }
          }
          Result<identity::RevocationOutcome> ended = tokens_->EndTask(task_id);
          if (!ended.ok()) return r.SendStatus(ended.status());
          if (!ended->newly_revoked) {
            return r.SendError(409, "task_ended", "the task has already ended");
          }
          metrics_->CountRevocation(store::RevocationTarget::kTask, ended->tokens.size());
          ledger::TaskEndRecord rec;
          rec.task_id = task_id;
          rec.principal = principal;
          rec.reason = reason;
          rec.trace_id = trace_id;
          rec.revoked_credentials = static_cast<int64_t>(ended->tokens.size());
          Result<ledger::AppendReceipt> recorded =
              AppendNow(ledger::RecordKind::kTaskEnd, rec.ToJson());
          if (!recorded.ok()) {
            return r.SendError(503, "ledger_unavailable",
                               "the task ended (every token is revoked) but its end could not "
                               "be recorded: " +
                                   recorded.status().message());
          }
          json::array ids;
          for (const store::StoredToken& tok : ended->tokens) ids.emplace_back(tok.jti);
          r.SendJson(200, json::object{{"task_id", task_id},
                                       {"revoked_credentials", rec.revoked_credentials},
                                       {"revoked_token_ids", std::move(ids)},
                                       {"ledger_seq", recorded->seq}});
        });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      Access::AgentsOr(server::Role::kAdmin)));
  return Status::Ok();
}

}  // namespace writ::service
