// Test fixtures shared by the identity tests: a temporary data directory with a SQLite store,
// a master key, the key ring, agent registry, revocation index and token service wired to a
// manual clock and a collecting event sink, plus helpers to sign arbitrary JWTs and a small
// real HTTP server on the loopback interface.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/canonical_json.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/jose.h"
#include "identity/agent_registry.h"
#include "identity/errors.h"
#include "identity/events.h"
#include "identity/master_key.h"
#include "identity/revocation_index.h"
#include "identity/signing_keys.h"
#include "identity/token_service.h"
#include "store/sqlite_store.h"

namespace writ::identity::testing {

inline constexpr int64_t kStartMicros = 1'700'000'000LL * 1'000'000;
inline constexpr const char* kIssuer = "https://writ.test";
inline constexpr const char* kTrustDomain = "writ.test";
inline constexpr const char* kTokenEndpoint = "https://writ.test/oauth/token";

// Signs `claims` with `key` under an arbitrary header (for forging tokens in tests).
inline std::string SignJwt(const JwsSigningKey& key, boost::json::object header,
                           const boost::json::object& claims) {
  return SignCompactJws(key, std::move(header), CanonicalJson(claims).value()).value();
}

// "<header>.<payload>.<signature>" from raw parts (for unsigned and hand-made tokens).
inline std::string RawJwt(std::string_view header_json, std::string_view payload_json,
                          std::string_view signature) {
  return Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json) + "." +
         Base64UrlEncode(signature);
}

// The identity part wired together over one store directory.
struct IdentityWorld {
  std::filesystem::path dir;
  ManualClock clock{kStartMicros};
  std::unique_ptr<store::Store> store;
  std::unique_ptr<MasterKey> master;
  std::unique_ptr<SigningKeyRing> keys;
  std::unique_ptr<AgentRegistry> agents;
  std::unique_ptr<RevocationIndex> index;
  std::unique_ptr<TokenService> tokens;

  // Opens everything over `dir` (creating what is missing), reporting to `sink`.
  Status Open(const std::filesystem::path& d, const std::string& master_hex, EventSink& sink,
              TokenServiceOptions options = {}) {
    dir = d;
    store::SqliteOptions so;
    so.data_dir = dir.string();
    WRIT_ASSIGN_OR_RETURN(store, store::OpenSqliteStore(so));
    WRIT_ASSIGN_OR_RETURN(MasterKey mk, MasterKey::FromText(master_hex));
    master = std::make_unique<MasterKey>(std::move(mk));
    WRIT_ASSIGN_OR_RETURN(keys, SigningKeyRing::Open(store->identity(), *master, clock, sink));
    AgentRegistryOptions ao;
    ao.trust_domain = kTrustDomain;
    ao.token_endpoint = kTokenEndpoint;
    ao.secret_hash_cost = MinimumPasswordHashCost();
    agents = std::make_unique<AgentRegistry>(store->identity(), sink, clock, ao);
    index = std::make_unique<RevocationIndex>();
    WRIT_RETURN_IF_ERROR(index->LoadFromStore(store->identity()).status());
    if (options.issuer.empty()) options.issuer = kIssuer;
    tokens = std::make_unique<TokenService>(store->identity(), *keys, *agents, *index, sink, clock,
                                            options);
    return Status::Ok();
  }

  void Close() {
    tokens.reset();
    index.reset();
    agents.reset();
    keys.reset();
    master.reset();
    store.reset();
  }
};

inline std::filesystem::path TestDir(const char* prefix) {
  auto dir = std::filesystem::temp_directory_path() /
             (std::string(prefix) + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir;
}

inline const std::string& TestMasterHex() {
  static const std::string kHex(64, 'a');
  return kHex;
}

// Counts refusals with `code` among the sink's events.
inline int CountRefusals(const CollectingEventSink& sink, IdentityError code) {
  int n = 0;
  for (const IdentityEvent& e : sink.Events()) {
    if (e.type == EventType::kRefused && e.error == IdentityErrorName(code)) ++n;
  }
  return n;
}

// A tiny HTTP/1.1 server on 127.0.0.1 (an ephemeral port) that answers every GET with `body`,
// counting requests. Stops in its destructor.
class LocalHttpServer {
 public:
  LocalHttpServer() : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~LocalHttpServer() {
    stopping_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket poke(ioc_);
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  void SetBody(std::string body, int status = 200) {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(body);
    status_ = status;
  }
  int requests() const { return requests_.load(); }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void Serve() {
    namespace http = boost::beast::http;
    while (!stopping_) {
      boost::asio::ip::tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) break;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) continue;
      requests_.fetch_add(1);
      http::response<http::string_body> res;
      {
        std::lock_guard<std::mutex> lock(mu_);
        res.result(status_);
        res.body() = body_;
      }
      res.version(11);
      res.set(http::field::content_type, "application/json");
      res.keep_alive(false);
      res.prepare_payload();
      http::write(socket, res, ec);
      socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::string body_ = "{}";
  int status_ = 200;
  std::thread thread_;
};

}  // namespace writ::identity::testing
