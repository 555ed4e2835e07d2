// Human approvals of held decisions: GET /v1/approvals, GET /v1/approvals/{id},
// POST /v1/approvals/{id}/grant|deny (approvers) and /override (admins).
#include <algorithm>
#include <boost/json.hpp>

#include "cedar/entities.h"
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

std::string Time(int64_t us) {
  return us == 0 ? std::string() : FormatRfc3339Micros(us);
}

// "pending" or "granted" past its expiry reads "expired": it can no longer be decided, nor a
// grant be used.
std::string EffectiveStatus(const store::StoredApproval& a, int64_t now_us) {
  if ((a.status == "pending" || a.status == "granted") && a.expires_us <= now_us) {
    return "expired";
  }
  return a.status;
}

json::object ApprovalJson(const store::StoredApproval& a, int64_t now_us) {
  json::object o;
  o["id"] = a.id;
  o["status"] = EffectiveStatus(a, now_us);
  o["decision_id"] = a.decision_id;
  o["group"] = a.group;
  o["principal"] = a.principal;
  o["action"] = a.action;
  o["resource"] = a.resource;
  json::error_code ec;
  json::value summary = json::parse(a.summary, ec);
  if (!ec) o["summary"] = std::move(summary);
  o["policy_version"] = a.policy_version;
  if (!a.approver.empty()) o["approver"] = a.approver;
  if (!a.note.empty()) o["note"] = a.note;
  o["override"] = a.override_;
  if (!a.consumed_by.empty()) o["consumed_by"] = a.consumed_by;
  o["created"] = Time(a.created_us);
  o["expires"] = Time(a.expires_us);
  if (a.decided_us != 0) o["decided"] = Time(a.decided_us);
  return o;
}

std::string SummaryTask(const store::StoredApproval& a) {
  json::error_code ec;
  json::value summary = json::parse(a.summary, ec);
  if (ec || !summary.is_object()) return {};
  const json::value* t = summary.get_object().if_contains("task");
  return t != nullptr && t->is_string() ? std::string(t->get_string()) : std::string();
}

enum class Verdict { kGrant, kDeny, kOverride };

}  // namespace

Status DecisionService::AddApprovalRoutes(server::Router& router) {
  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/approvals",
      [this](const Request& request, Responder r) {
        std::string status(request.query_param("status").value_or(""));
        if (!status.empty() && status != "pending" && status != "expired" && status != "granted" &&
            status != "denied" && status != "consumed") {
          return r.SendError(400, "invalid_parameter",
                             "`status` must be pending, expired, granted, denied or consumed");
        }
        std::optional<uint64_t> limit;
        if (auto e = api::QueryUint(request, "limit", 1000, &limit)) return r.SendError(*e);
        size_t want = static_cast<size_t>(limit.value_or(100));
        // Expiry is by time, so it is filtered here: read more than asked for when filtering.
        bool by_time = status == "pending" || status == "granted" || status == "expired";
        size_t read = by_time ? 1000 : want;
        // Expired ones are stored as pending or granted: both lists, merged newest first.
        std::vector<std::string> stored_statuses =
            status == "expired" ? std::vector<std::string>{"pending", "granted"}
                                : std::vector<std::string>{status};
        std::vector<store::StoredApproval> all;
        for (const std::string& stored : stored_statuses) {
          Result<std::vector<store::StoredApproval>> some =
              store_.approvals().ListApprovals(stored, read);
          if (!some.ok()) return r.SendStatus(some.status());
          all.insert(all.end(), some->begin(), some->end());
        }
        if (stored_statuses.size() > 1) {
          std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
            return a.created_us != b.created_us ? a.created_us > b.created_us : a.id < b.id;
          });
        }
        int64_t now = clock_.NowMicros();
        json::array items;
        for (const store::StoredApproval& a : all) {
          if (!status.empty() && EffectiveStatus(a, now) != status) continue;
          if (items.size() >= want) break;
          items.push_back(ApprovalJson(a, now));
        }
        r.SendJson(200, json::object{{"approvals", std::move(items)}});
      },
      Access::AtLeast(server::Role::kViewer)));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/approvals/{id}",
      [this](const Request& request, Responder r) {
        std::string id(request.path_param("id").value_or(""));
        auto found = store_.approvals().GetApproval(id);
        if (!found.ok()) return r.SendStatus(found.status());
        if (!*found) return r.SendError(404, "approval_not_found", "no approval has this id");
        r.SendJson(200, ApprovalJson(**found, clock_.NowMicros()));
      },
      Access::AtLeast(server::Role::kViewer)));

  auto decide = [this](Verdict verdict) {
    return [this, verdict](const Request& request, Responder r) {
      std::string id(request.path_param("id").value_or(""));
      std::string note, user_token;
      if (!request.body().empty()) {
        server::ApiResult<json::value> body =
            server::ParseJsonBody(request, {"note", "user_token"});
        if (!body.ok()) return r.SendError(body.error());
        const json::object& o = body->get_object();
        if (auto e = api::ReadString(o, "note", false, &note, 2048)) return r.SendError(*e);
        if (auto e = api::ReadString(o, "user_token", false, &user_token, 16384)) {
          return r.SendError(*e);
        }
      }
      std::string key = api::CallerLabel(request);
      auto responder = std::make_shared<Responder>(std::move(r));
      bool queued = Offload([this, verdict, id, note, user_token, key, responder] {
        Responder& r = *responder;
        auto found = store_.approvals().GetApproval(id);
        if (!found.ok()) return r.SendStatus(found.status());
        if (!*found) return r.SendError(404, "approval_not_found", "no approval has this id");
        const store::StoredApproval& a = **found;
        int64_t now = clock_.NowMicros();
        if (EffectiveStatus(a, now) != "pending") {
          return r.SendError(409, "approval_not_pending",
                             "the approval is " + EffectiveStatus(a, now) + ", not pending");
        }
        std::string approver = key;
        if (verdict != Verdict::kOverride && settings_.approval_check_groups) {
          // The approver proves membership of the policy's group with their own OIDC token:
          // its groups claim, or the bundle's entity data (User in UserGroup).
          if (user_token.empty()) {
            return r.SendError(
                403, "approver_identity_required",
                "send the approver's user_token to show membership of `" + a.group + "`");
          }
          Result<identity::VerifiedUser> user = users_->Verify(user_token);
          if (!user.ok()) {
            return r.SendError(401, api::CodeOf(user.status()),
                               "user token: " + user.status().message());
          }
          bool member =
              std::find(user->groups.begin(), user->groups.end(), a.group) != user->groups.end();
          if (!member) {
            if (auto bundle = overlay_.Current()) {
              cedar::EntityUID u{"User", user->subject,
                                 cedar::EntityUID::HashOf("User", user->subject)};
              cedar::EntityUID g{"UserGroup", a.group,
                                 cedar::EntityUID::HashOf("UserGroup", a.group)};
              member = bundle->entities.IsIn(u, g);
            }
          }
          if (!member) {
            return r.SendError(
                403, "not_in_group",
                "User::\"" + user->subject + "\" is not a member of `" + a.group + "`");
          }
          // Nobody approves what an agent does on their own behalf.
          json::error_code ec;
          json::value summary = json::parse(a.summary, ec);
          const json::value* for_user =
              !ec && summary.is_object() ? summary.get_object().if_contains("user") : nullptr;
          if (for_user != nullptr && for_user->is_string() &&
              for_user->get_string() == user->subject) {
            return r.SendError(403, "self_approval",
                               "the request was made on behalf of the approver; another member "
                               "of `" +
                                   a.group + "` must decide it");
          }
          approver = key + " as User::\"" + user->subject + "\"";
        }
        bool grant = verdict != Verdict::kDeny;
        Status decided = store_.approvals().DecideApproval(id, grant, approver, note,
                                                           verdict == Verdict::kOverride, now);
        if (decided.code() == StatusCode::kFailedPrecondition) {
          return r.SendError(409, "approval_not_pending", decided.message());
        }
        if (!decided.ok()) return r.SendStatus(decided);
        const char* action = verdict == Verdict::kGrant  ? "grant"
                             : verdict == Verdict::kDeny ? "deny"
                                                         : "override";
        ledger::ApprovalRecord rec;
        rec.approval_id = id;
        rec.decision_id = a.decision_id;
        rec.task_id = SummaryTask(a);
        rec.principal = a.principal;
        rec.approver = approver;
        rec.group = a.group;
        rec.reason = note;
        rec.request_digest = a.request_digest;
        rec.policy_set_hash = a.policy_version;
        rec.expires_at = Time(a.expires_us);
        ledger::RecordKind kind = verdict == Verdict::kGrant ? ledger::RecordKind::kApprovalGrant
                                  : verdict == Verdict::kDeny
                                      ? ledger::RecordKind::kApprovalDeny
                                      : ledger::RecordKind::kApprovalOverride;
        auto recorded = AppendNow(kind, rec.ToJson());
        if (!recorded.ok()) {
          // What the ledger does not hold does not take effect: the approval is pending again.
          std::string why = "its record could not be written (" + recorded.status().message() + ")";
          Status reopened = store_.approvals().ReopenApproval(id, approver);
          if (reopened.ok()) {
            return r.SendError(
                503, "ledger_unavailable",
                "the approval stays pending: " + why + "; decide again once the ledger records");
          }
          return r.SendError(503, "ledger_unavailable",
                             std::string("the approval was ") + (grant ? "granted" : "denied") +
                                 " but " + why +
                                 ", and that could not be undone: " + reopened.message());
        }
        metrics_->CountApproval(action);
        auto after = store_.approvals().GetApproval(id);
        if (!after.ok() || !*after)
          return r.SendStatus(after.ok() ? Internal("gone") : after.status());
        json::object answer = ApprovalJson(**after, clock_.NowMicros());
        answer["ledger_seq"] = recorded->seq;
        r.SendJson(200, answer);
      });
      if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
    };
  };
  WRIT_RETURN_IF_ERROR(router.Handle("POST", "/v1/approvals/{id}/grant", decide(Verdict::kGrant),
                                     Access::AtLeast(server::Role::kApprover)));
  WRIT_RETURN_IF_ERROR(router.Handle("POST", "/v1/approvals/{id}/deny", decide(Verdict::kDeny),
                                     Access::AtLeast(server::Role::kApprover)));
  WRIT_RETURN_IF_ERROR(router.Handle("POST", "/v1/approvals/{id}/override",
                                     decide(Verdict::kOverride),
                                     Access::AtLeast(server::Role::kAdmin)));
  return Status::Ok();
}

}  // namespace writ::service
