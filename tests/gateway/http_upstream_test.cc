// HttpUpstream on its own, against a small MCP server over Streamable HTTP
// (keyed_http_server.js, a separate node process): exchanges given a caller's I/O context run on
// that context's thread and keep one connection; they survive a server that closed its
// connections and forgot the session; a stalled or oversized answer fails with a clear error
// and the next call works; Stop with connections idle on a running context is clean.
#include "gateway/http_upstream.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <future>

#include "gateway/gateway_world.h"

namespace writ::gateway::testing {
namespace {

namespace asio = boost::asio;

class HttpUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (NodeBinary() == "node") GTEST_SKIP() << "node is not installed";
    port_ = FreePort();
    StartServer();
    io_thread_ = std::thread([this] {
      io_thread_id_.set_value(std::this_thread::get_id());
      io_.run();
    });
    io_id_ = io_thread_id_.get_future().get();
  }

  void TearDown() override {
    if (upstream_) upstream_->Stop();
    work_.reset();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    upstream_.reset();
    pool_.Stop();
    server_.reset();
  }

  void StartServer() {
    server_ = std::make_unique<Child>(
        std::vector<std::string>{"/usr/bin/env", "PORT=" + std::to_string(port_), "EXPECTED_KEY=k",
                                 NodeBinary(), kHere + "/keyed_http_server.js"});
    for (int i = 0; i < 300 && !CanConnect(port_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(CanConnect(port_)) << "keyed_http_server did not listen";
  }

  void StartUpstream(int64_t timeout_ms = 10000, size_t max_message_bytes = 4 << 20) {
    HttpUpstreamOptions o;
    o.name = "keyed";
    o.url = "http://127.0.0.1:" + std::to_string(port_) + "/mcp";
    o.timeout_ms = timeout_ms;
    o.max_message_bytes = max_message_bytes;
    upstream_ = std::make_unique<HttpUpstream>(o, pool_);
    ASSERT_TRUE(upstream_->Start(10000).ok());
    ASSERT_TRUE(upstream_->ready());
  }

  struct Answer {
    Result<json::object> result = Status(StatusCode::kInternal, "no answer");
    std::thread::id thread;
  };

  // Calls `method` (a tool by `tool` for tools/call) and waits for `done`.
  Answer Call(asio::io_context* io, const std::string& method, const std::string& tool = "") {
    json::object params;
    if (!tool.empty()) params = {{"name", tool}, {"arguments", json::object{}}};
    auto answered = std::make_shared<std::promise<Answer>>();
    upstream_->Call(
        method, params, {},
        [answered](Result<json::object> r) {
          answered->set_value(Answer{std::move(r), std::this_thread::get_id()});
        },
        nullptr, io);
    std::future<Answer> f = answered->get_future();
    EXPECT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return f.get();
  }

  // Waits until the server holds the session's GET stream (its tool `announce-http` says so).
  // The upstream opens that stream on a connection of its own, from its own thread, once the
  // session exists: a count of the server's connections taken before it may not include it.
  void WaitForTheGetStream() {
    for (int i = 0; i < 200; ++i) {
      if (Text(Call(&io_, "tools/call", "announce-http")) == "announced") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the upstream did not open the session's GET stream";
  }

  // The text of a tool's answer.
  static std::string Text(const Answer& a) {
    if (!a.result.ok()) return "error: " + a.result.status().ToString();
    const json::value* r = a.result->if_contains("result");
    if (r == nullptr) return "no result: " + json::serialize(*a.result);
    return std::string(r->at("content").at(0).at("text").as_string());
  }

  uint16_t port_ = 0;
  std::unique_ptr<Child> server_;
  service::WorkPool pool_{2, 64};
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::promise<std::thread::id> io_thread_id_;
  std::thread io_thread_;
  std::thread::id io_id_;
  std::unique_ptr<HttpUpstream> upstream_;
};

TEST_F(HttpUpstreamTest, ExchangesOnACallersContextRunThereOnOneConnection) {
  StartUpstream();
  ASSERT_NO_FATAL_FAILURE(WaitForTheGetStream());
  Answer first = Call(&io_, "tools/call", "connections");
  ASSERT_TRUE(first.result.ok()) << first.result.status().ToString();
  EXPECT_EQ(first.thread, io_id_);
  std::string accepted = Text(first);
  for (int i = 0; i < 5; ++i) {
    Answer a = Call(&io_, "tools/call", "connections");
    EXPECT_EQ(a.thread, io_id_);
    // No new connection: the context's idle one is reused.
    EXPECT_EQ(Text(a), accepted) << "call " << i;
  }
  Answer listed = Call(&io_, "tools/list");
  ASSERT_TRUE(listed.result.ok());
  EXPECT_NE(json::serialize(*listed.result).find("whoami"), std::string::npos);

  // Without a context the exchange blocks a pool thread instead.
  Answer pooled = Call(nullptr, "tools/call", "connections");
  ASSERT_TRUE(pooled.result.ok());
  EXPECT_NE(pooled.thread, io_id_);
}

TEST_F(HttpUpstreamTest, AServerRestartIsSurvived) {
  StartUpstream();
  ASSERT_TRUE(Call(&io_, "tools/call", "connections").result.ok());
  // The server goes away with its connections and sessions; a new one listens on the port.
  server_.reset();
  StartServer();
  // The idle connection is dead: a fresh one is made, the server no longer knows the session
  // (404), so a new session is opened and the request sent again.
  Answer again = Call(&io_, "tools/call", "whoami");
  ASSERT_TRUE(again.result.ok()) << again.result.status().ToString();
  EXPECT_EQ(Text(again), "key missing");
  Answer next = Call(&io_, "tools/call", "connections");
  EXPECT_EQ(next.thread, io_id_);
  EXPECT_TRUE(next.result.ok());
}

TEST_F(HttpUpstreamTest, StalledAndOversizedAnswersFailClearlyAndTheNextCallWorks) {
  // The initialize answer fits in 250 bytes; the tool list does not.
  StartUpstream(/*timeout_ms=*/500, /*max_message_bytes=*/250);
  Answer stalled = Call(&io_, "tools/call", "stall");
  ASSERT_FALSE(stalled.result.ok());
  EXPECT_EQ(stalled.thread, io_id_);
  EXPECT_EQ(stalled.result.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(stalled.result.status().message().find("did not answer within 500 ms"),
            std::string::npos)
      << stalled.result.status().ToString();

  Answer big = Call(&io_, "tools/list");
  ASSERT_FALSE(big.result.ok());
  EXPECT_EQ(big.result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(big.result.status().message().find("larger than 250 bytes"), std::string::npos)
      << big.result.status().ToString();

  Answer after = Call(&io_, "tools/call", "whoami");
  EXPECT_EQ(Text(after), "key missing");
}

TEST_F(HttpUpstreamTest, StopWithConnectionsIdleOnARunningContext) {
  StartUpstream();
  ASSERT_TRUE(Call(&io_, "tools/call", "connections").result.ok());
  upstream_->Stop();
  Answer refused = Call(&io_, "tools/call", "connections");
  ASSERT_FALSE(refused.result.ok());
  EXPECT_EQ(refused.result.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.result.status().message().find("stopping"), std::string::npos);
}

}  // namespace
}  // namespace writ::gateway::testing
