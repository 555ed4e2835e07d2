// `writ apikey create|list|revoke`: the API keys of people and tools, managed offline in a data
// directory (the running service picks changes up within server.api_keys.refresh_ms).
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>

#include "base/clock.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "server/api_keys.h"
#include "store/api_key_store.h"
#include "store/sqlite_store.h"

namespace writ::cli {
namespace {

namespace json = boost::json;

struct ApiKeyArgs {
  std::string data_dir = "data";
  bool json = false;
};

[[noreturn]] void Fail(int code, const std::string& message) {
  PrintError(message);
  Exit(code);
}

std::unique_ptr<store::Store> OpenStore(const ApiKeyArgs& a) {
  store::SqliteOptions so;
  so.data_dir = a.data_dir;
  auto s = store::OpenSqliteStore(so);
  if (!s.ok()) Fail(kExitInputError, s.status().ToString());
  return std::move(s).value();
}

void AddCommon(CLI::App* cmd, ApiKeyArgs& a) {
  cmd->add_option("--data", a.data_dir, "data directory (holds writ.db)")->capture_default_str();
  cmd->add_flag("--json", a.json, "machine-readable output");
}

std::string Time(int64_t us) {
  return us == 0 ? "-" : FormatRfc3339Micros(us);
}

}  // namespace

void AddServerCommands(CLI::App& app) {
  AddServeCommand(app);

  auto* apikey = app.add_subcommand("apikey", "API keys of people and tools");
  apikey->require_subcommand(1);

  {
    auto a = std::make_shared<ApiKeyArgs>();
    auto name = std::make_shared<std::string>();
    auto role = std::make_shared<std::string>();
    auto* cmd = apikey->add_subcommand("create", "create a key and print it (once)");
    AddCommon(cmd, *a);
    cmd->add_option("--name", *name, "a unique name: letters, digits, . _ @ -")->required();
    cmd->add_option("--role", *role, "admin, approver or viewer")
        ->required()
        ->check(CLI::IsMember({"admin", "approver", "viewer"}));
    cmd->callback([a, name, role] {
      auto s = OpenStore(*a);
      SystemClock clock;
      auto issued = server::CreateApiKey(s->api_keys(), *name, *server::ParseRole(*role), clock);
      if (!issued.ok()) Fail(kExitInputError, issued.status().ToString());
      if (a->json) {
        std::cout << json::serialize(json::object{{"id", issued->id},
                                                  {"name", issued->name},
                                                  {"role", server::RoleName(issued->role)},
                                                  {"key", issued->key},
                                                  {"created", Time(issued->created_us)}})
                  << "\n";
        return;
      }
      std::cout << "id:   " << issued->id << "\nname: " << issued->name
                << "\nrole: " << server::RoleName(issued->role) << "\nkey:  " << issued->key
                << "\n";
      std::cerr << "writ: store the key now; it is not shown again\n";
    });
  }

  {
    auto a = std::make_shared<ApiKeyArgs>();
    auto* cmd = apikey->add_subcommand("list", "list the keys (never the keys themselves)");
    AddCommon(cmd, *a);
    cmd->callback([a] {
      auto s = OpenStore(*a);
      auto keys = s->api_keys().ListApiKeys();
      if (!keys.ok()) Fail(kExitInputError, keys.status().ToString());
      if (a->json) {
        json::array items;
        for (const auto& k : *keys) {
          items.push_back(json::object{
              {"id", k.id},
              {"name", k.name},
              {"role", k.role},
              {"created", Time(k.created_us)},
              {"revoked", k.revoked_us ? json::value(Time(k.revoked_us)) : json::value(nullptr)}});
        }
        std::cout << json::serialize(items) << "\n";
        return;
      }
      std::printf("%-16s  %-9s  %-27s  %-27s  %s\n", "ID", "ROLE", "CREATED", "REVOKED", "NAME");
      for (const auto& k : *keys) {
        std::printf("%-16s  %-9s  %-27s  %-27s  %s\n", k.id.c_str(), k.role.c_str(),
                    Time(k.created_us).c_str(), Time(k.revoked_us).c_str(), k.name.c_str());
      }
    });
  }

  {
    auto a = std::make_shared<ApiKeyArgs>();
    auto target = std::make_shared<std::string>();
    auto* cmd = apikey->add_subcommand("revoke", "revoke a key by id or name");
    AddCommon(cmd, *a);
    cmd->add_option("key", *target, "the key's id or name")->required();
    cmd->callback([a, target] {
      auto s = OpenStore(*a);
      SystemClock clock;
      auto revoked = server::RevokeApiKey(s->api_keys(), *target, clock);
      if (!revoked.ok()) Fail(kExitInputError, revoked.status().ToString());
      if (a->json) {
        std::cout << json::serialize(json::object{
                         {"id", revoked->id}, {"name", revoked->name}, {"revoked", true}})
                  << "\n";
        return;
      }
      std::cout << "revoked " << revoked->id << " (" << revoked->name << ")\n";
    });
  }
}

}  // namespace writ::cli
