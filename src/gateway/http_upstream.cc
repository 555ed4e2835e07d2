#include "gateway/http_upstream.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>

#include "gateway/jsonrpc.h"

namespace writ::gateway {

namespace json = boost::json;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

// One keep-alive connection, plain or TLS. A blocking connection has an I/O context of its own:
// its exchanges run on the calling thread, asynchronously only so that the stream's deadline
// applies. A worker connection lives on a server worker's context and is driven by handlers
// there (HttpUpstream::AsyncCall).
class HttpUpstream::Connection {
 public:
  Connection() : own_(std::make_unique<asio::io_context>()), ioc(*own_) {}
  explicit Connection(asio::io_context& worker) : ioc(worker) {}

 private:
  std::unique_ptr<asio::io_context> own_;  // blocking connections only

 public:
  asio::io_context& ioc;
  beast::flat_buffer buffer;

  // Readies the stream for `url` (with `tls`: SNI, and the server's name checked against the
  // URL's host once its chain verifies against `tls`'s trust). False when SNI cannot be set.
  bool Prepare(const identity::ParsedUrl& url, ssl::context* tls) {
    if (tls == nullptr) return true;
    secure_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, *tls);
    if (!SSL_set_tlsext_host_name(secure_->native_handle(), url.host.c_str())) return false;
    secure_->set_verify_callback(ssl::host_name_verification(url.host));
    return true;
  }

  // Connects and, over TLS, handshakes (blocking connections). `endpoints`, when given, gets the
  // addresses resolved.
  beast::error_code Connect(const identity::ParsedUrl& url, std::chrono::milliseconds timeout,
                            ssl::context* tls,
                            asio::ip::tcp::resolver::results_type* endpoints = nullptr) {
    beast::error_code ec;
    asio::ip::tcp::resolver resolver(ioc);
    auto resolved = resolver.resolve(url.host, url.port, ec);
    if (ec) return ec;
    if (endpoints != nullptr) *endpoints = resolved;
    if (!Prepare(url, tls)) return asio::error::invalid_argument;
    tcp().expires_after(timeout);
    tcp().async_connect(resolved, [&](beast::error_code e, const auto&) { ec = e; });
    Run();
    if (!ec) tcp().socket().set_option(asio::ip::tcp::no_delay(true), ec);
    if (!ec && secure_) {
      secure_->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
      Run();
    }
    return ec;
  }

  beast::tcp_stream& tcp() { return secure_ ? beast::get_lowest_layer(*secure_) : plain_; }
  bool secure() const { return secure_ != nullptr; }
  beast::ssl_stream<beast::tcp_stream>& tls_stream() { return *secure_; }

  // The exchange's steps, on whichever stream the connection has; each runs to completion.
  template <typename Message>
  beast::error_code Write(Message& m) {
    return Step([&](auto& s, auto done) { http::async_write(s, m, done); });
  }
  template <typename Parser>
  beast::error_code ReadHeader(Parser& p) {
    return Step([&](auto& s, auto done) { http::async_read_header(s, buffer, p, done); });
  }
  template <typename Parser>
  beast::error_code ReadSome(Parser& p) {
    return Step([&](auto& s, auto done) { http::async_read_some(s, buffer, p, done); });
  }
  template <typename Parser>
  beast::error_code Read(Parser& p) {
    return Step([&](auto& s, auto done) { http::async_read(s, buffer, p, done); });
  }
  // Starts one operation on the stream with a handler that keeps its error, and runs it.
  template <typename Start>
  beast::error_code Step(Start start) {
    beast::error_code ec;
    With([&](auto& s) { start(s, [&ec](beast::error_code e, size_t) { ec = e; }); });
    Run();
    return ec;
  }

  void Run() {
    ioc.restart();
    ioc.run();
  }

  // Calls `f` with the stream (plain or TLS).
  template <typename F>
  void With(F&& f) {
    if (secure_) {
      f(*secure_);
    } else {
      f(plain_);
    }
  }

 private:
  beast::tcp_stream plain_{ioc};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure_;
};

// One exchange on a worker's context: connect (when no idle connection is there), write the
// POST, read the whole answer. Its handlers hold it; it holds no reference the server's
// shutdown could leave dangling but `upstream`, which outlives every call it started while
// the worker runs (the gateway stops after the server's workers).
struct HttpUpstream::AsyncCall {
  HttpUpstream* upstream = nullptr;
  asio::io_context* io = nullptr;
  int64_t id = 0;
  std::string body;
  ExtraHeaders headers;
  std::shared_ptr<Callback> done;
  std::string session, version;  // as sent
  std::unique_ptr<Connection> conn;
  bool reused = false;  // the connection came from the idle pool (it may have been closed)
  http::request<http::string_body> request;
  std::optional<http::response_parser<http::string_body>> parser;
};

namespace {

// Server-Sent Events: events end at a blank line; an event's data lines are joined with
// newlines. Calls `on_data` for each complete event with data and returns how many bytes of
// `text` the complete events took; with `at_end`, what follows the last blank line is an event
// too.
size_t ScanEvents(std::string_view text, bool at_end,
                  const std::function<bool(std::string&)>& on_data) {
  std::string data;
  size_t pos = 0, consumed = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos && !at_end) break;
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      consumed = pos;
      if (!data.empty() && on_data(data)) return consumed;
      data.clear();
    } else if (line.starts_with("data:")) {
      std::string_view d = line.substr(5);
      if (!d.empty() && d.front() == ' ') d.remove_prefix(1);
      if (!data.empty()) data += '\n';
      data.append(d);
    }
  }
  if (at_end) {
    consumed = text.size();
    if (!data.empty()) on_data(data);
  }
  return consumed;
}

// The POST of one message to the upstream.
http::request<http::string_body> PostRequest(const identity::ParsedUrl& url,
                                             const std::string& body, const ExtraHeaders& headers,
                                             const std::string& session,
                                             const std::string& version) {
  http::request<http::string_body> req{http::verb::post, url.target, 11};
  req.set(http::field::host, url.host + ":" + url.port);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json, text/event-stream");
  if (!session.empty()) req.set("Mcp-Session-Id", session);
  if (!version.empty()) req.set("MCP-Protocol-Version", version);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  req.keep_alive(true);
  return req;
}

}  // namespace

HttpUpstream::HttpUpstream(HttpUpstreamOptions options, service::WorkPool& pool)
    : options_(std::move(options)), pool_(pool) {}

HttpUpstream::~HttpUpstream() {
  Stop();
}

Status HttpUpstream::Start(int64_t wait_ms) {
  WRIT_ASSIGN_OR_RETURN(url_, identity::ParseHttpUrl(options_.url));
  if (url_.tls) {
    // TLS 1.2 or later; the server's chain verified against the system's roots or `ca_file`.
    tls_ = std::make_unique<ssl::context>(ssl::context::tls_client);
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls_->set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    if (options_.ca_file.empty()) {
      tls_->set_default_verify_paths(ec);
    } else {
      tls_->load_verify_file(options_.ca_file, ec);
    }
    if (ec) {
      return InvalidArgument("upstream `" + options_.name + "`: cannot load the trusted roots" +
                             (options_.ca_file.empty() ? "" : " of `" + options_.ca_file + "`") +
                             ": " + ec.message());
    }
  } else if (!options_.ca_file.empty()) {
    return InvalidArgument("upstream `" + options_.name + "`: ca_file is for https:// urls");
  }
  listener_ = std::thread([this] { Listen(); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (true) {
    Status s = EnsureSession("");
    if (s.ok()) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      if (options_.log) options_.log("not initialized yet (" + s.ToString() + "); retrying");
      retry_ = std::thread([this] {
        std::unique_lock<std::mutex> lock(mu_);
        while (!stopped_ && !ready_) {
          stop_cv_.wait_for(lock, std::chrono::seconds(1));
          if (stopped_) break;
          lock.unlock();
          Status again = EnsureSession("");
          if (again.ok() && options_.log) options_.log("initialized");
          lock.lock();
        }
      });
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void HttpUpstream::Stop() {
  std::vector<std::unique_ptr<Connection>> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    ready_ = false;
    idle.swap(idle_);
    // Worker connections are closed on their own context's thread; when the worker has
    // stopped, with its context (which destroys the handler and them).
    for (auto& [io, conns] : worker_idle_) {
      if (conns.empty()) continue;
      auto closing = std::make_shared<std::vector<std::unique_ptr<Connection>>>(std::move(conns));
      asio::post(*io, [closing] { closing->clear(); });
    }
    worker_idle_.clear();
    if (listening_ != nullptr) {
      // Ends the listener's read: closed on its own I/O context's thread.
      Connection* c = listening_;
      asio::post(c->ioc, [c] {
        beast::error_code ignored;
        c->tcp().socket().close(ignored);
      });
    }
  }
  stop_cv_.notify_all();
  if (retry_.joinable()) retry_.join();
  if (listener_.joinable()) listener_.join();
}

Result<HttpUpstream::Reply> HttpUpstream::Post(const std::string& body, const ExtraHeaders& headers,
                                               bool with_session, const EventHandler* events) {
  std::unique_ptr<Connection> conn;
  std::string session, version;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return Unavailable("upstream `" + options_.name + "` is stopping");
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    }
    session = session_id_;
    version = protocol_version_;
  }
  auto timeout = std::chrono::milliseconds(options_.timeout_ms);
  if (!with_session) {
    session.clear();
    version.clear();
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = conn != nullptr;
    if (!conn) {
      conn = std::make_unique<Connection>();
      asio::ip::tcp::resolver::results_type endpoints;
      if (beast::error_code ec = conn->Connect(url_, timeout, tls_.get(), &endpoints)) {
        return ConnectError(ec);
      }
      std::lock_guard<std::mutex> lock(mu_);
      endpoints_ = std::move(endpoints);
    }
    http::request<http::string_body> req = PostRequest(url_, body, headers, session, version);

    conn->tcp().expires_after(timeout);
    beast::error_code ec = conn->Write(req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_message_bytes);
    parser.header_limit(64 * 1024);
    if (!ec) ec = conn->ReadHeader(parser);
    std::optional<json::object> response;
    if (!ec && events != nullptr && parser.get().result_int() == 200 &&
        std::string_view(parser.get()[http::field::content_type])
            .starts_with("text/event-stream")) {
      // Event by event: each one is bounded, the stream is not.
      parser.body_limit(boost::none);
      std::string& pending = parser.get().body();
      auto on_data = [&](std::string& data) {
        json::error_code jec;
        json::value v = json::parse(data, jec);
        if (jec || !v.is_object() || !(*events)(v.get_object())) return false;
        response = std::move(v.get_object());
        return true;
      };
      while (!ec && !response && !parser.is_done()) {
        ec = conn->ReadSome(parser);
        if (ec) break;
        pending.erase(0, ScanEvents(pending, parser.is_done(), on_data));
        if (pending.size() > options_.max_message_bytes) ec = http::error::body_limit;
      }
      if (!ec && !response) {
        return Unavailable("upstream `" + options_.name +
                           "`: its event stream ended without the answer");
      }
    } else if (!ec && !parser.is_done()) {
      ec = conn->Read(parser);
    }
    if (ec) {
      conn.reset();
      // A pooled connection the server had closed: once more on a fresh one.
      if (reused && ec != beast::error::timeout && ec != http::error::body_limit) continue;
      return StepError(ec);
    }
    auto& res = parser.get();
    Reply reply;
    reply.status = res.result_int();
    reply.content_type = std::string(res[http::field::content_type]);
    reply.session_id = std::string(res["mcp-session-id"]);
    reply.body = std::move(res.body());
    reply.response = std::move(response);
    if (res.keep_alive() && !reply.response) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopped_ && idle_.size() < options_.max_idle_connections)
        idle_.push_back(std::move(conn));
    }
    return reply;
  }
  return Unavailable("upstream `" + options_.name + "`: the connection was closed");
}

Status HttpUpstream::ConnectError(beast::error_code ec) const {
  return Unavailable("upstream `" + options_.name + "`: cannot connect: " + ec.message());
}

Status HttpUpstream::StepError(beast::error_code ec) const {
  if (ec == http::error::body_limit) {
    return Status(StatusCode::kResourceExhausted,
                  "upstream `" + options_.name + "`: the answer is larger than " +
                      std::to_string(options_.max_message_bytes) + " bytes");
  }
  if (ec == beast::error::timeout) {
    return Status(StatusCode::kUnavailable, "upstream `" + options_.name +
                                                "` did not answer within " +
                                                std::to_string(options_.timeout_ms) + " ms");
  }
  return Unavailable("upstream `" + options_.name + "`: " + ec.message());
}

Result<json::object> HttpUpstream::ResponseIn(const Reply& reply, int64_t id) {
  auto matches = [id](const json::object& o) {
    const json::value* i = o.if_contains("id");
    return i != nullptr && i->is_int64() && i->get_int64() == id && !o.contains("method");
  };
  if (reply.response) return *reply.response;
  if (reply.content_type.starts_with("text/event-stream")) {
    std::optional<json::object> found;
    ScanEvents(reply.body, true, [&](std::string& data) {
      json::error_code ec;
      json::value v = json::parse(data, ec);
      if (ec || !v.is_object() || !matches(v.get_object())) return false;
      found = std::move(v.get_object());
      return true;
    });
    if (found) return std::move(*found);
    return Unavailable("upstream `" + options_.name +
                       "`: its event stream ended without the answer");
  }
  json::error_code ec;
  json::value v = json::parse(reply.body, ec);
  if (ec || !v.is_object() || !matches(v.get_object())) {
    return Unavailable("upstream `" + options_.name + "`: the answer is not the JSON-RPC response");
  }
  return std::move(v.get_object());
}

Status HttpUpstream::Initialize() {
  int64_t id = next_id_++;
  std::string body = json::serialize(RequestMessage(id, "initialize", UpstreamInitializeParams()));
  WRIT_ASSIGN_OR_RETURN(Reply reply, Post(body, {}, false));
  if (reply.status != 200) {
    return Unavailable("upstream `" + options_.name + "`: initialize answered HTTP " +
                       std::to_string(reply.status));
  }
  WRIT_ASSIGN_OR_RETURN(json::object response, ResponseIn(reply, id));
  const json::value* result = response.if_contains("result");
  if (result == nullptr || !result->is_object()) {
    return Unavailable("upstream `" + options_.name +
                       "`: initialize failed: " + json::serialize(response));
  }
  std::string version;
  if (const json::value* v = result->get_object().if_contains("protocolVersion");
      v != nullptr && v->is_string()) {
    version = std::string(v->get_string());
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    session_id_ = reply.session_id;
    protocol_version_ = version;
    init_result_ = result->get_object();
  }
  WRIT_ASSIGN_OR_RETURN(
      Reply ack,
      Post(json::serialize(NotificationMessage("notifications/initialized", nullptr)), {}, true));
  (void)ack;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_ = true;
  }
  stop_cv_.notify_all();  // the listener waits for a session
  return Status::Ok();
}

Status HttpUpstream::EnsureSession(const std::string& stale_session) {
  std::lock_guard<std::mutex> init(init_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ready_ && session_id_ != stale_session) return Status::Ok();
    if (ready_ && !stale_session.empty() && session_id_ == stale_session) ready_ = false;
  }
  return Initialize();
}

Result<json::object> HttpUpstream::Exchange(int64_t id, const std::string& body,
                                            const ExtraHeaders& headers,
                                            const EventHandler* events) {
  WRIT_RETURN_IF_ERROR(EnsureSession(""));
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string session;
    {
      std::lock_guard<std::mutex> lock(mu_);
      session = session_id_;
    }
    WRIT_ASSIGN_OR_RETURN(Reply reply, Post(body, headers, true, events));
    // 404 is the specification's answer for a session the server no longer knows; some
    // servers (server-everything among them) answer 400 instead.
    if ((reply.status == 404 || reply.status == 400) && attempt == 0 && !session.empty()) {
      if (options_.log) options_.log("the upstream session expired; initializing again");
      WRIT_RETURN_IF_ERROR(EnsureSession(session));
      continue;
    }
    if (reply.status != 200) {
      return Unavailable("upstream `" + options_.name + "` answered HTTP " +
                         std::to_string(reply.status));
    }
    return ResponseIn(reply, id);
  }
  return Unavailable("upstream `" + options_.name + "`: no session");
}

int64_t HttpUpstream::Call(std::string_view method, const json::value& params, ExtraHeaders headers,
                           Callback done, MessageSink related, asio::io_context* io) {
  int64_t id = next_id_++;
  auto shared_done = std::make_shared<Callback>(std::move(done));
  json::value sent = params;
  std::shared_ptr<EventHandler> events;
  if (related) {
    // The messages on the request's event stream: progress (with the client's token back) and
    // other notifications go to `related`; requests of the server are not relayed.
    json::value client_token = SwapProgressToken(sent, json::value(id));
    events = std::make_shared<EventHandler>(
        [id, client_token, related = std::move(related)](json::object& m) {
          const json::value* mid = m.if_contains("id");
          if (!m.contains("method"))
            return mid != nullptr && mid->is_int64() && mid->get_int64() == id;
          if (mid != nullptr) return false;
          json::value token = ProgressToken(m);
          if (token.is_null()) {
            related(m);
          } else if (token.is_int64() && token.get_int64() == id && !client_token.is_null()) {
            related(WithProgressToken(m, client_token));
          }
          return false;
        });
  }
  std::string body = json::serialize(RequestMessage(id, method, sent));
  if (io != nullptr && !events) {
    auto call = std::make_shared<AsyncCall>();
    call->upstream = this;
    call->io = io;
    call->id = id;
    call->body = std::move(body);
    call->headers = std::move(headers);
    call->done = std::move(shared_done);
    asio::post(*io, [call] { call->upstream->StartAsync(call); });
    return id;
  }
  ExchangeOnPool(id, std::move(body), std::move(headers), std::move(events),
                 std::move(shared_done));
  return id;
}

void HttpUpstream::ExchangeOnPool(int64_t id, std::string body, ExtraHeaders headers,
                                  std::shared_ptr<EventHandler> events,
                                  std::shared_ptr<Callback> done) {
  bool queued =
      pool_.TrySubmit([this, id, body = std::move(body), headers = std::move(headers), done,
                       events] { (*done)(Exchange(id, body, headers, events.get())); });
  if (!queued) (*done)(Status(StatusCode::kResourceExhausted, "the gateway is busy; retry"));
}

void HttpUpstream::StartAsync(const std::shared_ptr<AsyncCall>& call) {
  bool blocking = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {
      return (*call->done)(Unavailable("upstream `" + options_.name + "` is stopping"));
    }
    // No session yet, or no address resolved: the blocking exchange opens them.
    blocking = !ready_ || !endpoints_;
    if (!blocking) {
      call->session = session_id_;
      call->version = protocol_version_;
      auto it = worker_idle_.find(call->io);
      if (it != worker_idle_.end() && !it->second.empty()) {
        call->conn = std::move(it->second.back());
        it->second.pop_back();
      }
    }
  }
  if (blocking) {
    return ExchangeOnPool(call->id, std::move(call->body), std::move(call->headers), nullptr,
                          std::move(call->done));
  }
  call->request = PostRequest(url_, call->body, call->headers, call->session, call->version);
  if (call->conn) {
    call->reused = true;
    return SendAsync(call);
  }
  ConnectAsync(call);
}

void HttpUpstream::ConnectAsync(const std::shared_ptr<AsyncCall>& call) {
  asio::ip::tcp::resolver::results_type endpoints;
  {
    std::lock_guard<std::mutex> lock(mu_);
    endpoints = *endpoints_;
  }
  call->reused = false;
  call->conn = std::make_unique<Connection>(*call->io);
  if (!call->conn->Prepare(url_, tls_.get())) {
    return FinishAsync(call, asio::error::invalid_argument);
  }
  call->conn->tcp().expires_after(std::chrono::milliseconds(options_.timeout_ms));
  call->conn->tcp().async_connect(endpoints, [this, call](beast::error_code ec, const auto&) {
    if (!ec) call->conn->tcp().socket().set_option(asio::ip::tcp::no_delay(true), ec);
    if (ec) return (*call->done)(ConnectError(ec));
    if (!call->conn->secure()) return SendAsync(call);
    call->conn->tls_stream().async_handshake(ssl::stream_base::client,
                                             [this, call](beast::error_code e) {
                                               if (e) return (*call->done)(ConnectError(e));
                                               SendAsync(call);
                                             });
  });
}

void HttpUpstream::SendAsync(const std::shared_ptr<AsyncCall>& call) {
  Connection& conn = *call->conn;
  conn.tcp().expires_after(std::chrono::milliseconds(options_.timeout_ms));
  conn.With([&](auto& stream) {
    http::async_write(stream, call->request, [this, call](beast::error_code ec, size_t) {
      if (ec) return FinishAsync(call, ec);
      call->parser.emplace();
      call->parser->body_limit(options_.max_message_bytes);
      call->parser->header_limit(64 * 1024);
      call->conn->With([&](auto& s) {
        http::async_read(s, call->conn->buffer, *call->parser,
                         [this, call](beast::error_code e, size_t) { FinishAsync(call, e); });
      });
    });
  });
}

void HttpUpstream::FinishAsync(const std::shared_ptr<AsyncCall>& call, beast::error_code ec) {
  if (ec) {
    call->conn.reset();
    // A pooled connection the server had closed: once more on a fresh one.
    if (call->reused && ec != beast::error::timeout && ec != http::error::body_limit) {
      return ConnectAsync(call);
    }
    return (*call->done)(StepError(ec));
  }
  auto& res = call->parser->get();
  Reply reply;
  reply.status = res.result_int();
  reply.content_type = std::string(res[http::field::content_type]);
  reply.body = std::move(res.body());
  if (res.keep_alive()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& idle = worker_idle_[call->io];
    if (!stopped_ && idle.size() < options_.max_idle_connections) {
      idle.push_back(std::move(call->conn));
    }
  }
  call->conn.reset();
  // 404 is the specification's answer for a session the server no longer knows (some servers
  // answer 400): the blocking exchange finds the same, opens a new session (and logs it) and
  // sends the request again.
  if ((reply.status == 404 || reply.status == 400) && !call->session.empty()) {
    return ExchangeOnPool(call->id, std::move(call->body), std::move(call->headers), nullptr,
                          std::move(call->done));
  }
  if (reply.status != 200) {
    return (*call->done)(Unavailable("upstream `" + options_.name + "` answered HTTP " +
                                     std::to_string(reply.status)));
  }
  (*call->done)(ResponseIn(reply, call->id));
}

void HttpUpstream::SetNotificationSink(MessageSink sink) {
  std::lock_guard<std::mutex> lock(mu_);
  notifications_ = std::move(sink);
}

void HttpUpstream::Listen() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      stop_cv_.wait(lock, [this] { return stopped_ || ready_; });
      if (stopped_) return;
    }
    if (!ListenOnce()) {
      if (options_.log) options_.log("the server offers no stream of its own messages (GET)");
      return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopped_; })) return;
  }
}

bool HttpUpstream::ListenOnce() {
  std::string session, version;
  {
    std::lock_guard<std::mutex> lock(mu_);
    session = session_id_;
    version = protocol_version_;
  }
  Connection conn;
  auto timeout = std::chrono::milliseconds(options_.timeout_ms);
  {
    // Registered before connecting, so that Stop also cuts a connect that hangs.
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return true;
    listening_ = &conn;
  }
  struct Unregister {
    HttpUpstream* self;
    ~Unregister() {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->listening_ = nullptr;
    }
  } unregister{this};
  if (conn.Connect(url_, timeout, tls_.get())) return true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return true;
  }
  http::request<http::empty_body> req{http::verb::get, url_.target, 11};
  req.set(http::field::host, url_.host + ":" + url_.port);
  req.set(http::field::accept, "text/event-stream");
  if (!session.empty()) req.set("Mcp-Session-Id", session);
  if (!version.empty()) req.set("MCP-Protocol-Version", version);
  conn.tcp().expires_after(timeout);
  beast::error_code ec = conn.Write(req);
  http::response_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(boost::none);  // a stream; each event is bounded below
  if (!ec) ec = conn.ReadHeader(parser);
  if (ec) return true;
  int status = parser.get().result_int();
  if (status == 405) return false;
  if (status == 404 || status == 400) {
    (void)EnsureSession(session);
    return true;
  }
  if (status != 200 ||
      !std::string_view(parser.get()[http::field::content_type]).starts_with("text/event-stream")) {
    return true;
  }
  MessageSink sink;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sink = notifications_;
  }
  auto on_data = [&](std::string& data) {
    json::error_code jec;
    json::value v = json::parse(data, jec);
    if (!jec && v.is_object() && v.get_object().contains("method") &&
        !v.get_object().contains("id") && sink) {
      sink(std::move(v.get_object()));
    }
    return false;
  };
  std::string& pending = parser.get().body();
  conn.tcp().expires_never();
  while (!parser.is_done()) {
    ec = conn.ReadSome(parser);
    if (ec) break;
    pending.erase(0, ScanEvents(pending, parser.is_done(), on_data));
    if (pending.size() > options_.max_message_bytes) break;  // an event beyond the limit
  }
  return true;
}

void HttpUpstream::Notify(std::string_view method, const json::value& params) {
  std::string body = json::serialize(NotificationMessage(method, params));
  pool_.TrySubmit([this, body] { (void)Post(body, {}, true); });
}

json::object HttpUpstream::InitializeResult() const {
  std::lock_guard<std::mutex> lock(mu_);
  return init_result_;
}

bool HttpUpstream::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_;
}

}  // namespace writ::gateway
