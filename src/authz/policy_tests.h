// Policy unit tests: named cases a policy author writes beside the policies, run like
// `opa test` by `writ test DIR`.
//
// A test file is JSON (`*.test.json`) or YAML (`*.yaml`, `*.yml`) in DIR/tests/ (or DIR itself
// when it has no tests/ folder), testing the bundle in DIR; other files there (entity data the
// tests share, say) are left alone:
//
//   name: refunds                       # optional
//   entities: extra.json                # optional: a file (relative to the test file) or an
//                                       # inline array, layered over the bundle's entity data
//   cases:
//     - name: a small refund is allowed
//       request:
//         principal: {type: Agent, id: refund-agent}
//         action: {type: Action, id: refund}
//         resource: {type: McpServer, id: payments}
//         context: {input: {order_id: A1, amount: 40, currency: EUR}, ...}
//       entities: [...]                 # optional, per case, layered over the above
//       expect: allow                   # allow | deny
//       reasons: [small-refunds]        # optional: the determining policies, as a set
//
// An entity given by a test keeps the bundle's attributes and parents for the same uid and
// adds its own on top, the way Writ adds an agent's identity at decision time. With a schema,
// the context is parsed against it and the request validated.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"

namespace writ::authz {

struct PolicyTestFailure {
  std::string file;
  std::string name;
  std::string message;  // what was expected and what happened, with the deciding policies
};

struct PolicyTestReport {
  size_t passed = 0;
  std::vector<PolicyTestFailure> failures;
  size_t files = 0;
};

// Runs every test file for the bundle in `dir`. An error (not a failure) when the bundle does
// not load or a test file is malformed.
Result<PolicyTestReport> RunPolicyTests(const std::filesystem::path& dir);

}  // namespace writ::authz
