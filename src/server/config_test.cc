#include "server/config.h"

#include <gtest/gtest.h>

namespace writ::server {
namespace {

TEST(ConfigTest, EmptyFileGivesTheDefaults) {
  auto c = ParseServeConfig("", "writ.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data_dir, "data");
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->server.workers, 0);
  EXPECT_EQ(c->server.limits.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(c->server.timeouts.handler.count(), 30000);
}

TEST(ConfigTest, ReadsEveryKey) {
  auto c = ParseServeConfig(R"(
data_dir = "/var/lib/writ"

[server]
listen = "0.0.0.0:9443"
workers = 3

[server.tls]
cert_file = "/etc/writ/cert.pem"
key_file = "/etc/writ/key.pem"

[server.limits]
max_header_bytes = 8192
max_body_bytes = 65536
max_connections = 50
json_max_depth = 10
json_max_string_bytes = 1000

[server.timeouts]
read_ms = 1000
idle_ms = 2000
write_ms = 3000
handler_ms = 4000
shutdown_ms = 5000

[server.api_keys]
refresh_ms = 250
)",
                            "/etc/writ/writ.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data_dir, "/var/lib/writ");
  EXPECT_EQ(c->server.listen, "0.0.0.0:9443");
  EXPECT_EQ(c->server.workers, 3);
  EXPECT_EQ(c->server.tls_cert_file, "/etc/writ/cert.pem");
  EXPECT_EQ(c->server.tls_key_file, "/etc/writ/key.pem");
  EXPECT_EQ(c->server.limits.max_header_bytes, 8192u);
  EXPECT_EQ(c->server.limits.max_body_bytes, 65536u);
  EXPECT_EQ(c->server.limits.max_connections, 50u);
  EXPECT_EQ(c->server.limits.json.max_depth, 10u);
  EXPECT_EQ(c->server.limits.json.max_string_bytes, 1000u);
  EXPECT_EQ(c->server.timeouts.read.count(), 1000);
  EXPECT_EQ(c->server.timeouts.idle.count(), 2000);
  EXPECT_EQ(c->server.timeouts.write.count(), 3000);
  EXPECT_EQ(c->server.timeouts.handler.count(), 4000);
  EXPECT_EQ(c->server.timeouts.shutdown.count(), 5000);
  EXPECT_EQ(c->api_keys.refresh_interval.count(), 250);
}

TEST(ConfigTest, RelativePathsFollowTheFile) {
  auto c = ParseServeConfig(
      "data_dir = \"state\"\n[server.tls]\ncert_file = \"c.pem\"\nkey_file = \"/abs/k.pem\"\n",
      "/etc/writ/writ.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data_dir, "/etc/writ/state");
  EXPECT_EQ(c->server.tls_cert_file, "/etc/writ/c.pem");
  EXPECT_EQ(c->server.tls_key_file, "/abs/k.pem");
}

TEST(ConfigTest, ErrorsNameTheFileLineAndKey) {
  struct Case {
    const char* text;
    const char* expected;  // a part of the message
  };
  const Case cases[] = {
      {"[server]\nlisten = 8080\n", "writ.toml:2:10: `server.listen` must be a string"},
      {"[server]\nlisen = \"x\"\n", "writ.toml:2:9: unknown key `server.lisen`"},
      {"[nonsense]\n", "unknown key `nonsense`"},
      {"[server.limits]\nmax_body_bytes = 0\n", "must be between 1 and"},
      {"[server.limits]\nmax_body_bytes = \"1MB\"\n", "must be an integer"},
      {"[server]\nworkers = -1\n", "`server.workers` must be between 0 and 1024"},
      {"[server.timeouts]\nread_ms = 1.5\n", "must be an integer"},
      {"server = 3\n", "`server` must be a table"},
      {"[server.tls]\ncert_file = \"c.pem\"\n", "both"},
      {"[server\n", "writ.toml:1:"},
      {"data_dir = \"a\"\ndata_dir = \"b\"\n", "writ.toml:2:"},
  };
  for (const Case& c : cases) {
    auto r = ParseServeConfig(c.text, "writ.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << c.text << " -> " << r.status().message();
  }
}

TEST(ConfigTest, ReadsGatewayUpstreams) {
  auto r = ParseServeConfig(R"(
[ledger]
lazy_within_ms = 20

[gateway]
approval_timeout_ms = 5000
max_message_bytes = 65536
max_buffered_bytes = 131072
outcome_before_reply = true

[[gateway.upstream]]
name = "fs"
command = "node"
args = ["server.js", "/srv"]
env = ["A=1"]
secret_env = ["API_KEY=fs-key"]
timeout_ms = 1000

[[gateway.upstream]]
name = "tickets"
url = "http://127.0.0.1:3001/mcp"
secret_headers = ["Authorization=tickets-key"]
action_namespace = "Tickets"
)",
                            "writ.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const GatewaySettings& g = r->gateway;
  EXPECT_EQ(g.approval_timeout_ms, 5000);
  EXPECT_EQ(g.max_message_bytes, 65536);
  EXPECT_EQ(g.max_buffered_bytes, 131072);
  EXPECT_EQ(GatewaySettings().max_buffered_bytes, 0);  // twice max_message_bytes
  EXPECT_TRUE(g.outcome_before_reply);
  EXPECT_FALSE(GatewaySettings().outcome_before_reply);
  EXPECT_EQ(r->service.lazy_within_ms, 20);  // how long the outcomes may wait (docs/gateway.md)
  EXPECT_EQ(DecisionServiceSettings().lazy_within_ms, 100);
  EXPECT_FALSE(ParseServeConfig("[ledger]\nlazy_within_ms = 60001\n", "writ.toml").ok());
  ASSERT_EQ(g.upstreams.size(), 2u);
  EXPECT_EQ(g.upstreams[0].name, "fs");
  EXPECT_EQ(g.upstreams[0].args, (std::vector<std::string>{"server.js", "/srv"}));
  EXPECT_EQ(g.upstreams[0].env, (std::vector<std::string>{"A=1"}));
  EXPECT_EQ(g.upstreams[0].secret_env, (std::vector<std::string>{"API_KEY=fs-key"}));
  EXPECT_EQ(g.upstreams[0].timeout_ms, 1000);
  EXPECT_EQ(g.upstreams[0].resource_type, "McpServer");
  EXPECT_EQ(g.upstreams[1].url, "http://127.0.0.1:3001/mcp");
  EXPECT_EQ(g.upstreams[1].action_namespace, "Tickets");

  const std::pair<const char*, const char*> bad[] = {
      {"[[gateway.upstream]]\nname = \"a\"\n", "exactly one of `url` and `command`"},
      {"[[gateway.upstream]]\nname = \"a\"\nurl = \"http://x\"\ncommand = \"y\"\n",
       "exactly one of"},
      {"[[gateway.upstream]]\nname = \"a b\"\ncommand = \"y\"\n", "must be 1-64"},
      {"[[gateway.upstream]]\nname = \"a\"\ncommand = \"y\"\n[[gateway.upstream]]\nname = "
       "\"a\"\ncommand = \"y\"\n",
       "two [[gateway.upstream]] are named `a`"},
      {"[[gateway.upstream]]\nname = \"a\"\nurl = \"ftp://x\"\n", "http(s)"},
      {"[[gateway.upstream]]\nname = \"a\"\ncommand = \"y\"\nenv = [\"NOVALUE\"]\n", "NAME=value"},
      {"[[gateway.upstream]]\nname = \"a\"\nurl = \"http://x\"\nsecret_headers = [\"X\"]\n",
       "Header=secret-name"},
      {"[[gateway.upstream]]\nname = \"a\"\ncommand = \"y\"\nsecret_env = [\"K=\"]\n",
       "NAME=secret-name"},
      {"[[gateway.upstream]]\nname = \"a\"\nurl = \"http://x\"\nsecret_env = [\"K=v\"]\n",
       "are for stdio upstreams"},
      {"[[gateway.upstream]]\nname = \"a\"\ncommand = \"y\"\nport = 1\n",
       "unknown key `gateway.upstream.port`"},
      {"[gateway]\nmax_message_bytes = 65536\nmax_buffered_bytes = 131071\n",
       "at least twice gateway.max_message_bytes (131072)"},
  };
  for (const auto& [text, expected] : bad) {
    auto b = ParseServeConfig(text, "writ.toml");
    ASSERT_FALSE(b.ok()) << text;
    EXPECT_NE(b.status().message().find(expected), std::string::npos)
        << text << " -> " << b.status().message();
  }
}

TEST(ConfigTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadServeConfig("/nonexistent/writ.toml").status().code(), StatusCode::kNotFound);
}

TEST(ConfigTest, ValidationCatchesFlagOverrides) {
  ServeConfig c;
  EXPECT_TRUE(ValidateServeConfig(c).ok());
  c.server.workers = -2;
  EXPECT_FALSE(ValidateServeConfig(c).ok());
  c.server.workers = 1;
  c.server.tls_key_file = "k.pem";
  EXPECT_FALSE(ValidateServeConfig(c).ok());
  c.server.tls_cert_file = "c.pem";
  EXPECT_TRUE(ValidateServeConfig(c).ok());
  c.data_dir.clear();
  EXPECT_FALSE(ValidateServeConfig(c).ok());
}

}  // namespace
}  // namespace writ::server
