// The MCP gateway end to end: the official MCP SDK client (tests/gateway/mcp_client.js) through
// the real `writ serve` to the real server-filesystem (stdio) and server-everything (Streamable
// HTTP), compared with direct connections; raw HTTP for what no well-behaved client sends.
#include <map>
#include <vector>

#include "gateway_world.h"

namespace writ::gateway::testing {
namespace {

const json::value* Find(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (std::string_view k : path) {
    const json::object* o = cur->if_object();
    cur = o ? o->if_contains(k) : nullptr;
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

std::string Text(const json::value& attempt) {
  const json::value* content = Find(attempt, {"result", "content"});
  if (content == nullptr || !content->is_array() || content->get_array().empty()) return {};
  return Str(content->get_array()[0], "text");
}

bool Ok(const json::value& attempt) {
  const json::value* ok = Find(attempt, {"ok"});
  return ok && ok->is_bool() && ok->get_bool();
}

int64_t Code(const json::value& attempt) {
  const json::value* c = Find(attempt, {"code"});
  return c && c->is_int64() ? c->get_int64() : 0;
}

std::vector<std::string> Names(const json::value& v) {
  std::vector<std::string> out;
  if (const json::value* t = Find(v, {"tools"}); t && t->is_array()) {
    for (const auto& n : t->get_array()) out.emplace_back(n.get_string());
  }
  return out;
}

class GatewayE2ETest : public GatewayWorld {
 protected:
  // One call without arguments of a tool of the faulty stdio server, through Writ and directly:
  // {"through": attempt, "direct": attempt}.
  json::value FaultyCall(const std::string& token, const std::string& tool) {
    json::value out = Client(
        "compare",
        {{"server", "faulty"},
         {"token", token},
         {"direct",
          {{"command", NodeBinary()}, {"args", json::array{kHere + "/faulty_mcp_server.js"}}}},
         {"calls", json::array{json::object{{"name", tool}, {"arguments", json::object{}}}}}});
    const json::value* calls = Find(out, {"calls"});
    EXPECT_TRUE(calls != nullptr && calls->is_array() && calls->get_array().size() == 1) << out;
    return calls != nullptr && calls->is_array() && !calls->get_array().empty()
               ? calls->get_array()[0]
               : json::value();
  }
};

TEST_F(GatewayE2ETest, FilesystemThroughWritEqualsDirectDeniesAndNarrows) {
  auto [token, task] = Task("files-bot", "payments", "alice");
  std::string notes = (files_ / "notes.txt").string();
  json::object direct{{"command", FilesystemCommand()[0]},
                      {"args", json::array{FilesystemCommand()[1], FilesystemCommand()[2]}}};
  json::value out = Client(
      "compare",
      {{"server", "fs"},
       {"token", token},
       {"direct", direct},
       {"calls",
        json::array{
            json::object{{"name", "list_allowed_directories"}, {"arguments", {}}},
            json::object{{"name", "read_text_file"}, {"arguments", {{"path", notes}}}},
            json::object{{"name", "read_text_file"}, {"arguments", {{"path", notes}, {"head", 4}}}},
        }}});
  // The tools the payments agent may use, and only those.
  EXPECT_EQ(Names(out),
            (std::vector<std::string>{"get_file_info", "list_allowed_directories", "list_directory",
                                      "move_file", "read_text_file", "write_file"}));
  EXPECT_EQ(Str(*Find(out, {"server"}), "name"), "secure-filesystem-server");
  const json::array& calls = Find(out, {"calls"})->get_array();
  ASSERT_EQ(calls.size(), 3u);
  // Allowed calls answer what the server answers directly.
  EXPECT_TRUE(Ok(calls[0].at("through"))) << calls[0];
  EXPECT_EQ(calls[0].at("through"), calls[0].at("direct"));
  EXPECT_EQ(calls[1].at("through"), calls[1].at("direct"));
  EXPECT_EQ(Text(calls[1].at("through")), "one\ntwo\nthree\nfour\n");
  // Narrowed: head capped to 2 by the policy's obligation.
  EXPECT_EQ(Text(calls[2].at("through")), "one\ntwo");
  EXPECT_EQ(Text(calls[2].at("direct")), "one\ntwo\nthree\nfour");
  EXPECT_TRUE(Ok(Find(out, {"ping"})->as_object()));

  // Denied: the error carries the policy's reason and the decision id; the file is untouched.
  std::string secret = (files_ / "secret.txt").string();
  std::string fresh = (files_ / "fresh.txt").string();
  json::value w = Client(
      "compare",
      {{"server", "fs"},
       {"token", token},
       {"calls", json::array{json::object{{"name", "write_file"},
                                          {"arguments", {{"path", secret}, {"content", "pwned"}}}},
                             json::object{{"name", "write_file"},
                                          {"arguments", {{"path", fresh}, {"content", "hello"}}}},
                             json::object{{"name", "create_directory"},
                                          {"arguments", {{"path", fresh + ".d"}}}}}}});
  const json::array& writes = Find(w, {"calls"})->get_array();
  const json::value& denied = writes[0].at("through");
  EXPECT_FALSE(Ok(denied)) << denied;
  EXPECT_EQ(Code(denied), -32001);
  EXPECT_NE(Str(denied, "message").find("secret files are off limits to agents"), std::string::npos)
      << denied;
  EXPECT_EQ(Str(*Find(denied, {"data"}), "code"), "policy_denied");
  EXPECT_FALSE(Str(*Find(denied, {"data"}), "decision_id").empty());
  std::ifstream in(secret);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "the original secret\n");
  EXPECT_TRUE(Ok(writes[1].at("through"))) << writes[1];
  EXPECT_TRUE(fs::exists(fresh));
  // Not permitted at all: no_permit, and the directory is not created.
  EXPECT_EQ(Code(writes[2].at("through")), -32001);
  EXPECT_EQ(Str(*Find(writes[2].at("through"), {"data"}), "code"), "no_permit");
  EXPECT_FALSE(fs::exists(fresh + ".d"));
}

TEST_F(GatewayE2ETest, ToolsListIsFilteredPerPrincipal) {
  auto [token, task] = Task("research-bot", "research", "bob");
  json::value out = Client("compare", {{"server", "fs"}, {"token", token}});
  EXPECT_EQ(Names(out), (std::vector<std::string>{"list_allowed_directories"}));
  json::value e = Client("compare", {{"server", "everything"}, {"token", token}});
  EXPECT_EQ(Names(e),
            (std::vector<std::string>{"echo", "get-sum", "trigger-long-running-operation"}));
}

TEST_F(GatewayE2ETest, EverythingOverStreamableHttpEqualsDirect) {
  auto [token, task] = Task("echo-bot", "research", "bob");
  json::value out = Client(
      "compare",
      {{"server", "everything"},
       {"token", token},
       {"direct", {{"url", EverythingUrl()}}},
       {"calls", json::array{json::object{{"name", "echo"}, {"arguments", {{"message", "hi"}}}},
                             json::object{{"name", "get-sum"}, {"arguments", {{"a", 2}, {"b", 3}}}},
                             json::object{{"name", "get-env"}, {"arguments", json::object{}}}}}});
  const json::array& calls = Find(out, {"calls"})->get_array();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_TRUE(Ok(calls[0].at("through"))) << calls[0];
  EXPECT_EQ(calls[0].at("through"), calls[0].at("direct"));
  EXPECT_EQ(calls[1].at("through"), calls[1].at("direct"));
  EXPECT_NE(Text(calls[1].at("through")).find("5"), std::string::npos) << calls[1];
  // get-env would show the server's environment: not permitted.
  EXPECT_EQ(Code(calls[2].at("through")), -32001);
  EXPECT_TRUE(Ok(calls[2].at("direct")));
}

// Progress notifications of a call reach the client through Writ, with the client's own
// progress token, before the result: from server-everything over Streamable HTTP (compared with
// a direct connection) and from a stdio server.
TEST_F(GatewayE2ETest, ProgressIsRelayedBeforeTheResult) {
  auto [token, task] = Task("progress-bot", "research", "bob");
  json::value out = Client("progress", {{"server", "everything"},
                                        {"token", token},
                                        {"direct", {{"url", EverythingUrl()}}},
                                        {"call",
                                         {{"name", "trigger-long-running-operation"},
                                          {"arguments", {{"duration", 1}, {"steps", 3}}}}}});
  ASSERT_TRUE(Find(out, {"through"}) != nullptr && Find(out, {"direct"}) != nullptr) << out;
  const json::value& through = *Find(out, {"through"});
  ASSERT_TRUE(Ok(through.at("result"))) << out;
  EXPECT_EQ(through.at("result"), Find(out, {"direct"})->at("result"));
  EXPECT_EQ(through.at("progress"), Find(out, {"direct"})->at("progress"));
  ASSERT_EQ(through.at("progress").as_array().size(), 3u) << out;
  EXPECT_EQ(through.at("progress").as_array()[2].at("progress").to_number<int64_t>(), 3);

  json::value stdio =
      Client("progress", {{"server", "faulty"},
                          {"token", token},
                          {"call", {{"name", "steps"}, {"arguments", {{"n", 4}}}}}});
  ASSERT_NE(Find(stdio, {"through"}), nullptr) << stdio;
  const json::value& s = *Find(stdio, {"through"});
  EXPECT_EQ(Text(s.at("result")), "done after 4 steps") << stdio;
  ASSERT_EQ(s.at("progress").as_array().size(), 4u) << stdio;
  EXPECT_EQ(Str(s.at("progress").as_array()[3], "message"), "step 4") << stdio;

  // Decided and recorded with their outcomes as any call.
  EXPECT_GE(OutcomesOfTask(task, 2).size(), 2u);
  std::string explained, err;
  ASSERT_EQ(Writ({"explain", task, "--data", data_, "--json"}, &explained, &err), 0) << err;
  EXPECT_NE(explained.find("trigger-long-running-operation"), std::string::npos) << explained;
  EXPECT_NE(explained.find("steps"), std::string::npos) << explained;
  EXPECT_NE(explained.find("\"success\""), std::string::npos) << explained;
}

// A server's list-changed notification reaches the clients' GET streams, from a stdio server
// and from the GET stream Writ reads of a Streamable HTTP server; its log messages, which would
// cross between clients sharing Writ's upstream session, do not.
TEST_F(GatewayE2ETest, ListChangesReachTheSessionStream) {
  auto [token, task] = Task("listening-bot", "research", "bob");
  for (auto [server, tool] :
       {std::pair{"faulty", "announce"}, std::pair{"keyed", "announce-http"}}) {
    json::value out = Client("listen", {{"server", server}, {"token", token}, {"tool", tool}});
    const json::value* call = Find(out, {"call"});
    const json::value* received = Find(out, {"received"});
    ASSERT_TRUE(call != nullptr && received != nullptr) << server << ": " << out;
    EXPECT_EQ(Text(*call), "announced") << server << ": " << out;
    EXPECT_EQ(*received, (json::array{"notifications/tools/list_changed"}))
        << server << ": " << out;
  }
}

TEST_F(GatewayE2ETest, ApprovalHeldThenGrantedAndHeldThenTimedOut) {
  auto [token, task] = Task("mover-bot", "payments", "alice");
  std::string from = (files_ / "notes.txt").string(), to = (files_ / "moved.txt").string();
  json::value granted = Client(
      "approval",
      {{"server", "fs"},
       {"token", token},
       {"call", {{"name", "move_file"}, {"arguments", {{"source", from}, {"destination", to}}}}},
       {"grant", true},
       {"approver", approver_},
       {"approver_user_token", UserToken("carol", {"fs-approvers"})}});
  EXPECT_TRUE(Ok(*Find(granted, {"result"}))) << granted;
  EXPECT_EQ(Find(granted, {"granted", "status"})->as_int64(), 200) << granted;
  EXPECT_TRUE(fs::exists(to));
  EXPECT_FALSE(fs::exists(from));

  std::string back = (files_ / "back.txt").string();
  json::value timed_out = Client(
      "approval",
      {{"server", "fs"},
       {"token", token},
       {"call", {{"name", "move_file"}, {"arguments", {{"source", to}, {"destination", back}}}}},
       {"grant", false}});
  const json::value& r = *Find(timed_out, {"result"});
  EXPECT_FALSE(Ok(r)) << timed_out;
  EXPECT_EQ(Code(r), -32002) << timed_out;
  EXPECT_GE(Find(timed_out, {"elapsed_ms"})->to_number<int64_t>(), approval_timeout_ms_ - 200);
  EXPECT_TRUE(fs::exists(to));
  EXPECT_FALSE(fs::exists(back));
}

TEST_F(GatewayE2ETest, RevokingTheTaskStopsTheNextCall) {
  auto [token, task] = Task("revoked-bot", "payments", "alice");
  json::value out = Client("revoke", {{"server", "faulty"},
                                      {"token", token},
                                      {"task_id", task},
                                      {"admin", admin_},
                                      {"call", {{"name", "say"}, {"arguments", {{"text", "x"}}}}}});
  EXPECT_TRUE(Ok(*Find(out, {"before"}))) << out;
  EXPECT_EQ(Find(out, {"revoked", "status"})->as_int64(), 201) << out;
  EXPECT_FALSE(Ok(*Find(out, {"after"}))) << out;
  EXPECT_EQ(Code(*Find(out, {"after"})), 401) << out;
  EXPECT_NE(Str(*Find(out, {"after"}), "message").find("task_revoked"), std::string::npos) << out;
}

// resources/read and prompts/get are decided like tools/call.
TEST_F(GatewayE2ETest, ResourcesAndPromptsAreDecided) {
  auto [token, task] = Task("reader-bot", "research", "bob");
  json::value out = Client(
      "resources",
      {{"server", "everything"},
       {"token", token},
       {"direct", {{"url", EverythingUrl()}}},
       {"uris", json::array{"demo://resource/dynamic/text/1", "demo://resource/dynamic/blob/1"}},
       {"prompts", json::array{"simple-prompt", "args-prompt"}}});
  const json::array& reads = Find(out, {"reads"})->get_array();
  EXPECT_TRUE(Ok(reads[0].at("through"))) << reads[0];
  // The text says when it was made, to the second ("... created at 11:58:02 AM"): the two
  // reads may fall in different seconds.
  auto undated = [](const json::value& v) {
    std::string text = json::serialize(v);
    const std::string mark = "created at ";
    for (size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, at + 1)) {
      size_t from = at + mark.size();
      text.replace(from, text.find('"', from) - from, "<time>");
    }
    return text;
  };
  EXPECT_NE(json::serialize(reads[0].at("through")).find("created at "), std::string::npos);
  EXPECT_EQ(undated(reads[0].at("through")), undated(reads[0].at("direct")));
  EXPECT_EQ(Code(reads[1].at("through")), -32001) << reads[1];
  const json::array& prompts = Find(out, {"prompts"})->get_array();
  EXPECT_TRUE(Ok(prompts[0].at("through"))) << prompts[0];
  EXPECT_EQ(prompts[0].at("through"), prompts[0].at("direct"));
  EXPECT_EQ(Code(prompts[1].at("through")), -32001) << prompts[1];
}

// A brokered secret reaches the upstream as a header for allowed calls; the client never sees it.
TEST_F(GatewayE2ETest, BrokeredSecretReachesTheUpstreamOnly) {
  auto [token, task] = Task("keyed-bot", "research", "bob");
  std::string url = "http://127.0.0.1:" + std::to_string(keyed_port_) + "/mcp";
  json::value out = Client(
      "compare",
      {{"server", "keyed"},
       {"token", token},
       {"direct", {{"url", url}}},
       {"calls", json::array{json::object{{"name", "whoami"}, {"arguments", json::object{}}}}}});
  const json::value& call = Find(out, {"calls"})->get_array()[0];
  EXPECT_EQ(Text(call.at("through")), "key ok") << call;
  EXPECT_EQ(Text(call.at("direct")), "key missing") << call;
  EXPECT_EQ(json::serialize(out).find(kKeyedSecret), std::string::npos);
  // The release is in the ledger, by name and decision, never by value.
  auto r = Call("GET", "/v1/explain/" + task, viewer_);
  EXPECT_NE(r.body.find("keyed-key"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(kKeyedSecret), std::string::npos);
}

// A brokered secret reaches a stdio server's environment at its start: the server sees it (it
// answers its digest), the ledger records the release by name, and the value is in neither the
// client's answers nor the ledger.
TEST_F(GatewayE2ETest, BrokeredSecretReachesTheStdioServersEnvironmentOnly) {
  auto [token, task] = Task("env-bot", "research", "bob");
  json::value call = FaultyCall(token, "keyhash");
  ASSERT_TRUE(call.is_object());
  EXPECT_EQ(Text(call.at("through")), DigestHex(Sha256(kFaultySecret))) << call;
  EXPECT_EQ(Text(call.at("direct")), "no key") << call;
  EXPECT_EQ(json::serialize(call).find(kFaultySecret), std::string::npos);
  std::string records, err;
  ASSERT_EQ(Writ({"ledger", "query", "--data", data_, "--kind", "credential_use", "--json"},
                 &records, &err),
            0)
      << err;
  EXPECT_NE(records.find("faulty-key"), std::string::npos) << records;
  EXPECT_EQ(records.find(kFaultySecret), std::string::npos);
}

// Result fields named by redact() obligations are replaced before the client sees them.
TEST_F(GatewayE2ETest, ResultFieldsAreRedacted) {
  auto [token, task] = Task("profile-bot", "research", "bob");
  json::value call = FaultyCall(token, "profile");
  ASSERT_TRUE(call.is_object());
  EXPECT_EQ(*Find(call.at("through"), {"result", "structuredContent"}),
            json::parse(R"({"name":"Ada","email":"[REDACTED]"})"))
      << call;
  EXPECT_EQ(*Find(call.at("direct"), {"result", "structuredContent"}),
            json::parse(R"({"name":"Ada","email":"ada@example.com"})"));
}

// Every forwarded call is in the ledger with its outcome, and explain reconstructs the task.
TEST_F(GatewayE2ETest, EveryCallIsRecordedWithItsOutcome) {
  auto [token, task] = Task("ledger-bot", "payments", "alice");
  std::string notes = (files_ / "notes.txt").string();
  Client("compare",
         {{"server", "fs"},
          {"token", token},
          {"calls",
           json::array{
               json::object{{"name", "read_text_file"}, {"arguments", {{"path", notes}}}},
               json::object{{"name", "write_file"},
                            {"arguments",
                             {{"path", (files_ / "secret.txt").string()}, {"content", "x"}}}}}}});
  ASSERT_EQ(OutcomesOfTask(task, 1).size(), 1u);  // the read's; the denied write has none
  // The task's authorisation path, from the API; each outcome is tied to its decision by id.
  // (tools/list's listing decisions name the same actions, and have no outcome.)
  std::map<std::string, std::vector<json::object>> decisions;  // action -> decision records
  std::map<std::string, json::object> outcomes;                // decision id -> outcome record
  for (const json::object& node : LedgerRecordsOfTask(task)) {
    const json::object& rec = node.at("record").as_object();
    if (Str(node, "kind") == "decision" && rec.contains("request")) {
      decisions[Str(rec.at("request"), "action")].push_back(rec);
    } else if (Str(node, "kind") == "outcome") {
      outcomes[Str(rec, "decision_id")] = rec;
    }
  }
  EXPECT_EQ(outcomes.size(), 1u);
  // The read: allowed, forwarded, its outcome a success with the result's digest and size.
  std::vector<json::object> forwarded;
  for (const json::object& d : decisions["Action::\"read_text_file\""]) {
    if (outcomes.count(Str(d, "decision_id")) > 0) forwarded.push_back(d);
  }
  ASSERT_EQ(forwarded.size(), 1u);
  const json::object& read = forwarded[0];
  EXPECT_EQ(Str(read, "verdict"), "allow");
  const json::object& read_outcome = outcomes[Str(read, "decision_id")];
  EXPECT_EQ(Str(read_outcome, "status"), "success");
  EXPECT_EQ(Str(read_outcome, "result_digest").rfind("sha256:", 0), 0u);
  EXPECT_EQ(Str(read_outcome, "result_digest").size(), 7u + 64u);
  EXPECT_GT(read_outcome.at("result_size").to_number<int64_t>(), 0);
  // The write: denied with the policy's reason, never forwarded, so without an outcome.
  std::vector<json::object> denied;
  for (const json::object& d : decisions["Action::\"write_file\""]) {
    if (Str(d, "verdict") == "deny") denied.push_back(d);
  }
  ASSERT_EQ(denied.size(), 1u);
  const json::object& write = denied[0];
  EXPECT_EQ(Str(write, "reason"), "secret files are off limits to agents");
  EXPECT_EQ(outcomes.count(Str(write, "decision_id")), 0u);
  // `writ explain` on the command line reconstructs the same path (tools/list's listing
  // decisions included).
  std::string out, err;
  ASSERT_EQ(Writ({"explain", task, "--data", data_, "--json"}, &out, &err), 0) << err;
  std::string text = json::serialize(json::parse(out));
  for (const std::string& id : {Str(read, "decision_id"), Str(write, "decision_id")}) {
    EXPECT_NE(text.find(id), std::string::npos) << id << " " << text;
  }
  EXPECT_NE(text.find(Str(read_outcome, "result_digest")), std::string::npos) << text;
  EXPECT_NE(text.find("list_allowed_directories"), std::string::npos) << text;
}

}  // namespace
}  // namespace writ::gateway::testing
