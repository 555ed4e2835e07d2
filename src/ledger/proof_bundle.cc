#include "ledger/proof_bundle.h"

#include <boost/json.hpp>

#include "ledger/log_reader.h"

namespace writ::ledger {
namespace {

boost::json::array HexList(const std::vector<Digest>& v) {
  boost::json::array out;
  for (const auto& d : v) out.emplace_back(DigestHex(d));
  return out;
}

Result<store::StoredCheckpoint> CheckpointOfSize(store::LedgerStore& store,
                                                 const std::string& origin, uint64_t size) {
  WRIT_ASSIGN_OR_RETURN(auto all, store.Checkpoints(origin));
  for (auto& c : all) {
    if (c.tree_size == size) return c;
  }
  return NotFound("ledger: no checkpoint of tree size " + std::to_string(size));
}

}  // namespace

Result<boost::json::object> InclusionBundle(store::LedgerStore& store, const std::string& origin,
                                            uint64_t seq, const std::string& verifier_key) {
  WRIT_ASSIGN_OR_RETURN(auto record, store.GetRecord(origin, seq));
  if (!record) return NotFound("ledger: no record " + std::to_string(seq) + " in " + origin);
  LedgerReader reader(store, origin);
  WRIT_ASSIGN_OR_RETURN(auto latest, reader.LatestCheckpoint());
  if (!latest || latest->tree_size <= seq) {
    return FailedPrecondition("ledger: record " + std::to_string(seq) +
                              " is not covered by a checkpoint yet");
  }
  WRIT_ASSIGN_OR_RETURN(InclusionProofResult proof, reader.ProveInclusion(seq, latest->tree_size));
  boost::json::object o;
  o["origin"] = origin;
  o["seq"] = seq;
  o["record"] = record->body;
  o["leaf_hash"] = DigestHex(proof.leaf_hash);
  o["tree_size"] = latest->tree_size;
  o["inclusion_proof"] = HexList(proof.proof);
  o["checkpoint"] = latest->note;
  if (!verifier_key.empty()) o["verifier_key"] = verifier_key;
  return o;
}

Result<boost::json::object> ConsistencyBundle(store::LedgerStore& store, const std::string& origin,
                                              uint64_t first_size, uint64_t second_size,
                                              const std::string& verifier_key) {
  WRIT_ASSIGN_OR_RETURN(auto first, CheckpointOfSize(store, origin, first_size));
  WRIT_ASSIGN_OR_RETURN(auto second, CheckpointOfSize(store, origin, second_size));
  LedgerReader reader(store, origin);
  WRIT_ASSIGN_OR_RETURN(auto proof, reader.ProveConsistency(first_size, second_size));
  boost::json::object o;
  o["origin"] = origin;
  o["first_size"] = first_size;
  o["second_size"] = second_size;
  o["first_checkpoint"] = first.note;
  o["second_checkpoint"] = second.note;
  o["consistency_proof"] = HexList(proof);
  if (!verifier_key.empty()) o["verifier_key"] = verifier_key;
  return o;
}

}  // namespace writ::ledger
