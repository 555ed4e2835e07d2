// `writ serve` and `writ apikey` as processes: the real binary on a loopback port, driven over
// HTTP (plain and TLS) by a real client, stopped with SIGTERM. The bad-input table, slow clients
// and SIGTERM under load are also run against POST /v1/authorize, in the decision service's
// world (tests/service/service_world.h), where every refused request must leave the ledger as
// it was and every answered decision must be in it once the process has exited.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/http_test_client.h"
#include "service/service_world.h"
#include "support/child_process.h"

extern char** environ;

namespace writ::server {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

using Process = ::writ::testing::ChildProcess;  // tests/support/child_process.h
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// One answer read by a RawConnection.
struct RawAnswer {
  size_t bytes = 0;        // bytes of this answer that arrived
  bool complete = false;   // its head and whole body (Content-Length) arrived
  bool timed_out = false;  // neither the whole answer nor the end of the stream came in time
  int status = 0;
  bool close = false;  // Connection: close
  std::string body;
};

// The machine code of an error body, or "<not an error>".
std::string BodyErrorCode(const std::string& body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("error") || !v.at("error").is_object()) {
    return "<not an error>";
  }
  return std::string(v.at("error").at("code").as_string());
}

// A client on a bare loopback socket, for what HttpTestClient does not show: bytes written a
// few at a time, and whether an answer that began to arrive ever ended.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool Write(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // True when bytes, or the end of the stream, can be read within `timeout`.
  bool Readable(milliseconds timeout) {
    if (!in_.empty()) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
  }

  // Reads one answer (which must have a Content-Length, as every answer of these tests has).
  RawAnswer ReadAnswer(milliseconds timeout) {
    RawAnswer a;
    auto deadline = SteadyClock::now() + timeout;
    while (true) {
      a.bytes = in_.size();
      if (size_t head_end = in_.find("\r\n\r\n"); head_end != std::string::npos) {
        std::string head = in_.substr(0, head_end + 2);
        size_t length = 0;
        if (head.rfind("HTTP/1.1 ", 0) == 0) a.status = std::atoi(head.c_str() + 9);
        for (size_t at = head.find("\r\n") + 2; at < head.size();) {
          size_t eol = head.find("\r\n", at);
          std::string line = head.substr(at, eol - at);
          at = eol + 2;
          size_t colon = line.find(':');
          if (colon == std::string::npos) continue;
          std::string name = line.substr(0, colon);
          for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          std::string value = line.substr(line.find_first_not_of(' ', colon + 1));
          if (name == "content-length") length = std::stoul(value);
          if (name == "connection") a.close = value == "close";
        }
        if (in_.size() >= head_end + 4 + length) {
          a.body = in_.substr(head_end + 4, length);
          a.bytes = head_end + 4 + length;
          a.complete = true;
          in_.erase(0, a.bytes);
          return a;
        }
      }
      auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        a.timed_out = true;
        return a;
      }
      char buf[16384];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return a;  // the end of the stream (or a reset) before the answer ended
      in_.append(buf, static_cast<size_t>(n));
    }
  }

  // True when the peer closes the connection (end of stream or reset) within `timeout`.
  bool PeerClosed(milliseconds timeout) {
    auto deadline = SteadyClock::now() + timeout;
    char buf[4096];
    while (SteadyClock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0 && !(n < 0 && errno == EINTR)) return true;
    }
    return false;
  }

 private:
  int fd_ = -1;
  std::string in_;  // bytes read and not yet taken by an answer
};

// The value of one series (`name{labels}` exactly) in a Prometheus text, 0 when absent.
double MetricValue(const std::string& text, const std::string& series) {
  std::string needle = "\n" + series + " ";
  size_t at = text.find(needle);
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + needle.size()));
}

// The sum of every series of a family (`name{...} v` lines).
double MetricSum(const std::string& text, const std::string& family) {
  double sum = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(family + "{", 0) == 0 || line.rfind(family + " ", 0) == 0) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}

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
  EXPECT_EQ(ErrorCode(*timed_out), "request_timeout");

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

TEST_F(ServeProcessTest, SlowHeadersTimeOutWithoutHoldingUpOtherClients) {
  std::string viewer = CreateKey("viewer", "viewer");
  WriteFile("writ.toml", "[server.timeouts]\nread_ms = 1000\n");
  Serve({"--config", (dir_ / "writ.toml").string()});

  // One client trickles its header fields a byte at a time and would not end them for 10 s;
  // another sends half a field and stops. Both get 408 once read_ms has passed since their
  // first byte, and are closed.
  std::atomic<bool> trickler_answered{false};
  RawAnswer trickled, stalled;
  milliseconds trickled_after{0}, stalled_after{0};
  bool trickled_closed = false, stalled_closed = false;
  std::thread trickler([&] {
    RawConnection c(port_);
    ASSERT_TRUE(c.connected());
    auto start = SteadyClock::now();
    ASSERT_TRUE(c.Write("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
    std::string field = "X-Slow: " + std::string(200, 's');
    for (size_t i = 0; i < field.size() && !c.Readable(milliseconds(50)); ++i) {
      if (!c.Write(field.substr(i, 1))) break;
    }
    trickled = c.ReadAnswer(milliseconds(5000));
    trickled_after = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
    trickler_answered.store(true);
    trickled_closed = c.PeerClosed(milliseconds(5000));
  });
  std::thread staller([&] {
    RawConnection c(port_);
    ASSERT_TRUE(c.connected());
    auto start = SteadyClock::now();
    ASSERT_TRUE(c.Write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Stalled: 1"));
    stalled = c.ReadAnswer(milliseconds(5000));
    stalled_after = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
    stalled_closed = c.PeerClosed(milliseconds(5000));
  });

  // Meanwhile other clients, on connections spread over both workers, are answered at once.
  std::this_thread::sleep_for(milliseconds(100));
  std::vector<std::unique_ptr<HttpTestClient>> others;
  for (int i = 0; i < 4; ++i) others.push_back(Client());
  milliseconds slowest{0};
  int answered = 0;
  for (int round = 0; round < 5; ++round) {
    for (auto& c : others) {
      auto start = SteadyClock::now();
      TestResponse r = Call(*c, "GET", "/healthz");
      slowest =
          std::max(slowest, std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start));
      if (r.status == 200) ++answered;
    }
    std::this_thread::sleep_for(milliseconds(40));
  }
  EXPECT_FALSE(trickler_answered.load()) << "the slow client was answered before the others";
  EXPECT_EQ(answered, 20);
  EXPECT_LT(slowest.count(), 300);
  trickler.join();
  staller.join();

  for (const RawAnswer* a : {&trickled, &stalled}) {
    EXPECT_TRUE(a->complete);
    EXPECT_EQ(a->status, 408);
    EXPECT_EQ(BodyErrorCode(a->body), "request_timeout") << a->body;
    EXPECT_TRUE(a->close);
  }
  EXPECT_TRUE(trickled_closed);
  EXPECT_TRUE(stalled_closed);
  EXPECT_GE(trickled_after.count(), 900);
  EXPECT_LT(trickled_after.count(), 2500);
  EXPECT_GE(stalled_after.count(), 900);
  EXPECT_LT(stalled_after.count(), 2500);

  auto c = Client();
  TestResponse m = Call(*c, "GET", "/metrics", viewer);
  EXPECT_EQ(MetricValue(m.body, "writ_http_bad_input_total{code=\"request_timeout\"}"), 2)
      << m.body;
  EXPECT_EQ(MetricValue(m.body, "writ_http_requests_total{route=\"GET /healthz\",status=\"200\"}"),
            20);
}

using service::testing::TestAgent;

// The decision service's world: a policy bundle, agents, tasks and the ledger.
class ServeAuthorizeTest : public service::testing::ServiceWorld {
 protected:
  // Every record of the ledger in order, read with `writ ledger query` (read-only, so also
  // while the service runs).
  std::vector<json::object> LedgerRecords() {
    std::string out, err;
    EXPECT_EQ(
        Writ({"ledger", "query", "--data", data_, "--limit", "10000000", "--json"}, &out, &err), 0)
        << err;
    std::vector<json::object> records;
    json::error_code ec;
    json::value v = json::parse(out, ec);
    if (ec || !v.is_array()) return records;
    for (const json::value& r : v.as_array()) records.push_back(r.as_object());
    return records;
  }

  // The records other than checkpoints, as "<seq> <kind>".
  static std::vector<std::string> Evidence(const std::vector<json::object>& records) {
    std::vector<std::string> out;
    for (const json::object& r : records) {
      if (r.at("kind").as_string() == "checkpoint") continue;
      out.push_back(std::to_string(r.at("seq").to_number<uint64_t>()) + " " +
                    std::string(r.at("kind").as_string()));
    }
    return out;
  }

  std::string Metrics() {
    server::TestResponse r = Call("GET", "/metrics", viewer_);
    EXPECT_EQ(r.status, 200);
    return r.body;
  }

  // An authorize request as bytes: a refund the example bundle allows.
  static std::string AuthorizeRequest(const std::string& token, int amount) {
    std::string body = json::serialize(json::object{
        {"action", "refund"},
        {"resource", {{"type", "McpServer"}, {"id", "payments"}}},
        {"context", {{"input", {{"order_id", "A-1"}, {"amount", amount}, {"currency", "EUR"}}}}}});
    return "POST /v1/authorize HTTP/1.1\r\nHost: writ\r\nAuthorization: Bearer " + token +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  }
};

TEST_F(ServeAuthorizeTest, BadInputIsRefusedCountedAndRecordsNoDecision) {
  WriteConfig(
      "[server.limits]\nmax_body_bytes = 4096\njson_max_depth = 16\n"
      "json_max_string_bytes = 2048\n[server.timeouts]\nread_ms = 500\n");
  StartWithKeys();
  TestAgent agent = Register("payments-orchestrator", "payments");
  std::string task = TaskToken(agent, "bob");
  ASSERT_FALSE(task.empty());
  std::vector<std::string> before = Evidence(LedgerRecords());
  ASSERT_FALSE(before.empty());
  double decisions_before = MetricSum(Metrics(), "writ_decisions_total");  // the task's start

  const std::string head = R"({"action":"refund","resource":{"type":"McpServer","id":"payments"})";
  auto with_context = [&](const std::string& context) {
    return head + R"(,"context":)" + context + "}";
  };
  auto with_input = [&](const std::string& input) {
    return with_context(R"({"input":)" + input + "}");
  };
  const std::string good = with_input(R"({"order_id":"A-1","amount":3,"currency":"EUR"})");
  std::string deep;  // `context` 16 objects deep: 17 with the body
  for (int i = 0; i < 16; ++i) deep += R"({"a":)";
  deep += "1" + std::string(16, '}');
  struct Case {
    std::optional<std::string> content_type;  // none: no Content-Type field
    std::string body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"application/json", with_input(R"({"note":")" + std::string(5000, 'n') + R"("})"), 413,
       "body_too_large"},
      {"text/plain", good, 415, "unsupported_media_type"},
      {std::nullopt, good, 415, "unsupported_media_type"},
      {"application/json; charset=latin1", good, 415, "unsupported_media_type"},
      {"application/json", "", 400, "empty_body"},
      {"application/json", with_input("{\"note\":\"\xc3\x28\"}"), 400, "invalid_utf8"},
      {"application/json", with_input("{\"note\":\"\xed\xa0\x80\"}"), 400, "invalid_utf8"},
      {"application/json", with_context(deep), 400, "json_too_deep"},
      {"application/json", with_input(R"({"note":")" + std::string(2049, 'n') + R"("})"), 400,
       "json_string_too_long"},
      {"application/json", with_input(R"({")" + std::string(2049, 'k') + R"(":1})"), 400,
       "json_string_too_long"},
      {"application/json", head + R"(,"context":{"input":)", 400, "malformed_json"},
      {"application/json", "[" + good + "]", 400, "not_an_object"},
      {"application/json", head + R"(,"verdict":"allow"})", 400, "unknown_field"},
      {"application/json", head + R"(,"action":"read"})", 400, "duplicate_field"},
  };
  std::map<std::string, int> counted;
  std::map<int, int> by_status;
  for (const Case& k : cases) {
    auto c = server::HttpTestClient::Connect("127.0.0.1", port_);
    ASSERT_TRUE(c.ok());
    service::testing::Headers h = {{"Authorization", "Bearer " + task}};
    if (k.content_type) h.emplace_back("Content-Type", *k.content_type);
    auto r = (*c)->Send("POST", "/v1/authorize", h, k.body);
    ASSERT_TRUE(r.ok()) << k.code << ": " << r.status().ToString();
    EXPECT_EQ(r->status, k.status) << k.code << ": " << r->body;
    EXPECT_EQ(service::testing::ErrorCode(*r), k.code) << r->body;
    EXPECT_FALSE(service::testing::Str(service::testing::Json(*r).at("error"), "message").empty());
    ++counted[k.code];
    ++by_status[k.status];
  }

  // Without a token, the caller is refused before its body's size is judged.
  {
    auto c = server::HttpTestClient::Connect("127.0.0.1", port_);
    ASSERT_TRUE(c.ok());
    auto r = (*c)->Send("POST", "/v1/authorize", {{"Content-Type", "application/json"}},
                        with_input(R"({"note":")" + std::string(5000, 'n') + R"("})"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_EQ(service::testing::ErrorCode(*r), "unauthenticated");
    ++counted["unauthenticated"];
    ++by_status[401];
  }
  // A chunked body that grows past the limit: 413 once the limit is crossed.
  {
    RawConnection c(port_);
    ASSERT_TRUE(c.connected());
    std::string chunk = with_input(R"({"note":")" + std::string(5000, 'n') + R"("})");
    char size[16];
    std::snprintf(size, sizeof size, "%zx", chunk.size());
    ASSERT_TRUE(c.Write("POST /v1/authorize HTTP/1.1\r\nHost: writ\r\nAuthorization: Bearer " +
                        task +
                        "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                        size + "\r\n" + chunk + "\r\n0\r\n\r\n"));
    RawAnswer a = c.ReadAnswer(milliseconds(5000));
    EXPECT_EQ(a.status, 413);
    EXPECT_EQ(BodyErrorCode(a.body), "body_too_large");
    ++counted["body_too_large"];
    ++by_status[413];
  }
  // A body that stops halfway: 408 after read_ms.
  {
    RawConnection c(port_);
    ASSERT_TRUE(c.connected());
    std::string request = AuthorizeRequest(task, 3);
    ASSERT_TRUE(c.Write(request.substr(0, request.size() - 10)));
    RawAnswer a = c.ReadAnswer(milliseconds(5000));
    EXPECT_EQ(a.status, 408);
    EXPECT_EQ(BodyErrorCode(a.body), "request_timeout") << a.body;
    EXPECT_TRUE(a.close);
    EXPECT_TRUE(c.PeerClosed(milliseconds(5000)));
    ++counted["request_timeout"];
    ++by_status[408];
  }

  // Every refusal was counted by its code, and none became a decision.
  std::string m = Metrics();
  for (const auto& [code, n] : counted) {
    EXPECT_EQ(MetricValue(m, "writ_http_bad_input_total{code=\"" + code + "\"}"), n) << code;
  }
  for (const auto& [status, n] : by_status) {
    EXPECT_EQ(MetricValue(m, "writ_http_requests_total{route=\"POST /v1/authorize\",status=\"" +
                                 std::to_string(status) + "\"}"),
              n)
        << status;
  }
  EXPECT_EQ(MetricSum(m, "writ_decisions_total"), decisions_before) << m;

  // The service still decides, for the same token, and that decision is the only new record.
  server::TestResponse allowed = Call("POST", "/v1/authorize", task, good);
  ASSERT_EQ(allowed.status, 200) << allowed.body;
  json::value decision = service::testing::Json(allowed);
  EXPECT_EQ(service::testing::Str(decision, "verdict"), "allow");
  uint64_t seq = decision.at("ledger_seq").to_number<uint64_t>();
  Stop();
  std::vector<json::object> records = LedgerRecords();
  std::vector<std::string> expected = before;
  expected.push_back(std::to_string(seq) + " decision");
  EXPECT_EQ(Evidence(records), expected);
  for (const json::object& r : records) {
    if (r.at("seq").to_number<uint64_t>() != seq) continue;
    EXPECT_EQ(service::testing::Str(r.at("body"), "decision_id"),
              service::testing::Str(decision, "decision_id"));
  }
}

TEST_F(ServeAuthorizeTest, SigtermWhileAuthorizingAnswersWholeAndRecordsEveryAnswer) {
  StartWithKeys();
  TestAgent agent = Register("payments-orchestrator", "payments");
  std::string task = TaskToken(agent, "bob");
  ASSERT_FALSE(task.empty());
  const std::string request = AuthorizeRequest(task, 3);

  struct Ack {
    std::string decision_id;
    uint64_t seq;
  };
  std::mutex mu;
  std::vector<Ack> acks;
  std::vector<std::string> problems;    // answers that were not whole, or not decisions
  std::atomic<int> closing_answers{0};  // answered while draining (Connection: close)
  std::atomic<bool> signalled{false};
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      auto give_up = SteadyClock::now() + std::chrono::seconds(30);
      while (SteadyClock::now() < give_up) {
        RawConnection c(port_);
        if (!c.connected()) return;  // no longer listening
        bool reconnect = false;
        while (!reconnect) {
          if (!c.Write(request)) break;
          RawAnswer a = c.ReadAnswer(milliseconds(20000));
          if (a.bytes == 0 && !a.timed_out) break;  // closed before answering: not an answer
          std::lock_guard<std::mutex> lock(mu);
          if (!a.complete) {
            problems.push_back("an answer of " + std::to_string(a.bytes) + " bytes that " +
                               (a.timed_out ? "never ended" : "was cut"));
            return;
          }
          json::error_code ec;
          json::value v = json::parse(a.body, ec);
          if (a.status != 200 || ec || service::testing::Str(v, "verdict") != "allow") {
            problems.push_back(std::to_string(a.status) + " " + a.body);
            return;
          }
          acks.push_back(
              {service::testing::Str(v, "decision_id"), v.at("ledger_seq").to_number<uint64_t>()});
          answered.fetch_add(1);
          if (a.close && signalled.load()) closing_answers.fetch_add(1);
          reconnect = a.close;
        }
        if (signalled.load()) {
          // After SIGTERM a new connection is refused, or closed without an answer.
          std::this_thread::sleep_for(milliseconds(5));
        }
      }
    });
  }
  // One more client is in the middle of a request when the signal comes: its head and half its
  // body have arrived (after a first request, so the server has surely read them), the rest
  // comes while the server drains.
  RawConnection slow(port_);
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.Write(request));
  ASSERT_EQ(slow.ReadAnswer(milliseconds(10000)).status, 200);
  ASSERT_TRUE(slow.Write(request.substr(0, request.size() - 20)));

  // Let the load run, then stop the service in the middle of it.
  auto until = SteadyClock::now() + std::chrono::seconds(5);
  while (answered.load() < 200 && SteadyClock::now() < until) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  signalled.store(true);
  serve_->Signal(SIGTERM);
  // The process waits for the request still arriving, and answers it whole.
  EXPECT_EQ(serve_->Wait(milliseconds(300)), -1) << "exited with a request half read";
  ASSERT_TRUE(slow.Write(request.substr(request.size() - 20)));
  RawAnswer last = slow.ReadAnswer(milliseconds(10000));
  EXPECT_TRUE(last.complete);
  EXPECT_EQ(last.status, 200) << last.body;
  EXPECT_TRUE(last.close);
  if (last.complete && last.status == 200) {
    json::value v = json::parse(last.body);
    std::lock_guard<std::mutex> lock(mu);
    acks.push_back(
        {service::testing::Str(v, "decision_id"), v.at("ledger_seq").to_number<uint64_t>()});
  }
  EXPECT_TRUE(slow.PeerClosed(milliseconds(5000)));

  int rc = serve_->Wait(std::chrono::seconds(30));
  for (auto& t : clients) t.join();
  EXPECT_EQ(rc, 0) << serve_->err();
  EXPECT_NE(serve_->err().find("writ: stopped"), std::string::npos) << serve_->err();
  serve_.reset();
  EXPECT_TRUE(problems.empty()) << problems.size() << " bad answers, the first: "
                                << (problems.empty() ? "" : problems.front());
  ASSERT_GE(acks.size(), 200u);
  std::printf("%zu decisions answered, %d of them while draining\n", acks.size(),
              closing_answers.load());

  // Every answered decision is in the ledger, at the seq its answer gave.
  std::vector<json::object> records = LedgerRecords();
  std::map<uint64_t, std::string> decisions;
  for (const json::object& r : records) {
    if (r.at("kind").as_string() == "decision") {
      decisions[r.at("seq").to_number<uint64_t>()] =
          service::testing::Str(r.at("body"), "decision_id");
    }
  }
  uint64_t last_acked = 0;
  for (const Ack& a : acks) {
    auto it = decisions.find(a.seq);
    ASSERT_NE(it, decisions.end()) << "seq " << a.seq << " is missing";
    EXPECT_EQ(it->second, a.decision_id) << "seq " << a.seq;
    last_acked = std::max(last_acked, a.seq);
  }
  // The last record is a checkpoint over all of them, and the whole ledger verifies, with the
  // outside checkpoint file.
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().at("kind").as_string(), "checkpoint");
  EXPECT_GT(records.back().at("seq").to_number<uint64_t>(), last_acked);
  std::string out, err;
  EXPECT_EQ(Writ({"ledger", "verify", "--data", data_, "--checkpoint-file",
                  (dir_ / "checkpoints.jsonl").string(), "--json"},
                 &out, &err),
            0)
      << out << err;
  json::error_code ec;
  json::value report = json::parse(out, ec);
  ASSERT_FALSE(ec) << out;
  EXPECT_TRUE(report.at("ok").as_bool()) << out;
  EXPECT_EQ(report.at("records").to_number<uint64_t>(), records.size()) << out;
}

}  // namespace
}  // namespace writ::server
