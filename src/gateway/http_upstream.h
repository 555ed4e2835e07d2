// HttpUpstream: an MCP server reached over Streamable HTTP, plain (http://) or over TLS
// (https://: TLS 1.2 or later, the server's certificate chain verified against the system's
// roots or `ca_file`, its name against the URL's host, SNI sent).
//
// Each request is one POST (Accept: application/json, text/event-stream) on a pooled keep-alive
// connection, never blocking the caller's thread. When the caller names the I/O context of the
// server worker that will answer the client (Call's `io`), the exchange runs asynchronously
// there, on connections kept per worker, and `done` runs on that thread: no other thread is
// woken for the call. Otherwise, and whenever more is needed than one plain exchange (an SSE
// answer read for progress, a session to open or renew after a 404), the exchange blocks a
// thread of the gateway's pool instead. A JSON answer is the response. An SSE answer to a call with
// a `related` sink is read event by event, each event bounded by the message limit: notifications
// on it go to the sink as they arrive (progress with the client's token back), and the event with
// the response to this request's id ends the read. Without a sink the SSE answer is read to its
// end, bounded by the message limit, and the response taken from it. The session's server-initiated
// stream is read by a listener thread (one GET, reopened after a second when it ends or fails;
// given up when the server answers 405): its notifications go to the notification sink. The session
// Writ opened (`Mcp-Session-Id`) and the negotiated `MCP-Protocol-Version` go with every request;
// when the server answers 404 (the session is gone; some servers answer 400) Writ initializes again
// and retries the request once. An upstream that is not up at Start is initialized in the
// background, once a second, until it answers.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/upstream.h"
#include "identity/http_fetcher.h"
#include "service/work_pool.h"

namespace writ::gateway {

struct HttpUpstreamOptions {
  std::string name;
  std::string url;      // http:// or https://
  std::string ca_file;  // https: PEM roots to trust instead of the system's
  int64_t timeout_ms = 60000;
  size_t max_message_bytes = 4 << 20;
  size_t max_idle_connections = 64;
  std::function<void(const std::string&)> log;
};

class HttpUpstream final : public Upstream {
 public:
  // `pool` runs the blocking exchanges and must outlive the upstream's calls.
  HttpUpstream(HttpUpstreamOptions options, service::WorkPool& pool);
  ~HttpUpstream() override;
  HttpUpstream(const HttpUpstream&) = delete;
  HttpUpstream& operator=(const HttpUpstream&) = delete;

  Status Start(int64_t wait_ms) override;
  void Stop() override;
  int64_t Call(std::string_view method, const boost::json::value& params, ExtraHeaders headers,
               Callback done, MessageSink related = nullptr,
               boost::asio::io_context* io = nullptr) override;
  void SetNotificationSink(MessageSink sink) override;
  void Notify(std::string_view method, const boost::json::value& params) override;
  boost::json::object InitializeResult() const override;
  bool ready() const override;

  class Connection;

 private:
  struct AsyncCall;
  struct Reply {
    int status = 0;
    std::string content_type;
    std::string session_id;
    std::string body;
    // Set when an SSE answer was read event by event and the response found on it.
    std::optional<boost::json::object> response;
  };
  // Each message of an SSE answer as it arrives; true when it is the awaited response.
  using EventHandler = std::function<bool(boost::json::object&)>;
  // One POST; the connection is reused when both sides keep it alive. With `events`, an SSE
  // answer is read event by event (each event bounded by the message limit, not the stream)
  // until the handler finds the response; the connection is then closed, not reused.
  Result<Reply> Post(const std::string& body, const ExtraHeaders& headers, bool with_session,
                     const EventHandler* events = nullptr);
  // The response to request `id` in a reply (JSON or SSE).
  Result<boost::json::object> ResponseIn(const Reply& reply, int64_t id);
  Status Initialize();
  // Initializes when not initialized (or after a 404); blocking, on pool threads.
  Status EnsureSession(const std::string& stale_session);
  Result<boost::json::object> Exchange(int64_t id, const std::string& body,
                                       const ExtraHeaders& headers,
                                       const EventHandler* events = nullptr);
  // The blocking exchange of Exchange on a pool thread; `done` gets its result.
  void ExchangeOnPool(int64_t id, std::string body, ExtraHeaders headers,
                      std::shared_ptr<EventHandler> events, std::shared_ptr<Callback> done);
  // The asynchronous exchange, on the call's worker context (AsyncCall in the .cc file).
  void StartAsync(const std::shared_ptr<AsyncCall>& call);
  void ConnectAsync(const std::shared_ptr<AsyncCall>& call);
  void SendAsync(const std::shared_ptr<AsyncCall>& call);
  void FinishAsync(const std::shared_ptr<AsyncCall>& call, boost::system::error_code ec);
  // The Status for a failed connect (or TLS handshake), and for a failed exchange step.
  Status ConnectError(boost::system::error_code ec) const;
  Status StepError(boost::system::error_code ec) const;
  // The listener thread: reads the session's GET stream while the upstream runs.
  void Listen();
  // One GET stream, read until it ends. False when the server offers none (405).
  bool ListenOnce();

  HttpUpstreamOptions options_;
  service::WorkPool& pool_;
  identity::ParsedUrl url_;
  mutable std::mutex mu_;
  std::mutex init_mu_;  // one initialize at a time
  std::vector<std::unique_ptr<Connection>>
      idle_;  // blocking connections, each with its own context
  // Connections on the server workers' contexts, idle, per context (used only on its thread).
  std::map<boost::asio::io_context*, std::vector<std::unique_ptr<Connection>>> worker_idle_;
  // The server's addresses, once a blocking connect resolved them (asynchronous connects
  // reuse them rather than resolving on a worker).
  std::optional<boost::asio::ip::tcp::resolver::results_type> endpoints_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // https upstreams; set by Start
  std::string session_id_;
  std::string protocol_version_;
  boost::json::object init_result_;
  bool ready_ = false;
  bool stopped_ = false;
  std::atomic<int64_t> next_id_{1};
  // Keeps initializing, once a second, an upstream that was not up at Start.
  std::thread retry_;
  MessageSink notifications_;
  std::thread listener_;
  Connection* listening_ = nullptr;  // the listener's open connection (closed by Stop)
  std::condition_variable stop_cv_;
};

}  // namespace writ::gateway
