// Response: what a handler answers; Responder: the move-only handle through which it answers,
// now or later, from any thread.
//
// A handler receives `(const Request&, Responder)`. It may answer before it returns or keep the
// Responder (move it into a callback, a queue, another thread) and answer later: when its
// ledger record is durable, when an upstream server replied, when a person approved. The
// connection waits, in order, for that answer; the server cuts a handler that does not answer
// within the route's timeout (503 `handler_timeout`), after which a late answer is dropped.
//
// Contract:
//   - Send (or one of its shorthands) may be called once; later calls are ignored.
//   - A Responder destroyed without having answered answers 500 `no_response`, so that a
//     forgotten path cannot leave a client hanging.
//   - Send may be called from any thread, also while the server shuts down; it never blocks on
//     the network (the write happens on the connection's own thread).
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/api_error.h"

namespace writ::server {

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";
inline constexpr std::string_view kEventStreamContentType = "text/event-stream";

// A body written after the head has gone out: Server-Sent Events. The handler answers a
// Response whose `stream` is set, keeps the stream, and writes to it from any thread, for as
// long as it likes; the connection sends each write as it comes (HTTP/1.1 chunked transfer
// coding) and ends the answer at End(), after which it closes the connection. Writes never
// block; what is written before the connection takes the stream waits for it.
//
// The stream closes when it has been ended and sent, when the client goes away, when the
// server stops, or when the client reads so slowly that more than `max_buffered` bytes wait
// for it (then it is cut: the connection closes without the end of the body, and nothing more
// is kept for it); `on_close` (SetOnClose) then runs once, on whichever thread saw it, so that
// a producer can stop. Write after close returns false and does nothing.
class ResponseStream {
 public:
  // `end_on_shutdown`: a graceful shutdown ends the stream (a stream of notifications that
  // has no natural end); otherwise shutdown waits for the producer's End, as for any answer.
  // `max_buffered`: most bytes written and not yet taken by the connection (0: no bound).
  explicit ResponseStream(bool end_on_shutdown = false, size_t max_buffered = 0)
      : end_on_shutdown_(end_on_shutdown), max_buffered_(max_buffered) {}
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  bool Write(std::string_view bytes);
  void End();
  bool closed() const;
  // True once the stream was cut because its client did not keep up.
  bool cut() const;
  // Runs `fn` once when the stream closes (at once when it already has).
  void SetOnClose(std::function<void()> fn);
  bool end_on_shutdown() const { return end_on_shutdown_; }

  // The server's side. Attach: `wake` is called (from any thread, outside the lock) when
  // something was written or the stream ended while no wake was outstanding. Take: what was
  // written since the last Take, and whether the stream has ended; clears the outstanding wake.
  // MarkClosed: the stream is closed (runs on_close).
  void Attach(std::function<void()> wake);
  std::string Take(bool* ended);
  void MarkClosed();

 private:
  void WakeLocked(std::unique_lock<std::mutex>& lock);
  // Closes the stream (lock held on entry, released) and runs on_close.
  void CloseLocked(std::unique_lock<std::mutex>& lock);

  const bool end_on_shutdown_;
  const size_t max_buffered_;
  mutable std::mutex mu_;
  std::string pending_;
  bool ended_ = false;
  bool closed_ = false;
  bool cut_ = false;
  bool wake_outstanding_ = false;
  std::function<void()> wake_;
  std::function<void()> on_close_;
};

struct Response {
  int status = 200;
  std::string content_type;  // no Content-Type field when empty
  std::string body;
  // Further header fields. Content-Length, Date, Connection and traceparent are the server's.
  std::vector<std::pair<std::string, std::string>> headers;
  // The machine code of an error answer (counted in metrics by code); empty otherwise.
  std::string error_code;
  bool close = false;  // close the connection after this answer
  // When set, the body is this stream rather than `body` (see ResponseStream).
  std::shared_ptr<ResponseStream> stream;

  // `value` serialised as JSON.
  static Response Json(int status, const boost::json::value& value);
  // Already serialised JSON.
  static Response JsonText(int status, std::string json);
  static Response Text(int status, std::string text);
  // The standard error body (api_error.h).
  static Response Error(int status, std::string_view code, std::string_view message);
  static Response Error(const ApiError& error);
};

namespace internal {
// Where a Responder's answer goes: the server's connection, or a test's callback.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // Called exactly once per sink.
  virtual void Deliver(Response response) = 0;
};
}  // namespace internal

class Responder {
 public:
  explicit Responder(std::shared_ptr<internal::ResponseSink> sink) : sink_(std::move(sink)) {}
  // A Responder that hands its answer to `deliver` (for tests of handlers).
  static Responder ForCallback(std::function<void(Response)> deliver);

  Responder(Responder&& other) noexcept
      : sink_(std::move(other.sink_)), answered_(std::exchange(other.answered_, true)) {}
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void Send(Response response);
  void SendJson(int status, const boost::json::value& value) {
    Send(Response::Json(status, value));
  }
  void SendError(int status, std::string_view code, std::string_view message) {
    Send(Response::Error(status, code, message));
  }
  void SendError(const ApiError& error) { Send(Response::Error(error)); }
  // The answer for a failed Status (ApiErrorFromStatus). Precondition: !status.ok().
  void SendStatus(const Status& status) { SendError(ApiErrorFromStatus(status)); }

  // True once an answer was sent through this Responder (or it was moved from).
  bool answered() const { return answered_ || sink_ == nullptr; }

 private:
  // Kept until the Responder is destroyed: the Request lives as long as its Responder.
  std::shared_ptr<internal::ResponseSink> sink_;
  bool answered_ = false;
};

// The reason phrase of an HTTP status ("Not Found"); "Unknown" for codes it does not know.
std::string_view ReasonPhrase(int status);

}  // namespace writ::server
