// A small blocking HTTP/1.1 client for tests (in-process server tests and process-level tests
// of `writ serve`): plain or TLS (certificates not verified), one persistent connection, and raw
// bytes for requests no well-behaved client would send.
//
// Every read and write gives up after the connection's timeout (an error, never a hang).
// Thread-safety: one client per thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace writ::server {

struct TestResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = true;

  // The first header field named `name` (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

class HttpTestClient {
 public:
  struct Options {
    bool tls = false;
    std::chrono::milliseconds timeout{10000};
  };

  static Result<std::unique_ptr<HttpTestClient>> Connect(const std::string& host, uint16_t port,
                                                         Options options);
  static Result<std::unique_ptr<HttpTestClient>> Connect(const std::string& host, uint16_t port) {
    return Connect(host, port, Options{});
  }
  ~HttpTestClient();

  // Sends one request (Host set; Content-Length when there is a body) and reads its answer.
  Result<TestResponse> Send(std::string_view method, std::string_view target,
                            std::vector<std::pair<std::string, std::string>> headers = {},
                            std::string body = {});
  // Writes bytes as they are.
  Status WriteRaw(std::string_view bytes);
  // Reads one answer; `to_head` for the answer to a HEAD request (which has no body whatever
  // its Content-Length says).
  Result<TestResponse> Read(bool to_head = false);
  // True when the server closed the connection (reads end of stream within the timeout).
  bool PeerClosed();

  class Impl;

 private:
  explicit HttpTestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace writ::server
