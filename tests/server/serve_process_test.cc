// `writ serve` and `writ apikey` as processes: the real binary on a loopback port, driven over
// HTTP (plain and TLS) by a real client, stopped with SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/http_test_client.h"
#include "support/child_process.h"

extern char** environ;

namespace writ::server {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

using Process = ::writ::testing::ChildProcess;  // tests/support/child_process.h

class ServeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-serve-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    data_ = (dir_ / "data").string();
  }
  void TearDown() override {
    serve_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs `writ args...` to completion; returns its exit code, stdout in `out`.
  int Writ(std::vector<std::string> args, std::string* out = nullptr, std::string* err = nullptr) {
    args.insert(args.begin(), WRIT_BINARY);
    Process p(args);
    EXPECT_TRUE(p.started());
    int rc = p.Wait(std::chrono::seconds(60));
    if (out) *out = p.out();
    if (err) *err = p.err();
    return rc;
  }

  std::string CreateKey(const std::string& name, const std::string& role) {
    std::string out;
    EXPECT_EQ(
        Writ({"apikey", "create", "--data", data_, "--name", name, "--role", role, "--json"}, &out),
        0);
    json::value v = json::parse(out);
    return std::string(v.at("key").as_string());
  }

  // Starts `writ serve` with `extra` flags and waits until it listens.
  void Serve(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {WRIT_BINARY, "serve", "--listen",  "127.0.0.1:0",
                                     "--data",    data_,   "--workers", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    serve_ = std::make_unique<Process>(args);
    ASSERT_TRUE(serve_->started());
    std::string line = serve_->WaitForLine("listening on", std::chrono::seconds(30));
    ASSERT_FALSE(line.empty()) << "stderr: " << serve_->err();
    port_ = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
    tls_ = line.find("https://") != std::string::npos;
  }

  std::unique_ptr<HttpTestClient> Client() {
    HttpTestClient::Options o;
    o.tls = tls_;
    auto c = HttpTestClient::Connect("127.0.0.1", port_, o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  TestResponse Call(HttpTestClient& c, const std::string& method, const std::string& target,
                    const std::string& key = {}, Headers headers = {}, std::string body = {}) {
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
    auto r = c.Send(method, target, std::move(headers), std::move(body));
    EXPECT_TRUE(r.ok()) << method << " " << target << ": " << r.status().ToString();
    return r.ok() ? std::move(r).value() : TestResponse{};
  }

  static std::string ErrorCode(const TestResponse& r) {
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("error")) return "<not an error>";
    return std::string(v.at("error").at("code").as_string());
  }

  void WriteFile(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  std::filesystem::path dir_;
  std::string data_;
  std::unique_ptr<Process> serve_;
  uint16_t port_ = 0;
  bool tls_ = false;
};

TEST_F(ServeProcessTest, ApiKeyCommandsCreateListRevoke) {
  std::string out, err;
  ASSERT_EQ(
      Writ({"apikey", "create", "--data", data_, "--name", "ops", "--role", "admin"}, &out, &err),
      0);
  EXPECT_NE(out.find("key:  wk_"), std::string::npos) << out;
  EXPECT_NE(err.find("not shown again"), std::string::npos);
  std::string key = out.substr(out.find("wk_"), 63);
  ASSERT_EQ(Writ({"apikey", "list", "--data", data_, "--json"}, &out), 0);
  json::array list = json::parse(out).as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("name").as_string(), "ops");
  EXPECT_EQ(list[0].at("role").as_string(), "admin");
  EXPECT_TRUE(list[0].at("revoked").is_null());
  EXPECT_EQ(out.find(key.substr(20)), std::string::npos);  // the secret is never listed
  // A taken name and a bad role are refused with an exit code.
  EXPECT_EQ(Writ({"apikey", "create", "--data", data_, "--name", "ops", "--role", "viewer"},
                 nullptr, &err),
            1);
  EXPECT_NE(err.find("name_taken"), std::string::npos) << err;
  EXPECT_NE(Writ({"apikey", "create", "--data", data_, "--name", "x", "--role", "root"}), 0);
  ASSERT_EQ(Writ({"apikey", "revoke", "--data", data_, "ops"}, &out), 0);
  EXPECT_NE(out.find("revoked"), std::string::npos);
  EXPECT_EQ(Writ({"apikey", "revoke", "--data", data_, "ops"}, nullptr, &err), 1);
  EXPECT_NE(err.find("api_key_not_found"), std::string::npos) << err;
}

TEST_F(ServeProcessTest, ServesHealthReadinessOpenApiAndMetrics) {
  std::string viewer = CreateKey("viewer", "viewer");
  Serve();
  auto c = Client();
  TestResponse r = Call(*c, "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("status").as_string(), "ok");
  r = Call(*c, "GET", "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("status").as_string(), "ready");

  r = Call(*c, "GET", "/openapi.json");
  EXPECT_EQ(r.status, 200);
  std::ifstream doc(WRIT_OPENAPI_JSON);
  std::stringstream text;
  text << doc.rdbuf();
  EXPECT_EQ(json::parse(r.body), json::parse(text.str()));
  json::value api = json::parse(r.body);
  EXPECT_EQ(api.at("openapi").as_string(), "3.1.0");
  for (const char* path :
       {"/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/api-keys", "/v1/api-keys/{id}"}) {
    EXPECT_TRUE(api.at("paths").as_object().contains(path)) << path;
  }

  r = Call(*c, "GET", "/metrics");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "unauthenticated");
  r = Call(*c, "GET", "/metrics", viewer);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("writ_http_requests_total{route=\"GET /healthz\",status=\"200\"} 1\n"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("writ_http_bad_input_total{code=\"unauthenticated\"} 1\n"),
            std::string::npos);
  // Every request above went over this one keep-alive connection.
  EXPECT_NE(r.body.find("writ_http_connections_accepted_total 1\n"), std::string::npos);
}

TEST_F(ServeProcessTest, ApiKeyEndpointsFollowRoles) {
  std::string admin = CreateKey("admin", "admin");
  std::string viewer = CreateKey("viewer", "viewer");
  WriteFile("writ.toml", "[server.api_keys]\nrefresh_ms = 100\n");
  Serve({"--config", (dir_ / "writ.toml").string()});
  auto c = Client();
  TestResponse r = Call(*c, "GET", "/v1/api-keys", viewer);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorCode(r), "insufficient_role");
  r = Call(*c, "POST", "/v1/api-keys", viewer, {{"Content-Type", "application/json"}},
           R"({"name":"x","role":"admin"})");
  EXPECT_EQ(r.status, 403);
  r = Call(*c, "GET", "/v1/api-keys", admin);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("api_keys").as_array().size(), 2u);

  r = Call(*c, "POST", "/v1/api-keys", admin, {{"Content-Type", "application/json"}},
           R"({"name":"grafana","role":"viewer"})");
  ASSERT_EQ(r.status, 201) << r.body;
  json::value created = json::parse(r.body);
  std::string new_key(created.at("key").as_string());
  std::string new_id(created.at("id").as_string());
  EXPECT_EQ(Call(*c, "GET", "/metrics", new_key).status, 200);
  r = Call(*c, "POST", "/v1/api-keys", admin, {{"Content-Type", "application/json"}},
           R"({"name":"grafana","role":"viewer"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ErrorCode(r), "name_taken");

  r = Call(*c, "DELETE", "/v1/api-keys/" + new_id, admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(json::parse(r.body).at("revoked").is_null());
  EXPECT_EQ(Call(*c, "DELETE", "/v1/api-keys/" + new_id, admin).status, 409);
  EXPECT_EQ(Call(*c, "DELETE", "/v1/api-keys/0000000000000000", admin).status, 404);
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    TestResponse m = Call(*c, "GET", "/metrics", new_key);
    refused = m.status == 401 && ErrorCode(m) == "api_key_revoked";
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(refused);

  // Revoked from another process while the service runs: refused within refresh_ms.
  ASSERT_EQ(Writ({"apikey", "revoke", "--data", data_, "viewer"}), 0);
  refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = Call(*c, "GET", "/metrics", viewer).status == 401;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(refused);
  // No key appears in what the service printed.
  serve_->Signal(SIGTERM);
  EXPECT_EQ(serve_->Wait(std::chrono::seconds(30)), 0);
  for (const std::string& k : {admin, viewer, new_key}) {
    EXPECT_EQ(serve_->out().find(k.substr(20)), std::string::npos);
    EXPECT_EQ(serve_->err().find(k.substr(20)), std::string::npos);
  }
}

TEST_F(ServeProcessTest, BadInputIsRefusedCountedAndChangesNothing) {
  std::string admin = CreateKey("admin", "admin");
  WriteFile("writ.toml",
            "[server.limits]\nmax_body_bytes = 4096\nmax_header_bytes = 4096\n"
            "json_max_depth = 16\njson_max_string_bytes = 128\n"
            "[server.timeouts]\nread_ms = 500\n");
  Serve({"--config", (dir_ / "writ.toml").string()});
  struct Case {
    std::string content_type;
    std::string body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"application/json", R"({"name":")" + std::string(5000, 'n') + R"(","role":"admin"})", 413,
       "body_too_large"},
      {"text/plain", R"({"name":"a","role":"admin"})", 415, "unsupported_media_type"},
      {"application/json", R"({"name":"a","role":)", 400, "malformed_json"},
      {"application/json", "{\"name\":\"\xc3\x28\",\"role\":\"admin\"}", 400, "invalid_utf8"},
      {"application/json", std::string(17, '[') + std::string(17, ']'), 400, "json_too_deep"},
      {"application/json", R"({"name":")" + std::string(129, 'n') + R"(","role":"admin"})", 400,
       "json_string_too_long"},
      {"application/json", R"({"name":"a","role":"admin","extra":1})", 400, "unknown_field"},
      {"application/json", R"({"name":"a","role":"admin","name":"b"})", 400, "duplicate_field"},
      {"application/json", R"({"name":"a","role":"root"})", 400, "invalid_field"},
      {"application/json", R"({"name":"a b","role":"admin"})", 400, "invalid_name"},
      {"application/json", "", 400, "empty_body"},
  };
  for (const Case& k : cases) {
    auto c = Client();
    Headers h;
    if (!k.content_type.empty()) h.emplace_back("Content-Type", k.content_type);
    TestResponse r = Call(*c, "POST", "/v1/api-keys", admin, h, k.body);
    EXPECT_EQ(r.status, k.status) << k.code << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), k.code);
  }
  // 431, and 408 for a client that stops mid-request.
  auto c = Client();
  TestResponse big = Call(*c, "GET", "/healthz", {}, {{"X-Pad", std::string(5000, 'p')}});
  EXPECT_EQ(big.status, 431);
  EXPECT_EQ(ErrorCode(big), "header_too_large");
  auto slow = Client();
  ASSERT_TRUE(slow->WriteRaw("POST /v1/api-keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                             admin +
                             "\r\nContent-Type: application/json\r\nContent-Length: 40"
                             "\r\n\r\n{\"name\":")
                  .ok());
  auto timed_out = slow->Read();
  ASSERT_TRUE(timed_out.ok()) << timed_out.status().ToString();
  EXPECT_EQ(timed_out->status, 408);

  // Nothing was created, and the service still answers.
  auto after = Client();
  TestResponse list = Call(*after, "GET", "/v1/api-keys", admin);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body).at("api_keys").as_array().size(), 1u);
  TestResponse m = Call(*after, "GET", "/metrics", admin);
  for (const Case& k : cases) {
    EXPECT_NE(m.body.find("writ_http_bad_input_total{code=\"" + k.code + "\"} 1\n"),
              std::string::npos)
        << k.code;
  }
  EXPECT_NE(m.body.find("writ_http_bad_input_total{code=\"header_too_large\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("writ_http_bad_input_total{code=\"request_timeout\"} 1\n"),
            std::string::npos);
}

TEST_F(ServeProcessTest, TlsWithAGeneratedCertificate) {
  std::string cert = (dir_ / "cert.pem").string();
  std::string key = (dir_ / "key.pem").string();
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "the openssl command is not available";
  std::string viewer = CreateKey("viewer", "viewer");
  Serve({"--tls-cert", cert, "--tls-key", key});
  ASSERT_TRUE(tls_);
  auto c = Client();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Call(*c, "GET", "/healthz").status, 200);
  EXPECT_EQ(Call(*c, "GET", "/metrics", viewer).status, 200);
  EXPECT_EQ(Call(*c, "GET", "/metrics").status, 401);
  // curl, when present, agrees (certificate pinned with --cacert).
  if (std::system("curl --version >/dev/null 2>&1") == 0) {
    std::string out_file = (dir_ / "curl.out").string();
    std::string curl = "curl -sS --cacert " + cert + " -o " + out_file +
                       " -w '%{http_code}' https://127.0.0.1:" + std::to_string(port_) +
                       "/healthz > " + out_file + ".code";
    ASSERT_EQ(std::system(curl.c_str()), 0);
    std::ifstream code_file(out_file + ".code");
    std::string code;
    code_file >> code;
    EXPECT_EQ(code, "200");
  }
  // A TLS key file that is not a key: refused at start with a clear message.
  Process bad({WRIT_BINARY, "serve", "--listen", "127.0.0.1:0", "--data", data_, "--tls-cert", cert,
               "--tls-key", cert});
  EXPECT_EQ(bad.Wait(std::chrono::seconds(30)), 1);
  EXPECT_NE(bad.err().find("tls: cannot use the key file"), std::string::npos) << bad.err();
}

TEST_F(ServeProcessTest, SigtermDrainsAndExitsZero) {
  Serve();
  auto idle = Client();
  EXPECT_EQ(Call(*idle, "GET", "/healthz").status, 200);
  serve_->Signal(SIGTERM);
  EXPECT_EQ(serve_->Wait(std::chrono::seconds(30)), 0) << serve_->err();
  EXPECT_NE(serve_->err().find("writ: stopped"), std::string::npos);
  EXPECT_TRUE(idle->PeerClosed());
  EXPECT_FALSE(HttpTestClient::Connect("127.0.0.1", port_).ok());
}

TEST_F(ServeProcessTest, ConfigFileFlagsAndErrors) {
  // The file says one port; --listen overrides it.
  WriteFile("writ.toml", "data_dir = \"from-file\"\n[server]\nlisten = \"127.0.0.1:1\"\n");
  Serve({"--config", (dir_ / "writ.toml").string()});
  auto c = Client();
  EXPECT_EQ(Call(*c, "GET", "/healthz").status, 200);
  // --data was given on the command line too: the file's data_dir is overridden.
  EXPECT_FALSE(std::filesystem::exists(dir_ / "from-file"));
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(data_) / "writ.db"));
  serve_.reset();

  std::string err;
  WriteFile("bad.toml", "[server]\nlisen = \"127.0.0.1:0\"\n");
  EXPECT_EQ(Writ({"serve", "--config", (dir_ / "bad.toml").string()}, nullptr, &err), 1);
  EXPECT_NE(err.find("bad.toml:2:9: unknown key `server.lisen`"), std::string::npos) << err;
  EXPECT_EQ(Writ({"serve", "--config", (dir_ / "missing.toml").string()}, nullptr, &err), 1);
  EXPECT_NE(err.find("not_found"), std::string::npos) << err;
  EXPECT_EQ(Writ({"serve", "--data", data_, "--tls-cert", "c.pem"}, nullptr, &err), 1);
  EXPECT_NE(err.find("both"), std::string::npos) << err;
  EXPECT_NE(Writ({"serve", "--workers", "-3"}, nullptr, &err), 0);
}

TEST_F(ServeProcessTest, PortInUseIsAClearError) {
  Serve();
  std::string err;
  EXPECT_EQ(Writ({"serve", "--data", data_, "--listen", "127.0.0.1:" + std::to_string(port_)},
                 nullptr, &err),
            1);
  EXPECT_NE(err.find("cannot listen"), std::string::npos) << err;
}

}  // namespace
}  // namespace writ::server
