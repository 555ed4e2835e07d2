#include "gateway/jsonrpc.h"

namespace writ::gateway {

namespace json = boost::json;

Result<Message> ParseMessage(std::string_view text, size_t max_depth) {
  json::parse_options po;
  po.max_depth = max_depth;
  json::error_code ec;
  json::value v = json::parse(text, ec, {}, po);
  if (ec) return InvalidArgument("parse error: " + ec.message());
  if (v.is_array()) return InvalidArgument("invalid request: batches are not supported");
  if (!v.is_object()) return InvalidArgument("invalid request: a message is a JSON object");
  Message m;
  m.body = std::move(v.get_object());
  const json::value* version = m.body.if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->get_string() != "2.0") {
    return InvalidArgument("invalid request: `jsonrpc` must be \"2.0\"");
  }
  const json::value* id = m.body.if_contains("id");
  if (id != nullptr && !id->is_string() && !id->is_int64() && !id->is_uint64()) {
    return InvalidArgument("invalid request: `id` must be a string or an integer");
  }
  const json::value* method = m.body.if_contains("method");
  if (method != nullptr) {
    if (!method->is_string() || method->get_string().empty()) {
      return InvalidArgument("invalid request: `method` must be a non-empty string");
    }
    m.method = std::string(method->get_string());
    m.kind = id == nullptr ? MessageKind::kNotification : MessageKind::kRequest;
    if (const json::value* p = m.body.if_contains("params")) {
      if (!p->is_object() && !p->is_array()) {
        return InvalidArgument("invalid request: `params` must be an object or an array");
      }
      m.params = *p;
    }
  } else {
    if (id == nullptr) return InvalidArgument("invalid request: neither `method` nor `id`");
    if (!m.body.contains("result") && !m.body.contains("error")) {
      return InvalidArgument("invalid request: a response needs `result` or `error`");
    }
    m.kind = MessageKind::kResponse;
  }
  if (id != nullptr) m.id = *id;
  return m;
}

json::object ResultMessage(const json::value& id, json::value result) {
  return json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json::object ErrorMessage(const json::value& id, int code, std::string_view message,
                          json::value data) {
  json::object error{{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = std::move(data);
  return json::object{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

json::object RequestMessage(const json::value& id, std::string_view method,
                            const json::value& params) {
  json::object m{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) m["params"] = params;
  return m;
}

json::object NotificationMessage(std::string_view method, const json::value& params) {
  json::object m{{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) m["params"] = params;
  return m;
}

json::value SwapProgressToken(json::value& params, const json::value& token) {
  json::object* p = params.if_object();
  json::value* meta = p != nullptr ? p->if_contains("_meta") : nullptr;
  json::value* current = meta != nullptr && meta->is_object()
                             ? meta->get_object().if_contains("progressToken")
                             : nullptr;
  if (current == nullptr) return nullptr;
  json::value client = std::move(*current);
  *current = token;
  return client;
}

json::value ProgressToken(const json::object& message) {
  const json::value* method = message.if_contains("method");
  if (method == nullptr || !method->is_string() ||
      method->get_string() != "notifications/progress") {
    return nullptr;
  }
  const json::value* params = message.if_contains("params");
  const json::value* token = params != nullptr && params->is_object()
                                 ? params->get_object().if_contains("progressToken")
                                 : nullptr;
  return token != nullptr ? *token : json::value();
}

json::object WithProgressToken(json::object message, const json::value& token) {
  json::value* params = message.if_contains("params");
  if (params != nullptr && params->is_object()) params->get_object()["progressToken"] = token;
  return message;
}

}  // namespace writ::gateway
