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

  TableReader top(source, "");
  top.Add("data_dir", Path(&c.data_dir, base));
  top.Add("server", Table(&server));
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
  return Status::Ok();
}

}  // namespace writ::server
