// Upstream: one MCP server as the gateway reaches it. Writ holds its own MCP session with each
// upstream (it sends `initialize` and `notifications/initialized` itself, declaring no client
// capabilities) and multiplexes every downstream session over it, giving each forwarded request
// an id of its own so that requests of different clients cannot collide.
//
// Two transports: stdio (stdio_upstream.h: Writ spawns and supervises the process) and
// Streamable HTTP (http_upstream.h).
//
// Messages about a request before its response: a Call may pass `related`, which then gets
// the server's `notifications/progress` for the request (the client's progress token in
// `params._meta.progressToken` is swapped for one of the upstream's own on the way out and
// put back on the way in: several clients share one upstream session) and, over Streamable
// HTTP, the other notifications on the request's event stream. Notifications a server sends
// outside any request go to the sink of SetNotificationSink (stdio; Streamable HTTP
// upstreams read no server-initiated stream).
//
// Contract of Call: `done` is called exactly once, with the upstream's response message
// ({"result"} or {"error"}; its id is the upstream's) or with an error Status: unavailable when
// the upstream is not running, died, closed before answering or did not answer within its
// timeout; resource_exhausted when the response is larger than allowed. `done` may run on any
// thread (the caller's, a reader thread, a pool thread) and must be short.
//
// Thread-safety: every method may be called from any number of threads.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace boost::asio {
class io_context;
}

namespace writ::gateway {

// Header fields for one forwarded request (brokered secrets); ignored by stdio upstreams.
using ExtraHeaders = std::vector<std::pair<std::string, std::string>>;

class Upstream {
 public:
  using Callback = std::function<void(Result<boost::json::object>)>;
  using MessageSink = std::function<void(boost::json::object)>;

  virtual ~Upstream() = default;

  // Starts the transport and waits up to `wait_ms` for the first successful initialize. An
  // upstream that is not ready then keeps trying in the background (an error is returned only
  // for settings that can never work).
  virtual Status Start(int64_t wait_ms) = 0;
  // Fails what is pending, stops the process or closes connections. Idempotent.
  virtual void Stop() = 0;

  // Sends the request `method`/`params`; returns the id it was sent under (for cancellation).
  // `related` (may be empty) gets the messages about the request before `done` runs; it may
  // run on any thread and must be short. `io`, when given, is the I/O context of the thread
  // that will answer the client (server::Request::io_context): a transport that can run the
  // exchange there without blocking does so, and `done` then runs on that thread.
  virtual int64_t Call(std::string_view method, const boost::json::value& params,
                       ExtraHeaders headers, Callback done, MessageSink related = nullptr,
                       boost::asio::io_context* io = nullptr) = 0;
  // Where notifications outside any request go (set before Start; may be empty).
  virtual void SetNotificationSink(MessageSink sink) = 0;
  // Sends a notification.
  virtual void Notify(std::string_view method, const boost::json::value& params) = 0;

  // The result of the last successful initialize (protocolVersion, capabilities, serverInfo,
  // instructions); empty before the first.
  virtual boost::json::object InitializeResult() const = 0;
  // True once initialized and not known to be down.
  virtual bool ready() const = 0;
};

// The initialize request Writ sends upstream.
boost::json::object UpstreamInitializeParams();

// The protocol versions the gateway speaks, newest first.
inline constexpr const char* kProtocolVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

}  // namespace writ::gateway
