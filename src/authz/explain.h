// Explain: the whole authorisation path of one incident, from one id.
//
// The id may be a decision id, a task id, a token id (a task, delegated token or just-in-time
// credential) or an approval id (the path of the decision that asked for it). Explain finds the
// task it belongs to and assembles, from the ledger, in order: the task start (user, intent),
// each delegation, each decision — with the text of the policies that determined it (from the
// content-addressed policy set it was made under) and the entity-data hash — the approvals
// (request, then grant, denial or override, and the use of a grant), credentials and outcome
// attached to it, then the revocations and the task end. Every record carries its inclusion
// proof against the latest signed checkpoint, so the path can be checked outside Writ.
//
// The result is JSON (the API's body); RenderExplainTree prints it as a tree for the CLI.
#pragma once

#include <boost/json.hpp>
#include <string>

#include "base/status.h"
#include "store/store.h"

namespace writ::authz {

struct ExplainOptions {
  std::string origin;        // the ledger origin to prove against ("" = the records' own)
  std::string verifier_key;  // the ledger's C2SP verifier key, included in the proofs
  size_t max_records = 10000;
};

// not_found when the id names nothing Writ recorded.
Result<boost::json::object> Explain(store::Store& store, const std::string& id,
                                    const ExplainOptions& options);

// A readable tree of an Explain result, e.g.
//   task t-1 "refund a duplicate charge" for User::"alice" by Agent::"payments-orchestrator"
//   ├─ delegation to Agent::"refund-agent" (depth 1, scopes payments:refund)
//   ├─ decision 0193… allow Action::"refund" on McpServer::"payments" by [small-refunds]
//   │   └─ outcome success
//   └─ task end (4 credentials revoked)
// with "✓ #seq" after each record whose inclusion proof checked. `color` adds ANSI colours.
std::string RenderExplainTree(const boost::json::object& explained, bool color = false);

}  // namespace writ::authz
