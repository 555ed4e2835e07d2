// Agents: POST /v1/agents (admin), GET /v1/agents and GET /v1/agents/{name} (viewer).
#include <boost/json.hpp>

#include "base/crypto.h"
#include "base/encoding.h"
#include "server/json_body.h"
#include "service/api_support.h"
#include "service/decision_service.h"

namespace writ::service {
namespace {

namespace json = boost::json;
using server::Access;
using server::Request;
using server::Responder;

json::object AgentJson(const identity::Agent& a) {
  json::object o{{"name", a.name},
                 {"spiffe_id", a.spiffe_id},
                 {"owner", a.owner},
                 {"team", a.team},
                 {"has_public_key", a.public_key.has_value()},
                 {"has_client_secret", a.has_client_secret},
                 {"created", FormatRfc3339Micros(a.created_us)}};
  if (a.public_key) o["public_jwk"] = a.public_key->ToJson();
  return o;
}

}  // namespace

Status DecisionService::AddAgentRoutes(server::Router& router) {
  WRIT_RETURN_IF_ERROR(router.Handle(
      "POST", "/v1/agents",
      [this](const Request& request, Responder r) {
        server::ApiResult<json::value> body = server::ParseJsonBody(
            request, {"name", "owner", "team", "public_jwk", "generate_secret"});
        if (!body.ok()) return r.SendError(body.error());
        const json::object& o = body->get_object();
        auto reg = std::make_shared<identity::AgentRegistration>();
        if (auto e = api::ReadString(o, "name", true, &reg->name, 128)) return r.SendError(*e);
        if (auto e = api::ReadString(o, "owner", true, &reg->owner, 256)) return r.SendError(*e);
        if (auto e = api::ReadString(o, "team", true, &reg->team, 256)) return r.SendError(*e);
        json::object jwk;
        if (auto e = api::ReadObject(o, "public_jwk", false, &jwk)) return r.SendError(*e);
        if (!jwk.empty()) reg->public_jwk = json::serialize(jwk);
        bool generate = false;
        if (const json::value* g = o.if_contains("generate_secret"); g && !g->is_null()) {
          if (!g->is_bool())
            return r.SendError(api::InvalidField("generate_secret", "must be a boolean"));
          generate = g->get_bool();
        }
        if (reg->public_jwk.empty() && !generate) {
          return r.SendError(400, "no_credential",
                             "give the agent a `public_jwk` (for private_key_jwt) and/or "
                             "`generate_secret`: true");
        }
        if (generate) {
          Result<std::string> raw = RandomBytes(32);
          if (!raw.ok()) return r.SendStatus(raw.status());
          reg->client_secret = Base64UrlEncode(*raw);
        }
        auto responder = std::make_shared<Responder>(std::move(r));
        bool queued = Offload([this, reg, responder] {
          // Hashing the secret (Argon2id) and the insert take time: on the pool.
          Result<identity::Agent> agent = agents_->Register(*reg);
          if (!agent.ok()) {
            if (agent.status().code() == StatusCode::kAlreadyExists) {
              return responder->SendError(409, "agent_exists",
                                          "an agent named `" + reg->name + "` is registered");
            }
            return responder->SendStatus(agent.status());
          }
          resolver_->RememberAgent(*agent);
          RepublishAgents();
          json::object answer = AgentJson(*agent);
          if (!reg->client_secret.empty()) answer["client_secret"] = reg->client_secret;
          server::Response resp = server::Response::Json(201, answer);
          resp.headers.emplace_back("Cache-Control", "no-store");
          responder->Send(std::move(resp));
        });
        if (!queued) responder->SendError(503, "overloaded", "the service is busy; retry");
      },
      Access::AtLeast(server::Role::kAdmin)));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/agents",
      [this](const Request&, Responder r) {
        Result<std::vector<identity::Agent>> all = agents_->List();
        if (!all.ok()) return r.SendStatus(all.status());
        json::array items;
        for (const identity::Agent& a : *all) items.push_back(AgentJson(a));
        r.SendJson(200, json::object{{"agents", std::move(items)}});
      },
      Access::AtLeast(server::Role::kViewer)));

  WRIT_RETURN_IF_ERROR(router.Handle(
      "GET", "/v1/agents/{name}",
      [this](const Request& request, Responder r) {
        std::string name(request.path_param("name").value_or(""));
        Result<std::optional<identity::Agent>> found = agents_->Find(name);
        if (!found.ok()) return r.SendStatus(found.status());
        if (!*found) return r.SendError(404, "agent_not_found", "no agent has this name");
        r.SendJson(200, AgentJson(**found));
      },
      Access::AtLeast(server::Role::kViewer)));
  return Status::Ok();
}

}  // namespace writ::service
