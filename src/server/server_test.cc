// The server over real loopback sockets, driven by a real HTTP client (http_test_client.h).
#include "server/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "server/http_test_client.h"
#include "store/sqlite_store.h"

namespace writ::server {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

// A plain socket, for reading an answer as its bytes arrive.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawSocket() { Close(); }
  bool connected() const { return connected_; }
  bool Write(std::string_view s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Reads until `text` has arrived (true) or the peer closed or 5 s passed (false).
  bool ReadUntil(std::string_view text) {
    while (received_.find(text) == std::string::npos) {
      if (!ReadSome()) return false;
    }
    return true;
  }
  // Reads to the end of the stream (true when the peer closed within 5 s).
  bool ReadToEnd() {
    while (ReadSome()) {
    }
    return eof_;
  }
  const std::string& received() const { return received_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool ReadSome() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return false;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = n == 0;
      return false;
    }
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string received_;
};

// Counts a metric's sample in the text format: the value on the line `name{labels} value`.
double Sample(const std::string& text, const std::string& series) {
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      size_t end = text.find('\n', pos);
      return std::stod(text.substr(pos + series.size() + 1, end - pos - series.size() - 1));
    }
    pos += series.size();
  }
  return -1;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-server-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::SqliteOptions o;
    o.data_dir = (dir_ / "data").string();
    auto s = store::OpenSqliteStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    for (Role role : {Role::kViewer, Role::kAdmin}) {
      auto k = CreateApiKey(store_->api_keys(), std::string(RoleName(role)), role, clock_);
      ASSERT_TRUE(k.ok());
      (role == Role::kViewer ? viewer_key_ : admin_key_) = k->key;
    }
    api_keys_ = std::make_unique<ApiKeyAuthenticator>(store_->api_keys());
    auth_ = std::make_unique<Authenticator>(api_keys_.get());
    options_.listen = "127.0.0.1:0";
    options_.workers = 2;
    options_.limits.max_body_bytes = 1024;
    options_.limits.max_header_bytes = 2048;
    options_.limits.json.max_depth = 8;
    options_.limits.json.max_string_bytes = 64;
    options_.timeouts.read = std::chrono::milliseconds(400);
    options_.timeouts.idle = std::chrono::milliseconds(5000);
    options_.timeouts.handler = std::chrono::milliseconds(5000);
    options_.timeouts.shutdown = std::chrono::milliseconds(5000);
  }

  void TearDown() override {
    if (server_) {
      server_->Shutdown();
      server_->Wait();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_.clear();
    }
    for (auto& t : threads_) t.join();
    server_.reset();
    auth_.reset();
    api_keys_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Answers `r` from a thread of the test after `delay`.
  void AnswerLater(Responder r, std::chrono::milliseconds delay, Response response) {
    std::lock_guard<std::mutex> lock(mu_);
    threads_.emplace_back([r = std::move(r), delay, response = std::move(response)]() mutable {
      std::this_thread::sleep_for(delay);
      r.Send(std::move(response));
    });
  }

  void StartServer() {
    server_ = std::make_unique<Server>(options_, metrics_, *auth_);
    Router& router = server_->router();
    auto ok = [](Status s) { ASSERT_TRUE(s.ok()) << s.ToString(); };
    ok(router.Handle(
        "GET", "/hello", [](const Request&, Responder r) { r.Send(Response::Text(200, "hello")); },
        Access::Public()));
    ok(router.Handle(
        "POST", "/echo",
        [this](const Request& req, Responder r) {
          ApiResult<json::value> body = ParseJsonBody(req, {"a", "b"});
          if (!body.ok()) return r.SendError(body.error());
          echo_calls_.fetch_add(1);
          r.SendJson(200, *body);
        },
        Access::Public()));
    ok(router.Handle(
        "GET", "/async/{ms}",
        [this](const Request& req, Responder r) {
          int ms = std::stoi(std::string(req.path_param("ms").value()));
          AnswerLater(std::move(r), std::chrono::milliseconds(ms),
                      Response::Text(200, "after " + std::to_string(ms)));
        },
        Access::Public()));
    ok(router.Handle(
        "GET", "/never",
        [this](const Request&, Responder r) {
          std::lock_guard<std::mutex> lock(mu_);
          held_.push_back(std::move(r));
          cv_.notify_all();
        },
        Access::Public(), RouteOptions{std::chrono::milliseconds(200), 0}));
    ok(router.Handle(
        "GET", "/hold",
        [this](const Request&, Responder r) {
          std::lock_guard<std::mutex> lock(mu_);
          held_.push_back(std::move(r));
          cv_.notify_all();
        },
        Access::Public()));
    ok(router.Handle(
        "GET", "/after/{n}",
        [this](const Request& req, Responder r) {
          // Answers from another thread, then keeps reading its Request: valid while the
          // Responder lives, even as the connection goes on with its next request.
          std::lock_guard<std::mutex> lock(mu_);
          threads_.emplace_back([&req, r = std::move(r), this]() mutable {
            std::string n(req.path_param("n").value());
            r.Send(Response::Text(200, n));
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            if (req.path_param("n").value() != n || req.path() != "/after/" + n) {
              late_read_mismatches_.fetch_add(1);
            }
          });
        },
        Access::Public()));
    ok(router.Handle(
        "GET", "/drop", [](const Request&, Responder) {}, Access::Public()));
    ok(router.Handle(
        "GET", "/stream/{kind}",
        [this](const Request& req, Responder r) {
          auto stream =
              std::make_shared<ResponseStream>(req.path_param("kind").value() == "notifications");
          stream->SetOnClose([this] {
            std::lock_guard<std::mutex> lock(mu_);
            ++streams_closed_;
            cv_.notify_all();
          });
          stream->Write("data: one\n\n");  // before the answer: waits for the connection
          Response response;
          response.content_type = kEventStreamContentType;
          response.stream = stream;
          r.Send(std::move(response));
          std::lock_guard<std::mutex> lock(mu_);
          streams_.push_back(stream);
          cv_.notify_all();
        },
        Access::Public()));
    ok(router.Handle(
        "GET", "/admin", [](const Request&, Responder r) { r.Send(Response::Text(200, "ok")); },
        Access::AtLeast(Role::kAdmin)));
    ok(router.Handle(
        "GET", "/whoami",
        [](const Request& req, Responder r) {
          r.SendJson(200, json::object{{"kind", static_cast<int>(req.caller().kind)},
                                       {"id", req.caller().id},
                                       {"name", req.caller().name}});
        },
        Access::AgentsOr(Role::kViewer)));
    ok(router.Handle(
        "GET", "/trace",
        [](const Request& req, Responder r) {
          const TraceContext& t = req.trace();
          r.SendJson(200, json::object{{"trace_id", t.trace_id},
                                       {"parent_id", t.parent_id},
                                       {"span_id", t.span_id},
                                       {"tracestate", t.tracestate},
                                       {"from_caller", t.from_caller},
                                       {"remote", req.remote_address()},
                                       {"route", req.route()}});
        },
        Access::Public()));
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  std::unique_ptr<HttpTestClient> Client(HttpTestClient::Options o = {}) {
    auto c = HttpTestClient::Connect("127.0.0.1", port_, o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  TestResponse Get(HttpTestClient& c, const std::string& target, Headers headers = {}) {
    auto r = c.Send("GET", target, std::move(headers));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : TestResponse{};
  }

  std::string Metrics() {
    auto c = Client();
    return Metrics(*c);
  }
  // Over a connection already open: where a new one could be refused (connection limits).
  std::string Metrics(HttpTestClient& c) {
    TestResponse r = Get(c, "/metrics", {{"Authorization", "Bearer " + viewer_key_}});
    EXPECT_EQ(r.status, 200);
    return r.body;
  }

  static std::string ErrorCode(const TestResponse& r) {
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("error")) return "<not an error body>";
    return std::string(v.at("error").at("code").as_string());
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{1};
  std::string viewer_key_, admin_key_;
  std::unique_ptr<ApiKeyAuthenticator> api_keys_;
  std::unique_ptr<Authenticator> auth_;
  MetricsRegistry metrics_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::atomic<int> echo_calls_{0};
  std::atomic<int> late_read_mismatches_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Responder> held_;
  std::vector<std::thread> threads_;
  std::vector<std::shared_ptr<ResponseStream>> streams_;
  int streams_closed_ = 0;

  std::shared_ptr<ResponseStream> WaitForStream() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(5), [&] { return !streams_.empty(); })) {
      return nullptr;
    }
    return streams_.back();
  }
  bool WaitForStreamsClosed(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return streams_closed_ >= n; });
  }
};

TEST_F(ServerTest, StreamedAnswerIsSentAsItIsWrittenThenTheConnectionCloses) {
  StartServer();
  RawSocket c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Write("GET /stream/call HTTP/1.1\r\nHost: x\r\n\r\n"));
  // The head and the event written before the answer arrive while the stream is open.
  ASSERT_TRUE(c.ReadUntil("data: one\n\n\r\n")) << c.received();
  std::shared_ptr<ResponseStream> stream = WaitForStream();
  ASSERT_NE(stream, nullptr);
  EXPECT_NE(c.received().find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_NE(c.received().find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_EQ(c.received().find("Content-Length"), std::string::npos);
  EXPECT_FALSE(stream->closed());
  ASSERT_TRUE(stream->Write("data: two\n\n"));
  ASSERT_TRUE(c.ReadUntil("data: two\n\n\r\n")) << c.received();
  stream->End();
  // The last chunk, then the server closes.
  EXPECT_TRUE(c.ReadToEnd());
  std::string body = c.received().substr(c.received().find("\r\n\r\n") + 4);
  EXPECT_EQ(body, "b\r\ndata: one\n\n\r\nb\r\ndata: two\n\n\r\n0\r\n\r\n");
  EXPECT_TRUE(WaitForStreamsClosed(1));
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->Write("data: late\n\n"));
}

TEST_F(ServerTest, StreamedAnswerIsReadWholeByAnHttpClient) {
  StartServer();
  std::thread producer([this] {
    std::shared_ptr<ResponseStream> stream = WaitForStream();
    if (stream == nullptr) return;
    for (int i = 0; i < 50; ++i) stream->Write("data: " + std::to_string(i) + "\n\n");
    stream->End();
  });
  auto c = Client();
  TestResponse r = Get(*c, "/stream/call");
  producer.join();
  EXPECT_EQ(r.status, 200);
  std::string want = "data: one\n\n";
  for (int i = 0; i < 50; ++i) want += "data: " + std::to_string(i) + "\n\n";
  EXPECT_EQ(r.body, want);
  EXPECT_TRUE(c->PeerClosed());
}

TEST_F(ServerTest, ClientThatGoesAwayClosesTheStream) {
  StartServer();
  RawSocket c(port_);
  ASSERT_TRUE(c.Write("GET /stream/call HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.ReadUntil("data: one"));
  std::shared_ptr<ResponseStream> stream = WaitForStream();
  ASSERT_NE(stream, nullptr);
  c.Close();
  // Noticed without a write: the connection reads while it streams.
  EXPECT_TRUE(WaitForStreamsClosed(1));
  EXPECT_FALSE(stream->Write("data: nobody\n\n"));
  // The server goes on serving.
  auto other = Client();
  EXPECT_EQ(Get(*other, "/hello").status, 200);
}

TEST_F(ServerTest, ShutdownEndsNotificationStreamsAndWaitsForOthers) {
  StartServer();
  RawSocket notifications(port_);
  ASSERT_TRUE(notifications.Write("GET /stream/notifications HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(notifications.ReadUntil("data: one"));
  ASSERT_NE(WaitForStream(), nullptr);
  RawSocket call(port_);
  ASSERT_TRUE(call.Write("GET /stream/call HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(call.ReadUntil("data: one"));
  std::shared_ptr<ResponseStream> call_stream;
  {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(5), [&] { return streams_.size() == 2; }));
    call_stream = streams_[1];
  }
  std::thread stopper([this] {
    server_->Shutdown();
    server_->Wait();
  });
  // The notification stream is ended by the shutdown; the call's stream goes on until its end.
  EXPECT_TRUE(notifications.ReadToEnd());
  EXPECT_TRUE(notifications.received().ends_with("0\r\n\r\n"));
  EXPECT_FALSE(call_stream->closed());
  EXPECT_TRUE(call_stream->Write("data: result\n\n"));
  call_stream->End();
  EXPECT_TRUE(call.ReadToEnd());
  EXPECT_TRUE(call.received().ends_with("data: result\n\n\r\n0\r\n\r\n"));
  stopper.join();
  server_.reset();
}

TEST_F(ServerTest, AnswersWithStatusLengthDateAndTraceResponse) {
  StartServer();
  auto c = Client();
  TestResponse r = Get(*c, "/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("Content-Length"), "5");
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_FALSE(r.header("Date").empty());
  EXPECT_TRUE(r.header("Date").ends_with(" GMT"));
  EXPECT_EQ(r.header("traceresponse").size(), 55u);
  EXPECT_TRUE(r.keep_alive);
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  auto c = Client();
  for (int i = 0; i < 50; ++i) {
    TestResponse r = Get(*c, i % 2 ? "/hello" : "/trace");
    ASSERT_EQ(r.status, 200) << i;
    ASSERT_TRUE(r.keep_alive);
  }
  std::string m = Metrics();
  EXPECT_EQ(Sample(m, "writ_http_connections_accepted_total"), 2);  // ours and the scrape's
  EXPECT_EQ(Sample(m, "writ_http_requests_total{route=\"GET /hello\",status=\"200\"}"), 25);
  EXPECT_EQ(Sample(m, "writ_http_requests_total{route=\"GET /trace\",status=\"200\"}"), 25);
}

TEST_F(ServerTest, HttpOneZeroClosesUnlessKeepAliveAsked) {
  StartServer();
  auto c = Client();
  ASSERT_TRUE(c->WriteRaw("GET /hello HTTP/1.0\r\n\r\n").ok());
  auto r = c->Read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c->PeerClosed());
}

TEST_F(ServerTest, HandlerAnswersFromAnotherThreadAndOrderIsKept) {
  StartServer();
  auto c = Client();
  TestResponse r = Get(*c, "/async/50");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "after 50");
  // Two pipelined requests: the slow one first; answers come back in request order.
  ASSERT_TRUE(c->WriteRaw("GET /async/150 HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                  .ok());
  auto first = c->Read();
  auto second = c->Read();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->body, "after 150");
  EXPECT_EQ(second->body, "hello");
}

TEST_F(ServerTest, RequestOutlivesTheAnswerWhileTheResponderLives) {
  StartServer();
  auto c = Client();
  for (int i = 0; i < 20; ++i) {
    TestResponse r = Get(*c, "/after/" + std::to_string(i));
    EXPECT_EQ(r.body, std::to_string(i));
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
  EXPECT_EQ(late_read_mismatches_.load(), 0);
}

TEST_F(ServerTest, SlowHandlerDoesNotBlockOtherClients) {
  StartServer();
  std::thread slow([this] {
    auto c = Client();
    TestResponse r = Get(*c, "/async/700");
    EXPECT_EQ(r.body, "after 700");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto c = Client();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Get(*c, "/hello").status, 200);
  // The slow request is still waiting: nothing about it blocked the others.
  EXPECT_EQ(Sample(Metrics(), "writ_http_requests_total{route=\"GET /async/{ms}\",status=\"200\"}"),
            -1);
  slow.join();
}

TEST_F(ServerTest, HandlerThatNeverAnswersIsCutAndLateAnswerDropped) {
  StartServer();
  auto c = Client();
  TestResponse r = Get(*c, "/never");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(ErrorCode(r), "handler_timeout");
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSERT_EQ(held_.size(), 1u);
    held_[0].Send(Response::Text(200, "too late"));  // dropped
  }
  // The connection goes on with the next request.
  TestResponse next = Get(*c, "/hello");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "hello");
}

TEST_F(ServerTest, DroppedResponderAnswers500) {
  StartServer();
  auto c = Client();
  TestResponse r = Get(*c, "/drop");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(ErrorCode(r), "no_response");
}

TEST_F(ServerTest, NotFoundAndMethodNotAllowed) {
  StartServer();
  auto c = Client();
  TestResponse r = Get(*c, "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "not_found");
  auto p = c->Send("PUT", "/hello", {}, "x");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->status, 405);
  EXPECT_EQ(p->header("Allow"), "GET, HEAD");
  EXPECT_EQ(ErrorCode(*p), "method_not_allowed");
}

TEST_F(ServerTest, HeadGetsTheHeadersWithoutTheBody) {
  StartServer();
  auto c = Client();
  ASSERT_TRUE(c->WriteRaw("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                  .ok());
  auto head = c->Read(/*to_head=*/true);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "5");
  EXPECT_EQ(head->body, "");
  // Had the HEAD answer carried a body, this read would start inside it.
  auto get = c->Read();
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "hello");
}

TEST_F(ServerTest, JsonBodyErrorsChangeNothing) {
  StartServer();
  auto c = Client();
  struct Case {
    std::string content_type;
    std::string body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"text/plain", "{}", 415, "unsupported_media_type"},
      {"", "{}", 415, "unsupported_media_type"},
      {"application/json", "{\"a\":", 400, "malformed_json"},
      {"application/json", "{\"a\":\"\xff\"}", 400, "invalid_utf8"},
      {"application/json", std::string(9, '[') + std::string(9, ']'), 400, "json_too_deep"},
      {"application/json", "{\"a\":\"" + std::string(65, 'x') + "\"}", 400, "json_string_too_long"},
      {"application/json", "{\"a\":1,\"c\":2}", 400, "unknown_field"},
      {"application/json", "{\"a\":1,\"a\":2}", 400, "duplicate_field"},
  };
  for (const Case& k : cases) {
    Headers h;
    if (!k.content_type.empty()) h.emplace_back("Content-Type", k.content_type);
    auto r = c->Send("POST", "/echo", h, k.body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, k.status) << k.code;
    EXPECT_EQ(ErrorCode(*r), k.code);
  }
  EXPECT_EQ(echo_calls_.load(), 0);
  auto good = c->Send("POST", "/echo", {{"Content-Type", "application/json"}}, "{\"a\":[1,2]}");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->status, 200);
  EXPECT_EQ(good->body, "{\"a\":[1,2]}");
  EXPECT_EQ(echo_calls_.load(), 1);
  std::string m = Metrics();
  for (const Case& k : cases) {
    EXPECT_GE(Sample(m, "writ_http_bad_input_total{code=\"" + k.code + "\"}"), 1) << k.code;
  }
  EXPECT_EQ(Sample(m, "writ_http_bad_input_total{code=\"unsupported_media_type\"}"), 2);
}

TEST_F(ServerTest, BodyTooLargeIs413AndCloses) {
  StartServer();
  auto c = Client();
  auto r = c->Send("POST", "/echo", {{"Content-Type", "application/json"}},
                   "{\"a\":\"" + std::string(2000, 'x') + "\"}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(ErrorCode(*r), "body_too_large");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c->PeerClosed());

  // Chunked, without a length up front: refused once the limit is crossed.
  auto c2 = Client();
  std::string chunk(600, 'x');
  char size[16];
  std::snprintf(size, sizeof(size), "%zx", chunk.size());
  std::string req =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 2; ++i) req += std::string(size) + "\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  ASSERT_TRUE(c2->WriteRaw(req).ok());
  auto r2 = c2->Read();
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->status, 413);
  EXPECT_EQ(echo_calls_.load(), 0);
}

// A Content-Length beyond every limit is judged like any other: after the route is found and
// the caller authenticated, and counted under its route.
TEST_F(ServerTest, OverLimitLengthIsRefusedAfterRoutingAndAuthentication) {
  StartServer();
  std::string big(5000, 'x');
  auto c = Client();
  auto r = c->Send("POST", "/echo", {{"Content-Type", "application/json"}}, big);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(ErrorCode(*r), "body_too_large");
  c = Client();
  r = c->Send("POST", "/nowhere", {{"Content-Type", "application/json"}}, big);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(ErrorCode(*r), "not_found");
  c = Client();
  r = c->Send("GET", "/admin", {}, big);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(ErrorCode(*r), "unauthenticated");
  std::string m = Metrics();
  EXPECT_EQ(Sample(m, "writ_http_requests_total{route=\"POST /echo\",status=\"413\"}"), 1) << m;
  EXPECT_EQ(Sample(m, "writ_http_requests_total{route=\"unmatched\",status=\"413\"}"), -1) << m;
  EXPECT_EQ(echo_calls_.load(), 0);
}

TEST_F(ServerTest, ExpectContinueGetsA100BeforeTheBody) {
  StartServer();
  auto c = Client();
  ASSERT_TRUE(c->WriteRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: 7\r\nExpect: 100-continue\r\n\r\n")
                  .ok());
  auto interim = c->Read();
  ASSERT_TRUE(interim.ok()) << interim.status().ToString();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c->WriteRaw("{\"a\":1}").ok());
  auto r = c->Read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"a\":1}");
  // Over the limit: refused at once, without waiting for the body.
  ASSERT_TRUE(c->WriteRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
                  .ok());
  auto refused = c->Read();
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 413);
}

TEST_F(ServerTest, HeaderTooLargeIs431) {
  StartServer();
  auto c = Client();
  auto r = c->Send("GET", "/hello", {{"X-Filler", std::string(4000, 'y')}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(ErrorCode(*r), "header_too_large");
  EXPECT_TRUE(c->PeerClosed());
}

TEST_F(ServerTest, MalformedRequestsAre400) {
  StartServer();
  struct Case {
    std::string raw;
    std::string code;
  };
  const Case cases[] = {
      {"GET /hello HTTP/1.1\r\n\r\n", "missing_host"},
      {"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "missing_host"},
      {"GET hello HTTP/1.1\r\nHost: a\r\n\r\n", "invalid_target"},
      {"GET /trace?x=%zz HTTP/1.1\r\nHost: a\r\n\r\n", "invalid_target"},
      {"GET /async/%ff HTTP/1.1\r\nHost: a\r\n\r\n", "invalid_path"},
      {"G@T /hello HTTP/1.1\r\nHost: a\r\n\r\n", "bad_request"},
      {"GET /hello HTTP/9.9\r\nHost: a\r\n\r\n", "bad_request"},
      {"GET /hello HTTP/1.1\r\nHost a\r\n\r\n", "bad_request"},
  };
  for (const Case& k : cases) {
    auto c = Client();
    ASSERT_TRUE(c->WriteRaw(k.raw).ok());
    auto r = c->Read();
    ASSERT_TRUE(r.ok()) << k.raw << ": " << r.status().ToString();
    EXPECT_EQ(r->status, 400) << k.raw;
    EXPECT_EQ(ErrorCode(*r), k.code) << k.raw;
  }
}

TEST_F(ServerTest, SlowClientGets408AndOthersAreServedMeanwhile) {
  StartServer();
  auto slow = Client();
  ASSERT_TRUE(slow->WriteRaw("GET /hello HTTP/1.1\r\nHo").ok());
  auto other = Client();
  EXPECT_EQ(Get(*other, "/hello").status, 200);
  auto r = slow->Read();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(ErrorCode(*r), "request_timeout");
  EXPECT_TRUE(slow->PeerClosed());
  // A body that stops arriving is cut the same way.
  auto slow_body = Client();
  ASSERT_TRUE(slow_body
                  ->WriteRaw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             "application/json\r\nContent-Length: 10\r\n\r\n{\"a\"")
                  .ok());
  auto r2 = slow_body->Read();
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->status, 408);
  EXPECT_EQ(echo_calls_.load(), 0);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  options_.timeouts.idle = std::chrono::milliseconds(200);
  StartServer();
  auto c = Client();
  EXPECT_EQ(Get(*c, "/hello").status, 200);
  EXPECT_TRUE(c->PeerClosed());  // within the client's 10 s timeout
}

TEST_F(ServerTest, TooManyConnectionsAre503) {
  options_.limits.max_connections = 2;
  StartServer();
  auto a = Client();
  auto b = Client();
  EXPECT_EQ(Get(*a, "/hello").status, 200);
  EXPECT_EQ(Get(*b, "/hello").status, 200);
  auto c = Client();
  auto r = c->Send("GET", "/hello");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(ErrorCode(*r), "too_many_connections");
  EXPECT_TRUE(c->PeerClosed());
  // The open connections still work; once one closes, a new one is accepted.
  EXPECT_EQ(Get(*a, "/hello").status, 200);
  b.reset();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    auto d = Client();
    auto rd = d->Send("GET", "/hello");
    served = rd.ok() && rd->status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served);
  // Over `a`: the server may not have seen the last client's close yet, and a third
  // connection would be refused.
  EXPECT_GE(
      Sample(Metrics(*a), "writ_http_connections_rejected_total{reason=\"too_many_connections\"}"),
      1);
}

TEST_F(ServerTest, AuthenticationAndRoles) {
  StartServer();
  auto c = Client();
  TestResponse r = Get(*c, "/metrics");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "unauthenticated");
  EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"writ\"");
  r = Get(*c, "/metrics",
          {{"Authorization", "Bearer wk_0000000000000000_" + std::string(43, 'A')}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "invalid_api_key");
  EXPECT_EQ(r.body.find("AAAAAAAAAA"), std::string::npos);  // the credential is not echoed
  r = Get(*c, "/admin", {{"Authorization", "Bearer " + viewer_key_}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorCode(r), "insufficient_role");
  r = Get(*c, "/admin", {{"Authorization", "Bearer " + admin_key_}});
  EXPECT_EQ(r.status, 200);
  r = Get(*c, "/whoami", {{"Authorization", "Bearer " + viewer_key_}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("name").as_string(), "viewer");
  r = Get(*c, "/whoami", {{"Authorization", "Bearer eyJ.token.sig"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "bearer_tokens_unsupported");
  // A refused request whose body arrived with it keeps the connection.
  auto q = Client();
  ASSERT_TRUE(q->WriteRaw("POST /echo2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                          "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                  .ok());
  auto not_found = q->Read();
  auto after = q->Read();
  ASSERT_TRUE(not_found.ok() && after.ok());
  EXPECT_EQ(not_found->status, 404);
  EXPECT_EQ(after->body, "hello");
  // An unauthenticated request with a body still to come is refused before it is read.
  auto p = Client();
  ASSERT_TRUE(p->WriteRaw("GET /admin HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n").ok());
  auto refused = p->Read();
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(refused->header("Connection"), "close");
}

TEST_F(ServerTest, BearerTokensGoThroughTheVerifier) {
  auth_->SetBearerVerifier([](std::string_view token) -> Result<Caller> {
    if (token != "agent-token") return Status(StatusCode::kPermissionDenied, "token_revoked: no");
    Caller c;
    c.id = "spiffe://example.org/agent/a";
    c.name = "jti-7";
    return c;
  });
  StartServer();
  auto c = Client();
  TestResponse r = Get(*c, "/whoami", {{"Authorization", "Bearer agent-token"}});
  EXPECT_EQ(r.status, 200);
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("id").as_string(), "spiffe://example.org/agent/a");
  EXPECT_EQ(v.at("kind").as_int64(), static_cast<int>(CallerKind::kAgent));
  r = Get(*c, "/whoami", {{"Authorization", "Bearer other"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "token_revoked");
  r = Get(*c, "/admin", {{"Authorization", "Bearer agent-token"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "api_key_required");
}

TEST_F(ServerTest, TraceContextIsContinuedOrStarted) {
  StartServer();
  auto c = Client();
  const std::string parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  TestResponse r =
      Get(*c, "/trace", {{"traceparent", parent}, {"tracestate", "a=1"}, {"tracestate", "b=2"}});
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("trace_id").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(v.at("parent_id").as_string(), "00f067aa0ba902b7");
  EXPECT_EQ(v.at("tracestate").as_string(), "a=1,b=2");
  EXPECT_TRUE(v.at("from_caller").as_bool());
  EXPECT_EQ(v.at("route").as_string(), "GET /trace");
  EXPECT_TRUE(std::string(v.at("remote").as_string()).starts_with("127.0.0.1:"));
  EXPECT_EQ(r.header("traceresponse"), "00-4bf92f3577b34da6a3ce929d0e0e4736-" +
                                           std::string(v.at("span_id").as_string()) + "-01");
  TestResponse fresh = Get(*c, "/trace");
  json::value f = json::parse(fresh.body);
  EXPECT_FALSE(f.at("from_caller").as_bool());
  EXPECT_EQ(f.at("trace_id").as_string().size(), 32u);
  EXPECT_NE(f.at("trace_id").as_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(f.at("parent_id").as_string(), "");
}

TEST_F(ServerTest, MetricsAreInThePrometheusTextFormat) {
  StartServer();
  auto c = Client();
  Get(*c, "/hello");
  Get(*c, "/nope");
  TestResponse r = Get(*c, "/metrics", {{"Authorization", "Bearer " + viewer_key_}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = r.body;
  EXPECT_NE(m.find("# TYPE writ_http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(m.find("# TYPE writ_http_request_duration_seconds histogram\n"), std::string::npos);
  EXPECT_EQ(Sample(m, "writ_http_requests_total{route=\"GET /hello\",status=\"200\"}"), 1);
  EXPECT_EQ(Sample(m, "writ_http_requests_total{route=\"unmatched\",status=\"404\"}"), 1);
  EXPECT_EQ(Sample(m, "writ_http_bad_input_total{code=\"not_found\"}"), 1);
  EXPECT_EQ(Sample(m, "writ_http_request_duration_seconds_count{route=\"GET /hello\"}"), 1);
  EXPECT_EQ(
      Sample(m, "writ_http_request_duration_seconds_bucket{route=\"GET /hello\",le=\"+Inf\"}"), 1);
  EXPECT_EQ(Sample(m, "writ_http_connections"), 1);
  // Every line is a comment or `name{labels} value`, and the text ends with a newline.
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.back(), '\n');
  size_t start = 0;
  while (start < m.size()) {
    size_t end = m.find('\n', start);
    std::string line = m.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    std::string value = line.substr(space + 1);
    EXPECT_TRUE(value == "+Inf" || value == "NaN" ||
                value.find_first_not_of("0123456789.-e+") == std::string::npos)
        << line;
    EXPECT_TRUE(line.starts_with("writ_")) << line;
  }
}

TEST_F(ServerTest, ReadinessFollowsTheChecks) {
  std::atomic<bool> ready{false};
  server_ = nullptr;
  StartServer();
  // Checks are registered before Start in real use; this one reads a flag the test flips.
  server_->AddReadinessCheck("flag", [&]() -> Status {
    return ready ? Status::Ok() : Unavailable("bundle_not_loaded: no policies yet");
  });
  auto c = Client();
  TestResponse r = Get(*c, "/readyz");
  EXPECT_EQ(r.status, 503);
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("status").as_string(), "not_ready");
  EXPECT_EQ(v.at("failing").as_array()[0].at("check").as_string(), "flag");
  EXPECT_EQ(v.at("failing").as_array()[0].at("code").as_string(), "bundle_not_loaded");
  ready = true;
  r = Get(*c, "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Get(*c, "/healthz").status, 200);
}

TEST_F(ServerTest, GracefulShutdownFinishesInFlightAsyncRequestThenRunsHooks) {
  StartServer();
  std::vector<std::string> events;
  std::mutex events_mu;
  auto record = [&](std::string e) {
    std::lock_guard<std::mutex> lock(events_mu);
    events.push_back(std::move(e));
  };
  server_->AddShutdownHook("first", [&] { record("hook first"); });
  server_->AddShutdownHook("second", [&] { record("hook second"); });

  auto idle = Client();
  EXPECT_EQ(Get(*idle, "/hello").status, 200);
  auto busy = Client();
  ASSERT_TRUE(busy->WriteRaw("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(5), [&] { return !held_.empty(); }));
  }
  // The handler holds the request; the server is asked to stop.
  std::thread stopper([&] {
    server_->Shutdown();
    server_->Wait();
    record("stopped");
  });
  // Idle connections are closed, new ones refused, the busy one waits for its answer.
  EXPECT_TRUE(idle->PeerClosed());
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = !HttpTestClient::Connect("127.0.0.1", port_).ok();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(refused);
  {
    std::lock_guard<std::mutex> lock(events_mu);
    EXPECT_TRUE(events.empty());
  }
  std::thread answerer([&] {
    std::lock_guard<std::mutex> lock(mu_);
    record("answered");
    held_[0].Send(Response::Text(200, "finished"));
  });
  auto r = busy->Read();
  answerer.join();
  stopper.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "finished");
  EXPECT_EQ(r->header("Connection"), "close");
  std::lock_guard<std::mutex> lock(events_mu);
  EXPECT_EQ(events, (std::vector<std::string>{"answered", "hook second", "hook first", "stopped"}));
}

TEST_F(ServerTest, ShutdownTimeoutCutsWhatIsLeft) {
  options_.timeouts.shutdown = std::chrono::milliseconds(100);
  StartServer();
  bool hook_ran = false;
  server_->AddShutdownHook("h", [&] { hook_ran = true; });
  auto busy = Client();
  ASSERT_TRUE(busy->WriteRaw("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(5), [&] { return !held_.empty(); }));
  }
  server_->Shutdown();
  server_->Wait();
  EXPECT_TRUE(hook_ran);
  // Cut without an answer; the late answer goes nowhere.
  EXPECT_FALSE(busy->Read().ok());
  std::lock_guard<std::mutex> lock(mu_);
  held_[0].Send(Response::Text(200, "after the end"));
}

TEST_F(ServerTest, ManyClientsOnSeveralWorkers) {
  StartServer();
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      auto c = HttpTestClient::Connect("127.0.0.1", port_);
      if (!c.ok()) return;
      for (int i = 0; i < 100; ++i) {
        auto r = (*c)->Send("GET", i % 10 == 0 ? "/async/1" : "/hello");
        if (r.ok() && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 800);
}

TEST_F(ServerTest, StartFailsCleanlyOnBadAddressOrTlsFiles) {
  options_.listen = "not-an-address:1";
  Server bad(options_, metrics_, *auth_);
  EXPECT_EQ(bad.Start().code(), StatusCode::kInvalidArgument);
  options_.listen = "127.0.0.1:0";
  options_.tls_cert_file = (dir_ / "missing-cert.pem").string();
  options_.tls_key_file = (dir_ / "missing-key.pem").string();
  Server no_tls(options_, metrics_, *auth_);
  EXPECT_EQ(no_tls.Start().code(), StatusCode::kInvalidArgument);
  options_.tls_cert_file.clear();
  options_.tls_key_file.clear();
  StartServer();
  options_.listen = "127.0.0.1:" + std::to_string(port_);
  Server taken(options_, metrics_, *auth_);
  EXPECT_EQ(taken.Start().code(), StatusCode::kUnavailable);
}

TEST_F(ServerTest, TlsWithASelfSignedCertificate) {
  std::string cert = (dir_ / "cert.pem").string();
  std::string key = (dir_ / "key.pem").string();
  std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=localhost -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "the openssl command is not available";
  options_.tls_cert_file = cert;
  options_.tls_key_file = key;
  StartServer();
  HttpTestClient::Options tls;
  tls.tls = true;
  auto c = Client(tls);
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 3; ++i) {  // keep-alive over TLS
    TestResponse r = Get(*c, "/hello");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
  }
  TestResponse a = Get(*c, "/async/20");
  EXPECT_EQ(a.body, "after 20");
  auto big =
      c->Send("POST", "/echo", {{"Content-Type", "application/json"}}, std::string(5000, ' '));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->status, 413);
  // Plain HTTP on the TLS port gets no HTTP answer.
  auto plain = Client();
  auto r = plain->Send("GET", "/hello");
  EXPECT_FALSE(r.ok() && r->status == 200);
}

}  // namespace
}  // namespace writ::server
