#include "identity/http_fetcher.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>

namespace writ::identity {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

class BeastHttpFetcher final : public HttpFetcher {
 public:
  explicit BeastHttpFetcher(HttpFetcherOptions options) : options_(std::move(options)) {}

  Result<std::string> Fetch(const std::string& url) override {
    WRIT_ASSIGN_OR_RETURN(ParsedUrl u, ParseHttpUrl(url));
    try {
      return u.tls ? FetchTls(u) : FetchPlain(u);
    } catch (const std::exception& e) {
      return Unavailable("fetch " + url + ": " + e.what());
    }
  }

 private:
  template <typename Stream>
  Result<std::string> Exchange(Stream& stream, const ParsedUrl& u) {
    http::request<http::empty_body> req{http::verb::get, u.target, 11};
    req.set(http::field::host, u.host);
    req.set(http::field::user_agent, "writ");
    req.set(http::field::accept, "application/json");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) return Unavailable("fetch: " + ec.message());
    auto& res = parser.get();
    if (res.result() != http::status::ok) {
      return Unavailable("fetch: the server answered " + std::to_string(res.result_int()));
    }
    return std::move(res.body());
  }

  Result<std::string> FetchPlain(const ParsedUrl& u) {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::milliseconds(options_.timeout_ms));
    stream.connect(resolver.resolve(u.host, u.port));
    auto out = Exchange(stream, u);
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return out;
  }

  Result<std::string> FetchTls(const ParsedUrl& u) {
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    if (options_.ca_file.empty()) {
      ctx.set_default_verify_paths();
    } else {
      ctx.load_verify_file(options_.ca_file);
    }
    asio::ip::tcp::resolver resolver(ioc);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str())) {
      return Unavailable("fetch: cannot set the TLS server name");
    }
    stream.set_verify_callback(asio::ssl::host_name_verification(u.host));
    beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(options_.timeout_ms));
    beast::get_lowest_layer(stream).connect(resolver.resolve(u.host, u.port));
    stream.handshake(asio::ssl::stream_base::client);
    auto out = Exchange(stream, u);
    beast::error_code ec;
    stream.shutdown(ec);
    return out;
  }

  HttpFetcherOptions options_;
};

}  // namespace

Result<ParsedUrl> ParseHttpUrl(const std::string& url) {
  ParsedUrl u;
  std::string_view rest = url;
  if (rest.rfind("https://", 0) == 0) {
    u.tls = true;
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else {
    return InvalidArgument("url: not http:// or https://");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return InvalidArgument("url: missing host, or user info in the URL");
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    u.host = std::string(authority.substr(0, colon));
    u.port = std::string(authority.substr(colon + 1));
    if (u.port.empty() || u.port.size() > 5 ||
        u.port.find_first_not_of("0123456789") != std::string::npos) {
      return InvalidArgument("url: bad port");
    }
  } else {
    u.host = std::string(authority);
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty()) return InvalidArgument("url: missing host");
  for (char c : u.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#') {
      return InvalidArgument("url: bad character in the path");
    }
  }
  return u;
}

std::unique_ptr<HttpFetcher> MakeBeastHttpFetcher(HttpFetcherOptions options) {
  return std::make_unique<BeastHttpFetcher>(std::move(options));
}

}  // namespace writ::identity
