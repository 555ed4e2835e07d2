// `writ test DIR`: the policy unit tests written beside a bundle (authz/policy_tests.h).
#include <iostream>

#include "authz/policy_tests.h"
#include "cli/commands.h"
#include "cli/io.h"

namespace writ::cli {

void AddTestCommands(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "test", "Run the policy unit tests of a bundle (exit 0: all pass, 2: failures, 1: errors)");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("dir", *dir, "Bundle directory (its tests are in DIR/tests)")->required();
  cmd->callback([dir] {
    auto report = authz::RunPolicyTests(*dir);
    if (!report.ok()) {
      PrintError(report.status().message());
      Exit(kExitInputError);
    }
    for (const auto& f : report->failures) {
      std::cout << "FAIL " << f.file << ": " << f.name << ": " << f.message << "\n";
    }
    size_t total = report->passed + report->failures.size();
    std::cout << report->passed << "/" << total << " cases passed in " << report->files
              << (report->files == 1 ? " file" : " files") << "\n";
    if (!report->failures.empty()) Exit(kExitDeny);
  });
}

}  // namespace writ::cli
