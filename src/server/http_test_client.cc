#include "server/http_test_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

namespace writ::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string TestResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < n.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(n[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return v;
  }
  return {};
}

class HttpTestClient::Impl {
 public:
  asio::io_context context;
  asio::ssl::context tls_context{asio::ssl::context::tls_client};
  tcp::socket socket{context};
  std::optional<asio::ssl::stream<tcp::socket&>> tls;
  beast::flat_buffer buffer;
  std::string host;

  template <typename Fn>
  auto WithStream(Fn fn) {
    if (tls) return fn(*tls);
    return fn(socket);
  }
};

HttpTestClient::HttpTestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpTestClient::~HttpTestClient() = default;

Result<std::unique_ptr<HttpTestClient>> HttpTestClient::Connect(const std::string& host,
                                                                uint16_t port, Options options) {
  auto impl = std::make_unique<Impl>();
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument("test client: bad address " + host);
  impl->socket.connect(tcp::endpoint(address, port), ec);
  if (ec) return Unavailable("test client: connect: " + ec.message());
  timeval tv{};
  tv.tv_sec = options.timeout.count() / 1000;
  tv.tv_usec = (options.timeout.count() % 1000) * 1000;
  ::setsockopt(impl->socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(impl->socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  impl->host = host + ":" + std::to_string(port);
  if (options.tls) {
    impl->tls_context.set_verify_mode(asio::ssl::verify_none);
    impl->tls.emplace(impl->socket, impl->tls_context);
    impl->tls->handshake(asio::ssl::stream_base::client, ec);
    if (ec) return Unavailable("test client: TLS handshake: " + ec.message());
  }
  return std::unique_ptr<HttpTestClient>(new HttpTestClient(std::move(impl)));
}

Result<TestResponse> HttpTestClient::Send(std::string_view method, std::string_view target,
                                          std::vector<std::pair<std::string, std::string>> headers,
                                          std::string body) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, impl_->host);
  for (auto& [n, v] : headers) req.insert(n, v);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.body() = std::move(body);
    req.prepare_payload();
  }
  boost::system::error_code ec;
  impl_->WithStream([&](auto& s) { http::write(s, req, ec); });
  if (ec) return Unavailable("test client: write: " + ec.message());
  return Read(method == "HEAD");
}

Status HttpTestClient::WriteRaw(std::string_view bytes) {
  boost::system::error_code ec;
  impl_->WithStream([&](auto& s) { asio::write(s, asio::buffer(bytes.data(), bytes.size()), ec); });
  if (ec) return Unavailable("test client: write: " + ec.message());
  return Status::Ok();
}

Result<TestResponse> HttpTestClient::Read(bool to_head) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.skip(to_head);
  boost::system::error_code ec;
  impl_->WithStream([&](auto& s) { http::read(s, impl_->buffer, parser, ec); });
  if (ec) return Unavailable("test client: read: " + ec.message());
  auto& msg = parser.get();
  TestResponse r;
  r.status = static_cast<int>(msg.result_int());
  for (const auto& f : msg) {
    r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  r.body = std::move(msg.body());
  r.keep_alive = msg.keep_alive();
  return r;
}

bool HttpTestClient::PeerClosed() {
  if (impl_->buffer.size() > 0) return false;
  char byte;
  boost::system::error_code ec;
  size_t n = 0;
  impl_->WithStream([&](auto& s) { n = s.read_some(asio::buffer(&byte, 1), ec); });
  if (n > 0) return false;
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace writ::server
