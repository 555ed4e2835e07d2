#include "server/config.h"

#include <toml++/toml.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace writ::server {
namespace {

// Where a node is, for messages: "writ.toml:12:5".
std::string Where(std::string_view source, const toml::node& node) {
  const toml::source_region& r = node.source();
  std::string out(source.empty() ? "config" : source);
  if (r.begin.line != 0) {
    out += ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
  }
  return out;
}

// Reads one table: each key must be known; each reader checks its value's type.
class TableReader {
 public:
  using Reader = std::function<Status(const toml::node&, const std::string& where)>;

  TableReader(std::string_view source, std::string prefix)
      : source_(source), prefix_(std::move(prefix)) {}

  void Add(std::string key, Reader reader) { readers_.emplace(std::move(key), std::move(reader)); }

  Status Read(const toml::table& table) const {
    for (const auto& [key, node] : table) {
      std::string name(key.str());
      auto it = readers_.find(name);
      std::string where = Where(source_, node);
      if (it == readers_.end()) {
        return InvalidArgument(where + ": unknown key `" + prefix_ + name + "`");
      }
      WRIT_RETURN_IF_ERROR(it->second(node, where + ": `" + prefix_ + name + "`"));
    }
    return Status::Ok();
  }

 private:
  std::string_view source_;
  std::string prefix_;
  std::map<std::string, Reader> readers_;
};

TableReader::Reader String(std::string* out) {
  return [out](const toml::node& node, const std::string& where) -> Status {
    const auto* v = node.as_string();
    if (v == nullptr) return InvalidArgument(where + " must be a string");
    *out = v->get();
    return Status::Ok();
  };
}

TableReader::Reader Path(std::string* out, std::filesystem::path base) {
  return [out, base](const toml::node& node, const std::string& where) -> Status {
    const auto* v = node.as_string();
    if (v == nullptr) return InvalidArgument(where + " must be a string");
    std::filesystem::path p(v->get());
    *out = (p.is_relative() && !p.empty() && !base.empty()) ? (base / p).string() : p.string();
    return Status::Ok();
  };
}

template <typename T>
TableReader::Reader Integer(T* out, int64_t min, int64_t max) {
  return [out, min, max](const toml::node& node, const std::string& where) -> Status {
    const auto* v = node.as_integer();
    if (v == nullptr) return InvalidArgument(where + " must be an integer");
    int64_t x = v->get();
    if (x < min || x > max) {
      return InvalidArgument(where + " must be between " + std::to_string(min) + " and " +
                             std::to_string(max) + ", not " + std::to_string(x));
    }
    *out = static_cast<T>(x);
    return Status::Ok();
  };
}

TableReader::Reader Millis(std::chrono::milliseconds* out, int64_t min, int64_t max) {
  return [out, min, max](const toml::node& node, const std::string& where) -> Status {
    int64_t ms = 0;
    WRIT_RETURN_IF_ERROR(Integer(&ms, min, max)(node, where));
    *out = std::chrono::milliseconds(ms);
    return Status::Ok();
  };
}

TableReader::Reader Bool(bool* out) {
  return [out](const toml::node& node, const std::string& where) -> Status {
    const auto* v = node.as_boolean();
    if (v == nullptr) return InvalidArgument(where + " must be true or false");
    *out = v->get();
    return Status::Ok();
  };
}

TableReader::Reader StringList(std::vector<std::string>* out) {
  return [out](const toml::node& node, const std::string& where) -> Status {
    const auto* a = node.as_array();
    if (a == nullptr) return InvalidArgument(where + " must be an array of strings");
    out->clear();
    for (const toml::node& item : *a) {
      const auto* v = item.as_string();
      if (v == nullptr) return InvalidArgument(where + " must be an array of strings");
      out->push_back(v->get());
    }
    return Status::Ok();
  };
}

TableReader::Reader Table(const TableReader* reader) {
  return [reader](const toml::node& node, const std::string& where) -> Status {
    const auto* t = node.as_table();
    if (t == nullptr) return InvalidArgument(where + " must be a table");
    return reader->Read(*t);
  };
}

constexpr int64_t kDay = 24LL * 3600 * 1000;

}  // namespace

Result<ServeConfig> ParseServeConfig(std::string_view toml_text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    std::string where(source.empty() ? "config" : source);
    return InvalidArgument(where + ":" + std::to_string(e.source().begin.line) + ":" +
                           std::to_string(e.source().begin.column) + ": " +
                           std::string(e.description()));
  }
  ServeConfig c;
  std::filesystem::path base = std::filesystem::path(source).parent_path();
  ServerOptions& s = c.server;

  TableReader tls(source, "server.tls.");
  tls.Add("cert_file", Path(&s.tls_cert_file, base));
  tls.Add("key_file", Path(&s.tls_key_file, base));

  TableReader limits(source, "server.limits.");
  limits.Add("max_header_bytes", Integer(&s.limits.max_header_bytes, 1024, 1 << 20));
  limits.Add("max_body_bytes", Integer(&s.limits.max_body_bytes, 1, 1LL << 30));
  limits.Add("max_connections", Integer(&s.limits.max_connections, 1, 1000000));
  limits.Add("json_max_depth", Integer(&s.limits.json.max_depth, 1, 1000));
  limits.Add("json_max_string_bytes", Integer(&s.limits.json.max_string_bytes, 1, 1LL << 30));

  TableReader timeouts(source, "server.timeouts.");
  timeouts.Add("read_ms", Millis(&s.timeouts.read, 1, kDay));
  timeouts.Add("idle_ms", Millis(&s.timeouts.idle, 1, kDay));
  timeouts.Add("write_ms", Millis(&s.timeouts.write, 1, kDay));
  timeouts.Add("handler_ms", Millis(&s.timeouts.handler, 1, kDay));
  timeouts.Add("shutdown_ms", Millis(&s.timeouts.shutdown, 0, kDay));

  TableReader api_keys(source, "server.api_keys.");
  api_keys.Add("refresh_ms", Millis(&c.api_keys.refresh_interval, 1, kDay));

  TableReader server(source, "server.");
  server.Add("listen", String(&s.listen));
  server.Add("workers", Integer(&s.workers, 0, 1024));
  server.Add("tls", Table(&tls));
  server.Add("limits", Table(&limits));
  server.Add("timeouts", Table(&timeouts));
  server.Add("api_keys", Table(&api_keys));

  // The decision service (src/service/).
  DecisionServiceSettings& d = c.service;
  TableReader policies(source, "policies.");
  policies.Add("dir", Path(&d.bundle_dir, base));
  policies.Add("reload_interval_ms", Integer(&d.reload_interval_ms, 0, kDay));

  TableReader identity(source, "identity.");
  identity.Add("trust_domain", String(&d.trust_domain));
  identity.Add("issuer", String(&d.issuer));
  identity.Add("audience", String(&d.audience));
  identity.Add("task_token_lifetime_s", Integer(&d.task_token_lifetime_s, 1, 86400));
  identity.Add("max_task_token_lifetime_s", Integer(&d.max_task_token_lifetime_s, 1, 86400));
  identity.Add("credential_lifetime_s", Integer(&d.credential_lifetime_s, 1, 86400));
  identity.Add("max_credential_lifetime_s", Integer(&d.max_credential_lifetime_s, 1, 86400));
  identity.Add("max_delegation_depth", Integer(&d.max_delegation_depth, 0, 32));
  identity.Add("signing_algorithm", String(&d.signing_algorithm));
  identity.Add("master_key_file", Path(&d.master_key_file, base));
  identity.Add("master_key_env", String(&d.master_key_env));
  identity.Add(
      "oidc", [&d, source, base](const toml::node& node, const std::string& where) -> Status {
        const auto* list = node.as_array();
        if (list == nullptr) {
          return InvalidArgument(where + " must be an array of tables ([[identity.oidc]])");
        }
        d.oidc.clear();
        for (const toml::node& item : *list) {
          const auto* t = item.as_table();
          if (t == nullptr) {
            return InvalidArgument(where + " must be an array of tables ([[identity.oidc]])");
          }
          OidcProviderSettings p;
          TableReader provider(source, "identity.oidc.");
          provider.Add("issuer", String(&p.issuer));
          provider.Add("audiences", StringList(&p.audiences));
          provider.Add("jwks_file", Path(&p.jwks_file, base));
          provider.Add("jwks_url", String(&p.jwks_url));
          provider.Add("groups_claim", String(&p.groups_claim));
          provider.Add("algorithms", StringList(&p.algorithms));
          provider.Add("clock_skew_s", Integer(&p.clock_skew_s, 0, 3600));
          WRIT_RETURN_IF_ERROR(provider.Read(*t));
          d.oidc.push_back(std::move(p));
        }
        return Status::Ok();
      });

  TableReader evidence(source, "evidence.");
  evidence.Add("hmac_key_file", Path(&d.hmac_key_file, base));
  evidence.Add("hmac_key_env", String(&d.hmac_key_env));
  evidence.Add("sensitive_names", StringList(&d.sensitive_names));
  evidence.Add("sensitive_paths", StringList(&d.sensitive_paths));
  evidence.Add("default_depth", String(&d.default_depth));

  TableReader ledger(source, "ledger.");
  ledger.Add("origin", String(&d.origin));
  ledger.Add("checkpoint_every_records", Integer(&d.checkpoint_every_records, 1, 1LL << 30));
  ledger.Add("checkpoint_every_ms", Integer(&d.checkpoint_every_ms, 1, kDay));
  ledger.Add("checkpoint_file", Path(&d.checkpoint_file, base));
  ledger.Add("max_pending_records", Integer(&d.max_pending_records, 1, 1LL << 24));
  ledger.Add("lazy_within_ms", Integer(&d.lazy_within_ms, 0, 60000));

  TableReader approvals(source, "approvals.");
  approvals.Add("ttl_s", Integer(&d.approval_ttl_s, 1, 30LL * 86400));
  approvals.Add("check_groups", Bool(&d.approval_check_groups));

  TableReader service(source, "service.");
  service.Add("blocking_threads", Integer(&d.blocking_threads, 1, 256));
  service.Add("max_queued_work", Integer(&d.max_queued_work, 1, 1LL << 20));

  // The MCP gateway (src/gateway/).
  GatewaySettings& g = c.gateway;
  TableReader gateway(source, "gateway.");
  gateway.Add("approval_timeout_ms", Integer(&g.approval_timeout_ms, 1, kDay));
  gateway.Add("max_message_bytes", Integer(&g.max_message_bytes, 1024, 1LL << 30));
  gateway.Add("max_buffered_bytes", Integer(&g.max_buffered_bytes, 0, 1LL << 32));
  gateway.Add("max_sessions", Integer(&g.max_sessions, 1, 1000000));
  gateway.Add("session_idle_s", Integer(&g.session_idle_s, 1, 30LL * 86400));
  gateway.Add("threads", Integer(&g.threads, 1, 1024));
  gateway.Add("outcome_before_reply", Bool(&g.outcome_before_reply));
  gateway.Add("upstream", [&g, source](const toml::node& node, const std::string& where) -> Status {
    const auto* list = node.as_array();
    if (list == nullptr) {
      return InvalidArgument(where + " must be an array of tables ([[gateway.upstream]])");
    }
    g.upstreams.clear();
    for (const toml::node& item : *list) {
      const auto* t = item.as_table();
      if (t == nullptr) {
        return InvalidArgument(where + " must be an array of tables ([[gateway.upstream]])");
      }
      GatewayUpstreamSettings u;
      TableReader upstream(source, "gateway.upstream.");
      upstream.Add("name", String(&u.name));
      upstream.Add("url", String(&u.url));
      upstream.Add("command", String(&u.command));
      upstream.Add("args", StringList(&u.args));
      upstream.Add("env", StringList(&u.env));
      upstream.Add("resource_type", String(&u.resource_type));
      upstream.Add("action_namespace", String(&u.action_namespace));
      upstream.Add("secret_headers", StringList(&u.secret_headers));
      upstream.Add("secret_env", StringList(&u.secret_env));
      upstream.Add("ca_file", String(&u.ca_file));
      upstream.Add("timeout_ms", Integer(&u.timeout_ms, 1, kDay));
      WRIT_RETURN_IF_ERROR(upstream.Read(*t));
      g.upstreams.push_back(std::move(u));
    }
    return Status::Ok();
  });

  TableReader top(source, "");
  top.Add("data_dir", Path(&c.data_dir, base));
  top.Add("server", Table(&server));
  top.Add("policies", Table(&policies));
  top.Add("identity", Table(&identity));
  top.Add("evidence", Table(&evidence));
  top.Add("ledger", Table(&ledger));
  top.Add("approvals", Table(&approvals));
  top.Add("service", Table(&service));
  top.Add("gateway", Table(&gateway));
  // Sections of other parts are added here, each with its own TableReader.

  WRIT_RETURN_IF_ERROR(top.Read(root));
  WRIT_RETURN_IF_ERROR(ValidateServeConfig(c));
  return c;
}

Result<ServeConfig> LoadServeConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("config: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseServeConfig(text.str(), path);
}

Status ValidateServeConfig(const ServeConfig& c) {
  const ServerOptions& s = c.server;
  if (c.data_dir.empty()) return InvalidArgument("config: data_dir must not be empty");
  if (s.listen.empty()) return InvalidArgument("config: server.listen must not be empty");
  if (s.workers < 0 || s.workers > 1024) {
    return InvalidArgument("config: server.workers must be between 0 and 1024");
  }
  if (s.tls_cert_file.empty() != s.tls_key_file.empty()) {
    return InvalidArgument(
        "config: TLS needs both server.tls.cert_file and server.tls.key_file (or "
        "--tls-cert and --tls-key)");
  }
  if (s.limits.max_header_bytes < 1024) {
    return InvalidArgument("config: server.limits.max_header_bytes must be at least 1024");
  }
  if (s.limits.max_body_bytes == 0 || s.limits.max_connections == 0 ||
      s.limits.json.max_depth == 0 || s.limits.json.max_string_bytes == 0) {
    return InvalidArgument("config: server.limits values must be positive");
  }
  WRIT_RETURN_IF_ERROR(ValidateDecisionServiceSettings(c.service));
  return ValidateGatewaySettings(c.gateway);
}

Status ValidateGatewaySettings(const GatewaySettings& g) {
  if (g.max_buffered_bytes != 0 && g.max_buffered_bytes < 2 * g.max_message_bytes) {
    return InvalidArgument(
        "config: gateway.max_buffered_bytes must be at least twice gateway.max_message_bytes (" +
        std::to_string(2 * g.max_message_bytes) + "), or 0 for that");
  }
  std::map<std::string, int> names;
  for (const GatewayUpstreamSettings& u : g.upstreams) {
    if (u.name.empty() || u.name.size() > 64 ||
        u.name.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
            std::string::npos) {
      return InvalidArgument("config: [[gateway.upstream]] name `" + u.name +
                             "` must be 1-64 of [A-Za-z0-9_-]");
    }
    if (++names[u.name] > 1) {
      return InvalidArgument("config: two [[gateway.upstream]] are named `" + u.name + "`");
    }
    if (u.url.empty() == u.command.empty()) {
      return InvalidArgument("config: [[gateway.upstream]] `" + u.name +
                             "` needs exactly one of `url` and `command`");
    }
    if (!u.url.empty() && !u.url.starts_with("http://") && !u.url.starts_with("https://")) {
      return InvalidArgument("config: [[gateway.upstream]] `" + u.name +
                             "`: url must be http(s)://");
    }
    if (!u.url.empty() && (!u.args.empty() || !u.env.empty() || !u.secret_env.empty())) {
      return InvalidArgument("config: [[gateway.upstream]] `" + u.name +
                             "`: args, env and secret_env are for stdio upstreams (command)");
    }
    if (!u.ca_file.empty() && !u.url.starts_with("https://")) {
      return InvalidArgument("config: [[gateway.upstream]] `" + u.name +
                             "`: ca_file is for https:// urls");
    }
    for (const std::string& e : u.secret_env) {
      size_t eq = e.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == e.size()) {
        return InvalidArgument("config: [[gateway.upstream]] `" + u.name + "`: secret_env entry `" +
                               e + "` must be NAME=secret-name");
      }
    }
    for (const std::string& e : u.env) {
      if (e.find('=') == std::string::npos || e.front() == '=') {
        return InvalidArgument("config: [[gateway.upstream]] `" + u.name + "`: env entry `" + e +
                               "` must be NAME=value");
      }
    }
    for (const std::string& h : u.secret_headers) {
      size_t eq = h.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == h.size()) {
        return InvalidArgument("config: [[gateway.upstream]] `" + u.name +
                               "`: secret_headers entry `" + h + "` must be Header=secret-name");
      }
    }
    if (u.resource_type.empty()) {
      return InvalidArgument("config: [[gateway.upstream]] `" + u.name +
                             "`: resource_type is empty");
    }
  }
  return Status::Ok();
}

Status ValidateDecisionServiceSettings(const DecisionServiceSettings& d) {
  if (d.reload_interval_ms < 0) {
    return InvalidArgument("config: policies.reload_interval_ms must not be negative");
  }
  if (d.trust_domain.empty()) return InvalidArgument("config: identity.trust_domain is empty");
  if (!d.issuer.starts_with("https://") && !d.issuer.starts_with("http://")) {
    return InvalidArgument("config: identity.issuer must be an http(s) URL, not `" + d.issuer +
                           "`");
  }
  if (d.issuer.find_first_of("?#") != std::string::npos || d.issuer.ends_with("/")) {
    return InvalidArgument(
        "config: identity.issuer must have no query, fragment or trailing slash");
  }
  if (d.audience.empty()) return InvalidArgument("config: identity.audience is empty");
  if (d.task_token_lifetime_s < 1 || d.task_token_lifetime_s > d.max_task_token_lifetime_s) {
    return InvalidArgument(
        "config: identity.task_token_lifetime_s must be between 1 and "
        "identity.max_task_token_lifetime_s");
  }
  if (d.credential_lifetime_s < 1 || d.credential_lifetime_s > d.max_credential_lifetime_s) {
    return InvalidArgument(
        "config: identity.credential_lifetime_s must be between 1 and "
        "identity.max_credential_lifetime_s");
  }
  if (d.max_delegation_depth < 0 || d.max_delegation_depth > 32) {
    return InvalidArgument("config: identity.max_delegation_depth must be between 0 and 32");
  }
  if (d.signing_algorithm != "EdDSA" && d.signing_algorithm != "ES256") {
    return InvalidArgument("config: identity.signing_algorithm must be \"EdDSA\" or \"ES256\"");
  }
  for (const OidcProviderSettings& p : d.oidc) {
    if (p.issuer.empty()) return InvalidArgument("config: an [[identity.oidc]] has no issuer");
    if (p.audiences.empty()) {
      return InvalidArgument("config: [[identity.oidc]] `" + p.issuer + "` has no audiences");
    }
    if (p.jwks_file.empty() == p.jwks_url.empty()) {
      return InvalidArgument("config: [[identity.oidc]] `" + p.issuer +
                             "` needs exactly one of jwks_file and jwks_url");
    }
    for (const std::string& alg : p.algorithms) {
      if (alg != "RS256" && alg != "ES256" && alg != "EdDSA") {
        return InvalidArgument("config: [[identity.oidc]] `" + p.issuer + "`: algorithm `" + alg +
                               "` is not RS256, ES256 or EdDSA");
      }
    }
  }
  if (d.default_depth != "full" && d.default_depth != "summary") {
    return InvalidArgument("config: evidence.default_depth must be \"full\" or \"summary\"");
  }
  if (d.checkpoint_every_records < 1 || d.checkpoint_every_ms < 1 || d.max_pending_records < 1) {
    return InvalidArgument("config: ledger values must be positive");
  }
  if (d.approval_ttl_s < 1) return InvalidArgument("config: approvals.ttl_s must be positive");
  if (d.blocking_threads < 1 || d.max_queued_work < 1) {
    return InvalidArgument("config: service values must be positive");
  }
  return Status::Ok();
}

}  // namespace writ::server
