#include "gateway/gateway.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "authz/obligations.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "gateway/cedar_mapping.h"
#include "gateway/http_upstream.h"
#include "gateway/jsonrpc.h"
#include "gateway/stdio_upstream.h"
#include "ledger/records.h"
#include "service/api_support.h"

namespace writ::gateway {

namespace json = boost::json;
using server::Request;
using server::Responder;
using server::Response;

struct McpGateway::Mount {
  server::GatewayUpstreamSettings settings;
  std::unique_ptr<Upstream> upstream;
  std::vector<std::pair<std::string, std::string>> secret_headers;  // header, secret name
};

struct McpGateway::Session {
  std::string id;
  const Mount* mount = nullptr;
  std::string subject;  // the agent's SPIFFE ID
  std::string task_id;
  std::string protocol_version;
  std::atomic<int64_t> last_used_ms{0};
  std::mutex mu;
  std::map<std::string, int64_t> in_flight;        // serialized downstream id -> upstream id
  std::shared_ptr<server::ResponseStream> events;  // the GET stream, when one is open
};

struct McpGateway::Call {
  explicit Call(Responder r) : responder(std::move(r)) {}
  Responder responder;
  Mount* mount = nullptr;
  std::shared_ptr<Session> session;
  json::value id;
  std::string method;
  json::value params;
  // The bearer token the call came with: a held call's is verified again before it is decided
  // again and forwarded (the task may have ended, the token expired, meanwhile).
  std::string token;
  bool sse = false;     // the client accepts only text/event-stream
  bool sse_ok = false;  // the client accepts text/event-stream
  // The call's answer as an event stream (progress relayed before the response), once opened.
  std::shared_ptr<server::ResponseStream> stream;
  authz::DecisionInput input;
  std::string decision_id;
  authz::ObligationSet obligations;
  int64_t start_us = 0;
  int64_t hold_deadline_ms = 0;
  bool on_pool = false;  // releasing secrets waits on the ledger: never on its own thread
  // The context of the server worker that answers the client: upstream exchanges run there.
  boost::asio::io_context* io = nullptr;
};

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void LogLine(const std::string& who, const std::string& line) {
  std::fprintf(stderr, "writ: gateway %s: %s\n", who.c_str(), line.c_str());
}

Response JsonRpc(int status, const json::object& message) {
  return Response::JsonText(status, json::serialize(message));
}

// One JSON-RPC message as a Server-Sent Event.
std::string SseEvent(const json::object& message) {
  return "event: message\ndata: " + json::serialize(message) + "\n\n";
}

// The head of an event-stream answer whose events follow on `stream`.
Response EventStream(std::shared_ptr<server::ResponseStream> stream) {
  Response resp;
  resp.status = 200;
  resp.content_type = server::kEventStreamContentType;
  resp.headers.emplace_back("Cache-Control", "no-cache");
  resp.stream = std::move(stream);
  return resp;
}

// The answer to a request: JSON, or one SSE event for a client that accepts only that.
void Answer(Responder& r, const json::object& message, bool sse, const std::string& session_id) {
  Response resp;
  resp.status = 200;
  if (sse) {
    resp.content_type = server::kEventStreamContentType;
    resp.body = SseEvent(message);
    resp.headers.emplace_back("Cache-Control", "no-cache");
  } else {
    resp.content_type = "application/json";
    resp.body = json::serialize(message);
  }
  if (!session_id.empty()) resp.headers.emplace_back("Mcp-Session-Id", session_id);
  r.Send(std::move(resp));
}

// The answer to a call: the last event of its stream when one was opened, else as Answer.
void Reply(McpGateway::Call& call, const json::object& message) {
  if (call.stream) {
    call.stream->Write(SseEvent(message));
    call.stream->End();
    return;
  }
  Answer(call.responder, message, call.sse, {});
}

// True when the request asks for progress (params._meta.progressToken).
bool AsksForProgress(const json::object& params) {
  const json::value* meta = params.if_contains("_meta");
  return meta != nullptr && meta->is_object() && meta->get_object().contains("progressToken");
}

// Server notifications relayed on the clients' GET streams: those that only say that a list
// changed. Others (log messages, resource updates) would cross between the clients that share
// Writ's upstream session, and are dropped.
bool RelayedToAll(std::string_view method) {
  return method == "notifications/tools/list_changed" ||
         method == "notifications/resources/list_changed" ||
         method == "notifications/prompts/list_changed";
}

Response Accepted() {
  Response resp;
  resp.status = 202;
  return resp;
}

bool Supported(std::string_view version) {
  for (const char* v : kProtocolVersions) {
    if (version == v) return true;
  }
  return false;
}

std::string Str(const json::value& v, std::string_view key) {
  const json::object* o = v.if_object();
  const json::value* x = o ? o->if_contains(key) : nullptr;
  return x && x->is_string() ? std::string(x->get_string()) : std::string();
}

// Methods forwarded without a decision: a ping (so that a client learns whether the server
// answers, not only Writ), and discovery of what a server offers.
bool PassesThrough(std::string_view method) {
  return method == "ping" || method == "resources/list" || method == "resources/templates/list" ||
         method == "prompts/list" || method == "completion/complete";
}

// A decided request's params with the narrowed input put back where the decision took it from:
// a tool's arguments; the URI of `resources/read` and the name of `prompts/get` (their inputs
// are {"uri"} and {"name"}). An input that is no longer one string under that key (the key
// dropped, pinned to another type, or another key added) cannot be sent: failed_precondition.
Result<json::object> NarrowedParams(const std::string& method, json::object params,
                                    const json::object& narrowed) {
  if (method == "tools/call") {
    params["arguments"] = narrowed;
    return params;
  }
  const char* key = method == "resources/read" ? "uri" : "name";
  const json::value* value = narrowed.if_contains(key);
  if (value == nullptr || !value->is_string() || narrowed.size() != 1) {
    return FailedPrecondition("the narrowed input cannot be sent as " + method + " (it needs `" +
                              key + "` as its only string): " + json::serialize(narrowed));
  }
  params[key] = *value;
  return params;
}

}  // namespace

McpGateway::McpGateway(Passkey, const server::GatewaySettings& settings,
                       service::DecisionService& service, store::Store& store, const Clock& clock)
    : settings_(settings), service_(service), store_(store), clock_(clock) {}

McpGateway::~McpGateway() {
  Shutdown();
}

Result<std::unique_ptr<McpGateway>> McpGateway::Create(const server::GatewaySettings& settings,
                                                       service::DecisionService& service,
                                                       store::Store& store, const Clock& clock) {
  WRIT_RETURN_IF_ERROR(server::ValidateGatewaySettings(settings));
  auto g = std::make_unique<McpGateway>(Passkey{}, settings, service, store, clock);
  g->pool_ = std::make_unique<service::WorkPool>(settings.threads, 65536);
  for (const server::GatewayUpstreamSettings& u : settings.upstreams) {
    auto m = std::make_unique<Mount>();
    m->settings = u;
    std::string who = u.name;
    auto log = [who](const std::string& line) { LogLine(who, line); };
    if (!u.url.empty()) {
      if (!u.secret_headers.empty()) {
        for (const std::string& h : u.secret_headers) {
          size_t eq = h.find('=');
          m->secret_headers.emplace_back(h.substr(0, eq), h.substr(eq + 1));
        }
      }
      HttpUpstreamOptions o;
      o.name = u.name;
      o.url = u.url;
      o.ca_file = u.ca_file;
      o.timeout_ms = u.timeout_ms;
      o.max_message_bytes = static_cast<size_t>(settings.max_message_bytes);
      o.max_idle_connections = static_cast<size_t>(settings.threads);
      o.log = log;
      m->upstream = std::make_unique<HttpUpstream>(std::move(o), *g->pool_);
    } else {
      if (!u.secret_headers.empty()) {
        return InvalidArgument("config: [[gateway.upstream]] `" + u.name +
                               "`: secret_headers need a url (a Streamable HTTP upstream)");
      }
      StdioUpstreamOptions o;
      if (!u.secret_env.empty()) {
        // Released (and recorded) at each start of the process, for its life.
        McpGateway* gateway = g.get();
        o.secret_env = [gateway, name = u.name,
                        entries = u.secret_env](std::vector<std::string>* env) -> Status {
          env->reserve(env->size() + entries.size());  // no copies left behind by growth
          for (const std::string& e : entries) {
            size_t eq = e.find('=');
            Result<identity::SecretValue> value =
                gateway->service_.secrets().ReleaseToProcess(e.substr(eq + 1), name);
            if (!value.ok()) return value.status();
            std::string entry = e.substr(0, eq + 1);
            entry.append(value->Reveal());
            env->push_back(std::move(entry));
          }
          return Status::Ok();
        };
      }
      o.name = u.name;
      o.command = u.command;
      o.args = u.args;
      o.env = u.env;
      o.timeout_ms = u.timeout_ms;
      o.max_message_bytes = static_cast<size_t>(settings.max_message_bytes);
      o.log = log;
      m->upstream = std::make_unique<StdioUpstream>(std::move(o));
    }
    g->mounts_.push_back(std::move(m));
  }
  return g;
}

Upstream* McpGateway::upstream(const std::string& name) {
  for (auto& m : mounts_) {
    if (m->settings.name == name) return m->upstream.get();
  }
  return nullptr;
}

Status McpGateway::Install(server::Server& server) {
  for (auto& m : mounts_) {
    Mount* mount = m.get();
    m->upstream->SetNotificationSink(
        [this, mount](json::object message) { Broadcast(*mount, message); });
    WRIT_RETURN_IF_ERROR(m->upstream->Start(15000));
  }
  poller_ = std::thread([this] { PollHeld(); });

  int64_t longest = 0;
  for (auto& m : mounts_) longest = std::max(longest, m->settings.timeout_ms);
  server::RouteOptions options;
  options.timeout = std::chrono::milliseconds(settings_.approval_timeout_ms + longest + 10000);
  options.max_body_bytes = static_cast<size_t>(settings_.max_message_bytes);
  for (auto& m : mounts_) {
    Mount* mount = m.get();
    std::string path = "/mcp/" + m->settings.name;
    WRIT_RETURN_IF_ERROR(server.router().Handle(
        "POST", path,
        [this, mount](const Request& request, Responder r) {
          HandlePost(*mount, request, std::move(r));
        },
        server::Access::Agents(), options));
    WRIT_RETURN_IF_ERROR(server.router().Handle(
        "GET", path,
        [this, mount](const Request& request, Responder r) {
          HandleGet(*mount, request, std::move(r));
        },
        server::Access::Agents()));
    WRIT_RETURN_IF_ERROR(server.router().Handle(
        "DELETE", path,
        [this, mount](const Request& request, Responder r) {
          HandleDelete(*mount, request, std::move(r));
        },
        server::Access::Agents()));
  }
  server.AddReadinessCheck("gateway", [this]() -> Status {
    for (auto& m : mounts_) {
      if (!m->upstream->ready()) {
        return Unavailable("upstream `" + m->settings.name + "` is not initialized");
      }
    }
    return Status::Ok();
  });
  server.AddShutdownHook("gateway", [this] { Shutdown(); });
  return Status::Ok();
}

void McpGateway::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
  }
  held_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
  for (auto& m : mounts_) m->upstream->Stop();
  if (pool_) pool_->Stop();
}

void McpGateway::HandleDelete(Mount& mount, const Request& request, Responder r) {
  auto token = service::api::AgentToken(request);
  if (!token) return r.SendError(401, "bearer_token_required", "an agent token is needed");
  std::string sid(request.header("mcp-session-id"));
  std::lock_guard<std::mutex> lock(sessions_mu_);
  auto it = sessions_.find(sid);
  if (it == sessions_.end() || it->second->mount != &mount) {
    return r.Send(JsonRpc(404, ErrorMessage(nullptr, kInvalidRequest, "no such session")));
  }
  if (it->second->task_id != token->claims.task_id ||
      it->second->subject != token->claims.subject) {
    return r.Send(JsonRpc(403, ErrorMessage(nullptr, kInvalidRequest,
                                            "the session belongs to another task or agent")));
  }
  std::shared_ptr<server::ResponseStream> events;
  {
    std::lock_guard<std::mutex> session_lock(it->second->mu);
    events = std::move(it->second->events);
  }
  sessions_.erase(it);
  if (events) events->End();
  Response resp;
  resp.status = 200;
  r.Send(std::move(resp));
}

void McpGateway::HandleGet(Mount& mount, const Request& request, Responder r) {
  auto token = service::api::AgentToken(request);
  if (!token) return r.SendError(401, "bearer_token_required", "an agent token is needed");
  if (request.header("accept").find("text/event-stream") == std::string_view::npos) {
    return r.Send(JsonRpc(
        406, ErrorMessage(nullptr, kInvalidRequest, "Accept must include text/event-stream")));
  }
  std::shared_ptr<Session> session = FindSession(mount, request, *token, nullptr, r);
  if (!session) return;
  // One stream per session: a new GET replaces the one before (which ends).
  // Closed, it leaves the session (unless a newer one replaced it already).
  std::weak_ptr<Session> weak_session = session;
  auto closed = std::make_shared<const server::ResponseStream*>(nullptr);
  auto stream =
      NewEventStream(mount, /*end_on_shutdown=*/true,
                     "the session stream of task " + session->task_id, [weak_session, closed] {
                       std::shared_ptr<Session> s = weak_session.lock();
                       if (!s) return;
                       std::lock_guard<std::mutex> lock(s->mu);
                       if (s->events.get() == *closed) s->events.reset();
                     });
  *closed = stream.get();
  std::shared_ptr<server::ResponseStream> before;
  {
    std::lock_guard<std::mutex> lock(session->mu);
    before = std::exchange(session->events, stream);
  }
  if (before) before->End();
  r.Send(EventStream(stream));
}

std::shared_ptr<server::ResponseStream> McpGateway::NewEventStream(
    const Mount& mount, bool end_on_shutdown, std::string what,
    std::function<void()> on_close) const {
  size_t bound =
      static_cast<size_t>(settings_.max_buffered_bytes != 0 ? settings_.max_buffered_bytes
                                                            : 2 * settings_.max_message_bytes);
  auto stream = std::make_shared<server::ResponseStream>(end_on_shutdown, bound);
  const server::ResponseStream* raw = stream.get();  // on_close runs while it lives
  stream->SetOnClose([raw, bound, who = mount.settings.name, what = std::move(what),
                      on_close = std::move(on_close)] {
    if (raw->cut()) {
      LogLine(who, what + " was cut: its client read too slowly, and " + std::to_string(bound) +
                       " bytes were waiting for it (gateway.max_buffered_bytes)");
    }
    if (on_close) on_close();
  });
  return stream;
}

void McpGateway::Broadcast(Mount& mount, const json::object& message) {
  const json::value* method = message.if_contains("method");
  if (method == nullptr || !method->is_string() || !RelayedToAll(method->get_string())) return;
  std::string event = SseEvent(message);
  std::vector<std::shared_ptr<server::ResponseStream>> streams;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (const auto& [id, session] : sessions_) {
      if (session->mount != &mount) continue;
      std::lock_guard<std::mutex> session_lock(session->mu);
      if (session->events) streams.push_back(session->events);
    }
  }
  for (const auto& stream : streams) stream->Write(event);
}

std::shared_ptr<McpGateway::Session> McpGateway::FindSession(Mount& mount, const Request& request,
                                                             const identity::VerifiedToken& token,
                                                             const json::value& id, Responder& r) {
  std::string sid(request.header("mcp-session-id"));
  if (sid.empty()) {
    r.Send(JsonRpc(400, ErrorMessage(id, kInvalidRequest,
                                     "Mcp-Session-Id is required (send initialize first)")));
    return nullptr;
  }
  std::shared_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    auto it = sessions_.find(sid);
    if (it != sessions_.end() && it->second->mount == &mount) session = it->second;
  }
  if (!session) {
    r.Send(JsonRpc(404, ErrorMessage(id, kInvalidRequest, "no such session")));
    return nullptr;
  }
  if (session->task_id != token.claims.task_id || session->subject != token.claims.subject) {
    r.Send(JsonRpc(
        403, ErrorMessage(id, kInvalidRequest, "the session belongs to another task or agent")));
    return nullptr;
  }
  std::string_view version = request.header("mcp-protocol-version");
  if (!version.empty() && !Supported(version)) {
    r.Send(JsonRpc(400, ErrorMessage(id, kInvalidRequest,
                                     "unsupported MCP-Protocol-Version " + std::string(version))));
    return nullptr;
  }
  session->last_used_ms = NowMs();
  return session;
}

void McpGateway::HandlePost(Mount& mount, const Request& request, Responder r) {
  auto token = service::api::AgentToken(request);
  if (!token) return r.SendError(401, "bearer_token_required", "an agent token is needed");
  std::string_view accept = request.header("accept");
  bool json_ok = accept.empty() || accept.find("application/json") != std::string_view::npos ||
                 accept.find("*/*") != std::string_view::npos;
  bool sse_ok = accept.find("text/event-stream") != std::string_view::npos;
  if (!json_ok && !sse_ok) {
    return r.Send(JsonRpc(406, ErrorMessage(nullptr, kInvalidRequest,
                                            "Accept must include application/json or "
                                            "text/event-stream")));
  }
  Result<Message> parsed = ParseMessage(request.body(), 64);
  if (!parsed.ok()) {
    int code = parsed.status().message().starts_with("parse") ? kParseError : kInvalidRequest;
    return r.Send(JsonRpc(400, ErrorMessage(nullptr, code, parsed.status().message())));
  }
  Message& msg = *parsed;
  std::string sid(request.header("mcp-session-id"));

  if (msg.kind == MessageKind::kRequest && msg.method == "initialize") {
    auto call = std::make_shared<Call>(std::move(r));
    call->mount = &mount;
    call->id = msg.id;
    call->sse = !json_ok;
    call->input.caller.task_id = token->claims.task_id;
    call->input.caller.spiffe_id = token->claims.subject;
    return Initialize(mount, std::move(call), msg.params);
  }

  std::shared_ptr<Session> session = FindSession(mount, request, *token, msg.id, r);
  if (!session) return;

  if (msg.kind == MessageKind::kResponse) return r.Send(Accepted());  // nothing was asked
  if (msg.kind == MessageKind::kNotification) {
    if (msg.method == "notifications/initialized") return r.Send(Accepted());
    if (msg.method == "notifications/cancelled") {
      const json::value* rid =
          msg.params.is_object() ? msg.params.get_object().if_contains("requestId") : nullptr;
      int64_t upstream_id = 0;
      if (rid != nullptr) {
        std::lock_guard<std::mutex> lock(session->mu);
        auto it = session->in_flight.find(json::serialize(*rid));
        if (it != session->in_flight.end()) upstream_id = it->second;
      }
      if (upstream_id != 0) {
        json::object p{{"requestId", upstream_id}};
        if (std::string reason = Str(msg.params, "reason"); !reason.empty()) p["reason"] = reason;
        mount.upstream->Notify("notifications/cancelled", p);
      }
      return r.Send(Accepted());
    }
    mount.upstream->Notify(msg.method, msg.params);
    return r.Send(Accepted());
  }

  auto call = std::make_shared<Call>(std::move(r));
  call->mount = &mount;
  call->session = session;
  call->id = msg.id;
  call->method = msg.method;
  call->params = msg.params;
  call->token = std::string(service::api::BearerCredential(request));
  call->sse = !json_ok;
  call->sse_ok = sse_ok;
  call->io = request.io_context();
  bool decided =
      msg.method == "tools/call" || msg.method == "resources/read" || msg.method == "prompts/get";
  if (!decided && msg.method != "tools/list" && !PassesThrough(msg.method)) {
    return Answer(call->responder,
                  ErrorMessage(call->id, kMethodNotFound,
                               "method `" + msg.method + "` is not supported by the Writ gateway"),
                  call->sse, {});
  }
  if (PassesThrough(msg.method)) {
    mount.upstream->Call(
        msg.method, msg.params, {},
        [call](Result<json::object> res) {
          json::object out = res.ok()
                                 ? std::move(res).value()
                                 : ErrorMessage(nullptr, kUpstreamError, res.status().message());
          out["id"] = call->id;
          Answer(call->responder, out, call->sse, {});
        },
        nullptr, call->io);
    return;
  }

  Result<authz::Caller> caller = service_.callers().Resolve(*token);
  if (!caller.ok()) {
    return Answer(call->responder,
                  ErrorMessage(call->id, kDenied, caller.status().message(),
                               json::object{{"code", service::api::CodeOf(caller.status())}}),
                  call->sse, {});
  }
  call->input.caller = std::move(caller).value();
  call->input.trace = service::api::TraceOf(request);
  call->input.resource_type = mount.settings.resource_type;
  call->input.resource_id = mount.settings.name;
  if (msg.method == "tools/list") return ListTools(std::move(call));
  Authorize(std::move(call));
}

void McpGateway::Initialize(Mount& mount, std::shared_ptr<Call> call, const json::value& params) {
  if (!mount.upstream->ready()) {
    return Answer(call->responder,
                  ErrorMessage(call->id, kUpstreamError,
                               "upstream `" + mount.settings.name + "` is not available"),
                  call->sse, {});
  }
  std::string requested = Str(params, "protocolVersion");
  std::string version = Supported(requested) ? requested : kProtocolVersions[0];
  Result<std::string> session_id = NewSessionId();
  if (!session_id.ok()) {
    return call->responder.Send(JsonRpc(
        503, ErrorMessage(call->id, kInternalError, std::string(session_id.status().message()))));
  }
  auto session = std::make_shared<Session>();
  session->id = std::move(session_id).value();
  session->mount = &mount;
  session->subject = call->input.caller.spiffe_id;
  session->task_id = call->input.caller.task_id;
  session->protocol_version = version;
  int64_t now = NowMs();
  session->last_used_ms = now;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    if (sessions_.size() >= static_cast<size_t>(settings_.max_sessions)) {
      int64_t idle_before = now - settings_.session_idle_s * 1000;
      std::erase_if(sessions_, [idle_before](const auto& kv) {
        return kv.second->last_used_ms.load() < idle_before;
      });
    }
    if (sessions_.size() >= static_cast<size_t>(settings_.max_sessions)) {
      return call->responder.Send(JsonRpc(
          503, ErrorMessage(call->id, kInternalError, "too many open sessions; retry later")));
    }
    sessions_[session->id] = session;
  }
  json::object upstream = mount.upstream->InitializeResult();
  json::object caps;
  if (const json::value* c = upstream.if_contains("capabilities"); c && c->is_object()) {
    for (const char* k : {"tools", "resources", "prompts", "completions"}) {
      const json::value* cap = c->get_object().if_contains(k);
      if (cap == nullptr) continue;
      json::object mine;
      // List changes reach the sessions' GET streams (Broadcast).
      const json::value* changes =
          cap->is_object() ? cap->get_object().if_contains("listChanged") : nullptr;
      if (changes != nullptr && changes->is_bool() && changes->get_bool() &&
          std::string_view(k) != "completions") {
        mine["listChanged"] = true;
      }
      caps[k] = std::move(mine);
    }
  }
  json::object result{{"protocolVersion", version}, {"capabilities", std::move(caps)}};
  if (const json::value* info = upstream.if_contains("serverInfo")) result["serverInfo"] = *info;
  if (const json::value* ins = upstream.if_contains("instructions")) result["instructions"] = *ins;
  Answer(call->responder, ResultMessage(call->id, std::move(result)), call->sse, session->id);
}

void McpGateway::ListTools(std::shared_ptr<Call> call) {
  Mount& mount = *call->mount;
  mount.upstream->Call(
      "tools/list", call->params, {},
      [this, call](Result<json::object> res) {
        if (!res.ok()) {
          return Answer(call->responder,
                        ErrorMessage(call->id, kUpstreamError, res.status().message()), call->sse,
                        {});
        }
        json::object response = std::move(res).value();
        response["id"] = call->id;
        json::value* result = response.if_contains("result");
        json::value* tools =
            result && result->is_object() ? result->get_object().if_contains("tools") : nullptr;
        if (tools == nullptr || !tools->is_array() || tools->get_array().empty()) {
          return Answer(call->responder, response, call->sse, {});
        }
        // One listing decision per tool, all at once; the answer when the last is recorded.
        struct Gather {
          std::mutex mu;
          size_t remaining = 0;
          std::vector<bool> keep;
          json::object response;
        };
        auto g = std::make_shared<Gather>();
        size_t n = tools->get_array().size();
        g->remaining = n;
        g->keep.assign(n, false);
        g->response = std::move(response);
        const json::array& list = g->response.at("result").get_object().at("tools").get_array();
        std::vector<std::string> names;
        for (const json::value& t : list) names.push_back(Str(t, "name"));
        for (size_t i = 0; i < n; ++i) {
          authz::DecisionInput in = call->input;
          in.listing = true;
          in.action = ActionUid(call->mount->settings.action_namespace, names[i]);
          auto done = [this, call, g, i](Result<authz::DecisionOutcome> out) {
            // Offered when allowed (or allowed once approved), or when a permit could not be
            // evaluated without the arguments (it may allow some calls); hidden when a forbid
            // applies regardless of arguments or no permit could apply.
            bool keep = false;
            if (out.ok()) {
              keep = out->verdict != ledger::Verdict::kDeny;
              if (!keep && out->code == authz::kCodeNoPermit) {
                std::shared_ptr<const authz::Bundle> bundle = service_.bundles().Current();
                for (const std::string& id : out->erroring_policies) {
                  const cedar::Policy* p = bundle ? bundle->policies.FindPolicy(id) : nullptr;
                  if (p != nullptr && p->effect() == cedar::Effect::kPermit) keep = true;
                }
              }
            }
            std::unique_lock<std::mutex> lock(g->mu);
            g->keep[i] = keep;
            if (--g->remaining != 0) return;
            lock.unlock();
            json::array& all = g->response.at("result").get_object().at("tools").get_array();
            json::array kept;
            for (size_t j = 0; j < all.size(); ++j) {
              if (g->keep[j]) kept.push_back(std::move(all[j]));
            }
            all = std::move(kept);
            Answer(call->responder, g->response, call->sse, {});
          };
          if (names[i].empty()) {
            done(InvalidArgument("a tool without a name"));
            continue;
          }
          service_.DecideFor(in, "gateway", std::move(done));
        }
      },
      nullptr, call->io);
}

void McpGateway::Authorize(std::shared_ptr<Call> call) {
  const Mount& mount = *call->mount;
  const json::object empty;
  const json::object& params = call->params.is_object() ? call->params.get_object() : empty;
  json::object input;
  if (call->method == "tools/call") {
    std::string tool = Str(call->params, "name");
    if (tool.empty()) {
      return Answer(call->responder,
                    ErrorMessage(call->id, kInvalidParams, "tools/call needs a tool `name`"),
                    call->sse, {});
    }
    const json::value* args = params.if_contains("arguments");
    if (args != nullptr && !args->is_object() && !args->is_null()) {
      return Answer(call->responder,
                    ErrorMessage(call->id, kInvalidParams, "`arguments` must be an object"),
                    call->sse, {});
    }
    if (args != nullptr && args->is_object()) input = args->get_object();
    call->input.action = ActionUid(mount.settings.action_namespace, tool);
  } else if (call->method == "resources/read") {
    input["uri"] = Str(call->params, "uri");
    call->input.action = ActionUid(mount.settings.action_namespace, "resources/read");
  } else {                                      // prompts/get
    input["name"] = Str(call->params, "name");  // the arguments are not typed for Cedar
    call->input.action = ActionUid(mount.settings.action_namespace, "prompts/get");
  }
  call->input.context = json::object{{"input", std::move(input)}};
  service_.DecideFor(call->input, "gateway", [this, call](Result<authz::DecisionOutcome> out) {
    OnDecision(call, std::move(out));
  });
}

void McpGateway::OnDecision(std::shared_ptr<Call> call, Result<authz::DecisionOutcome> out) {
  if (!out.ok()) {
    bool bad = out.status().code() == StatusCode::kInvalidArgument;
    return Answer(call->responder,
                  ErrorMessage(call->id, bad ? kInvalidParams : kInternalError,
                               (bad ? "the call does not fit the policy schema: "
                                    : "no decision could be made: ") +
                                   out.status().message()),
                  call->sse, {});
  }
  const authz::DecisionOutcome& d = *out;
  if (d.verdict == ledger::Verdict::kApprovalRequired) return Hold(call, d);
  if (d.verdict == ledger::Verdict::kDeny) {
    json::object data{{"decision_id", d.decision_id}, {"code", d.code}};
    if (!d.approval_id.empty()) data["approval_id"] = d.approval_id;
    if (!call->decision_id.empty() && call->decision_id != d.decision_id) {
      data["held_decision_id"] = call->decision_id;
    }
    return Answer(call->responder, ErrorMessage(call->id, kDenied, d.reason, std::move(data)),
                  call->sse, {});
  }
  Forward(call, d);
}

void McpGateway::Hold(std::shared_ptr<Call> call, const authz::DecisionOutcome& d) {
  if (call->hold_deadline_ms == 0) call->hold_deadline_ms = NowMs() + settings_.approval_timeout_ms;
  if (call->decision_id.empty()) call->decision_id = d.decision_id;
  std::lock_guard<std::mutex> lock(held_mu_);
  if (stopping_) {
    return Answer(call->responder,
                  ErrorMessage(call->id, kApprovalTimeout, "the gateway is shutting down",
                               json::object{{"decision_id", d.decision_id}}),
                  call->sse, {});
  }
  held_.push_back(Held{call, d.approval_id, d.decision_id, call->hold_deadline_ms});
  held_cv_.notify_all();
}

void McpGateway::PollHeld() {
  std::unique_lock<std::mutex> lock(held_mu_);
  while (true) {
    held_cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (stopping_) break;
    if (held_.empty()) continue;
    std::vector<Held> check;
    check.swap(held_);
    lock.unlock();
    std::vector<Held> still;
    int64_t now = NowMs();
    for (Held& h : check) {
      auto found = store_.approvals().GetApproval(h.approval_id);
      std::string status = "pending";
      if (found.ok() && *found) {
        status = (*found)->status;
        if (status == "pending" && (*found)->expires_us <= clock_.NowMicros()) status = "expired";
      }
      if (status == "pending" && now < h.deadline_ms) {
        still.push_back(std::move(h));
        continue;
      }
      if (status == "pending" || status == "expired") {
        std::shared_ptr<Call> call = h.call;
        Finish(call,
               ErrorMessage(call->id, kApprovalTimeout,
                            "no approver decided within " +
                                std::to_string(settings_.approval_timeout_ms) + " ms",
                            json::object{{"decision_id", h.decision_id},
                                         {"approval_id", h.approval_id},
                                         {"code", "approval_timeout"}}),
               true, "error", "approval_timeout", 0, {});
        continue;
      }
      // Decided: decide again, presenting the approval (the engine consumes a grant), unless
      // the caller's token no longer verifies (then the grant stays unused).
      std::shared_ptr<Call> call = h.call;
      if (Status valid = VerifyAgain(*call); !valid.ok()) {
        RefuseRevoked(call, h.approval_id, valid);
        continue;
      }
      call->input.approval_id = h.approval_id;
      service_.DecideFor(call->input, "gateway", [this, call](Result<authz::DecisionOutcome> out) {
        OnDecision(call, std::move(out));
      });
    }
    lock.lock();
    for (Held& h : still) held_.push_back(std::move(h));
  }
  std::vector<Held> left;
  left.swap(held_);
  lock.unlock();
  for (Held& h : left) {
    Finish(h.call,
           ErrorMessage(h.call->id, kApprovalTimeout, "the gateway is shutting down",
                        json::object{{"decision_id", h.decision_id}}),
           true, "error", "shutdown while waiting for approval", 0, {});
  }
}

void McpGateway::Forward(std::shared_ptr<Call> call, const authz::DecisionOutcome& d) {
  Mount& mount = *call->mount;
  if (!mount.secret_headers.empty() && !call->on_pool) {
    // A release is recorded durably (a secret_released record) before it returns, and this
    // runs on the ledger's completion thread: release on the pool.
    call->on_pool = true;
    auto decided = std::make_shared<authz::DecisionOutcome>(d);
    if (!pool_->TrySubmit([this, call, decided] { Forward(call, *decided); })) {
      call->decision_id = d.decision_id;
      Finish(call,
             ErrorMessage(call->id, kUpstreamError, "the gateway is busy; retry",
                          json::object{{"decision_id", d.decision_id}}),
             true, "error", "gateway_busy", 0, {});
    }
    return;
  }
  call->decision_id = d.decision_id;
  call->obligations = d.obligations;
  if (call->hold_deadline_ms != 0) {
    // Held, then allowed: the token once more, right before anything is released or sent.
    if (Status valid = VerifyAgain(*call); !valid.ok()) {
      return RefuseRevoked(call, d.approval_id, valid);
    }
  }
  json::object params = call->params.is_object() ? call->params.get_object() : json::object{};
  if (d.narrowed_input) {
    Result<json::object> narrowed =
        NarrowedParams(call->method, std::move(params), *d.narrowed_input);
    if (!narrowed.ok()) {
      return Finish(call,
                    ErrorMessage(call->id, kDenied, narrowed.status().message(),
                                 json::object{{"decision_id", d.decision_id},
                                              {"code", authz::kCodeObligationUnmet}}),
                    true, "error", authz::kCodeObligationUnmet, 0, {});
    }
    params = std::move(narrowed).value();
  }
  ExtraHeaders headers;
  for (const auto& [header, secret] : mount.secret_headers) {
    identity::SecretRelease rel;
    rel.decision_id = d.decision_id;
    rel.verdict = "allow";
    rel.audience = mount.settings.name;
    rel.agent = call->input.caller.spiffe_id;
    rel.task_id = call->input.caller.task_id;
    Result<identity::SecretValue> value = service_.secrets().Release(secret, rel);
    if (!value.ok()) {
      return Finish(call,
                    ErrorMessage(call->id, kUpstreamError,
                                 "the secret for the upstream could not be released: " +
                                     value.status().message(),
                                 json::object{{"decision_id", d.decision_id}}),
                    true, "error", "secret_unavailable", 0, {});
    }
    headers.emplace_back(header, std::string(value->Reveal()));
  }
  std::string key = json::serialize(call->id);
  Upstream::MessageSink related;
  if (call->sse_ok && AsksForProgress(params)) {
    // The answer becomes an event stream now: the server's progress (and, over Streamable HTTP,
    // its other notifications about the call) go to the client as they come, the response last.
    call->stream = NewEventStream(*call->mount, /*end_on_shutdown=*/false,
                                  "the event stream of decision " + call->decision_id, nullptr);
    call->responder.Send(EventStream(call->stream));
    related = [stream = call->stream](json::object m) { stream->Write(SseEvent(m)); };
  }
  call->start_us = MonotonicMicros();
  int64_t upstream_id = mount.upstream->Call(
      call->method, params, std::move(headers),
      [this, call, key](Result<json::object> res) {
        {
          std::lock_guard<std::mutex> lock(call->session->mu);
          call->session->in_flight.erase(key);
        }
        if (!res.ok()) {
          return Finish(call,
                        ErrorMessage(call->id, kUpstreamError, res.status().message(),
                                     json::object{{"decision_id", call->decision_id}}),
                        true, "error", res.status().message(), 0, {});
        }
        json::object response = std::move(res).value();
        response["id"] = call->id;
        if (const json::value* e = response.if_contains("error")) {
          std::string err = e->is_object() ? Str(*e, "message") : std::string("error");
          return Finish(call, std::move(response), true, "error", err, 0, {});
        }
        json::value& result = response["result"];
        if (!call->obligations.redactions.empty()) {
          authz::ApplyRedactions(call->obligations, result);
          if (result.is_object()) {
            if (json::value* sc = result.get_object().if_contains("structuredContent")) {
              authz::ApplyRedactions(call->obligations, *sc);
            }
          }
        }
        std::string serialized = json::serialize(result);
        std::string digest = "sha256:" + DigestHex(Sha256(serialized));
        bool is_error = result.is_object() && result.get_object().contains("isError") &&
                        result.get_object().at("isError").is_bool() &&
                        result.get_object().at("isError").get_bool();
        Finish(call, std::move(response), true, is_error ? "error" : "success",
               is_error ? "the tool reported an error" : "",
               static_cast<int64_t>(serialized.size()), digest);
      },
      std::move(related), call->io);
  if (upstream_id != 0) {
    std::lock_guard<std::mutex> lock(call->session->mu);
    call->session->in_flight[key] = upstream_id;
  }
}

Status McpGateway::VerifyAgain(const Call& call) {
  // The bearer verifier of the decision service checks tokens for its audience, which is the
  // token service's default audience: the same check, the refusal recorded the same way.
  return service_.tokens().Verify(call.token).status();
}

void McpGateway::RefuseRevoked(std::shared_ptr<Call> call, const std::string& approval_id,
                               const Status& why) {
  std::string code = service::api::CodeOf(why);
  json::object data{{"decision_id", call->decision_id}, {"code", code}};
  if (!approval_id.empty()) data["approval_id"] = approval_id;
  Finish(call, ErrorMessage(call->id, kDenied, why.message(), std::move(data)), true, "error", code,
         0, {});
}

void McpGateway::Finish(std::shared_ptr<Call> call, json::object message, bool record,
                        const std::string& status, const std::string& error, int64_t result_size,
                        const std::string& result_digest) {
  if (!record || call->decision_id.empty()) return Reply(*call, message);
  ledger::OutcomeRecord rec;
  rec.decision_id = call->decision_id;
  rec.task_id = call->input.caller.task_id;
  rec.principal = "Agent::\"" + call->input.caller.agent + "\"";
  rec.status = status;
  rec.error = error.substr(0, 4096);
  rec.result_digest = result_digest;
  rec.result_size = result_size;
  rec.latency_us = call->start_us == 0 ? 0 : MonotonicMicros() - call->start_us;
  rec.trace_id = call->input.trace.trace_id;
  std::string who = call->mount->settings.name;
  auto log_failure = [call, who](const Result<ledger::AppendReceipt>& r) {
    if (!r.ok()) {
      LogLine(who, "the outcome of decision " + call->decision_id +
                       " could not be recorded: " + r.status().ToString());
    }
  };
  if (settings_.outcome_before_reply) {
    auto shared = std::make_shared<json::object>(std::move(message));
    service_.RecordOutcome(rec, [call, shared, log_failure](Result<ledger::AppendReceipt> r) {
      log_failure(r);
      Reply(*call, *shared);
    });
    return;
  }
  // The outcome is queued in the ledger, behind the call's decision, before the answer leaves;
  // it is written with the ledger's next append (the next call's decision, under load the next
  // group commit), or within the ledger's lazy_within_ms (docs/gateway.md, "Outcomes").
  service_.RecordOutcomeLazily(rec, log_failure);
  Reply(*call, message);
}

Result<std::string> NewSessionId() {
  Result<std::string> bytes = RandomBytes(16);
  if (!bytes.ok()) {
    return Unavailable("no session id could be made: " + std::string(bytes.status().message()));
  }
  return HexEncode(*bytes);
}

Status WireGateway(server::ServiceAssembly& assembly, service::DecisionService* service) {
  const server::GatewaySettings& g = assembly.config().gateway;
  if (g.upstreams.empty()) return Status::Ok();
  if (service == nullptr) {
    return InvalidArgument(
        "config: [[gateway.upstream]] needs the decision service (set policies.dir)");
  }
  WRIT_ASSIGN_OR_RETURN(std::unique_ptr<McpGateway> gateway,
                        McpGateway::Create(g, *service, assembly.store(), assembly.clock()));
  McpGateway& installed = assembly.Adopt(std::move(gateway));
  return installed.Install(assembly.server());
}

}  // namespace writ::gateway
