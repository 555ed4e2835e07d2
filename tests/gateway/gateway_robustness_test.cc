// The gateway under what no well-behaved client or server does: malformed JSON-RPC, batches,
// oversized messages, unknown methods and sessions, an upstream that crashes mid-call or answers
// too much, and a client that disconnects mid-call. Clear errors, no crash, nothing unrecorded.
#include "gateway_world.h"

namespace writ::gateway::testing {
namespace {

using server::HttpTestClient;
using server::TestResponse;

class GatewayRobustnessTest : public GatewayWorld {
 protected:
  TestResponse Mcp(const std::string& server, const std::string& token, const std::string& body,
                   const std::string& session = {}) {
    service::testing::Headers h{{"Accept", "application/json, text/event-stream"}};
    if (!session.empty()) h.emplace_back("Mcp-Session-Id", session);
    return Call("POST", "/mcp/" + server, token, body, "application/json", h);
  }
  std::string Open(const std::string& server, const std::string& token) {
    auto r = Mcp(server, token,
                 R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":)"
                 R"("2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}})");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Str(*Json(r).as_object().if_contains("result"), "protocolVersion"), "2025-06-18");
    return r.header("mcp-session-id");
  }
  // Waits up to 5 s for a successful outcome record in the task's ledger records.
  bool SuccessOutcomeRecorded(const std::string& task) {
    for (int i = 0; i < 50; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (const auto& rec : LedgerRecordsOfTask(task)) {
        std::string s = json::serialize(rec);
        if (s.find("\"outcome\"") != std::string::npos && s.find("success") != std::string::npos) {
          return true;
        }
      }
    }
    return false;
  }
  // One MCP POST on a connection of its own, for a call made from another thread while the test
  // goes on driving the server.
  Result<TestResponse> McpOnOwnConnection(const std::string& server, const std::string& token,
                                          const std::string& session, const std::string& accept,
                                          const std::string& body) {
    auto c = HttpTestClient::Connect("127.0.0.1", port_);
    if (!c.ok()) return c.status();
    return (*c)->Send("POST", "/mcp/" + server,
                      {{"Authorization", "Bearer " + token},
                       {"Content-Type", "application/json"},
                       {"Accept", accept},
                       {"Mcp-Session-Id", session}},
                      body);
  }
  static int64_t ErrorCodeOf(const TestResponse& r) {
    json::value v = Json(r);
    const json::value* e = v.is_object() ? v.as_object().if_contains("error") : nullptr;
    return e && e->is_object() ? e->as_object().at("code").as_int64() : 0;
  }
  std::string CallTool(const std::string& name, const std::string& args, int id = 1) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
           R"(,"method":"tools/call","params":{"name":")" + name + R"(","arguments":)" + args +
           "}}";
  }
};

TEST_F(GatewayRobustnessTest, MalformedUnknownAndOversizedMessagesGetClearErrors) {
  auto [token, task] = Task("raw-bot", "payments", "alice");
  EXPECT_EQ(Mcp("faulty", "", "{}").status, 401);
  EXPECT_EQ(Mcp("nowhere", token, "{}").status, 404);
  std::string sid = Open("faulty", token);
  ASSERT_FALSE(sid.empty());

  auto r = Mcp("faulty", token, "{not json", sid);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCodeOf(r), -32700) << r.body;
  r = Mcp("faulty", token, R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", sid);
  EXPECT_EQ(ErrorCodeOf(r), -32600) << r.body;
  r = Mcp("faulty", token, R"({"jsonrpc":"1.0","id":1,"method":"ping"})", sid);
  EXPECT_EQ(ErrorCodeOf(r), -32600) << r.body;
  r = Mcp("faulty", token, R"({"jsonrpc":"2.0","id":1,"method":"sampling/whatever"})", sid);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ErrorCodeOf(r), -32601) << r.body;
  r = Mcp("faulty", token, R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Mcp("faulty", token, R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "no-such-session");
  EXPECT_EQ(r.status, 404) << r.body;
  r = Mcp("faulty", token, R"({"jsonrpc":"2.0","id":1,"method":"ping"})", sid);
  EXPECT_EQ(r.body, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  r = Mcp("faulty", token, R"({"jsonrpc":"2.0","method":"notifications/initialized"})", sid);
  EXPECT_EQ(r.status, 202);
  // Arguments that do not fit the tool's schema are refused before anything is forwarded.
  r = Mcp("faulty", token, CallTool("say", R"({"text":1.5})"), sid);
  EXPECT_EQ(ErrorCodeOf(r), -32602) << r.body;
  // Larger than gateway.max_message_bytes (256 KiB).
  r = Mcp("faulty", token, CallTool("say", R"({"text":")" + std::string(300000, 'a') + "\"}"), sid);
  EXPECT_EQ(r.status, 413) << r.body;
  // The session's stream is for clients that accept event streams, and for open sessions.
  EXPECT_EQ(Call("GET", "/mcp/faulty", token, "", "", {{"Mcp-Session-Id", sid}}).status, 406);
  EXPECT_EQ(Call("GET", "/mcp/faulty", token, "", "", {{"Accept", "text/event-stream"}}).status,
            400);
  EXPECT_EQ(Call("GET", "/mcp/faulty", token, "", "",
                 {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", "nope"}})
                .status,
            404);
  // Still serving.
  r = Mcp("faulty", token, CallTool("say", R"({"text":"still here"})"), sid);
  EXPECT_NE(r.body.find("still here"), std::string::npos) << r.body;
  EXPECT_EQ(Call("DELETE", "/mcp/faulty", token, "", "", {{"Mcp-Session-Id", sid}}).status, 200);
  r = Mcp("faulty", token, R"({"jsonrpc":"2.0","id":1,"method":"ping"})", sid);
  EXPECT_EQ(r.status, 404);
}

TEST_F(GatewayRobustnessTest, UpstreamCrashAndOversizedAnswerFailTheCallAndAreRecorded) {
  auto [token, task] = Task("crash-bot", "payments", "alice");
  std::string sid = Open("faulty", token);
  auto r = Mcp("faulty", token, CallTool("crash", "{}"), sid);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ErrorCodeOf(r), -32003) << r.body;
  std::string crashed_decision =
      Str(Json(r).as_object().at("error").as_object().at("data"), "decision_id");
  EXPECT_FALSE(crashed_decision.empty());
  // The server is started again; calls work once it is back.
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    r = Mcp("faulty", token, CallTool("say", R"({"text":"back"})", 2), sid);
    back = r.body.find("\"back\"") != std::string::npos;
    if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(back) << r.body;
  // The server's stderr is relayed to Writ's log.
  for (int i = 0; i < 30 && serve_->err().find("crashing on purpose") == std::string::npos; ++i) {
    serve_->WaitForLine("\x01", std::chrono::milliseconds(100));  // reads what is pending
  }
  EXPECT_NE(serve_->err().find("writ: gateway faulty: faulty-mcp: crashing on purpose"),
            std::string::npos);

  // An answer larger than the message limit: refused, the server restarted.
  r = Mcp("faulty", token, CallTool("big", R"({"n":400000})", 3), sid);
  EXPECT_EQ(ErrorCodeOf(r), -32003) << r.body.substr(0, 500);

  // Both failed calls have their decision and an error outcome.
  auto outcomes = OutcomesOfTask(task, 3);
  int errors = 0;
  for (const auto& rec : outcomes) {
    if (json::serialize(rec).find("\"error\"") != std::string::npos) ++errors;
  }
  EXPECT_GE(outcomes.size(), 3u) << json::serialize(json::value_from(outcomes));
  EXPECT_GE(errors, 2);
}

// A Streamable HTTP upstream that restarts loses Writ's session (404): Writ initializes again.
TEST_F(GatewayRobustnessTest, HttpUpstreamRestartIsReinitialized) {
  auto [token, task] = Task("http-bot", "payments", "alice");
  std::string sid = Open("everything", token);
  std::string echo = R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",)"
                     R"("arguments":{"message":"again"}}})";
  auto r = Mcp("everything", token, echo, sid);
  EXPECT_NE(r.body.find("Echo: again"), std::string::npos) << r.body;
  everything_.reset();  // killed
  r = Mcp("everything", token, echo, sid);
  EXPECT_EQ(ErrorCodeOf(r), -32003) << r.body;
  StartEverything();
  ASSERT_TRUE(CanConnect(everything_port_));
  r = Mcp("everything", token, echo, sid);
  EXPECT_NE(r.body.find("Echo: again"), std::string::npos) << r.body;
}

TEST_F(GatewayRobustnessTest, ClientDisconnectMidCallStillRecordsTheOutcome) {
  auto [token, task] = Task("gone-bot", "payments", "alice");
  std::string sid = Open("faulty", token);
  {
    auto c = HttpTestClient::Connect("127.0.0.1", port_);
    ASSERT_TRUE(c.ok());
    std::string body = CallTool("slow", R"({"ms":800})");
    std::string req = "POST /mcp/faulty HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                      "\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
                      "Mcp-Session-Id: " +
                      sid + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                      body;
    ASSERT_TRUE((*c)->WriteRaw(req).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }  // disconnected mid-call
  EXPECT_TRUE(SuccessOutcomeRecorded(task));
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
}

// A client that leaves while its call's progress streams: the call completes upstream and its
// outcome is recorded; the server goes on.
TEST_F(GatewayRobustnessTest, ClientDisconnectMidStreamStillRecordsTheOutcome) {
  auto [token, task] = Task("streaming-bot", "payments", "alice");
  std::string sid = Open("faulty", token);
  {
    auto c = HttpTestClient::Connect("127.0.0.1", port_);
    ASSERT_TRUE(c.ok());
    std::string body = R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"steps",)"
                       R"("arguments":{"n":10},"_meta":{"progressToken":"p-1"}}})";
    std::string req = "POST /mcp/faulty HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                      "\r\nContent-Type: application/json\r\n"
                      "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " +
                      sid + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                      body;
    ASSERT_TRUE((*c)->WriteRaw(req).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }  // disconnected after a few progress events
  EXPECT_TRUE(SuccessOutcomeRecorded(task));
  auto r = Mcp("faulty", token, CallTool("say", R"({"text":"after"})"), sid);
  EXPECT_NE(r.body.find("after"), std::string::npos) << r.body;
}

// A client that stops reading while its call's progress floods in (64 MB of events): Writ keeps
// at most max_buffered_bytes (1 MiB here) waiting for it, then cuts its stream rather than
// buffer the rest; the call completes upstream, its outcome is recorded, the server goes on.
TEST_F(GatewayRobustnessTest, SlowReaderIsCutOffInsteadOfBufferedWithoutBound) {
  auto [token, task] = Task("flood-bot", "payments", "alice");
  std::string sid = Open("faulty", token);
  const int n = 2048, size = 32768;  // 64 MiB of progress messages
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  int small = 4096;  // so that little waits in the kernel on the client's side
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string body = R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"flood",)"
                     R"("arguments":{"n":)" +
                     std::to_string(n) + R"(,"size":)" + std::to_string(size) +
                     R"(},"_meta":{"progressToken":"f-1"}}})";
  std::string req = "POST /mcp/faulty HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                    "\r\nContent-Type: application/json\r\n"
                    "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " +
                    sid + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  // The server sends everything at once; Writ reads it all while the client reads nothing.
  EXPECT_TRUE(SuccessOutcomeRecorded(task));
  // Now read whatever reached the client until the connection ends.
  size_t received = 0;
  std::string tail;
  char buf[65536];
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (;;) {
    ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0) break;
    received += static_cast<size_t>(got);
    tail.append(buf, static_cast<size_t>(got));
    if (tail.size() > 4096) tail.erase(0, tail.size() - 4096);
  }
  ::close(fd);
  EXPECT_LT(received, size_t{16} << 20) << "the stream was buffered whole";
  EXPECT_EQ(tail.find("flooded"), std::string::npos) << "the cut stream still got its answer";
  EXPECT_TRUE(serve_->WaitForErr("was cut: its client read too slowly", std::chrono::seconds(5)))
      << serve_->err();
  auto r = Mcp("faulty", token, CallTool("say", R"({"text":"after the flood"})"), sid);
  EXPECT_NE(r.body.find("after the flood"), std::string::npos) << r.body;
}

// A client's ping reaches the server and the server's answer comes back; a cancellation of a
// call in flight reaches the server with the id Writ forwarded the call under and the client's
// reason; one for a request not in flight is not forwarded.
TEST_F(GatewayRobustnessTest, PingsAndCancellationsPassThroughToTheServer) {
  auto [token, task] = Task("ping-bot", "payments", "alice");
  std::string sid = Open("faulty", token);
  auto r = Mcp("faulty", token, R"({"jsonrpc":"2.0","id":"p-1","method":"ping"})", sid);
  EXPECT_EQ(r.body, R"({"jsonrpc":"2.0","id":"p-1","result":{}})");
  std::thread slow([&] {
    auto a = McpOnOwnConnection("faulty", token, sid, "application/json",
                                CallTool("slow", R"({"ms":1500})", 41));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_NE(a->body.find("slept 1500"), std::string::npos) << a->body;  // it ignores cancels
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  r = Mcp("faulty", token,
          R"({"jsonrpc":"2.0","method":"notifications/cancelled",)"
          R"("params":{"requestId":41,"reason":"the user gave up"}})",
          sid);
  EXPECT_EQ(r.status, 202);
  r = Mcp("faulty", token,
          R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}})",
          sid);
  EXPECT_EQ(r.status, 202);
  slow.join();
  r = Mcp("faulty", token, CallTool("seen", "{}"), sid);
  json::value answer = Json(r);
  ASSERT_TRUE(answer.is_object() && answer.as_object().contains("result")) << r.body;
  json::value seen = json::parse(answer.at("result").at("content").at(0).at("text").as_string());
  EXPECT_EQ(seen.at("pings").as_int64(), 1) << seen;
  const json::array& cancelled = seen.at("cancelled").as_array();
  ASSERT_EQ(cancelled.size(), 1u) << seen;
  EXPECT_EQ(Str(cancelled[0], "reason"), "the user gave up");
  EXPECT_TRUE(cancelled[0].as_object().at("requestId").is_int64()) << seen;  // Writ's own id
}

// SIGTERM with a call held for approval and stdio servers running: the held call is answered,
// the servers stopped, and writ exits 0 (under the sanitizers: with nothing leaked).
TEST_F(GatewayRobustnessTest, ShutsDownCleanlyWithACallHeld) {
  auto [token, task] = Task("stop-bot", "payments", "alice");
  std::string sid = Open("fs", token);
  std::string body = R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":)"
                     R"("move_file","arguments":{"source":")" +
                     (files_ / "notes.txt").string() + R"(","destination":")" +
                     (files_ / "elsewhere.txt").string() + R"("}}})";
  Result<TestResponse> held = Status(StatusCode::kUnavailable, "not sent");
  std::thread caller(
      [&] { held = McpOnOwnConnection("fs", token, sid, "application/json", body); });
  bool pending = false;
  for (int i = 0; i < 100 && !pending; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pending = Call("GET", "/v1/approvals?status=pending", viewer_).body.find("move_file") !=
              std::string::npos;
  }
  EXPECT_TRUE(pending);
  EXPECT_EQ(Stop(), 0);
  caller.join();
  // The server drains in-flight requests before its shutdown hooks run: the held call ends with
  // its approval timeout (or, past the drain deadline, with the gateway's shutdown).
  if (held.ok()) {
    EXPECT_NE(held->body.find("\"code\":-32002"), std::string::npos) << held->body;
  }
  EXPECT_TRUE(fs::exists(files_ / "notes.txt"));
}

// A call held for approval whose task ends before the approver grants it: the token is verified
// again before the call is decided again, so the grant lets nothing through. The call is refused
// as a denial (the held decision's id, the revocation's code), its end is recorded against that
// decision, and the server never sees it.
TEST_F(GatewayRobustnessTest, HeldCallIsRefusedWhenItsTaskEndsBeforeTheGrant) {
  auto [token, task] = Task("late-bot", "payments", "alice");
  std::string sid = Open("fs", token);
  fs::path from = files_ / "notes.txt", to = files_ / "moved-late.txt";
  std::string body = R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":)"
                     R"("move_file","arguments":{"source":")" +
                     from.string() + R"(","destination":")" + to.string() + R"("}}})";
  Result<TestResponse> held = Status(StatusCode::kUnavailable, "not sent");
  std::thread caller([&, token = token] {
    held = McpOnOwnConnection("fs", token, sid, "application/json", body);
  });
  std::string approval_id;
  for (int i = 0; i < 100 && approval_id.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    json::value list = Json(Call("GET", "/v1/approvals?status=pending", viewer_));
    const json::value* all = list.is_object() ? list.as_object().if_contains("approvals") : nullptr;
    if (all != nullptr && all->is_array() && !all->as_array().empty()) {
      approval_id = Str(all->as_array()[0], "id");
    }
  }
  ASSERT_FALSE(approval_id.empty());
  auto ended = Call("POST", "/v1/tasks/" + task + "/end", token);
  EXPECT_EQ(ended.status, 200) << ended.body;
  auto granted =
      Post("/v1/approvals/" + approval_id + "/grant", approver_,
           json::object{{"user_token", UserToken("carol", {"fs-approvers"})}, {"note", "ok"}});
  EXPECT_EQ(granted.status, 200) << granted.body;
  caller.join();
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(ErrorCodeOf(*held), -32001) << held->body;
  json::value answer = Json(*held);
  const json::value* data = answer.is_object() && answer.as_object().contains("error")
                                ? answer.at("error").as_object().if_contains("data")
                                : nullptr;
  ASSERT_NE(data, nullptr) << held->body;
  EXPECT_EQ(Str(*data, "code"), "task_revoked") << held->body;
  std::string decision_id = Str(*data, "decision_id");
  EXPECT_FALSE(decision_id.empty()) << held->body;
  EXPECT_TRUE(fs::exists(from));
  EXPECT_FALSE(fs::exists(to));
  bool recorded = false;
  for (const auto& rec : OutcomesOfTask(task, 1)) {
    std::string s = json::serialize(rec);
    recorded = recorded || (s.find(decision_id) != std::string::npos &&
                            s.find("task_revoked") != std::string::npos);
  }
  EXPECT_TRUE(recorded) << json::serialize(json::value_from(OutcomeRecordsOfTask(task)));
}

// Two agents of one task (the second with a token delegated from the first's): neither ends the
// other's session.
TEST_F(GatewayRobustnessTest, AnotherAgentOfTheTaskCannotEndTheSession) {
  TestAgent lead = Register("session-lead", "payments");
  TestAgent helper = Register("session-helper", "payments");
  auto opened = OpenTask(lead, UserToken("alice", {"employees"}), "tidy the shared files");
  ASSERT_EQ(opened.status, 201) << opened.body;
  std::string token = Str(Json(opened), "token");
  auto exchanged = Exchange(token, helper);
  ASSERT_EQ(exchanged.status, 200) << exchanged.body;
  std::string delegated = Str(Json(exchanged), "access_token");
  ASSERT_FALSE(delegated.empty()) << exchanged.body;

  std::string sid = Open("faulty", token);
  std::string helper_sid = Open("faulty", delegated);
  EXPECT_EQ(Call("DELETE", "/mcp/faulty", delegated, "", "", {{"Mcp-Session-Id", sid}}).status,
            403);
  EXPECT_EQ(Call("DELETE", "/mcp/faulty", token, "", "", {{"Mcp-Session-Id", helper_sid}}).status,
            403);
  std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  EXPECT_EQ(Mcp("faulty", token, ping, sid).body, R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(Mcp("faulty", delegated, ping, helper_sid).body,
            R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(Call("DELETE", "/mcp/faulty", token, "", "", {{"Mcp-Session-Id", sid}}).status, 200);
  EXPECT_EQ(Mcp("faulty", token, ping, sid).status, 404);
}

// `resources/read` and `prompts/get` are sent as narrowed, as `tools/call` is: the URI cut by
// max_length, the prompt's name pinned; a read whose URI was dropped cannot be sent and is
// refused (obligation_unmet) without reaching the server.
TEST_F(GatewayRobustnessTest, ResourceReadsAndPromptsAreSentAsNarrowed) {
  auto [token, task] = Task("narrowed-bot", "research", "bob");
  std::string sid = Open("faulty", token);
  auto r = Mcp("faulty", token,
               R"({"jsonrpc":"2.0","id":1,"method":"resources/read",)"
               R"("params":{"uri":"faulty://notes/a-rather-long-name"}})",
               sid);
  json::value answer = Json(r);
  ASSERT_TRUE(answer.is_object() && answer.as_object().contains("result")) << r.body;
  EXPECT_EQ(Str(answer.at("result").at("contents").at(0), "text"), "faulty://notes/a-rather-")
      << r.body;

  r = Mcp("faulty", token,
          R"({"jsonrpc":"2.0","id":2,"method":"prompts/get",)"
          R"("params":{"name":"anything","arguments":{"topic":"x"}}})",
          sid);
  answer = Json(r);
  ASSERT_TRUE(answer.is_object() && answer.as_object().contains("result")) << r.body;
  EXPECT_EQ(Str(answer.at("result").at("messages").at(0).at("content"), "text"), "prompt greeting")
      << r.body;

  r = Mcp("faulty", token,
          R"({"jsonrpc":"2.0","id":3,"method":"resources/read",)"
          R"("params":{"uri":"faulty://drop/this"}})",
          sid);
  EXPECT_EQ(ErrorCodeOf(r), -32001) << r.body;
  answer = Json(r);
  if (answer.is_object() && answer.as_object().contains("error")) {
    const json::value& data = answer.at("error").at("data");
    EXPECT_EQ(Str(data, "code"), "obligation_unmet") << r.body;
    EXPECT_FALSE(Str(data, "decision_id").empty()) << r.body;
  }

  r = Mcp("faulty", token, CallTool("seen", "{}", 4), sid);
  answer = Json(r);
  ASSERT_TRUE(answer.is_object() && answer.as_object().contains("result")) << r.body;
  json::value seen = json::parse(answer.at("result").at("content").at(0).at("text").as_string());
  EXPECT_EQ(seen.at("reads"), (json::array{"faulty://notes/a-rather-"})) << seen;
  EXPECT_EQ(seen.at("prompts"), (json::array{"greeting"})) << seen;
}

// Calls to a Streamable HTTP upstream run on the server's workers, which keep connections to it:
// SIGTERM with one call in flight and other connections idle lets the call finish and answers
// it, records its outcome, and exits cleanly (the sanitizer build checks the connections'
// teardown after the workers stopped).
TEST_F(GatewayRobustnessTest, ShutsDownCleanlyWithHttpUpstreamCallsInFlight) {
  auto [token, task] = Task("drain-bot", "payments", "alice");
  std::string sid = Open("everything", token);
  for (int i = 0; i < 3; ++i) {
    auto r = Mcp("everything", token, CallTool("echo", R"({"message":"hi"})", i + 1), sid);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  Result<TestResponse> slow = Status(StatusCode::kUnavailable, "not sent");
  std::thread caller([&, token = token] {
    slow = McpOnOwnConnection(
        "everything", token, sid, "application/json, text/event-stream",
        CallTool("trigger-long-running-operation", R"({"duration":1,"steps":2})", 9));
  });
  // Forwarded once its decision is recorded.
  bool decided = false;
  for (int i = 0; i < 100 && !decided; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (const auto& rec : LedgerRecordsOfTask(task)) {
      if (json::serialize(rec).find("trigger-long-running-operation") != std::string::npos) {
        decided = true;
      }
    }
  }
  EXPECT_TRUE(decided);
  EXPECT_EQ(Stop(), 0);
  caller.join();
  ASSERT_TRUE(slow.ok()) << slow.status().ToString();
  EXPECT_EQ(slow->status, 200) << slow->body;
  EXPECT_NE(slow->body.find("Long running operation completed"), std::string::npos) << slow->body;
  // Four calls, four outcomes, all durable before the process ended: read after a restart.
  Serve();
  EXPECT_EQ(OutcomeRecordsOfTask(task).size(), 4u);
}

// A server that dies while a call's progress streams: the client gets the progress so far,
// then the error as the stream's last event; the outcome is recorded as an error.
TEST_F(GatewayRobustnessTest, UpstreamCrashMidStreamEndsTheStreamWithTheError) {
  auto [token, task] = Task("crash-stream-bot", "payments", "alice");
  std::string sid = Open("faulty", token);
  std::string body = R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"steps",)"
                     R"("arguments":{"n":10,"crash_after":2},"_meta":{"progressToken":"p-9"}}})";
  auto r = Call("POST", "/mcp/faulty", token, body, "application/json",
                {{"Accept", "application/json, text/event-stream"}, {"Mcp-Session-Id", sid}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  // Two progress events with the client's token, then the error answering request 9.
  std::vector<json::value> events;
  for (size_t pos = 0; (pos = r.body.find("data: ", pos)) != std::string::npos;) {
    size_t end = r.body.find('\n', pos);
    events.push_back(json::parse(r.body.substr(pos + 6, end - pos - 6)));
    pos = end;
  }
  ASSERT_EQ(events.size(), 3u) << r.body;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Str(events[i], "method"), "notifications/progress") << r.body;
    EXPECT_EQ(events[i].at("params").at("progressToken"), "p-9") << r.body;
  }
  EXPECT_EQ(events[2].at("id"), 9) << r.body;
  EXPECT_EQ(events[2].at("error").at("code"), -32003) << r.body;
  bool recorded = false;
  for (int i = 0; i < 50 && !recorded; ++i) {
    for (const auto& rec : LedgerRecordsOfTask(task)) {
      std::string s = json::serialize(rec);
      recorded = recorded || (s.find("\"outcome\"") != std::string::npos &&
                              s.find("\"error\"") != std::string::npos);
    }
    if (!recorded) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(recorded);
  // The server is started again and serves the session's next call.
  for (int i = 0; i < 50; ++i) {
    r = Mcp("faulty", token, CallTool("say", R"({"text":"back"})"), sid);
    if (r.body.find("back") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(r.body.find("back"), std::string::npos) << r.body;
}

class GatewayOutcomeBeforeReplyTest : public GatewayRobustnessTest {
 protected:
  void SetUp() override {
    outcome_before_reply_ = true;
    GatewayRobustnessTest::SetUp();
  }
};

// With `outcome_before_reply` the answer is sent from the outcome record's completion, so each
// call's outcome is in the ledger once the client has the answer. This drives that path (an
// answer that never came would fail it); it cannot show the order by itself, since with the
// default the outcome is also committed within a millisecond or so of the answer.
TEST_F(GatewayOutcomeBeforeReplyTest, AnswersComeWithTheirOutcomesRecorded) {
  auto [token, task] = Task("strict-bot", "payments", "alice");
  std::string sid = Open("faulty", token);
  for (int i = 1; i <= 10; ++i) {
    auto r = Mcp("faulty", token, CallTool("say", R"({"text":"strict"})", i), sid);
    ASSERT_NE(r.body.find("strict"), std::string::npos) << r.body;
    EXPECT_EQ(OutcomeRecordsOfTask(task).size(), static_cast<size_t>(i)) << "call " << i;
  }
}

class GatewayTlsTest : public GatewayRobustnessTest {
 protected:
  void SetUp() override {
    with_tls_ = true;
    GatewayRobustnessTest::SetUp();
  }
};

// An https upstream: reached over TLS with its certificate verified against `ca_file`; the
// schema generator reaches it the same way, and refuses a server whose certificate it cannot
// verify, saying why.
TEST_F(GatewayTlsTest, HttpsUpstreamIsVerifiedAgainstItsCaFile) {
  auto [token, task] = Task("tls-bot", "payments", "alice");
  std::string sid = Open("keyed-tls", token);
  auto r = Mcp("keyed-tls", token, CallTool("whoami", "{}"), sid);
  EXPECT_EQ(r.status, 200) << r.body;
  // Reached over TLS; no brokered key is configured for this upstream.
  EXPECT_NE(r.body.find("key missing"), std::string::npos) << r.body;

  std::string out, err;
  EXPECT_EQ(
      Writ({"schema", "from-mcp", "--actions-only", "--url", TlsUrl(), "--ca-file", tls_cert_},
           &out, &err),
      0)
      << err;
  EXPECT_NE(out.find("whoami"), std::string::npos) << out;
  out.clear();
  err.clear();
  EXPECT_NE(Writ({"schema", "from-mcp", "--url", TlsUrl(), "--wait-ms", "500"}, &out, &err), 0);
  EXPECT_NE(err.find("certificate verify failed"), std::string::npos) << err;
  // A trusted certificate for another name (it names localhost only) is refused too.
  err.clear();
  std::string by_address = "https://127.0.0.1:" + std::to_string(tls_port_) + "/mcp";
  EXPECT_NE(
      Writ({"schema", "from-mcp", "--url", by_address, "--ca-file", tls_cert_, "--wait-ms", "500"},
           &out, &err),
      0);
  EXPECT_NE(err.find("certificate verify failed"), std::string::npos) << err;
}

}  // namespace
}  // namespace writ::gateway::testing
