// The server's machinery: workers (one event loop and thread each), the acceptor, connections
// (plain or TLS) and the exchange between a connection and a handler answering from anywhere.
//
// A connection lives on one worker and is only touched from that worker's thread, so it needs
// no lock. Its timeouts are deadlines checked by the worker's sweep timer (a few times per
// second) instead of a timer per operation: a request then costs no timer system calls.
#include "server/server.h"

#include <time.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <type_traits>

#include "base/crypto.h"

namespace writ::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

namespace {

constexpr std::string_view kUnmatchedRoute = "unmatched";
constexpr size_t kFirstReadBytes = 4096;
constexpr auto kLingerTime = std::chrono::seconds(2);
// Buffers grown by one large request are given back rather than kept per connection.
constexpr size_t kKeepBufferBytes = 64 * 1024;

class ConnectionBase;

// What the server keeps per route: its latency histogram and its answer counters by status
// (looked up in the registry on first use, then read without a lock).
struct RouteStats {
  std::string label;
  Histogram* latency = nullptr;
  std::array<std::atomic<Counter*>, 500> by_status{};  // statuses 100..599
};

// One request in flight between a connection and a handler. The handler's Responder holds it;
// the connection holds it; whichever of "answer" and "give up" (timeout, closed connection)
// comes first wins, under `mu`.
class Exchange final : public internal::ResponseSink,
                       public std::enable_shared_from_this<Exchange> {
 public:
  enum class State : uint8_t { kIdle, kWaiting, kAnswered, kAbandoned };

  Request request;

  // Connection thread: prepares for the next handler call.
  void Arm(std::weak_ptr<ConnectionBase> connection, std::thread::id worker) {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = State::kWaiting;
    connection_ = std::move(connection);
    worker_ = worker;
    sync_response_.reset();
  }
  // Connection thread: gives up on the answer. False when the answer already came.
  bool Abandon() {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ != State::kWaiting) return false;
    state_ = State::kAbandoned;
    return true;
  }
  void set_in_dispatch(bool v) { in_dispatch_ = v; }
  // Connection thread, after the handler returned: the answer it gave before returning.
  std::optional<Response> TakeSyncResponse() {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<Response> r = std::move(sync_response_);
    sync_response_.reset();
    return r;
  }

  void Deliver(Response response) override;

 private:
  std::mutex mu_;
  State state_ = State::kIdle;
  std::weak_ptr<ConnectionBase> connection_;
  std::thread::id worker_;
  bool in_dispatch_ = false;  // read only on the worker's own thread
  std::optional<Response> sync_response_;
};

struct Worker;

class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  virtual ~ConnectionBase() = default;
  virtual void Start() = 0;
  virtual void OnDeadline() = 0;
  virtual void OnDrain() = 0;
  virtual void ForceClose() = 0;
  virtual void OnAnswer(const std::shared_ptr<Exchange>& exchange, Response response) = 0;
  virtual asio::io_context& context() = 0;

  SteadyClock::time_point deadline = SteadyClock::time_point::max();
  std::list<std::shared_ptr<ConnectionBase>>::iterator registry_position;
};

void Exchange::Deliver(Response response) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != State::kWaiting) return;  // timed out or connection gone: dropped
  state_ = State::kAnswered;
  if (in_dispatch_ && std::this_thread::get_id() == worker_) {
    // Answered inside the handler call: the connection picks it up when the handler returns.
    sync_response_ = std::move(response);
    return;
  }
  std::shared_ptr<ConnectionBase> connection = connection_.lock();
  if (!connection) return;
  // Posted under the lock: the connection cannot give up (and the server cannot stop its
  // worker) between our claim of the answer and the post.
  asio::post(connection->context(),
             [connection, self = shared_from_this(), r = std::move(response)]() mutable {
               connection->OnAnswer(self, std::move(r));
             });
}

// "Date: <IMF-fixdate>\r\n", recomputed once per second per worker.
class DateField {
 public:
  std::string_view Get() {
    time_t now = ::time(nullptr);
    if (now != second_) {
      second_ = now;
      struct tm tm;
      ::gmtime_r(&now, &tm);
      char buf[64];
      size_t n = ::strftime(buf, sizeof(buf), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
      text_.assign(buf, n);
    }
    return text_;
  }

 private:
  time_t second_ = 0;
  std::string text_;
};

struct Worker {
  Worker() : sweep(context), guard(asio::make_work_guard(context)) {}

  asio::io_context context{1};
  asio::steady_timer sweep;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::thread thread;
  std::thread::id thread_id;
  std::list<std::shared_ptr<ConnectionBase>> connections;
  std::vector<std::shared_ptr<ConnectionBase>> expired;  // reused by the sweep
  std::mt19937_64 random;
  DateField date;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool HasLineBreak(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

tcp::socket& Socket(tcp::socket& s) {
  return s;
}
tcp::socket& Socket(ssl::stream<tcp::socket>& s) {
  return s.next_layer();
}

}  // namespace

// ---------------------------------------------------------------------------------------------

class Server::Impl {
 public:
  Impl(ServerOptions options, MetricsRegistry& metrics, const Authenticator& authenticator);
  ~Impl();

  Status Start();
  void Shutdown();
  void Wait();
  Status Run(const std::function<void()>& on_listening);

  // Connection callbacks (worker threads).
  void OnConnectionClosed(bool counted);
  void RecordAnswer(const Route* route, int status, std::string_view error_code,
                    SteadyClock::duration latency);
  void RecordRejected(std::string_view reason) { rejected_.WithLabels({reason}).Increment(); }
  bool draining() const { return draining_.load(std::memory_order_acquire); }
  std::vector<std::pair<std::string, Status>> FailingReadinessChecks() const;

  ServerOptions options_;
  MetricsRegistry& metrics_;
  const Authenticator& authenticator_;
  Router router_;
  std::vector<std::pair<std::string, ReadinessCheck>> readiness_;
  std::vector<std::pair<std::string, std::function<void()>>> hooks_;
  std::unique_ptr<ssl::context> tls_;
  std::chrono::milliseconds sweep_interval_{100};

 private:
  void RegisterBuiltinRoutes();
  void Accept();
  template <typename Stream>
  void Adopt(Worker& worker, Stream stream, std::string remote, bool counted);
  void Sweep(Worker& worker);
  void RunOnWorkers(const std::function<void(Worker&)>& fn);

  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<asio::steady_timer> accept_retry_;
  size_t next_worker_ = 0;
  std::atomic<size_t> open_connections_{0};
  std::atomic<bool> draining_{false};
  bool started_ = false;
  bool stopped_ = false;
  SteadyClock::time_point shutdown_deadline_;
  mutable std::mutex mu_;
  std::condition_variable cv_;

  // Metrics.
  CounterFamily& requests_;
  HistogramFamily& latency_;
  CounterFamily& bad_input_;
  Gauge& open_gauge_;
  Counter& accepted_;
  CounterFamily& rejected_;
  std::vector<std::unique_ptr<RouteStats>> route_stats_;
  RouteStats unmatched_stats_;

 public:
  uint16_t port_ = 0;
  std::string bound_address_;
};

// ---------------------------------------------------------------------------------------------

namespace {

template <typename Stream>
class Connection final : public ConnectionBase {
 public:
  Connection(Worker& worker, Server::Impl& server, Stream stream, std::string remote, bool counted)
      : worker_(worker),
        server_(server),
        stream_(std::move(stream)),
        buffer_(server.options_.limits.max_header_bytes + 2 * kFirstReadBytes + 65536),
        remote_(std::move(remote)),
        counted_(counted) {}

  asio::io_context& context() override { return worker_.context; }

  void Start() override {
    if (!counted_) {
      Reject();
      return;
    }
    if constexpr (std::is_same_v<Stream, ssl::stream<tcp::socket>>) {
      phase_ = Phase::kHandshake;
      SetDeadline(server_.options_.timeouts.read);
      stream_.async_handshake(ssl::stream_base::server, [self = Self()](const error_code& ec) {
        if (self->closed_) return;
        if (ec) return self->Close();
        self->StartRead();
      });
    } else {
      StartRead();
    }
  }

  void OnDeadline() override {
    switch (phase_) {
      case Phase::kReading:
        // Cancel the read; its completion answers 408.
        timed_out_ = true;
        deadline = SteadyClock::time_point::max();
        CancelIo();
        break;
      case Phase::kStreaming:
        if (stream_writing_)
          Close();  // a write that does not finish: the client stalled
        else
          deadline = SteadyClock::time_point::max();
        break;
      case Phase::kHandling:
        if (exchange_->Abandon()) {
          WriteAnswer(
              Response::Error(503, "handler_timeout", "the request was not answered in time"));
        } else {
          // The answer is on its way to this thread.
          deadline = SteadyClock::now() + std::chrono::seconds(1);
        }
        break;
      default:
        Close();
        break;
    }
  }

  void OnDrain() override {
    if (phase_ == Phase::kIdle || phase_ == Phase::kHandshake) Close();
    if (phase_ == Phase::kStreaming && body_stream_->end_on_shutdown()) body_stream_->End();
  }

  void ForceClose() override { Close(); }

  void OnAnswer(const std::shared_ptr<Exchange>& exchange, Response response) override {
    if (closed_ || exchange != exchange_ || phase_ != Phase::kHandling) return;
    WriteAnswer(std::move(response));
  }

 private:
  enum class Phase : uint8_t {
    kHandshake,  // TLS handshake
    kIdle,       // waiting for the first byte of a request
    kReading,    // reading a request
    kHandling,   // waiting for the handler's answer
    kWriting,    // writing an answer
    kStreaming,  // writing a streamed answer's body as it comes (ResponseStream)
    kLingering,  // closing: draining what the client still sends
    kClosed,
  };

  std::shared_ptr<Connection> Self() {
    return std::static_pointer_cast<Connection>(shared_from_this());
  }

  void SetDeadline(std::chrono::milliseconds d) { deadline = SteadyClock::now() + d; }

  void CancelIo() {
    error_code ec;
    Socket(stream_).cancel(ec);
  }

  void StartRead() {
    if (server_.draining()) return Close();
    phase_ = Phase::kIdle;
    timed_out_ = false;
    if (buffer_.size() > 0) return ReadHead();
    if (buffer_.capacity() > kKeepBufferBytes) buffer_.shrink_to_fit();
    SetDeadline(server_.options_.timeouts.idle);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = Self()](const error_code& ec, size_t n) {
                              if (self->closed_) return;
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHead();
                            });
  }

  void ReadHead() {
    phase_ = Phase::kReading;
    started_ = SteadyClock::now();
    deadline = started_ + server_.options_.timeouts.read;
    route_ = nullptr;
    dispatched_ = false;
    keep_alive_ = false;
    is_head_ = false;
    if (!exchange_ || exchange_.use_count() > 1) {
      // The previous handler still holds its Request: this request gets fresh storage.
      exchange_ = std::make_shared<Exchange>();
    }
    Request& req = exchange_->request;
    if (req.mutable_body().capacity() > kKeepBufferBytes) std::string().swap(req.mutable_body());
    req.mutable_body().clear();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options_.limits.max_header_bytes));
    // No limit while the head is read: nothing of the body is read then, and Beast would refuse
    // a Content-Length beyond the limit before the route and the caller are known (413 ahead of
    // 404 or 401, counted under no route). OnHead checks it against the route's limit.
    parser_->body_limit(boost::none);
    parser_->get().body().swap(req.mutable_body());
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = Self()](const error_code& ec, size_t) { self->OnHead(ec); });
  }

  // Answers an error found before the body was read. A body that already arrived whole is
  // skipped; otherwise the connection closes after the answer, since the body's bytes would be
  // taken for the next request (and reading them would be work done for a refused request).
  void AnswerEarly(Response r) {
    if (!parser_->is_done()) {
      auto length = parser_->content_length();
      if (length && !parser_->chunked() && *length <= buffer_.size()) {
        buffer_.consume(static_cast<size_t>(*length));
      } else {
        r.close = true;
      }
    }
    WriteAnswer(std::move(r));
  }

  void OnHead(const error_code& ec) {
    if (closed_) return;
    if (ec) return OnReadError(ec);
    auto& msg = parser_->get();
    Request& req = exchange_->request;
    req.Reset();
    req.set_version(msg.version());
    keep_alive_ = msg.keep_alive();
    req.set_method(std::string_view(msg.method_string().data(), msg.method_string().size()));
    is_head_ = msg.method() == http::verb::head;
    size_t hosts = 0;
    for (const auto& field : msg) {
      std::string_view name(field.name_string().data(), field.name_string().size());
      req.AddHeader(name, std::string_view(field.value().data(), field.value().size()));
      if (field.name() == http::field::host) ++hosts;
    }
    req.set_remote_address(remote_);
    req.set_json_limits(&server_.options_.limits.json);
    req.set_io_context(&worker_.context);
    if (msg.version() >= 11 && hosts != 1) {
      return AnswerEarly(
          Response::Error(400, "missing_host", "an HTTP/1.1 request needs exactly one Host field"));
    }
    Status target = req.set_target(std::string_view(msg.target().data(), msg.target().size()));
    if (!target.ok()) return AnswerEarly(Response::Error(400, "invalid_target", target.message()));

    RouteMatch match = server_.router_.Match(req.method(), req.path(), &params_);
    if (match.outcome == MatchOutcome::kNotFound) {
      return AnswerEarly(Response::Error(404, "not_found", "no endpoint has this path"));
    }
    if (match.outcome == MatchOutcome::kMethodNotAllowed) {
      Response r = Response::Error(405, "method_not_allowed",
                                   "this path does not take " + std::string(req.method()));
      r.headers.emplace_back("Allow", match.allowed_methods);
      return AnswerEarly(std::move(r));
    }
    route_ = match.route;
    req.set_route(route_->label);
    for (const RawParam& p : params_) {
      Status s = req.AddPathParam(p.first, p.second);
      if (!s.ok()) return AnswerEarly(Response::Error(400, "invalid_path", s.message()));
    }

    // Who is calling, before any body is read.
    ApiResult<Caller> caller =
        server_.authenticator_.Authenticate(req.header("Authorization"), route_->access);
    if (!caller.ok()) {
      Response r = Response::Error(caller.error());
      if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"writ\"");
      return AnswerEarly(std::move(r));
    }
    req.mutable_caller() = std::move(caller).value();

    if (parser_->is_done()) return Dispatch();

    size_t limit = route_->options.max_body_bytes != 0 ? route_->options.max_body_bytes
                                                       : server_.options_.limits.max_body_bytes;
    if (auto length = parser_->content_length(); length && *length > limit) {
      // Closed even when the body already arrived: a client sending too much is not kept.
      Response r = BodyTooLarge(limit);
      r.close = true;
      return AnswerEarly(std::move(r));
    }
    parser_->body_limit(limit);
    std::string_view expect = req.header("Expect");
    if (!expect.empty()) {
      if (!EqualsIgnoreCase(expect, "100-continue")) {
        return AnswerEarly(
            Response::Error(417, "expectation_failed", "only `Expect: 100-continue` is supported"));
      }
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = Self()](const error_code& ec, size_t) {
                          if (self->closed_) return;
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  static Response BodyTooLarge(size_t limit) {
    return Response::Error(413, "body_too_large",
                           "the body is larger than " + std::to_string(limit) + " bytes");
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_, [self = Self()](const error_code& ec, size_t) {
      if (self->closed_) return;
      if (ec) return self->OnReadError(ec);
      self->Dispatch();
    });
  }

  void OnReadError(const error_code& ec) {
    if (timed_out_) {
      Response r =
          Response::Error(408, "request_timeout", "the request did not arrive whole in time");
      r.close = true;
      return WriteAnswer(std::move(r));
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      Response r =
          Response::Error(431, "header_too_large",
                          "the request line and header fields are larger than " +
                              std::to_string(server_.options_.limits.max_header_bytes) + " bytes");
      r.close = true;
      return WriteAnswer(std::move(r));
    }
    if (ec == http::error::body_limit) {
      size_t limit = route_ != nullptr && route_->options.max_body_bytes != 0
                         ? route_->options.max_body_bytes
                         : server_.options_.limits.max_body_bytes;
      Response r = BodyTooLarge(limit);
      r.close = true;
      return WriteAnswer(std::move(r));
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      Response r =
          Response::Error(400, "bad_request", "the request is not valid HTTP/1.1: " + ec.message());
      r.close = true;
      return WriteAnswer(std::move(r));
    }
    Close();  // the peer went away, or the stream failed
  }

  void Dispatch() {
    Request& req = exchange_->request;
    parser_->get().body().swap(req.mutable_body());
    // The trace context: tracestate may come in several fields, combined with commas.
    std::string_view traceparent = req.header("traceparent");
    std::string_view tracestate;
    std::string combined;
    size_t states = 0;
    for (size_t i = 0; i < req.header_count(); ++i) {
      const auto& [name, value] = req.header_at(i);
      if (!EqualsIgnoreCase(name, "tracestate")) continue;
      if (states++ == 0) {
        tracestate = value;
      } else {
        combined.assign(tracestate);
        combined += ',';
        combined += value;
        tracestate = combined;
      }
    }
    BuildTraceContext(traceparent, tracestate, worker_.random, &req.mutable_trace());

    phase_ = Phase::kHandling;
    dispatched_ = true;
    auto timeout = route_->options.timeout.count() != 0 ? route_->options.timeout
                                                        : server_.options_.timeouts.handler;
    SetDeadline(timeout);
    exchange_->Arm(weak_from_this(), worker_.thread_id);
    exchange_->set_in_dispatch(true);
    try {
      route_->handler(req, Responder(exchange_));
    } catch (const std::exception& e) {
      // The Responder, destroyed while unwinding, has answered 500 no_response.
      std::fprintf(stderr, "writ: handler of %s threw: %s\n", route_->label.c_str(), e.what());
    }
    exchange_->set_in_dispatch(false);
    if (std::optional<Response> r = exchange_->TakeSyncResponse()) WriteAnswer(std::move(*r));
  }

  void WriteAnswer(Response r) {
    if (r.status < 200 || r.status > 599) {
      std::fprintf(stderr, "writ: handler of %s answered status %d\n",
                   route_ ? route_->label.c_str() : "?", r.status);
      r = Response::Error(500, "internal", "internal error");
    }
    // A streamed answer ends with the connection: the connection reads while it streams (to
    // notice a client that went away), so it cannot take a next request afterwards.
    close_after_ = r.close || !keep_alive_ || server_.draining() || r.stream != nullptr;
    phase_ = Phase::kWriting;
    SetDeadline(server_.options_.timeouts.write);

    out_.clear();
    out_ += "HTTP/1.1 ";
    out_ += std::to_string(r.status);
    out_ += ' ';
    out_ += ReasonPhrase(r.status);
    out_ += "\r\n";
    out_ += worker_.date.Get();
    if (!r.content_type.empty() && !HasLineBreak(r.content_type)) {
      out_ += "Content-Type: ";
      out_ += r.content_type;
      out_ += "\r\n";
    }
    bool no_body = r.status == 204 || r.status == 304;
    bool streamed = r.stream != nullptr && !no_body;
    chunked_ = streamed && exchange_->request.version() >= 11;
    if (chunked_) {
      out_ += "Transfer-Encoding: chunked\r\n";
    } else if (!no_body && !streamed) {
      out_ += "Content-Length: ";
      out_ += std::to_string(r.body.size());
      out_ += "\r\n";
    }
    if (close_after_) out_ += "Connection: close\r\n";
    const TraceContext& trace = exchange_->request.trace();
    if (dispatched_) {
      // W3C Trace Context Level 2 `traceresponse`: the trace and span this request became.
      out_ += "traceresponse: ";
      out_ += trace.ChildTraceParent();
      out_ += "\r\n";
    }
    for (const auto& [name, value] : r.headers) {
      if (name.empty() || HasLineBreak(name) || HasLineBreak(value)) continue;
      out_ += name;
      out_ += ": ";
      out_ += value;
      out_ += "\r\n";
    }
    out_ += "\r\n";
    if (!no_body && !is_head_ && !streamed) out_ += r.body;

    server_.RecordAnswer(route_, r.status, r.error_code, SteadyClock::now() - started_);
    if (r.stream != nullptr) {
      body_stream_ = std::move(r.stream);
      if (!streamed || is_head_) body_stream_->MarkClosed();  // no body to stream
    }
    asio::async_write(stream_, asio::buffer(out_), [self = Self()](const error_code& ec, size_t) {
      if (self->closed_) return;
      if (ec) return self->Close();
      if (self->body_stream_ != nullptr && !self->body_stream_->closed()) {
        return self->StartStreaming();
      }
      if (self->close_after_) return self->Linger();
      self->StartRead();
    });
  }

  // The head of a streamed answer is out: the body follows as the producer writes it.
  void StartStreaming() {
    phase_ = Phase::kStreaming;
    deadline = SteadyClock::time_point::max();
    std::weak_ptr<ConnectionBase> weak = weak_from_this();
    asio::io_context& context = worker_.context;
    body_stream_->Attach([weak, &context] {
      if (std::shared_ptr<ConnectionBase> c = weak.lock()) {
        asio::post(context, [c] { static_cast<Connection*>(c.get())->FlushStream(); });
      }
    });
    StreamRead();
  }

  // Reads while streaming or lingering after a stream: what a client sends then is discarded;
  // the end of its stream (or an error) means it went away.
  void StreamRead() {
    Socket(stream_).async_read_some(asio::buffer(linger_buffer_),
                                    [self = Self()](const error_code& ec, size_t) {
                                      if (self->closed_) return;
                                      if (ec) return self->Close();
                                      self->StreamRead();
                                    });
  }

  void FlushStream() {
    if (closed_ || phase_ != Phase::kStreaming || stream_writing_) return;
    if (body_stream_->closed()) return Close();  // cut: its client did not keep up
    bool ended = false;
    std::string bytes = body_stream_->Take(&ended);
    if (bytes.empty() && !ended) return;
    stream_out_.clear();
    if (!bytes.empty()) {
      if (chunked_) {
        char size[24];
        int n = std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
        stream_out_.append(size, static_cast<size_t>(n));
      }
      stream_out_ += bytes;
      if (chunked_) stream_out_ += "\r\n";
    }
    if (ended && chunked_) stream_out_ += "0\r\n\r\n";
    stream_writing_ = true;
    SetDeadline(server_.options_.timeouts.write);
    asio::async_write(stream_, asio::buffer(stream_out_),
                      [self = Self(), ended](const error_code& ec, size_t) {
                        if (self->closed_) return;
                        self->stream_writing_ = false;
                        self->deadline = SteadyClock::time_point::max();
                        if (ec) return self->Close();
                        if (!ended) return self->FlushStream();
                        self->body_stream_->MarkClosed();
                        self->EndStreamed();
                      });
  }

  // After the last byte of a streamed answer: half-close and let the outstanding read drain
  // what the client still sends (as Linger does) until it closes or the linger time passes.
  void EndStreamed() {
    server_.OnConnectionClosed(counted_);
    counted_ = false;
    phase_ = Phase::kLingering;
    deadline = SteadyClock::now() + kLingerTime;
    error_code ec;
    Socket(stream_).shutdown(tcp::socket::shutdown_send, ec);
    if (ec) Close();
  }

  // Over the connection limit: a short 503, then close (plain connections only; a TLS client
  // would need a handshake first, so it is just closed).
  void Reject() {
    server_.RecordRejected("too_many_connections");
    if constexpr (std::is_same_v<Stream, ssl::stream<tcp::socket>>) {
      Close();
    } else {
      phase_ = Phase::kWriting;
      SetDeadline(std::chrono::milliseconds(1000));
      close_after_ = true;
      std::string body =
          ErrorBody("too_many_connections", "the server has too many connections; retry later");
      out_ =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + body;
      asio::async_write(stream_, asio::buffer(out_), [self = Self()](const error_code& ec, size_t) {
        if (self->closed_) return;
        if (ec) return self->Close();
        self->Linger();
      });
    }
  }

  // Half-closes and discards what the client still sends for a moment, so that a close right
  // after an answer does not reset the connection before the client read the answer.
  void Linger() {
    // The answer is written: a half-closed connection no longer holds up a shutdown.
    server_.OnConnectionClosed(counted_);
    counted_ = false;
    phase_ = Phase::kLingering;
    deadline = SteadyClock::now() + kLingerTime;
    error_code ec;
    Socket(stream_).shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    LingerRead();
  }

  void LingerRead() {
    Socket(stream_).async_read_some(asio::buffer(linger_buffer_),
                                    [self = Self()](const error_code& ec, size_t) {
                                      if (self->closed_) return;
                                      if (ec) return self->Close();
                                      self->LingerRead();
                                    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    phase_ = Phase::kClosed;
    auto keep = shared_from_this();  // the registry may hold the last reference
    if (exchange_) exchange_->Abandon();
    if (body_stream_) body_stream_->MarkClosed();
    error_code ec;
    Socket(stream_).shutdown(tcp::socket::shutdown_both, ec);
    Socket(stream_).close(ec);
    worker_.connections.erase(registry_position);
    server_.OnConnectionClosed(counted_);
  }

  Worker& worker_;
  Server::Impl& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Exchange> exchange_;
  std::vector<RawParam> params_;
  std::string out_;
  std::array<char, 1024> linger_buffer_;
  std::string remote_;
  const Route* route_ = nullptr;
  SteadyClock::time_point started_;
  Phase phase_ = Phase::kIdle;
  bool counted_;
  bool closed_ = false;
  bool keep_alive_ = false;
  bool is_head_ = false;
  bool close_after_ = false;
  bool timed_out_ = false;
  bool dispatched_ = false;                      // the handler was called for the current request
  std::shared_ptr<ResponseStream> body_stream_;  // the streamed answer's body, once answered
  std::string stream_out_;
  bool stream_writing_ = false;
  bool chunked_ = false;
};

// "host:port" or "[v6]:port".
Result<tcp::endpoint> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return InvalidArgument("listen: `" + listen + "` is not host:port");
  }
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  int port = -1;
  if (!port_text.empty() && port_text.size() <= 5 &&
      port_text.find_first_not_of("0123456789") == std::string::npos) {
    port = std::stoi(port_text);
  }
  if (port < 0 || port > 65535) {
    return InvalidArgument("listen: `" + port_text + "` is not a port number");
  }
  error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument("listen: `" + host + "` is not an IP address");
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

std::string EndpointText(const tcp::endpoint& e) {
  std::string host = e.address().to_string();
  if (e.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(e.port());
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Server::Impl::Impl(ServerOptions options, MetricsRegistry& metrics,
                   const Authenticator& authenticator)
    : options_(std::move(options)),
      metrics_(metrics),
      authenticator_(authenticator),
      requests_(metrics.AddCounter("writ_http_requests_total",
                                   "HTTP answers by route (method and pattern) and status.",
                                   {"route", "status"})),
      latency_(metrics.AddHistogram(
          "writ_http_request_duration_seconds",
          "Time from reading a request's head to writing its answer, by route.", {"route"},
          LatencyBuckets())),
      bad_input_(metrics.AddCounter("writ_http_bad_input_total",
                                    "4xx answers (bad input, authentication) by error code.",
                                    {"code"})),
      open_gauge_(metrics.AddGauge("writ_http_connections", "Open HTTP connections.").Get()),
      accepted_(
          metrics.AddCounter("writ_http_connections_accepted_total", "HTTP connections accepted.")
              .Get()),
      rejected_(metrics.AddCounter("writ_http_connections_rejected_total",
                                   "HTTP connections refused, by reason.", {"reason"})) {
  unmatched_stats_.label = kUnmatchedRoute;
  unmatched_stats_.latency = &latency_.WithLabels({kUnmatchedRoute});
  RegisterBuiltinRoutes();
}

Server::Impl::~Impl() {
  if (started_ && !stopped_) {
    Shutdown();
    Wait();
  }
}

void Server::Impl::RegisterBuiltinRoutes() {
  (void)router_.Handle(
      "GET", "/healthz",
      [](const Request&, Responder r) { r.Send(Response::JsonText(200, R"({"status":"ok"})")); },
      Access::Public());
  (void)router_.Handle(
      "GET", "/readyz",
      [this](const Request&, Responder r) {
        boost::json::array failing;
        if (draining()) {
          failing.push_back({{"check", "server"},
                             {"code", "shutting_down"},
                             {"message", "the server is shutting down"}});
        }
        for (auto& [name, status] : FailingReadinessChecks()) {
          ApiError e = ApiErrorFromStatus(status);
          failing.push_back({{"check", name}, {"code", e.code}, {"message", e.message}});
        }
        if (failing.empty()) return r.SendJson(200, boost::json::object{{"status", "ready"}});
        r.SendJson(503, boost::json::object{{"status", "not_ready"}, {"failing", failing}});
      },
      Access::Public());
  (void)router_.Handle(
      "GET", "/metrics",
      [this](const Request&, Responder r) {
        Response resp;
        resp.content_type = kPrometheusContentType;
        resp.body = metrics_.Render();
        r.Send(std::move(resp));
      },
      Access::AtLeast(Role::kViewer));
}

std::vector<std::pair<std::string, Status>> Server::Impl::FailingReadinessChecks() const {
  std::vector<std::pair<std::string, Status>> failing;
  for (const auto& [name, check] : readiness_) {
    Status s = check();
    if (!s.ok()) failing.emplace_back(name, std::move(s));
  }
  return failing;
}

Status Server::Impl::Start() {
  if (started_) return FailedPrecondition("server: already started");
  WRIT_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseListen(options_.listen));
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return InvalidArgument("tls: both a certificate file and a key file are needed");
  }
  if (!options_.tls_cert_file.empty()) {
    tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                      ssl::context::single_dh_use);
    error_code ec;
    tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) {
      return InvalidArgument("tls: cannot use the certificate file " + options_.tls_cert_file +
                             ": " + ec.message());
    }
    tls_->use_private_key_file(options_.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return InvalidArgument("tls: cannot use the key file " + options_.tls_key_file + ": " +
                             ec.message());
    }
  }

  size_t n = options_.workers > 0 ? static_cast<size_t>(options_.workers)
                                  : std::max(1u, std::thread::hardware_concurrency());
  WRIT_ASSIGN_OR_RETURN(std::string seed, RandomBytes(8 * n));
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    uint64_t s = 0;
    std::memcpy(&s, seed.data() + 8 * i, 8);
    w->random.seed(s);
    workers_.push_back(std::move(w));
  }

  acceptor_ = std::make_unique<tcp::acceptor>(workers_[0]->context);
  error_code ec;
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.reset();
    workers_.clear();
    return Unavailable("listen: cannot listen on " + options_.listen + ": " + ec.message());
  }
  tcp::endpoint bound = acceptor_->local_endpoint(ec);
  port_ = bound.port();
  bound_address_ = EndpointText(bound);
  accept_retry_ = std::make_unique<asio::steady_timer>(workers_[0]->context);

  router_.Freeze();
  auto shortest = std::min({options_.timeouts.read, options_.timeouts.idle, options_.timeouts.write,
                            options_.timeouts.handler});
  for (size_t i = 0; i < router_.size(); ++i) {
    const Route& r = router_.route(i);
    if (r.options.timeout.count() > 0) shortest = std::min(shortest, r.options.timeout);
    auto stats = std::make_unique<RouteStats>();
    stats->label = r.label;
    stats->latency = &latency_.WithLabels({r.label});
    route_stats_.push_back(std::move(stats));
  }
  sweep_interval_ =
      std::clamp(shortest / 10, std::chrono::milliseconds(5), std::chrono::milliseconds(100));

  started_ = true;
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->thread = std::thread([worker] {
      while (true) {
        try {
          worker->context.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "writ: server worker: %s\n", e.what());
        }
      }
    });
    worker->thread_id = worker->thread.get_id();
    asio::post(worker->context, [this, worker] { Sweep(*worker); });
  }
  asio::post(workers_[0]->context, [this] { Accept(); });
  return Status::Ok();
}

void Server::Impl::Sweep(Worker& worker) {
  auto now = SteadyClock::now();
  worker.expired.clear();
  for (auto& c : worker.connections) {
    if (c->deadline <= now) worker.expired.push_back(c);
  }
  for (auto& c : worker.expired) c->OnDeadline();
  worker.expired.clear();
  worker.sweep.expires_after(sweep_interval_);
  worker.sweep.async_wait([this, &worker](const error_code& ec) {
    if (!ec) Sweep(worker);
  });
}

void Server::Impl::Accept() {
  if (!acceptor_ || !acceptor_->is_open()) return;
  Worker& target = *workers_[next_worker_];
  next_worker_ = (next_worker_ + 1) % workers_.size();
  acceptor_->async_accept(
      target.context, [this, &target](const error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
        if (ec) {
          // Out of file descriptors, or a connection reset before we took it: retry shortly.
          accept_retry_->expires_after(std::chrono::milliseconds(50));
          accept_retry_->async_wait([this](const error_code& e) {
            if (!e) Accept();
          });
          return;
        }
        accepted_.Increment();
        size_t open = open_connections_.fetch_add(1) + 1;
        bool counted = open <= options_.limits.max_connections;
        if (!counted) open_connections_.fetch_sub(1);
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        tcp::endpoint peer = socket.remote_endpoint(ignored);
        std::string remote = EndpointText(peer);
        asio::post(target.context, [this, &target, s = std::move(socket), r = std::move(remote),
                                    counted]() mutable {
          if (counted) open_gauge_.Add(1);
          if (tls_) {
            Adopt(target, ssl::stream<tcp::socket>(std::move(s), *tls_), std::move(r), counted);
          } else {
            Adopt(target, std::move(s), std::move(r), counted);
          }
        });
        Accept();
      });
}

template <typename Stream>
void Server::Impl::Adopt(Worker& worker, Stream stream, std::string remote, bool counted) {
  auto c = std::make_shared<Connection<Stream>>(worker, *this, std::move(stream), std::move(remote),
                                                counted);
  worker.connections.push_front(c);
  c->registry_position = worker.connections.begin();
  if (draining() && counted) {
    // Accepted just before the acceptor closed.
    c->ForceClose();
    return;
  }
  c->Start();
}

void Server::Impl::OnConnectionClosed(bool counted) {
  if (!counted) return;
  open_gauge_.Add(-1);
  if (open_connections_.fetch_sub(1) == 1 && draining()) {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
}

void Server::Impl::RecordAnswer(const Route* route, int status, std::string_view error_code,
                                SteadyClock::duration latency) {
  RouteStats& stats = route != nullptr ? *route_stats_[route->index] : unmatched_stats_;
  std::atomic<Counter*>& slot = stats.by_status[static_cast<size_t>(status - 100)];
  Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = &requests_.WithLabels({stats.label, std::to_string(status)});
    slot.store(counter, std::memory_order_release);
  }
  counter->Increment();
  stats.latency->Observe(std::chrono::duration<double>(latency).count());
  if (status >= 400 && status < 500 && !error_code.empty()) {
    bad_input_.WithLabels({error_code}).Increment();
  }
}

void Server::Impl::RunOnWorkers(const std::function<void(Worker&)>& fn) {
  std::mutex done_mu;
  std::condition_variable done_cv;
  size_t pending = workers_.size();
  for (auto& w : workers_) {
    Worker* worker = w.get();
    asio::post(worker->context, [&, worker] {
      fn(*worker);
      std::lock_guard<std::mutex> lock(done_mu);
      if (--pending == 0) done_cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(done_mu);
  done_cv.wait(lock, [&] { return pending == 0; });
}

void Server::Impl::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_ || draining_.load()) return;
    shutdown_deadline_ = SteadyClock::now() + options_.timeouts.shutdown;
    draining_.store(true, std::memory_order_release);
    cv_.notify_all();
  }
  asio::post(workers_[0]->context, [this] {
    error_code ec;
    if (acceptor_) acceptor_->close(ec);
    accept_retry_->cancel();
  });
  for (auto& w : workers_) {
    Worker* worker = w.get();
    asio::post(worker->context, [worker] {
      worker->expired.assign(worker->connections.begin(), worker->connections.end());
      for (auto& c : worker->expired) c->OnDrain();
      worker->expired.clear();
    });
  }
}

void Server::Impl::Wait() {
  if (!started_ || stopped_) return;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return draining_.load(); });
    bool drained =
        cv_.wait_until(lock, shutdown_deadline_, [&] { return open_connections_.load() == 0; });
    lock.unlock();
    if (!drained) {
      std::fprintf(stderr, "writ: shutdown: cutting %zu connection(s) still open\n",
                   open_connections_.load());
      RunOnWorkers([](Worker& worker) {
        worker.expired.assign(worker.connections.begin(), worker.connections.end());
        for (auto& c : worker.expired) c->ForceClose();
        worker.expired.clear();
      });
    }
  }
  // Every counted connection is closed. Close the refused ones still lingering, then stop.
  RunOnWorkers([](Worker& worker) {
    worker.expired.assign(worker.connections.begin(), worker.connections.end());
    for (auto& c : worker.expired) c->ForceClose();
    worker.expired.clear();
    worker.sweep.cancel();
  });
  stopped_ = true;
  for (auto& w : workers_) {
    w->guard.reset();
    w->context.stop();
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  for (auto it = hooks_.rbegin(); it != hooks_.rend(); ++it) it->second();
}

Status Server::Impl::Run(const std::function<void()>& on_listening) {
  WRIT_RETURN_IF_ERROR(Start());
  asio::signal_set signals(workers_[0]->context, SIGINT, SIGTERM);
  signals.async_wait([this](const error_code& ec, int) {
    if (!ec) Shutdown();
  });
  if (on_listening) on_listening();
  Wait();
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------

Server::Server(ServerOptions options, MetricsRegistry& metrics, const Authenticator& authenticator)
    : impl_(std::make_unique<Impl>(std::move(options), metrics, authenticator)) {}

Server::~Server() = default;

const ServerOptions& Server::options() const {
  return impl_->options_;
}
Router& Server::router() {
  return impl_->router_;
}
void Server::AddReadinessCheck(std::string name, ReadinessCheck check) {
  impl_->readiness_.emplace_back(std::move(name), std::move(check));
}
void Server::AddShutdownHook(std::string name, std::function<void()> hook) {
  impl_->hooks_.emplace_back(std::move(name), std::move(hook));
}
Status Server::Start() {
  return impl_->Start();
}
uint16_t Server::port() const {
  return impl_->port_;
}
std::string Server::bound_address() const {
  return impl_->bound_address_;
}
void Server::Shutdown() {
  impl_->Shutdown();
}
void Server::Wait() {
  impl_->Wait();
}
Status Server::Run(const std::function<void()>& on_listening) {
  return impl_->Run(on_listening);
}
std::vector<std::pair<std::string, Status>> Server::FailingReadinessChecks() const {
  return impl_->FailingReadinessChecks();
}

}  // namespace writ::server
