// Request: one HTTP request as a handler sees it.
//
// The server fills a Request after it has read the request head (and the body, for routes that
// get one), routed it and authenticated the caller; then it calls the route's handler with it.
// Handlers only read it. Tests of handlers may build one with the setters.
//
// Lifetime: the Request a handler receives stays valid as long as the Responder it received
// with it (or the Responder that one was moved into) exists, even after the answer was sent.
//
// Thread-safety: a Request may be read from several threads at once; the setters are for the
// one thread that builds it. The server reuses a connection's Request storage for the next
// request once the previous Responder is gone, so that steady traffic does not allocate.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/caller.h"
#include "server/trace_context.h"

namespace boost::asio {
class io_context;
}

namespace writ::server {

struct JsonLimits;  // json_body.h

class Request {
 public:
  Request() = default;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  std::string_view method() const { return method_; }
  // The request target as sent ("/v1/x?y=z").
  std::string_view target() const { return target_; }
  // The target's path, still percent-encoded as sent ("/v1/x").
  std::string_view path() const { return path_; }
  // The raw query after '?' (empty when none).
  std::string_view query() const { return raw_query_; }
  // The matched route ("GET /v1/items/{id}"); empty before routing.
  std::string_view route() const { return route_; }
  // HTTP version: 10 or 11.
  int version() const { return version_; }

  // The percent-decoded value of the path parameter `name`, or std::nullopt when the route has
  // no such parameter.
  std::optional<std::string_view> path_param(std::string_view name) const;
  // The first value of query parameter `name`, decoded as a form ('+' is a space, %XX a byte),
  // or std::nullopt when absent.
  std::optional<std::string_view> query_param(std::string_view name) const;
  // Every query parameter in order, decoded.
  size_t query_param_count() const { return query_count_; }
  const std::pair<std::string, std::string>& query_param_at(size_t i) const {
    return query_params_[i];
  }

  // The value of the first header field named `name` (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  size_t header_count() const { return header_count_; }
  // Field i as received: name (as sent) and value.
  const std::pair<std::string, std::string>& header_at(size_t i) const { return headers_[i]; }

  std::string_view body() const { return body_; }
  // "ip:port" of the peer.
  const std::string& remote_address() const { return remote_address_; }
  const TraceContext& trace() const { return trace_; }
  const Caller& caller() const { return caller_; }
  // The JSON limits the server is configured with (json_body.h uses them); never null.
  const JsonLimits& json_limits() const;
  // The I/O context of the server worker that received the request and will write its answer,
  // for a handler that does asynchronous I/O of its own on that thread (the MCP gateway's
  // upstream exchanges); null for a Request built by a test. It runs until the server stops.
  boost::asio::io_context* io_context() const { return io_context_; }

  // Building. Reset() empties everything but keeps the storage.
  void Reset();
  void set_method(std::string_view m) { method_.assign(m); }
  // Sets the target, and the path and query from it. invalid_argument (nothing usable) when
  // the target is not origin-form ("/..."), absolute-form ("http://host/...") or "*", or when
  // the query has a bad percent-escape or decodes to invalid UTF-8.
  Status set_target(std::string_view target);
  void set_version(int v) { version_ = v; }
  void set_route(std::string_view r) { route_ = r; }
  void AddHeader(std::string_view name, std::string_view value);
  // Adds a path parameter from its raw (percent-encoded) text. invalid_argument when the escape
  // is bad or the decoded bytes are not UTF-8.
  Status AddPathParam(std::string_view name, std::string_view raw_value);
  std::string& mutable_body() { return body_; }
  void set_remote_address(std::string_view a) { remote_address_.assign(a); }
  TraceContext& mutable_trace() { return trace_; }
  Caller& mutable_caller() { return caller_; }
  void set_json_limits(const JsonLimits* limits) { json_limits_ = limits; }
  void set_io_context(boost::asio::io_context* io) { io_context_ = io; }

 private:
  using Pair = std::pair<std::string, std::string>;
  // Assigns into slot `count` of `list`, growing it only when needed.
  static Pair& NextSlot(std::vector<Pair>& list, size_t& count);

  std::string method_;
  std::string target_;
  std::string path_;
  std::string raw_query_;
  std::string_view route_;  // points into the Router, which outlives requests
  int version_ = 11;
  std::vector<Pair> path_params_;
  size_t path_param_count_ = 0;
  std::vector<Pair> query_params_;
  size_t query_count_ = 0;
  std::vector<Pair> headers_;
  size_t header_count_ = 0;
  std::string body_;
  std::string remote_address_;
  TraceContext trace_;
  Caller caller_;
  const JsonLimits* json_limits_ = nullptr;
  boost::asio::io_context* io_context_ = nullptr;
};

// Decodes %XX escapes (and '+' as a space when `plus_is_space`) of `in` into `out` (replacing
// its content). False when an escape is malformed.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

}  // namespace writ::server
