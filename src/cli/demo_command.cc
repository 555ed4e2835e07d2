// `writ demo setup DIR` writes a demo deployment (writ.toml, master and evidence keys, a local
// stand-in for the users' OpenID Connect provider, an admin API key); `writ demo` drives a
// scripted scenario through a running `writ serve` over HTTP — agents, a task, delegation,
// allowed, denied, narrowed and approval-held calls, an approval, outcomes, the task's end and
// its cascade — checks every verdict, and prints the explain tree of the denied call. Any
// unexpected answer makes it exit 1, so it doubles as a smoke test of a deployment.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "authz/explain.h"
#include "base/canonical_json.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "base/jose.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "identity/http_fetcher.h"
#include "identity/master_key.h"
#include "server/api_keys.h"
#include "server/http_test_client.h"
#include "service/form.h"
#include "store/sqlite_store.h"

namespace writ::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* kApiKeyEnv = "WRIT_API_KEY";
constexpr const char* kTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
constexpr const char* kAccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
constexpr const char* kJwtTokenType = "urn:ietf:params:oauth:token-type:jwt";
constexpr const char* kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// Files of a demo directory.
constexpr const char* kConfigFile = "writ.toml";
constexpr const char* kMasterKeyFile = "master.key";
constexpr const char* kEvidenceKeyFile = "evidence.key";
constexpr const char* kIdpFile = "idp.json";  // the demo provider's private key (0600)
constexpr const char* kIdpJwksFile = "idp-jwks.json";
constexpr const char* kAdminKeyFile = "admin.key";
constexpr const char* kAgentKeysDir = "agents";  // <name>.key: each agent's private key (0600)

[[noreturn]] void Fail(const std::string& message) {
  PrintError(message);
  Exit(kExitInputError);
}

// Writes `text` to a new file readable by its owner only; an existing file is kept.
void WriteSecretFile(const fs::path& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) Fail("cannot create " + path.string());
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) Fail("cannot write " + path.string());
}

void WriteTextFile(const fs::path& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) Fail("cannot create " + path.string());
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) Fail("cannot write " + path.string());
}

std::string ReadOrFail(const fs::path& path) {
  std::string error;
  std::optional<std::string> text = ReadFile(path.string(), &error);
  if (!text) Fail(error);
  return *text;
}

// An Ed25519 key kept as base64url(PKCS #8 DER) in a 0600 file: loaded, or made and written.
JwsSigningKey LoadOrCreateKey(const fs::path& path) {
  if (fs::exists(path)) {
    std::string text = ReadOrFail(path);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    Result<std::string> der = Base64UrlDecode(text);
    if (!der.ok()) Fail(path.string() + ": " + der.status().message());
    Result<JwsSigningKey> key = JwsSigningKey::FromPrivateKeyDer(JwsAlgorithm::kEdDSA, *der);
    if (!key.ok()) Fail(path.string() + ": " + key.status().message());
    return std::move(key).value();
  }
  Result<JwsSigningKey> key = JwsSigningKey::Generate(JwsAlgorithm::kEdDSA);
  if (!key.ok()) Fail(key.status().ToString());
  Result<std::string> der = key->PrivateKeyDer();
  if (!der.ok()) Fail(der.status().ToString());
  WriteSecretFile(path, Base64UrlEncode(*der) + "\n");
  return std::move(key).value();
}

int64_t NowSeconds() {
  return SystemClock().NowMicros() / 1000000;
}

std::string SignJwt(const JwsSigningKey& key, const std::string& kid, const json::object& claims) {
  Result<std::string> payload = CanonicalJson(claims);
  if (!payload.ok()) Fail(payload.status().ToString());
  Result<std::string> jwt =
      SignCompactJws(key, json::object{{"typ", "JWT"}, {"kid", kid}}, *payload);
  if (!jwt.ok()) Fail(jwt.status().ToString());
  return *jwt;
}

// ---------------------------------------------------------------------------------------------
// writ demo setup

struct SetupArgs {
  std::string dir = ".demo-data";
  std::string bundle = "examples/bundle";
  std::string listen = "127.0.0.1:8080";
  std::string idp_issuer = "https://login.acme.example";
};

std::string ConfigText(const SetupArgs& a, const std::string& bundle) {
  std::string toml =
      R"(# The demo deployment written by `writ demo setup` (docs/cli.md). Relative paths are
# relative to this file. Start it with `writ serve --config )" +
      (fs::path(a.dir) / kConfigFile).string() + R"(`.
data_dir = "data"

[server]
listen = ")" +
      a.listen + R"("

[policies]
dir = ")" +
      bundle + R"("

[identity]
trust_domain = "acme.example"
issuer = "http://)" +
      a.listen +
      R"("
master_key_file = "master.key"

# A local stand-in for the company's OpenID Connect provider: `writ demo` signs the users'
# tokens with the private key in idp.json.
[[identity.oidc]]
issuer = ")" +
      a.idp_issuer +
      R"("
audiences = ["writ"]
jwks_file = "idp-jwks.json"

[evidence]
hmac_key_file = "evidence.key"
sensitive_names = ["prompt"]

[approvals]
ttl_s = 3600
)";
  return toml;
}

void RunSetup(const SetupArgs& a) {
  fs::path dir = a.dir;
  std::error_code ec;
  fs::create_directories(dir / kAgentKeysDir, ec);
  if (ec) Fail("cannot create " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  fs::path bundle = fs::absolute(a.bundle, ec);
  if (ec || !fs::is_directory(bundle)) Fail("no policy bundle at " + a.bundle);

  if (!fs::exists(dir / kConfigFile)) {
    WriteTextFile(dir / kConfigFile, ConfigText(a, bundle.lexically_normal().string()));
  }
  if (!fs::exists(dir / kMasterKeyFile)) {
    Result<identity::MasterKey> master = identity::MasterKey::Generate();
    if (!master.ok()) Fail(master.status().ToString());
    Status s = master->WriteFile((dir / kMasterKeyFile).string());
    if (!s.ok()) Fail(s.ToString());
  }
  if (!fs::exists(dir / kEvidenceKeyFile)) {
    Result<std::string> bytes = RandomBytes(32);
    if (!bytes.ok()) Fail(bytes.status().ToString());
    WriteSecretFile(dir / kEvidenceKeyFile, HexEncode(*bytes) + "\n");
  }
  if (!fs::exists(dir / kIdpFile)) {
    Result<JwsSigningKey> key = JwsSigningKey::Generate(JwsAlgorithm::kEdDSA);
    if (!key.ok()) Fail(key.status().ToString());
    Result<std::string> der = key->PrivateKeyDer();
    if (!der.ok()) Fail(der.status().ToString());
    json::object idp{{"issuer", a.idp_issuer},
                     {"audience", "writ"},
                     {"kid", "demo-idp-1"},
                     {"private_key", Base64UrlEncode(*der)}};
    WriteSecretFile(dir / kIdpFile, json::serialize(idp) + "\n");
    WriteTextFile(dir / kIdpJwksFile, FormatJwks({key->Public("demo-idp-1")}) + "\n");
  }
  if (!fs::exists(dir / kAdminKeyFile)) {
    store::SqliteOptions so;
    so.data_dir = (dir / "data").string();
    auto s = store::OpenSqliteStore(so);
    if (!s.ok()) Fail(s.status().ToString());
    SystemClock clock;
    auto issued = server::CreateApiKey((*s)->api_keys(), "demo-admin", server::Role::kAdmin, clock);
    if (!issued.ok() && issued.status().code() == StatusCode::kAlreadyExists) {
      // admin.key was removed but the store kept its key: make another.
      Result<std::string> suffix = RandomBytes(4);
      issued = server::CreateApiKey((*s)->api_keys(),
                                    "demo-admin-" + HexEncode(suffix.ok() ? *suffix : "0000"),
                                    server::Role::kAdmin, clock);
    }
    if (!issued.ok()) Fail(issued.status().ToString());
    WriteSecretFile(dir / kAdminKeyFile, issued->key + "\n");
  }
  std::cout << "demo deployment in " << dir.string() << "\n"
            << "  start it:  writ serve --config " << (dir / kConfigFile).string() << "\n"
            << "  then:      writ demo --url http://" << a.listen << " --dir " << dir.string()
            << "\n";
}

// ---------------------------------------------------------------------------------------------
// writ demo

struct DemoArgs {
  std::string url = "http://127.0.0.1:8080";
  std::string dir = ".demo-data";
  std::string api_key_file;
  int wait_s = 30;
};

// One HTTP connection to the service, reopened when the server closes it.
class ApiConnection {
 public:
  explicit ApiConnection(const std::string& url) {
    Result<identity::ParsedUrl> u = identity::ParseHttpUrl(url + "/");
    if (!u.ok()) Fail("--url: " + u.status().message());
    url_ = *u;
    port_ = static_cast<uint16_t>(std::stoi(url_.port));
  }

  struct Answer {
    int status = 0;
    json::value body;
    std::string text;
  };

  Answer Send(const std::string& method, const std::string& target, const std::string& bearer,
              const std::string& body = {}, const std::string& content_type = {}) {
    Result<Answer> a = TrySend(method, target, bearer, body, content_type);
    if (!a.ok()) Fail(method + " " + target + ": " + a.status().ToString());
    return std::move(a).value();
  }

  // The answer, or the transport's error (connection refused, timeout).
  Result<Answer> TrySend(const std::string& method, const std::string& target,
                         const std::string& bearer, const std::string& body = {},
                         const std::string& content_type = {}) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
    if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
    headers.emplace_back("User-Agent", "writ-demo");
    Status last;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (client_ == nullptr) {
        server::HttpTestClient::Options o;
        o.tls = url_.tls;
        o.timeout = std::chrono::seconds(30);
        auto c = server::HttpTestClient::Connect(url_.host, port_, o);
        if (!c.ok()) {
          last = c.status();
          continue;
        }
        client_ = std::move(c).value();
      }
      auto r = client_->Send(method, target, headers, body);
      if (!r.ok()) {
        last = r.status();
        client_.reset();
        continue;
      }
      Answer a;
      a.status = r->status;
      a.text = std::move(r->body);
      json::error_code ec;
      a.body = json::parse(a.text, ec);
      if (ec) a.body = nullptr;
      if (!r->keep_alive) client_.reset();
      return a;
    }
    return last;
  }

  Answer Get(const std::string& target, const std::string& bearer) {
    return Send("GET", target, bearer);
  }
  Answer Post(const std::string& target, const std::string& bearer, const json::value& body) {
    return Send("POST", target, bearer, json::serialize(body), "application/json");
  }
  Answer PostForm(const std::string& target,
                  const std::vector<std::pair<std::string, std::string>>& fields) {
    return Send("POST", target, "", service::EncodeForm(fields),
                "application/x-www-form-urlencoded");
  }

 private:
  identity::ParsedUrl url_;
  uint16_t port_ = 0;
  std::unique_ptr<server::HttpTestClient> client_;
};

std::string Str(const json::value& v, std::string_view key) {
  const json::object* o = v.if_object();
  const json::value* x = o ? o->if_contains(key) : nullptr;
  return x && x->is_string() ? std::string(x->get_string()) : std::string();
}

// The machine code of an error answer ({"error": {"code"}}, or RFC 6749's {"error": "..."}).
std::string ErrorCode(const ApiConnection::Answer& a) {
  const json::object* o = a.body.if_object();
  const json::value* e = o ? o->if_contains("error") : nullptr;
  if (e == nullptr) return {};
  if (e->is_string()) return std::string(e->get_string());
  return e->is_object() ? Str(*e, "code") : std::string();
}

std::string Policies(const json::value& v) {
  const json::object* o = v.if_object();
  const json::value* p = o ? o->if_contains("policies") : nullptr;
  std::string out;
  if (p == nullptr || !p->is_array()) return out;
  for (const json::value& id : p->get_array()) {
    if (!id.is_string()) continue;
    if (!out.empty()) out += ", ";
    out += id.get_string();
  }
  return out;
}

// An agent of the scenario, with the key its client assertions are signed with.
struct DemoAgent {
  std::string name;
  std::string team;
  std::optional<JwsSigningKey> key;
  std::string spiffe_id;
};

class Scenario {
 public:
  Scenario(const DemoArgs& a, bool color) : args_(a), api_(a.url), color_(color) {}

  int Run() {
    LoadCredentials();
    std::cout << Bold("writ demo") << " against " << args_.url << "\n\n";
    Discover();
    RegisterAgents();
    OpenTask();
    Delegate();
    AllowedCall();
    NarrowedCall();
    DeniedCall();
    HeldCall();
    EndTask();
    Explain();
    std::cout << "\n";
    if (failures_ > 0) {
      std::cout << Red(std::to_string(failures_) + " step(s) did not give the expected answer")
                << "\n";
      return kExitInputError;
    }
    std::cout << Green("every step gave the expected answer") << "\n";
    return kExitOk;
  }

 private:
  std::string Paint(const char* code, const std::string& s) const {
    return color_ ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  }
  std::string Bold(const std::string& s) const { return Paint("1", s); }
  std::string Green(const std::string& s) const { return Paint("32", s); }
  std::string Red(const std::string& s) const { return Paint("31", s); }
  std::string Yellow(const std::string& s) const { return Paint("33", s); }
  std::string Dim(const std::string& s) const { return Paint("2", s); }

  // One numbered step: what is asked, then (Check) what came back.
  void Step(const std::string& title, const std::string& what) {
    ++step_;
    std::cout << Bold(std::to_string(step_) + ". " + title) << "  " << what << "\n";
  }
  // Prints the answer; counts a failure (with the answer's body) when it was not expected.
  bool Check(bool expected, const std::string& summary, const ApiConnection::Answer& a) {
    if (expected) {
      std::cout << "   " << Green("ok") << "  " << summary << "\n";
      return true;
    }
    ++failures_;
    std::cout << "   " << Red("UNEXPECTED") << "  " << summary << "\n      HTTP " << a.status << " "
              << a.text << "\n";
    return false;
  }
  void Detail(const std::string& text) { std::cout << "       " << Dim(text) << "\n"; }

  static std::string VerdictLine(const json::value& v) {
    std::string line = Str(v, "verdict");
    std::string policies = Policies(v);
    if (!policies.empty()) line += " by " + policies;
    if (!Str(v, "code").empty()) line += " (" + Str(v, "code") + ")";
    return line;
  }

  void LoadCredentials() {
    fs::path dir = args_.dir;
    std::string key_file = args_.api_key_file;
    if (key_file.empty()) {
      if (const char* env = std::getenv(kApiKeyEnv); env != nullptr && *env != '\0') {
        admin_key_ = env;
      } else {
        key_file = (dir / kAdminKeyFile).string();
      }
    }
    if (!key_file.empty()) admin_key_ = ReadOrFail(key_file);
    while (!admin_key_.empty() && (admin_key_.back() == '\n' || admin_key_.back() == '\r')) {
      admin_key_.pop_back();
    }
    if (admin_key_.empty())
      Fail("no API key: give --api-key-file or set " + std::string(kApiKeyEnv));

    std::string idp_text = ReadOrFail(dir / kIdpFile);
    json::error_code ec;
    json::value idp = json::parse(idp_text, ec);
    if (ec) Fail((dir / kIdpFile).string() + ": not JSON");
    idp_issuer_ = Str(idp, "issuer");
    idp_audience_ = Str(idp, "audience");
    idp_kid_ = Str(idp, "kid");
    Result<std::string> der = Base64UrlDecode(Str(idp, "private_key"));
    if (!der.ok()) Fail((dir / kIdpFile).string() + ": " + der.status().message());
    Result<JwsSigningKey> key = JwsSigningKey::FromPrivateKeyDer(JwsAlgorithm::kEdDSA, *der);
    if (!key.ok()) Fail((dir / kIdpFile).string() + ": " + key.status().message());
    idp_key_ = std::move(key).value();
  }

  // A user's token from the demo's stand-in identity provider.
  std::string UserToken(const std::string& subject, std::vector<std::string> groups) {
    int64_t now = NowSeconds();
    json::array g;
    for (auto& x : groups) g.emplace_back(x);
    return SignJwt(*idp_key_, idp_kid_,
                   json::object{{"iss", idp_issuer_},
                                {"sub", subject},
                                {"aud", idp_audience_},
                                {"iat", now},
                                {"exp", now + 600},
                                {"groups", std::move(g)}});
  }

  // A fresh RFC 7523 client assertion of `agent` (private_key_jwt).
  std::string Assertion(const DemoAgent& agent) {
    int64_t now = NowSeconds();
    Result<std::string> jti = RandomBytes(16);
    if (!jti.ok()) Fail(jti.status().ToString());
    return SignJwt(*agent.key, agent.name,
                   json::object{{"iss", agent.spiffe_id},
                                {"sub", agent.spiffe_id},
                                {"aud", token_endpoint_},
                                {"iat", now},
                                {"exp", now + 60},
                                {"jti", HexEncode(*jti)}});
  }

  void Discover() {
    Step("service", "GET /readyz and the RFC 8414 metadata");
    // A service just started may still be loading its bundle: wait up to --wait seconds.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(args_.wait_s);
    Result<ApiConnection::Answer> ready = api_.TrySend("GET", "/readyz", "");
    while ((!ready.ok() || ready->status != 200) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ready = api_.TrySend("GET", "/readyz", "");
    }
    if (!ready.ok()) Fail("no service at " + args_.url + ": " + ready.status().ToString());
    if (!Check(ready->status == 200, "ready", *ready)) {
      Fail("the service at " + args_.url + " is not ready");
    }
    auto meta = api_.Get("/.well-known/oauth-authorization-server", "");
    token_endpoint_ = Str(meta.body, "token_endpoint");
    if (!Check(meta.status == 200 && !token_endpoint_.empty(),
               "issuer " + Str(meta.body, "issuer") + ", token endpoint " + token_endpoint_,
               meta)) {
      Fail("the service at " + args_.url + " runs no decision service (policies.dir unset?)");
    }
  }

  void RegisterAgents() {
    Step("agents", "register the example agents with their public keys (POST /v1/agents)");
    fs::path keys = fs::path(args_.dir) / kAgentKeysDir;
    std::error_code ec;
    fs::create_directories(keys, ec);
    for (DemoAgent* a : {&orchestrator_, &refunder_, &mailer_}) {
      a->key = LoadOrCreateKey(keys / (a->name + ".key"));
      json::object jwk = a->key->Public(a->name).ToJson();
      auto r = api_.Post("/v1/agents", admin_key_,
                         json::object{{"name", a->name},
                                      {"owner", a->team + "@acme.example"},
                                      {"team", a->team},
                                      {"public_jwk", jwk}});
      if (r.status == 201) {
        a->spiffe_id = Str(r.body, "spiffe_id");
        Check(true, a->spiffe_id + " registered (team " + a->team + ")", r);
        continue;
      }
      if (r.status == 409) {
        // Registered by an earlier run: usable when it is registered with this demo's key.
        auto shown = api_.Get("/v1/agents/" + a->name, admin_key_);
        const json::object* o = shown.body.if_object();
        const json::value* registered = o ? o->if_contains("public_jwk") : nullptr;
        bool same = registered != nullptr && registered->is_object() &&
                    Str(*registered, "x") == Str(jwk, "x");
        a->spiffe_id = Str(shown.body, "spiffe_id");
        if (!Check(same, a->spiffe_id + " already registered with this demo's key", shown)) {
          Fail("agent `" + a->name +
               "` is registered with another key; run the demo on a fresh data directory");
        }
        continue;
      }
      Check(false, a->name + " registered", r);
      Fail("cannot register the demo's agents");
    }
  }

  void OpenTask() {
    Step("task", "payments-orchestrator opens a task for User::\"bob\" (POST /v1/tasks)");
    Detail(
        "intent \"refund the duplicate charge on order A-1001\", scopes payments:read "
        "payments:refund");
    json::object body{{"client_assertion_type", kJwtBearer},
                      {"client_assertion", Assertion(orchestrator_)},
                      {"user_token", UserToken("bob", {"employees"})},
                      {"intent", "refund the duplicate charge on order A-1001"},
                      {"scopes", json::array{"payments:read", "payments:refund"}}};
    auto r = api_.Post("/v1/tasks", "", body);
    task_id_ = Str(r.body, "task_id");
    task_token_ = Str(r.body, "token");
    if (!Check(r.status == 201 && !task_token_.empty(),
               "allow: task " + task_id_ + " (decision " + Str(r.body, "decision_id") + ")", r)) {
      Fail("without a task the scenario cannot go on");
    }

    Step("task refused", "refund-agent (trust level 2) tries to open a task of its own");
    json::object own{{"client_assertion_type", kJwtBearer},
                     {"client_assertion", Assertion(refunder_)},
                     {"user_token", UserToken("bob", {"employees"})},
                     {"intent", "refund order A-1001"}};
    auto refused = api_.Post("/v1/tasks", "", own);
    Check(refused.status == 403 && ErrorCode(refused) == "no_permit",
          "deny (" + ErrorCode(refused) + "): only orchestrators open tasks (decision " +
              Str(refused.body, "decision_id") + ")",
          refused);
  }

  ApiConnection::Answer Exchange(const std::string& parent, const DemoAgent& actor,
                                 const std::string& scope) {
    return api_.PostForm("/oauth/token", {{"grant_type", kTokenExchange},
                                          {"subject_token", parent},
                                          {"subject_token_type", kAccessTokenType},
                                          {"actor_token", Assertion(actor)},
                                          {"actor_token_type", kJwtTokenType},
                                          {"scope", scope}});
  }

  void Delegate() {
    Step("delegation",
         "the orchestrator hands payments:refund to refund-agent (RFC 8693 token exchange)");
    auto r = Exchange(task_token_, refunder_, "payments:refund");
    refund_token_ = Str(r.body, "access_token");
    if (!Check(r.status == 200 && !refund_token_.empty(),
               "allow by delegate-within-team: delegated token, scope " + Str(r.body, "scope"),
               r)) {
      Fail("without the delegated token the scenario cannot go on");
    }

    Step("delegation refused", "the orchestrator tries to hand the task to mailer (support team)");
    auto cross = Exchange(task_token_, mailer_, "payments:refund");
    Check(cross.status == 400 && Str(cross.body, "writ_code") == "exchange_denied",
          "deny (" + Str(cross.body, "writ_code") +
              "): delegation stays within the team (decision " + Str(cross.body, "decision_id") +
              ")",
          cross);
  }

  ApiConnection::Answer Authorize(const std::string& action, const std::string& type,
                                  const std::string& id, json::object context,
                                  json::object extra = {}) {
    json::object body{{"action", action},
                      {"resource", {{"type", type}, {"id", id}}},
                      {"context", std::move(context)}};
    for (auto& kv : extra) body[kv.key()] = kv.value();
    return api_.Post("/v1/authorize", refund_token_, body);
  }
  ApiConnection::Answer Refund(int64_t amount, json::object extra = {}) {
    return Authorize(
        "refund", "McpServer", "payments",
        json::object{{"input", {{"order_id", "A-1001"}, {"amount", amount}, {"currency", "EUR"}}}},
        std::move(extra));
  }

  // The agent reports what the call it was allowed did.
  void ReportOutcome(const std::string& decision_id, int64_t latency_us) {
    auto r = api_.Post("/v1/outcomes", refund_token_,
                       json::object{{"decision_id", decision_id},
                                    {"status", "success"},
                                    {"result_digest", DigestHex(Sha256("refund " + decision_id))},
                                    {"result_size", 96},
                                    {"latency_us", latency_us}});
    Check(r.status == 201, "outcome success recorded for decision " + decision_id, r);
  }

  void AllowedCall() {
    Step("allowed call", "refund-agent refunds 40 EUR of order A-1001 (POST /v1/authorize)");
    auto r = Refund(40);
    std::string decision = Str(r.body, "decision_id");
    Check(
        r.status == 200 && Str(r.body, "verdict") == "allow" && Policies(r.body) == "small-refunds",
        VerdictLine(r.body) + "  decision " + decision, r);
    if (!decision.empty()) ReportOutcome(decision, 840);
  }

  void NarrowedCall() {
    Step("narrowed call", "refund-agent queries orders with LIMIT 500 on McpServer::\"sql\"");
    auto r = Authorize(
        "sql_query", "McpServer", "sql",
        json::object{
            {"input", {{"sql", "SELECT * FROM orders WHERE id = 'A-1001'"}, {"limit", 500}}}});
    const json::value* limit = nullptr;
    if (const json::object* o = r.body.if_object()) {
      if (const json::value* n = o->if_contains("narrowed"); n && n->is_object()) {
        if (const json::value* in = n->get_object().if_contains("input"); in && in->is_object()) {
          limit = in->get_object().if_contains("limit");
        }
      }
    }
    bool capped = limit != nullptr && limit->is_int64() && limit->get_int64() == 100;
    Check(r.status == 200 && Str(r.body, "verdict") == "allow" && capped,
          VerdictLine(r.body) + ", narrowed: limit 500 -> " +
              (limit ? json::serialize(*limit) : std::string("?")) + "  decision " +
              Str(r.body, "decision_id"),
          r);
  }

  void DeniedCall() {
    Step("denied call", "refund-agent reads the card-vault dataset");
    auto r = Authorize("resources/read", "Dataset", "card-vault", json::object{});
    denied_decision_ = Str(r.body, "decision_id");
    Check(r.status == 200 && Str(r.body, "verdict") == "deny" &&
              Policies(r.body) == "restricted-data",
          VerdictLine(r.body) + "  decision " + denied_decision_, r);
    if (!Str(r.body, "reason").empty()) Detail("reason: " + Str(r.body, "reason"));
  }

  void HeldCall() {
    Step("held call", "refund-agent refunds 900 EUR: above 100 EUR a finance approver decides");
    auto held = Refund(900);
    std::string approval = Str(held.body, "approval_id");
    if (!Check(held.status == 200 && Str(held.body, "verdict") == "approval_required" &&
                   !approval.empty(),
               VerdictLine(held.body) + ", approval " + approval + "  decision " +
                   Str(held.body, "decision_id"),
               held)) {
      return;
    }

    Step("approval",
         "User::\"alice\" (finance-approvers) grants it (POST /v1/approvals/{id}/grant)");
    auto granted = api_.Post("/v1/approvals/" + approval + "/grant", admin_key_,
                             json::object{{"note", "duplicate charge confirmed with the bank"},
                                          {"user_token", UserToken("alice", {"employees"})}});
    Check(granted.status == 200 && Str(granted.body, "status") == "granted",
          "granted by " + Str(granted.body, "approver"), granted);

    Step("approved call", "refund-agent asks again, presenting the approval");
    auto again = Refund(900, json::object{{"approval_id", approval}});
    std::string decision = Str(again.body, "decision_id");
    Check(again.status == 200 && Str(again.body, "verdict") == "allow" &&
              Str(again.body, "approval_id") == approval,
          VerdictLine(again.body) + " with approval " + approval + "  decision " + decision, again);
    if (!decision.empty()) ReportOutcome(decision, 1320);
  }

  void EndTask() {
    Step("task end", "the orchestrator ends the task (POST /v1/tasks/{id}/end)");
    auto r = api_.Post("/v1/tasks/" + task_id_ + "/end", task_token_,
                       json::object{{"reason", "refund done"}});
    std::string revoked;
    if (const json::object* o = r.body.if_object()) {
      if (const json::value* n = o->if_contains("revoked_credentials")) {
        revoked = json::serialize(*n);
      }
    }
    Check(r.status == 200, "ended; " + revoked + " token(s) revoked in cascade", r);

    Step("cascade", "refund-agent's delegated token after the task's end");
    auto after = Refund(10);
    std::string code = ErrorCode(after);
    Check(after.status == 401 && (code == "task_revoked" || code == "token_revoked"),
          "refused: " + code, after);
  }

  void Explain() {
    Step("explain", "the denied call's authorisation path (GET /v1/explain/{id})");
    if (denied_decision_.empty()) {
      Check(false, "no denied decision to explain", {});
      return;
    }
    auto r = api_.Get("/v1/explain/" + denied_decision_, admin_key_);
    if (!Check(r.status == 200 && r.body.is_object(), "explained", r)) return;
    std::cout << "\n" << authz::RenderExplainTree(r.body.get_object(), color_);
  }

  const DemoArgs& args_;
  ApiConnection api_;
  bool color_ = false;
  int step_ = 0;
  int failures_ = 0;

  std::string admin_key_;
  std::optional<JwsSigningKey> idp_key_;
  std::string idp_issuer_, idp_audience_, idp_kid_;
  std::string token_endpoint_;
  DemoAgent orchestrator_{"payments-orchestrator", "payments", {}, {}};
  DemoAgent refunder_{"refund-agent", "payments", {}, {}};
  DemoAgent mailer_{"mailer", "support", {}, {}};
  std::string task_id_, task_token_, refund_token_, denied_decision_;
};

}  // namespace

void AddDemoCommand(CLI::App& app) {
  auto a = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand(
      "demo", "drive the example scenario through a running `writ serve` and check every verdict");
  cmd->add_option("--url", a->url, "the service's base URL")->capture_default_str();
  cmd->add_option("--dir", a->dir,
                  "the demo directory (`writ demo setup`): the demo identity provider's key, the "
                  "agents' keys, admin.key")
      ->capture_default_str();
  cmd->add_option("--api-key-file", a->api_key_file,
                  "file holding an admin API key (default: $WRIT_API_KEY, else DIR/admin.key)");
  cmd->add_option("--wait", a->wait_s, "seconds to wait for the service to be ready")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));

  auto s = std::make_shared<SetupArgs>();
  auto* setup = cmd->add_subcommand(
      "setup",
      "write a demo deployment into DIR: writ.toml, keys, the demo identity provider, "
      "an admin API key (existing files are kept)");
  setup->add_option("dir", s->dir, "the demo directory")->capture_default_str();
  setup->add_option("--bundle", s->bundle, "policy bundle the service loads")
      ->capture_default_str();
  setup->add_option("--listen", s->listen, "host:port the service listens on")
      ->capture_default_str();
  setup->callback([s] { RunSetup(*s); });

  cmd->callback([a, setup] {
    if (setup->parsed()) return;
    Scenario scenario(*a, ::isatty(STDOUT_FILENO) != 0);
    int rc = scenario.Run();
    if (rc != kExitOk) Exit(rc);
  });
}

}  // namespace writ::cli
