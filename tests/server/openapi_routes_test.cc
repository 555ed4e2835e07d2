// docs/openapi.json against the routes the real `writ serve` registers: the decision service on
// (the example bundle) and the MCP gateway on (one stdio upstream, a shell loop that answers
// the initialize handshake). The routes are read from /metrics, where the server lists every
// registered route as a label of writ_http_request_duration_seconds ("GET /v1/agents/{name}")
// from the moment it starts. Every route must be an operation of the served document with the
// same method and path template, and every operation of the document a route (the gateway's
// mounts, /mcp/<name>, are the template /mcp/{server}).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <string>
#include <utility>

#include "service/service_world.h"

namespace writ::server {
namespace {

namespace json = boost::json;
using Operation = std::pair<std::string, std::string>;  // method, path template

constexpr const char* kUpstream = "stub";

// Answers every request that has an id with an initialize result; ignores notifications.
constexpr const char* kStubMcpServer =
    R"(while IFS= read -r line; do )"
    R"(id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p'); )"
    R"([ -n "$id" ] && printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18",)"
    R"("capabilities":{"tools":{}},"serverInfo":{"name":"stub","version":"0"}}}\n' "$id"; )"
    R"(done)";

class OpenApiRoutesTest : public service::testing::ServiceWorld {
 protected:
  void StartEverything() {
    WriteConfig(std::string("\n[[gateway.upstream]]\nname = \"") + kUpstream +
                "\"\ncommand = \"/bin/sh\"\nargs = [\"-c\", " +
                json::serialize(json::string(kStubMcpServer)) + "]\n");
    StartWithKeys();
  }

  // Every registered route, from the label of its latency histogram.
  std::set<Operation> RegisteredRoutes() {
    server::TestResponse r = Call("GET", "/metrics", viewer_);
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string prefix = "writ_http_request_duration_seconds_count{route=\"";
    std::set<Operation> routes;
    size_t at = 0;
    while ((at = r.body.find(prefix, at)) != std::string::npos) {
      at += prefix.size();
      size_t end = r.body.find('"', at);
      std::string label = r.body.substr(at, end - at);
      at = end;
      if (label == "unmatched") continue;
      size_t space = label.find(' ');
      std::string method = label.substr(0, space);
      std::string path = label.substr(space + 1);
      if (path == std::string("/mcp/") + kUpstream) path = "/mcp/{server}";
      routes.emplace(method, path);
    }
    return routes;
  }

  // The served document, parsed (null when it does not parse).
  json::value Document() {
    server::TestResponse r = Call("GET", "/openapi.json");
    EXPECT_EQ(r.status, 200);
    json::error_code ec;
    json::value doc = json::parse(r.body, ec);
    EXPECT_FALSE(ec) << "/openapi.json does not parse: " << ec.message();
    return ec ? json::value() : doc;
  }

  static std::set<Operation> DescribedOperations(const json::value& doc) {
    static const std::set<std::string> kMethods = {"get",     "put",  "post",  "delete",
                                                   "options", "head", "patch", "trace"};
    std::set<Operation> ops;
    const json::object& paths = doc.at("paths").as_object();
    for (const auto& [path, item] : paths) {
      for (const auto& [key, op] : item.as_object()) {
        if (!kMethods.contains(std::string(key))) continue;
        std::string method(key);
        for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        ops.emplace(method, std::string(path));
      }
    }
    return ops;
  }
};

TEST_F(OpenApiRoutesTest, EveryRegisteredRouteIsDescribedAndEveryDescribedOperationIsARoute) {
  StartEverything();
  std::set<Operation> routes = RegisteredRoutes();
  // The parts under test are really on: the service's, identity's and the gateway's routes.
  ASSERT_TRUE(routes.contains({"POST", "/v1/authorize"}));
  ASSERT_TRUE(routes.contains({"POST", "/oauth/token"}));
  ASSERT_TRUE(routes.contains({"POST", "/mcp/{server}"}));

  json::value doc = Document();
  ASSERT_TRUE(doc.is_object());
  std::set<Operation> described = DescribedOperations(doc);
  for (const Operation& r : routes) {
    EXPECT_TRUE(described.contains(r)) << r.first << " " << r.second << " is not described";
  }
  for (const Operation& d : described) {
    EXPECT_TRUE(routes.contains(d))
        << d.first << " " << d.second << " is described but no route answers it";
  }
}

TEST_F(OpenApiRoutesTest, EveryOperationHasResponsesSecurityAndItsPathParameters) {
  StartEverything();
  json::value doc = Document();
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
  const json::object& components = doc.at("components").as_object();
  std::set<std::string> operation_ids;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    // The names of the path's parameters: "{id}" segments.
    std::set<std::string> templated;
    std::string p(path);
    for (size_t open = p.find('{'); open != std::string::npos; open = p.find('{', open + 1)) {
      templated.insert(p.substr(open + 1, p.find('}', open) - open - 1));
    }
    for (const auto& [method, op_value] : item.as_object()) {
      if (method == "parameters" || method == "summary" || method == "description") continue;
      std::string where = std::string(method) + " " + p;
      const json::object& op = op_value.as_object();
      ASSERT_TRUE(op.contains("responses")) << where;
      EXPECT_FALSE(op.at("responses").as_object().empty()) << where;
      EXPECT_TRUE(op.contains("summary")) << where;
      // Who may call it is said on the operation itself, with schemes the document defines.
      ASSERT_TRUE(op.contains("security")) << where;
      for (const json::value& requirement : op.at("security").as_array()) {
        for (const auto& [scheme, roles] : requirement.as_object()) {
          EXPECT_TRUE(components.at("securitySchemes").as_object().contains(scheme))
              << where << ": security scheme " << std::string(scheme);
        }
      }
      ASSERT_TRUE(op.contains("operationId")) << where;
      EXPECT_TRUE(operation_ids.insert(std::string(op.at("operationId").as_string())).second)
          << where << ": operationId used twice";
      std::set<std::string> declared;
      if (const json::value* params = op.if_contains("parameters")) {
        for (const json::value& param : params->as_array()) {
          const json::object* o = &param.as_object();
          if (const json::value* ref = o->if_contains("$ref")) {
            std::string name(ref->as_string());
            name = name.substr(name.rfind('/') + 1);
            ASSERT_TRUE(components.at("parameters").as_object().contains(name)) << where;
            o = &components.at("parameters").at(name).as_object();
          }
          if (o->at("in").as_string() == "path") {
            declared.insert(std::string(o->at("name").as_string()));
          }
        }
      }
      EXPECT_EQ(declared, templated) << where << ": path parameters";
    }
  }
}

}  // namespace
}  // namespace writ::server
