// `writ explain ID`: the authorisation path of a decision, task or token, offline over a data
// directory — who asked, for whom, through which delegations, under which policies, with which
// credentials, what was approved and what came of it, each record with its inclusion proof.
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "authz/explain.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "ledger/checkpoint.h"
#include "store/sqlite_store.h"

namespace writ::cli {
namespace {

struct ExplainArgs {
  std::string id;
  std::string data_dir = "data";
  bool json = false;
};

[[noreturn]] void Fail(int code, const std::string& message) {
  PrintError(message);
  Exit(code);
}

// The verifier key of the data directory's ledger key, when the store holds one log.
std::string VerifierKey(store::Store& s, const std::string& data_dir) {
  std::string path = data_dir + "/ledger.key";
  auto origins = s.ledger().Origins();
  if (!origins.ok() || origins->size() != 1 || !std::filesystem::exists(path)) return {};
  auto signer = ledger::LoadOrCreateFileNoteSigner(path, origins->front());
  if (!signer.ok()) return {};
  return ledger::FormatVerifierKey((*signer)->name(), (*signer)->public_key());
}

}  // namespace

void AddExplainCommand(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  auto* cmd = app.add_subcommand(
      "explain", "the authorisation path of a decision, task or token id, from the ledger");
  cmd->add_option("id", a->id, "a decision id, task id or token id")->required();
  cmd->add_option("--data", a->data_dir, "data directory (holds writ.db)")->capture_default_str();
  cmd->add_flag("--json", a->json, "the explanation as JSON (what GET /v1/explain/{id} answers)");
  cmd->callback([a] {
    store::SqliteOptions so;
    so.data_dir = a->data_dir;
    so.read_only = true;
    auto s = store::OpenSqliteStore(so);
    if (!s.ok()) Fail(kExitInputError, s.status().ToString());
    authz::ExplainOptions o;
    o.verifier_key = VerifierKey(**s, a->data_dir);
    auto explained = authz::Explain(**s, a->id, o);
    if (!explained.ok()) Fail(kExitInputError, explained.status().ToString());
    if (a->json) {
      std::cout << boost::json::serialize(*explained) << "\n";
    } else {
      std::cout << authz::RenderExplainTree(*explained, ::isatty(STDOUT_FILENO) != 0);
    }
  });
}

}  // namespace writ::cli
