#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"writ: runtime authorization and evidence for AI agents"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "writ 0.1.0");
  writ::cli::AddCedarCommands(app);
  writ::cli::AddPolicyCommands(app);
  writ::cli::AddLedgerCommands(app);
  writ::cli::AddValidateCommands(app);
  writ::cli::AddTestCommands(app);
  writ::cli::AddIdentityCommands(app);
  writ::cli::AddExplainCommand(app);
  writ::cli::AddSchemaCommands(app);
  writ::cli::AddServerCommands(app);
  writ::cli::AddDemoCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    // Commands finish with CLI::RuntimeError(code) to report a non-zero exit code.
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : writ::cli::kExitInputError;
  }
  return 0;
}
