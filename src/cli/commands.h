// Each area of the command line registers its subcommands here; main.cc wires them together.
#pragma once

#include <CLI/CLI.hpp>

namespace writ::cli {

// Exit codes shared by every command (documented in docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInputError = 1;
inline constexpr int kExitDeny = 2;
inline constexpr int kExitInvalid = 3;

// Ends a command with `code` (caught in main).
[[noreturn]] inline void Exit(int code) {
  throw CLI::RuntimeError(code);
}

// Registers `authorize` and `test-cedar`.
void AddCedarCommands(CLI::App& app);

// Registers `format` and `policy convert`.
void AddPolicyCommands(CLI::App& app);

// Registers `ledger verify|proof|show|digest|query`.
void AddLedgerCommands(CLI::App& app);

// Registers `validate`.
void AddValidateCommands(CLI::App& app);

// Registers `schema convert`.
void AddSchemaCommands(CLI::App& app);

// Registers `test` (policy unit tests of a bundle).
void AddTestCommands(CLI::App& app);

// Registers `keys`, `agent`, `token` and `revoke`.
void AddIdentityCommands(CLI::App& app);

// Registers `explain` (the authorisation path of a decision, task or token, offline).
void AddExplainCommand(CLI::App& app);

// Registers `serve` (serve_command.cc) and `apikey create|list|revoke`.
void AddServerCommands(CLI::App& app);
void AddServeCommand(CLI::App& app);

// Registers `demo` and `demo setup` (the example scenario against a running service).
void AddDemoCommand(CLI::App& app);

}  // namespace writ::cli
