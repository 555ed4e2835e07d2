#include "server/service_assembly.h"

#include <boost/json.hpp>

#include "server/json_body.h"
#include "server/openapi.h"
#include "store/api_key_store.h"
#include "store/sqlite_store.h"

namespace writ::server {
namespace {

namespace json = boost::json;

json::object KeyJson(const store::StoredApiKey& k) {
  json::object o;
  o["id"] = k.id;
  o["name"] = k.name;
  o["role"] = k.role;
  o["created"] = FormatRfc3339Micros(k.created_us);
  o["revoked"] = k.revoked_us != 0 ? json::value(FormatRfc3339Micros(k.revoked_us)) : nullptr;
  return o;
}

}  // namespace

ServiceAssembly::ServiceAssembly(ServeConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

ServiceAssembly::~ServiceAssembly() {
  server_.reset();
  while (!parts_.empty()) parts_.pop_back();
}

Status ServiceAssembly::Open() {
  WRIT_RETURN_IF_ERROR(ValidateServeConfig(config_));
  store::SqliteOptions so;
  so.data_dir = config_.data_dir;
  WRIT_ASSIGN_OR_RETURN(store_, store::OpenSqliteStore(so));
  metrics_ = std::make_unique<MetricsRegistry>();
  api_keys_ = std::make_unique<ApiKeyAuthenticator>(store_->api_keys(), config_.api_keys);
  WRIT_RETURN_IF_ERROR(api_keys_->Reload());
  authenticator_ = std::make_unique<Authenticator>(api_keys_.get());
  server_ = std::make_unique<Server>(config_.server, *metrics_, *authenticator_);

  store::Store* store = store_.get();
  server_->AddReadinessCheck("store", [store]() -> Status {
    Result<int> v = store->SchemaVersion();
    return v.ok() ? Status::Ok() : v.status();
  });
  WRIT_RETURN_IF_ERROR(server_->router().Handle(
      "GET", "/openapi.json",
      [](const Request&, Responder r) {
        r.Send(Response::JsonText(200, std::string(OpenApiDocument())));
      },
      Access::Public()));
  AddApiKeyRoutes();
  return Status::Ok();
}

void ServiceAssembly::AddApiKeyRoutes() {
  store::ApiKeyStore* keys = &store_->api_keys();
  const Clock* clock = &clock_;
  Router& router = server_->router();
  // Admin operations are rare and each is one short SQLite statement, so they run on the
  // server's thread.
  (void)router.Handle(
      "GET", "/v1/api-keys",
      [keys](const Request&, Responder r) {
        Result<std::vector<store::StoredApiKey>> all = keys->ListApiKeys();
        if (!all.ok()) return r.SendStatus(all.status());
        json::array items;
        for (const store::StoredApiKey& k : *all) items.push_back(KeyJson(k));
        r.SendJson(200, json::object{{"api_keys", std::move(items)}});
      },
      Access::AtLeast(Role::kAdmin));
  (void)router.Handle(
      "POST", "/v1/api-keys",
      [keys, clock](const Request& request, Responder r) {
        ApiResult<json::value> body = ParseJsonBody(request, {"name", "role"});
        if (!body.ok()) return r.SendError(body.error());
        const json::object& o = body->get_object();
        const json::value* name = o.if_contains("name");
        const json::value* role_text = o.if_contains("role");
        if (name == nullptr || !name->is_string()) {
          return r.SendError(400, "invalid_field", "`name` must be a string");
        }
        std::optional<Role> role;
        if (role_text != nullptr && role_text->is_string()) {
          role = ParseRole(std::string_view(role_text->get_string()));
        }
        if (!role) {
          return r.SendError(400, "invalid_field",
                             "`role` must be \"admin\", \"approver\" or \"viewer\"");
        }
        Result<IssuedApiKey> issued =
            CreateApiKey(*keys, std::string_view(name->get_string()), *role, *clock);
        if (!issued.ok()) return r.SendStatus(issued.status());
        r.SendJson(201, json::object{{"id", issued->id},
                                     {"name", issued->name},
                                     {"role", RoleName(issued->role)},
                                     {"key", issued->key},
                                     {"created", FormatRfc3339Micros(issued->created_us)}});
      },
      Access::AtLeast(Role::kAdmin));
  (void)router.Handle(
      "DELETE", "/v1/api-keys/{id}",
      [keys, clock](const Request& request, Responder r) {
        std::string_view id = request.path_param("id").value_or("");
        Result<std::optional<store::StoredApiKey>> found = keys->GetApiKey(std::string(id));
        if (!found.ok()) return r.SendStatus(found.status());
        if (!found->has_value()) {
          return r.SendError(404, "api_key_not_found", "no API key has this id");
        }
        Status s = keys->RevokeApiKey(std::string(id), clock->NowMicros());
        if (s.code() == StatusCode::kFailedPrecondition) {
          return r.SendError(409, "api_key_revoked", "the API key is already revoked");
        }
        if (!s.ok()) return r.SendStatus(s);
        Result<std::optional<store::StoredApiKey>> after = keys->GetApiKey(std::string(id));
        if (!after.ok()) return r.SendStatus(after.status());
        if (!after->has_value())
          return r.SendError(404, "api_key_not_found", "no API key has this id");
        r.SendJson(200, KeyJson(**after));
      },
      Access::AtLeast(Role::kAdmin));
}

Status ServiceAssembly::Serve(const std::function<void(const std::string&)>& on_listening) {
  return server_->Run([this, &on_listening] {
    if (on_listening) on_listening(server_->bound_address());
  });
}

}  // namespace writ::server
