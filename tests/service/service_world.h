// The world the decision service's process tests run in: a temporary directory with a copy of
// the example bundle, a master key, an evidence key, a test OIDC provider (its signing key here,
// its JWKS in a file), a writ.toml naming all of them, the real `writ serve` started on a
// loopback port, API keys made with `writ apikey create`, and helpers that speak the API over a
// real HTTP client.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/canonical_json.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "base/jose.h"
#include "identity/master_key.h"
#include "server/http_test_client.h"
#include "support/child_process.h"

extern char** environ;

namespace writ::service::testing {

namespace json = boost::json;
namespace fs = std::filesystem;
using Headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* kIssuer = "https://writ.test";
inline constexpr const char* kTokenEndpoint = "https://writ.test/oauth/token";
inline constexpr const char* kIdp = "https://idp.test";
inline constexpr const char* kOrigin = "writ.test/node-1";
inline constexpr const char* kTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
inline constexpr const char* kAccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
inline constexpr const char* kJwtTokenType = "urn:ietf:params:oauth:token-type:jwt";

// A child process with stdout and stderr captured (tests/support/child_process.h).
using Child = ::writ::testing::ChildProcess;

// An agent as the tests know it: its name and the key its assertions are signed with.
struct TestAgent {
  std::string name;
  std::shared_ptr<JwsSigningKey> key;
  std::string spiffe_id() const { return "spiffe://writ.test/agent/" + name; }
};

inline std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  auto escape = [](std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof(buf), "%%%02X", c);
        out += buf;
      }
    }
    return out;
  };
  std::string body;
  for (const auto& [k, v] : fields) {
    if (!body.empty()) body += '&';
    body += escape(k) + "=" + escape(v);
  }
  return body;
}

inline json::value Json(const server::TestResponse& r) {
  json::error_code ec;
  json::value v = json::parse(r.body, ec);
  return ec ? json::value() : v;
}

inline std::string Str(const json::value& v, std::string_view key) {
  const json::object* o = v.if_object();
  const json::value* x = o ? o->if_contains(key) : nullptr;
  return x && x->is_string() ? std::string(x->get_string()) : std::string();
}

// The machine code of an error answer ({"error": {"code"}}, or RFC 6749's {"error": "..."}).
inline std::string ErrorCode(const server::TestResponse& r) {
  json::value v = Json(r);
  const json::object* o = v.if_object();
  const json::value* e = o ? o->if_contains("error") : nullptr;
  if (e == nullptr) return {};
  if (e->is_string()) return std::string(e->get_string());
  return e->is_object() ? Str(*e, "code") : std::string();
}

class ServiceWorld : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("writ-svc-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    data_ = (dir_ / "data").string();
    bundle_ = dir_ / "bundle";
    fs::copy(WRIT_EXAMPLE_BUNDLE, bundle_, fs::copy_options::recursive);
    fs::remove_all(bundle_ / "tests");
    // One more payments agent trusted to delegate, so that a chain two levels deep is allowed.
    AddEntity(
        json::object{{"uid", {{"type", "Agent"}, {"id", "refund-lead"}}},
                     {"attrs", {{"trust_level", 3}}},
                     {"parents", json::array{json::object{{"type", "Team"}, {"id", "payments"}}}}});

    idp_key_ =
        std::make_shared<JwsSigningKey>(JwsSigningKey::Generate(JwsAlgorithm::kEdDSA).value());
    WriteFile(dir_ / "idp-jwks.json", FormatJwks({idp_key_->Public("idp-1")}));
    auto master = identity::MasterKey::Generate().value();
    ASSERT_TRUE(master.WriteFile((dir_ / "master.key").string()).ok());
    WriteFile(dir_ / "evidence.key", HexEncode(RandomBytes(32).value()));
    ::chmod((dir_ / "evidence.key").c_str(), 0600);
    WriteConfig("");
  }

  void TearDown() override {
    clients_.clear();
    if (serve_) {
      serve_->Signal(SIGKILL);
      serve_->Wait(std::chrono::seconds(10));
      serve_.reset();
    }
    if (!::testing::Test::HasFailure()) fs::remove_all(dir_);
  }

  static void WriteFile(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
  }

  void AddEntity(json::object entity) {
    std::ifstream in(bundle_ / "entities.json");
    std::stringstream ss;
    ss << in.rdbuf();
    json::value v = json::parse(ss.str());
    v.as_array().push_back(std::move(entity));
    WriteFile(bundle_ / "entities.json", json::serialize(v));
  }

  // writ.toml with `extra` appended (TOML sections).
  void WriteConfig(const std::string& extra) {
    std::string toml = R"(data_dir = "data"

[server]
workers = 2

[policies]
dir = "bundle"
reload_interval_ms = 150

[identity]
trust_domain = "writ.test"
issuer = "https://writ.test"
master_key_file = "master.key"

[[identity.oidc]]
issuer = "https://idp.test"
audiences = ["writ"]
jwks_file = "idp-jwks.json"

[evidence]
hmac_key_file = "evidence.key"
sensitive_names = ["prompt"]

[ledger]
origin = "writ.test/node-1"
checkpoint_every_ms = 200
checkpoint_file = "checkpoints.jsonl"

[approvals]
ttl_s = 600
)" + extra;
    WriteFile(dir_ / "writ.toml", toml);
  }

  // `writ args...` to completion: the exit code, stdout and stderr.
  int Writ(std::vector<std::string> args, std::string* out = nullptr, std::string* err = nullptr) {
    args.insert(args.begin(), WRIT_BINARY);
    Child c(args);
    EXPECT_TRUE(c.started());
    int rc = c.Wait(std::chrono::seconds(120));
    if (out) *out = c.out();
    if (err) *err = c.err();
    return rc;
  }

  std::string CreateKey(const std::string& name, const std::string& role) {
    std::string out, err;
    EXPECT_EQ(Writ({"apikey", "create", "--data", data_, "--name", name, "--role", role, "--json"},
                   &out, &err),
              0)
        << err;
    return Str(json::parse(out), "key");
  }

  // Starts `writ serve --config writ.toml` and waits until it listens.
  void Serve() {
    clients_.clear();
    serve_ = std::make_unique<Child>(std::vector<std::string>{WRIT_BINARY, "serve", "--config",
                                                              (dir_ / "writ.toml").string(),
                                                              "--listen", "127.0.0.1:0"});
    ASSERT_TRUE(serve_->started());
    std::string line = serve_->WaitForLine("listening on", std::chrono::seconds(60));
    ASSERT_FALSE(line.empty()) << "stderr: " << serve_->err();
    port_ = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  }

  // SIGTERM, and the exit code.
  int Stop() {
    clients_.clear();
    serve_->Signal(SIGTERM);
    int rc = serve_->Wait(std::chrono::seconds(60));
    EXPECT_EQ(rc, 0) << serve_->err();
    serve_.reset();
    return rc;
  }

  void StartWithKeys() {
    admin_ = CreateKey("admin", "admin");
    approver_ = CreateKey("finance-desk", "approver");
    viewer_ = CreateKey("auditor", "viewer");
    Serve();
  }

  server::HttpTestClient& Client() {
    auto id = std::this_thread::get_id();
    auto it = clients_.find(id);
    if (it == clients_.end() || it->second == nullptr) {
      auto c = server::HttpTestClient::Connect("127.0.0.1", port_);
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      it = clients_.insert_or_assign(id, c.ok() ? std::move(c).value() : nullptr).first;
    }
    return *it->second;
  }

  // One request; `auth` is an API key or a token (sent as Bearer); `content_type` defaults to
  // JSON when there is a body.
  server::TestResponse Call(const std::string& method, const std::string& target,
                            const std::string& auth = {}, const std::string& body = {},
                            std::string content_type = {}, Headers headers = {}) {
    if (!auth.empty()) headers.emplace_back("Authorization", "Bearer " + auth);
    if (!body.empty() && content_type.empty()) content_type = "application/json";
    if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto r = Client().Send(method, target, headers, body);
      if (r.ok()) return std::move(r).value();
      clients_.erase(std::this_thread::get_id());  // the server closed it: reconnect once
    }
    ADD_FAILURE() << method << " " << target << " failed";
    return {};
  }
  server::TestResponse Post(const std::string& target, const std::string& auth,
                            const json::value& body) {
    return Call("POST", target, auth, json::serialize(body));
  }
  server::TestResponse PostForm(const std::string& target, const std::string& auth,
                                const std::vector<std::pair<std::string, std::string>>& fields,
                                Headers headers = {}) {
    return Call("POST", target, auth, FormEncode(fields), "application/x-www-form-urlencoded",
                std::move(headers));
  }

  // An OIDC token of the test provider.
  std::string UserToken(const std::string& subject, std::vector<std::string> groups = {},
                        const std::string& audience = "writ") {
    int64_t now = SystemClock().NowMicros() / 1000000;
    json::array g;
    for (auto& x : groups) g.emplace_back(x);
    json::object claims{{"iss", kIdp}, {"sub", subject},   {"aud", audience},
                        {"iat", now},  {"exp", now + 600}, {"groups", std::move(g)}};
    return SignCompactJws(*idp_key_, json::object{{"typ", "JWT"}, {"kid", "idp-1"}},
                          CanonicalJson(claims).value())
        .value();
  }

  // A fresh RFC 7523 client assertion of `agent`.
  static std::string Assertion(const TestAgent& agent) {
    int64_t now = SystemClock().NowMicros() / 1000000;
    json::object claims{{"iss", agent.spiffe_id()}, {"sub", agent.spiffe_id()},
                        {"aud", kTokenEndpoint},    {"iat", now},
                        {"exp", now + 60},          {"jti", HexEncode(RandomBytes(16).value())}};
    return SignCompactJws(*agent.key, json::object{{"typ", "JWT"}, {"kid", "k1"}},
                          CanonicalJson(claims).value())
        .value();
  }

  // Registers an agent with a fresh Ed25519 key (admin).
  TestAgent Register(const std::string& name, const std::string& team) {
    TestAgent a{name, std::make_shared<JwsSigningKey>(
                          JwsSigningKey::Generate(JwsAlgorithm::kEdDSA).value())};
    auto r = Post("/v1/agents", admin_,
                  json::object{{"name", name},
                               {"owner", "ops@acme.example"},
                               {"team", team},
                               {"public_jwk", a.key->Public("k1").ToJson()}});
    EXPECT_EQ(r.status, 201) << r.body;
    return a;
  }

  // Opens a task; the whole 201 answer (or what came back).
  server::TestResponse OpenTask(const TestAgent& agent, const std::string& user_token,
                                const std::string& intent,
                                std::vector<std::string> scopes = {"payments:read",
                                                                   "payments:refund"},
                                Headers headers = {}) {
    json::array s;
    for (auto& x : scopes) s.emplace_back(x);
    json::object body{
        {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
        {"client_assertion", Assertion(agent)},
        {"user_token", user_token},
        {"intent", intent},
        {"scopes", std::move(s)}};
    return Call("POST", "/v1/tasks", "", json::serialize(body), "application/json",
                std::move(headers));
  }
  std::string TaskToken(const TestAgent& agent, const std::string& user,
                        std::vector<std::string> groups = {"employees"}) {
    auto r = OpenTask(agent, UserToken(user, groups), "refund a duplicate charge");
    EXPECT_EQ(r.status, 201) << r.body;
    return Str(Json(r), "token");
  }

  // RFC 8693 exchange of `parent` for `actor`.
  server::TestResponse Exchange(const std::string& parent, const TestAgent& actor,
                                const std::string& scope = {}) {
    std::vector<std::pair<std::string, std::string>> f = {{"grant_type", kTokenExchange},
                                                          {"subject_token", parent},
                                                          {"subject_token_type", kAccessTokenType},
                                                          {"actor_token", Assertion(actor)},
                                                          {"actor_token_type", kJwtTokenType}};
    if (!scope.empty()) f.emplace_back("scope", scope);
    return PostForm("/oauth/token", "", f);
  }

  server::TestResponse Authorize(const std::string& token, const std::string& action,
                                 const std::string& type, const std::string& id,
                                 json::object context = {}, json::object extra = {}) {
    json::object body{{"action", action},
                      {"resource", {{"type", type}, {"id", id}}},
                      {"context", std::move(context)}};
    for (auto& kv : extra) body[kv.key()] = kv.value();
    return Post("/v1/authorize", token, body);
  }
  server::TestResponse Refund(const std::string& token, int64_t amount, json::object extra = {}) {
    return Authorize(
        token, "refund", "McpServer", "payments",
        json::object{{"input", {{"order_id", "A-1001"}, {"amount", amount}, {"currency", "EUR"}}}},
        std::move(extra));
  }

  bool Active(const std::string& token) {
    auto r = PostForm("/oauth/introspect", viewer_, {{"token", token}});
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = Json(r);
    const json::value* a = v.as_object().if_contains("active");
    return a != nullptr && a->is_bool() && a->get_bool();
  }

  // Records of the task in the ledger (through the API).
  std::vector<json::object> LedgerRecordsOfTask(const std::string& task_id) {
    std::vector<json::object> out;
    auto r = Call("GET", "/v1/explain/" + task_id, viewer_);
    EXPECT_EQ(r.status, 200) << r.body;
    std::function<void(const json::array&)> walk = [&](const json::array& nodes) {
      for (const auto& n : nodes) {
        out.push_back(n.as_object());
        if (const json::value* c = n.as_object().if_contains("children"); c && c->is_array()) {
          walk(c->get_array());
        }
      }
    };
    json::value v = Json(r);
    if (v.is_object() && v.as_object().contains("path")) walk(v.at("path").as_array());
    return out;
  }

  fs::path dir_;
  std::string data_;
  fs::path bundle_;
  std::shared_ptr<JwsSigningKey> idp_key_;
  std::unique_ptr<Child> serve_;
  uint16_t port_ = 0;
  std::string admin_, approver_, viewer_;
  std::map<std::thread::id, std::unique_ptr<server::HttpTestClient>> clients_;
};

}  // namespace writ::service::testing
