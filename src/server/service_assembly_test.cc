#include "server/service_assembly.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <vector>

#include "server/http_test_client.h"
#include "server/openapi.h"

namespace writ::server {
namespace {

namespace json = boost::json;

class ServiceAssemblyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-assembly-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_.data_dir = (dir_ / "data").string();
    config_.server.listen = "127.0.0.1:0";
    config_.server.workers = 1;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  ServeConfig config_;
  ManualClock clock_{1'700'000'000'000'000};
};

TEST_F(ServiceAssemblyTest, PartsAreDestroyedInReverseOrderAfterTheServer) {
  std::vector<std::string> destroyed;
  struct Part {
    Part(std::vector<std::string>* l, std::string n) : log(l), name(std::move(n)) {}
    ~Part() { log->push_back(name); }
    std::vector<std::string>* log;
    std::string name;
  };
  {
    ServiceAssembly a(config_, clock_);
    Status opened = a.Open();
    ASSERT_TRUE(opened.ok()) << opened.ToString();
    Part& first = a.Adopt(std::make_unique<Part>(&destroyed, "first"));
    a.Adopt(std::make_unique<Part>(&destroyed, "second"));
    EXPECT_EQ(first.name, "first");
    // A handler referring to a part: the server (and its handlers) go before the parts.
    ASSERT_TRUE(
        a.server()
            .router()
            .Handle(
                "GET", "/part",
                [&first](const Request&, Responder r) { r.Send(Response::Text(200, first.name)); },
                Access::Public())
            .ok());
    ASSERT_TRUE(a.server().Start().ok());
    auto c = HttpTestClient::Connect("127.0.0.1", a.server().port());
    ASSERT_TRUE(c.ok());
    auto r = (*c)->Send("GET", "/part");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->body, "first");
    a.server().Shutdown();
    a.server().Wait();
    EXPECT_TRUE(destroyed.empty());
  }
  EXPECT_EQ(destroyed, (std::vector<std::string>{"second", "first"}));
}

TEST_F(ServiceAssemblyTest, OpenRefusesABadConfiguration) {
  config_.server.tls_cert_file = "only-a-cert.pem";
  ServiceAssembly a(config_, clock_);
  EXPECT_EQ(a.Open().code(), StatusCode::kInvalidArgument);
}

TEST_F(ServiceAssemblyTest, BuiltInRoutesServeOpenApiReadinessAndApiKeys) {
  ServiceAssembly a(config_, clock_);
  Status opened = a.Open();
  ASSERT_TRUE(opened.ok()) << opened.ToString();
  auto admin = CreateApiKey(a.store().api_keys(), "admin", Role::kAdmin, clock_);
  auto approver = CreateApiKey(a.store().api_keys(), "approver", Role::kApprover, clock_);
  ASSERT_TRUE(admin.ok() && approver.ok());
  ASSERT_TRUE(a.server().Start().ok());
  auto c = HttpTestClient::Connect("127.0.0.1", a.server().port());
  ASSERT_TRUE(c.ok());
  HttpTestClient& client = **c;

  auto doc = client.Send("GET", "/openapi.json");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->status, 200);
  EXPECT_EQ(doc->body, OpenApiDocument());
  EXPECT_EQ(json::parse(doc->body).at("openapi").as_string(), "3.1.0");

  auto ready = client.Send("GET", "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);

  auto as = [](const IssuedApiKey& k) {
    return std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer " + k.key},
                                                            {"Content-Type", "application/json"}};
  };
  auto denied = client.Send("GET", "/v1/api-keys", as(*approver));
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->status, 403);

  auto created =
      client.Send("POST", "/v1/api-keys", as(*admin), R"({"name":"ci","role":"viewer"})");
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  json::value k = json::parse(created->body);
  EXPECT_EQ(k.at("role").as_string(), "viewer");
  EXPECT_EQ(k.at("created").as_string(), "2023-11-14T22:13:20.000000Z");
  std::string key(k.at("key").as_string());
  std::string id(k.at("id").as_string());
  EXPECT_EQ(ApiKeyId(key), id);

  auto list = client.Send("GET", "/v1/api-keys", as(*admin));
  ASSERT_TRUE(list.ok());
  json::array keys = json::parse(list->body).at("api_keys").as_array();
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(list->body.find(key.substr(20)), std::string::npos);

  auto missing_role = client.Send("POST", "/v1/api-keys", as(*admin), R"({"name":"x"})");
  ASSERT_TRUE(missing_role.ok());
  EXPECT_EQ(missing_role->status, 400);
  auto bad_name = client.Send("POST", "/v1/api-keys", as(*admin), R"({"name":7,"role":"admin"})");
  ASSERT_TRUE(bad_name.ok());
  EXPECT_EQ(bad_name->status, 400);

  auto revoked = client.Send("DELETE", "/v1/api-keys/" + id, as(*admin));
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(revoked->status, 200);
  EXPECT_EQ(json::parse(revoked->body).at("revoked").as_string(), "2023-11-14T22:13:20.000000Z");
  auto again = client.Send("DELETE", "/v1/api-keys/" + id, as(*admin));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 409);
  auto unknown = client.Send("DELETE", "/v1/api-keys/ffffffffffffffff", as(*admin));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, 404);
  a.server().Shutdown();
  a.server().Wait();
}

}  // namespace
}  // namespace writ::server
