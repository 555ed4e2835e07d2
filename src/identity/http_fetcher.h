// HttpFetcher: how the identity part reads a document by URL (an OIDC provider's JWKS). An
// interface, so that tests and other transports can stand in; BeastHttpFetcher is the real one
// (Boost.Beast, HTTP/1.1 over TCP, or TLS with certificate and host name verification).
//
// A fetch is one GET with a deadline and a response-size limit; redirects are not followed
// (a JWKS URL is configured exactly). Errors: invalid_argument for a URL that is not
// http(s)://host[:port]/path, unavailable for network failures, timeouts, non-200 answers and
// oversized bodies. Thread-safety: Fetch may be called from any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace writ::identity {

class HttpFetcher {
 public:
  virtual ~HttpFetcher() = default;
  virtual Result<std::string> Fetch(const std::string& url) = 0;
};

struct HttpFetcherOptions {
  int64_t timeout_ms = 5000;
  size_t max_body_bytes = 1 << 20;
  std::string ca_file;  // empty: the system's trust store
};

std::unique_ptr<HttpFetcher> MakeBeastHttpFetcher(HttpFetcherOptions options = {});

struct ParsedUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, starting with '/'
};
Result<ParsedUrl> ParseHttpUrl(const std::string& url);

}  // namespace writ::identity
