// Self-contained proofs for outside verifiers, as JSON: everything needed to check a record's
// inclusion, or two checkpoints' consistency, with only the checkpoint notes and the log's
// public (verifier) key — no access to Writ or its store.
//
// Inclusion bundle:
//   {"origin", "seq", "record" (the record's bytes, a JSON string), "leaf_hash" (hex),
//    "tree_size", "inclusion_proof" ([hex, ...], RFC 9162 order), "checkpoint" (signed note of
//    tree_size), "verifier_key" (C2SP vkey; present when known)}
// Consistency bundle:
//   {"origin", "first_size", "second_size", "first_checkpoint", "second_checkpoint",
//    "consistency_proof" ([hex, ...]), "verifier_key"}
// The procedure an outside verifier follows is written down in docs/ledger.md.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "base/status.h"
#include "store/store.h"

namespace writ::ledger {

// Proves record `seq` against the latest stored checkpoint (failed_precondition when no
// checkpoint covers it yet; not_found when there is no such record).
Result<boost::json::object> InclusionBundle(store::LedgerStore& store, const std::string& origin,
                                            uint64_t seq, const std::string& verifier_key);

// Proves that the stored checkpoint of `second_size` extends the one of `first_size` (both must
// be stored checkpoints; not_found otherwise).
Result<boost::json::object> ConsistencyBundle(store::LedgerStore& store, const std::string& origin,
                                              uint64_t first_size, uint64_t second_size,
                                              const std::string& verifier_key);

}  // namespace writ::ledger
