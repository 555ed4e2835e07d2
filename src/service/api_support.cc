#include "service/api_support.h"

#include <charconv>

#include "identity/errors.h"

namespace writ::service::api {

namespace json = boost::json;

std::shared_ptr<const identity::VerifiedToken> AgentToken(const server::Request& request) {
  const server::Caller& c = request.caller();
  if (c.kind != server::CallerKind::kAgent) return nullptr;
  const auto* token = std::any_cast<std::shared_ptr<const identity::VerifiedToken>>(&c.credential);
  return token != nullptr ? *token : nullptr;
}

std::string_view BearerCredential(const server::Request& request) {
  std::string_view h = request.header("Authorization");
  if (h.size() < 7) return {};
  std::string_view scheme = h.substr(0, 7);
  if (scheme != "Bearer " && scheme != "bearer " && scheme != "BEARER ") return {};
  h.remove_prefix(7);
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  return h;
}

std::string CallerLabel(const server::Request& request) {
  const server::Caller& c = request.caller();
  switch (c.kind) {
    case server::CallerKind::kApiKey:
      return "apikey:" + c.name;
    case server::CallerKind::kAgent:
      return c.id;
    case server::CallerKind::kAnonymous:
      break;
  }
  return "anonymous";
}

authz::TraceContext TraceOf(const server::Request& request) {
  const server::TraceContext& t = request.trace();
  return authz::TraceContext{t.trace_id, t.span_id, t.parent_id};
}

server::ApiError InvalidField(std::string_view key, std::string_view what) {
  return server::ApiError{400, "invalid_field", "`" + std::string(key) + "` " + std::string(what)};
}

std::optional<server::ApiError> ReadString(const json::object& o, std::string_view key,
                                           bool required, std::string* out, size_t max_bytes) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    if (required)
      return server::ApiError{400, "missing_field", "`" + std::string(key) + "` is required"};
    return std::nullopt;
  }
  if (!v->is_string()) return InvalidField(key, "must be a string");
  if (v->get_string().size() > max_bytes) {
    return InvalidField(key, "is longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (required && v->get_string().empty()) return InvalidField(key, "must not be empty");
  *out = std::string(v->get_string());
  return std::nullopt;
}

std::optional<server::ApiError> ReadInt(const json::object& o, std::string_view key, int64_t min,
                                        int64_t max, std::optional<int64_t>* out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  int64_t x;
  if (v->is_int64()) {
    x = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    x = static_cast<int64_t>(v->get_uint64());
  } else {
    return InvalidField(key, "must be an integer");
  }
  if (x < min || x > max) {
    return InvalidField(key,
                        "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  *out = x;
  return std::nullopt;
}

std::optional<server::ApiError> ReadStrings(const json::object& o, std::string_view key,
                                            std::vector<std::string>* out, size_t max_items) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_array()) return InvalidField(key, "must be an array of strings");
  if (v->get_array().size() > max_items) {
    return InvalidField(key, "has more than " + std::to_string(max_items) + " items");
  }
  out->clear();
  for (const json::value& item : v->get_array()) {
    if (!item.is_string()) return InvalidField(key, "must be an array of strings");
    out->emplace_back(item.get_string());
  }
  return std::nullopt;
}

std::optional<server::ApiError> ReadObject(const json::object& o, std::string_view key,
                                           bool required, json::object* out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    if (required)
      return server::ApiError{400, "missing_field", "`" + std::string(key) + "` is required"};
    return std::nullopt;
  }
  if (!v->is_object()) return InvalidField(key, "must be an object");
  *out = v->get_object();
  return std::nullopt;
}

server::Response OAuthError(int status, std::string_view error, std::string_view description,
                            std::string_view writ_code) {
  json::object o{{"error", error}, {"error_description", description}};
  if (!writ_code.empty()) o["writ_code"] = writ_code;
  server::Response r = server::Response::Json(status, o);
  r.error_code = std::string(writ_code.empty() ? error : writ_code);
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Pragma", "no-cache");
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"writ\"");
  return r;
}

std::string CodeOf(const Status& status) {
  if (auto code = identity::IdentityErrorOf(status)) {
    return std::string(identity::IdentityErrorName(*code));
  }
  return std::string(StatusCodeName(status.code()));
}

json::array JsonStrings(const std::vector<std::string>& items) {
  json::array a;
  for (const std::string& s : items) a.emplace_back(s);
  return a;
}

std::optional<server::ApiError> QueryUint(const server::Request& request, std::string_view name,
                                          uint64_t max, std::optional<uint64_t>* out) {
  std::optional<std::string_view> text = request.query_param(name);
  if (!text) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || v > max) {
    return server::ApiError{
        400, "invalid_parameter",
        "`" + std::string(name) + "` must be a whole number up to " + std::to_string(max)};
  }
  *out = v;
  return std::nullopt;
}

}  // namespace writ::service::api
