// The OAuth endpoints — POST /oauth/token (RFC 8693 token exchange), POST /oauth/introspect
// (RFC 7662), POST /oauth/revoke (RFC 7009) — and POST /v1/revocations (revocation by token,
// task, agent or user, cascading).
#include <boost/json.hpp>

#include "base/encoding.h"
#include "identity/claims.h"
#include "identity/errors.h"
#include "ledger/records.h"
#include "server/json_body.h"
#include "service/api_support.h"
#include "service/decision_service.h"
#include "service/form.h"
#include "service/service_metrics.h"

namespace writ::service {
namespace {

namespace json = boost::json;
using identity::IdentityError;
using server::Access;
using server::Request;
using server::Responder;
using server::Response;

constexpr std::string_view kTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
constexpr std::string_view kAccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
constexpr std::string_view kJwtTokenType = "urn:ietf:params:oauth:token-type:jwt";

// Reads the form of an OAuth request; an RFC 6749 error answer when it is not one.
std::optional<Response> ReadOAuthForm(const Request& request, FormFields* out) {
  if (!IsFormContentType(request.header("Content-Type"))) {
    Response r = api::OAuthError(400, "invalid_request",
                                 "the body must be application/x-www-form-urlencoded");
    r.status = 415;
    return r;
  }
  Result<FormFields> form = ParseForm(request.body());
  if (!form.ok()) return api::OAuthError(400, "invalid_request", form.status().message());
  *out = std::move(form).value();
  return std::nullopt;
}

// client_secret_basic (RFC 6749 §2.3.1): the client id and secret, form-encoded, in
// `Authorization: Basic base64(id:secret)`. False when the field is absent; an error message in
// `error` when it is malformed.
bool BasicCredentials(const Request& request, std::string* id, std::string* secret,
                      std::string* error) {
  std::string_view h = request.header("Authorization");
  if (h.empty()) return false;
  if (h.size() < 6 || (h.substr(0, 6) != "Basic " && h.substr(0, 6) != "basic ")) {
    *error = "only HTTP Basic client authentication is accepted here";
    return true;
  }
  auto decoded = Base64Decode(h.substr(6));
  size_t colon = decoded.ok() ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos ||
      !server::PercentDecode(std::string_view(*decoded).substr(0, colon), true, id) ||
      !server::PercentDecode(std::string_view(*decoded).substr(colon + 1), true, secret)) {
    *error = "malformed HTTP Basic credentials";
  }
  return true;
}

// The RFC 6749 error for a refusal of the exchange (RFC 8693 §2.2.2: an invalid or unacceptable
// subject or actor token is invalid_request; scope beyond the parent's is invalid_scope).
Response ExchangeError(const Status& s, const std::string& decision_id) {
  std::string code = api::CodeOf(s);
  auto id = identity::IdentityErrorOf(s);
  Response r;
  if (!id) {
    if (s.code() == StatusCode::kInvalidArgument) {
      r = api::OAuthError(400, "invalid_request", s.message(), "invalid_request");
    } else {
      r = api::OAuthError(s.code() == StatusCode::kUnavailable ? 503 : 500, "server_error",
                          s.code() == StatusCode::kInternal ? "internal error" : s.message(), code);
    }
  } else if (*id == IdentityError::kScopeWidening) {
    r = api::OAuthError(400, "invalid_scope", s.message(), code);
  } else {
    r = api::OAuthError(400, "invalid_request", s.message(), code);
  }
  if (!decision_id.empty()) {
    json::value body = json::parse(r.body);
    body.as_object()["decision_id"] = decision_id;
    r.body = json::serialize(body);
  }
  return r;
}

}  // namespace

Status DecisionService::AddOAuthRoutes(server::Router& router) {
  // RFC 8693 token exchange: delegation to a sub-agent.
  WRIT_RETURN_IF_ERROR(router.Handle(
      "POST", "/oauth/token",
      [this](const Request& request, Responder r) {
        auto form = std::make_shared<FormFields>();
        if (auto e = ReadOAuthForm(request, form.get())) return r.Send(std::move(*e));
        std::optional<std::string_view> grant = form->Get("grant_type");
        if (!grant || grant->empty()) {
          return r.Send(api::OAuthError(400, "invalid_request", "grant_type is required"));
        }
        if (*grant != kTokenExchange) {
          return r.Send(api::OAuthError(400, "unsupported_grant_type",
                                        "the only grant type is " + std::string(kTokenExchange)));
        }
        if (form->GetOr("subject_token").empty()) {
          return r.Send(api::OAuthError(400, "invalid_request", "subject_token is required"));
        }
        std::string_view subject_type = form->GetOr("subject_token_type");
        if (subject_type != kAccessTokenType && subject_type != kJwtTokenType) {
          return r.Send(api::OAuthError(400, "invalid_request",
                                        "subject_token_type must be " +
                                            std::string(kAccessTokenType) + " or " +
                                            std::string(kJwtTokenType)));
        }
        std::string_view requested = form->GetOr("requested_token_type");
        if (!requested.empty() && requested != kAccessTokenType && requested != kJwtTokenType) {
          return r.Send(api::OAuthError(400, "invalid_request",
                                        "requested_token_type must be " +
                                            std::string(kAccessTokenType) + " or " +
                                            std::string(kJwtTokenType)));
        }
        if (form->Has("resource")) {
          return r.Send(api::OAuthError(400, "invalid_target",
                                        "`resource` is not supported; name the audience"));
        }
        // The actor: the sub-agent's own client assertion, or its client credentials.
        auto basic_id = std::make_shared<std::string>();
        auto basic_secret = std::make_shared<std::string>();
        std::string basic_error;
        bool has_basic =
            BasicCredentials(request, basic_id.get(), basic_secret.get(), &basic_error);
        if (!basic_error.empty()) {
          return r.Send(api::OAuthError(401, "invalid_client", basic_error));
        }
        bool has_post = form->Has("client_id") || form->Has("client_secret");
        bool has_actor = form->Has("actor_token");
        if (static_cast<int>(has_basic) + static_cast<int>(has_post) +
                static_cast<int>(has_actor) !=
            1) {
          return r.Send(api::OAuthError(
              400, "invalid_request",
              "name the actor (the sub-agent) with exactly one of actor_token (its client "
              "assertion), client_id + client_secret, or HTTP Basic client credentials"));
        }
        if (has_actor && form->GetOr("actor_token_type") != kJwtTokenType) {
          return r.Send(api::OAuthError(400, "invalid_request",
                                        "actor_token_type must be " + std::string(kJwtTokenType)));
        }
        if (has_post) {
          *basic_id = std::string(form->GetOr("client_id"));
          *basic_secret = std::string(form->GetOr("client_secret"));
        }
        auto scopes = identity::ParseScopeString(form->GetOr("scope"));
        if (!scopes.ok()) {
          return r.Send(api::OAuthError(400, "invalid_scope", scopes.status().message()));
        }
        auto scope_list = std::make_shared<std::vector<std::string>>(std::move(scopes).value());
        authz::TraceContext trace = api::TraceOf(request);
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, form, basic_id, basic_secret, has_actor, scope_list, trace,
                               responder] {
          Responder& r = *responder;
          Result<identity::Agent> actor =
              has_actor ? agents_->AuthenticateAssertion(form->GetOr("actor_token"))
                        : agents_->AuthenticateSecret(*basic_id, *basic_secret);
          if (!actor.ok()) {
            if (!has_actor) {
              return r.Send(api::OAuthError(401, "invalid_client", actor.status().message(),
                                            api::CodeOf(actor.status())));
            }
            return r.Send(ExchangeError(actor.status(), ""));
          }
          identity::ExchangeRequest xr;
          xr.subject_token = std::string(form->GetOr("subject_token"));
          xr.actor = actor->name;
          xr.scopes = *scope_list;
          xr.audience = std::string(form->GetOr("audience"));
          std::string decision_id;
          std::string child_id;
          // Policy decides every delegation: Cedar action `delegate`, the parent agent as the
          // principal, the sub-agent as the resource.
          identity::ExchangeDecider decide = [&](const identity::ExchangeProposal& p) -> Status {
            WRIT_ASSIGN_OR_RETURN(authz::Caller caller, resolver_->Resolve(p.parent));
            authz::DecisionInput in;
            in.caller = std::move(caller);
            in.action = "delegate";
            in.resource_type = "Agent";
            in.resource_id = p.actor.name;
            in.context["scopes"] = api::JsonStrings(p.child.scopes);
            in.trace = trace;
            Result<authz::DecisionOutcome> out = DecideNow(in, "delegate");
            if (!out.ok()) return out.status();
            decision_id = out->decision_id;
            if (out->verdict != ledger::Verdict::kAllow) {
              return Status(StatusCode::kPermissionDenied,
                            out->reason.empty() ? out->code : out->reason);
            }
            child_id = p.child.token_id;
            sink_->ExpectDecision(LedgerEventSink::TokenKey(child_id), decision_id);
            return Status::Ok();
          };
          Result<identity::IssuedToken> issued = tokens_->Exchange(xr, decide);
          if (!issued.ok()) {
            if (!child_id.empty()) sink_->ForgetDecision(LedgerEventSink::TokenKey(child_id));
            return r.Send(ExchangeError(issued.status(), decision_id));
          }
          int64_t now_s = clock_.NowMicros() / 1000000;
          bool jwt = form->GetOr("requested_token_type") == kJwtTokenType;
          json::object body{{"access_token", issued->token},
                            {"issued_token_type", jwt ? kJwtTokenType : kAccessTokenType},
                            {"token_type", jwt ? "N_A" : "Bearer"},
                            {"expires_in", issued->claims.expires_at - now_s},
                            {"scope", identity::JoinScopes(issued->claims.scopes)},
                            {"decision_id", decision_id}};
          Response resp = Response::Json(200, body);
          resp.headers.emplace_back("Cache-Control", "no-store");
          resp.headers.emplace_back("Pragma", "no-cache");
          r.Send(std::move(resp));
        });
        if (!queued) {
          responder->Send(api::OAuthError(503, "temporarily_unavailable",
                                          "the service is busy; retry", "overloaded"));
        }
      },
      Access::Public()));

  // RFC 7662 introspection. Consumes a just-in-time credential (single use).
  WRIT_RETURN_IF_ERROR(router.Handle(
      "POST", "/oauth/introspect",
      [this](const Request& request, Responder r) {
        auto form = std::make_shared<FormFields>();
        if (auto e = ReadOAuthForm(request, form.get())) return r.Send(std::move(*e));
        if (!form->Has("token")) {
          return r.Send(api::OAuthError(400, "invalid_request", "token is required"));
        }
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, form, responder] {
          json::object answer = tokens_->Introspect(form->GetOr("token"), form->GetOr("audience"));
          Response resp = Response::Json(200, answer);
          resp.headers.emplace_back("Cache-Control", "no-store");
          responder->Send(std::move(resp));
        });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      Access::AgentsOr(server::Role::kViewer)));

  // RFC 7009 revocation: always 200 for a token that is invalid or already inactive.
  WRIT_RETURN_IF_ERROR(router.Handle(
      "POST", "/oauth/revoke",
      [this](const Request& request, Responder r) {
        auto form = std::make_shared<FormFields>();
        if (auto e = ReadOAuthForm(request, form.get())) return r.Send(std::move(*e));
        if (!form->Has("token")) {
          return r.Send(api::OAuthError(400, "invalid_request", "token is required"));
        }
        std::string_view hint = form->GetOr("token_type_hint");
        if (!hint.empty() && hint != "access_token") {
          return r.Send(
              api::OAuthError(400, "unsupported_token_type", "Writ issues access tokens only"));
        }
        std::shared_ptr<const identity::VerifiedToken> caller = api::AgentToken(request);
        std::string by = api::CallerLabel(request);
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, form, caller, by, responder] {
          identity::VerifyOptions vo;
          vo.any_audience = true;
          vo.allow_credential = true;
          auto target = tokens_->Verify(form->GetOr("token"), vo);
          if (target.ok()) {
            const identity::TokenClaims& t = (*target)->claims;
            // An agent revokes tokens of its own task only; an API key (admin) any.
            if (caller && caller->claims.task_id != t.task_id) {
              return responder->Send(api::OAuthError(403, "unauthorized_client",
                                                     "the token belongs to another task",
                                                     "not_your_token"));
            }
            auto revoked = tokens_->Revoke(store::RevocationTarget::kToken, t.token_id,
                                           "revoked through /oauth/revoke by " + by);
            if (!revoked.ok()) {
              return responder->Send(api::OAuthError(503, "temporarily_unavailable",
                                                     revoked.status().message(),
                                                     api::CodeOf(revoked.status())));
            }
            if (revoked->newly_revoked) {
              metrics_->CountRevocation(store::RevocationTarget::kToken, revoked->tokens.size());
            }
          }
          Response resp = Response::Text(200, "");
          resp.content_type.clear();
          resp.headers.emplace_back("Cache-Control", "no-store");
          responder->Send(std::move(resp));
        });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      Access::AgentsOr(server::Role::kAdmin)));

  // Revocation by token, task, agent or user (admin), cascading to every descendant.
  WRIT_RETURN_IF_ERROR(router.Handle(
      "POST", "/v1/revocations",
      [this](const Request& request, Responder r) {
        server::ApiResult<json::value> body =
            server::ParseJsonBody(request, {"target", "value", "reason"});
        if (!body.ok()) return r.SendError(body.error());
        const json::object& o = body->get_object();
        std::string target_name, value, reason;
        if (auto e = api::ReadString(o, "target", true, &target_name, 16)) return r.SendError(*e);
        if (auto e = api::ReadString(o, "value", true, &value, 2048)) return r.SendError(*e);
        if (auto e = api::ReadString(o, "reason", false, &reason, 512)) return r.SendError(*e);
        store::RevocationTarget target;
        if (target_name == "token") {
          target = store::RevocationTarget::kToken;
        } else if (target_name == "task") {
          target = store::RevocationTarget::kTask;
        } else if (target_name == "agent") {
          target = store::RevocationTarget::kAgent;
        } else if (target_name == "user") {
          target = store::RevocationTarget::kUser;
        } else {
          return r.SendError(
              api::InvalidField("target", "must be \"token\", \"task\", \"agent\" or \"user\""));
        }
        if (reason.empty()) reason = "revoked by " + api::CallerLabel(request);
        std::string by = api::CallerLabel(request);
        std::string trace_id = request.trace().trace_id;
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, target, value, reason, by, trace_id, responder] {
          Responder& r = *responder;
          Result<identity::RevocationOutcome> out = tokens_->Revoke(target, value, reason);
          if (!out.ok()) return r.SendStatus(out.status());
          if (out->newly_revoked) metrics_->CountRevocation(target, out->tokens.size());
          json::object answer{{"target", store::RevocationTargetName(target)},
                              {"value", value},
                              {"revocation_id", out->revocation_id},
                              {"newly_revoked", out->newly_revoked},
                              {"revoked_credentials", static_cast<int64_t>(out->tokens.size())}};
          json::array ids;
          for (const store::StoredToken& t : out->tokens) ids.emplace_back(t.jti);
          answer["revoked_token_ids"] = std::move(ids);
          // Revoking a task ends it.
          if (target == store::RevocationTarget::kTask && out->newly_revoked) {
            ledger::TaskEndRecord rec;
            rec.task_id = value;
            rec.principal = by;
            rec.reason = reason;
            rec.trace_id = trace_id;
            rec.revoked_credentials = static_cast<int64_t>(out->tokens.size());
            auto recorded = AppendNow(ledger::RecordKind::kTaskEnd, rec.ToJson());
            if (!recorded.ok()) {
              return r.SendError(503, "ledger_unavailable",
                                 "the task is revoked but its end could not be recorded: " +
                                     recorded.status().message());
            }
            answer["ledger_seq"] = recorded->seq;
          }
          r.SendJson(out->newly_revoked ? 201 : 200, answer);
        });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      Access::AtLeast(server::Role::kAdmin)));
  return Status::Ok();
}

}  // namespace writ::service
