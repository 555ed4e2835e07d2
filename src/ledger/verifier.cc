#include "ledger/verifier.h"

#include <boost/json.hpp>
#include <map>

#include "base/canonical_json.h"
#include "base/encoding.h"
#include "ledger/checkpoint_file.h"
#include "ledger/log_reader.h"
#include "ledger/merkle.h"
#include "ledger/record.h"

namespace writ::ledger {
namespace {

constexpr size_t kNodeCheckChunk = 1024;
constexpr uint64_t kProgressEvery = 1 << 16;

class Verification {
 public:
  Verification(store::LedgerStore& store, const VerifyOptions& options)
      : store_(store), options_(options) {}

  Result<VerifyReport> Run() {
    WRIT_ASSIGN_OR_RETURN(uint64_t total, store_.RecordCount(options_.origin));
    total_ = total;
    report_.signatures_checked = options_.key.has_value();
    // Checkpoints to check, by tree size: from the store and from the outside file.
    WRIT_ASSIGN_OR_RETURN(auto stored, store_.Checkpoints(options_.origin));
    for (auto& c : stored) pending_.emplace(c.tree_size, Pending{c.note, "store"});
    if (!options_.outside_checkpoint_file.empty()) {
      WRIT_ASSIGN_OR_RETURN(auto outside, ReadCheckpointFile(options_.outside_checkpoint_file));
      for (auto& c : outside) {
        if (c.origin != options_.origin) continue;
        pending_.emplace(c.tree_size, Pending{c.note, "outside file"});
      }
    }
    Status scan = store_.ScanRecords(options_.origin, 0,
                                     [&](const store::RecordView& v) { return Visit(v); });
    WRIT_RETURN_IF_ERROR(scan);
    if (!report_.problem) FinishChain();
    if (!report_.problem) CheckNodes(true);
    if (!report_.problem) CheckPendingCheckpoints(position_);
    if (!report_.problem && !pending_.empty()) {
      auto it = pending_.begin();
      Problem(position_, "log truncated: a checkpoint (" + it->second.source +
                             ") covers tree size " + std::to_string(it->first) + " but only " +
                             std::to_string(position_) + " records exist");
    }
    report_.records = position_;
    report_.root = range_.Root(hasher_);
    if (options_.progress) options_.progress(position_, total_);
    return report_;
  }

 private:
  struct Pending {
    std::string note;
    std::string source;
  };

  // A checkpoint problem found while a chain break is pending is left to the chain's
  // resolution, which names an earlier record.
  void CheckpointProblem(uint64_t seq, std::string what) {
    if (!chain_break_) Problem(seq, std::move(what));
  }

  void Problem(uint64_t seq, std::string what) {
    if (!report_.problem) report_.problem = VerifyProblem{seq, std::move(what)};
  }

  bool Visit(const store::RecordView& v) {
    uint64_t i = position_;
    if (v.seq != i) {
      // Rows come in seq order, so a larger seq means seq i is absent.
      ResolveChain(false);
      Problem(i, "record " + std::to_string(i) + " is missing");
      return false;
    }
    Digest leaf = LeafHash(hasher_, v.body);
    auto header = DecodeRecordHeader(v.body);
    // A pending chain break between i-2 and i-1 is resolved by whether record i chains to i-1.
    ResolveChain(header.ok() && header->prev == prev_leaf_);
    if (report_.problem) return false;
    if (v.leaf_hash != DigestBytes(leaf)) {
      Problem(i, "record " + std::to_string(i) + " does not match its stored leaf hash");
      return false;
    }
    if (!header.ok()) {
      Problem(i, "record " + std::to_string(i) + ": " + header.status().message());
      return false;
    }
    if (header->origin != options_.origin) {
      Problem(i, "record " + std::to_string(i) + " names origin " + std::string(header->origin));
      return false;
    }
    if (header->seq < i) {
      // The record that belongs at an earlier seq was pushed here: records were inserted there.
      Problem(header->seq, "record at position " + std::to_string(i) + " claims seq " +
                               std::to_string(header->seq) + ": records were inserted from seq " +
                               std::to_string(header->seq));
      return false;
    }
    if (header->seq != i) {
      Problem(i, "record at position " + std::to_string(i) + " claims seq " +
                     std::to_string(header->seq) + " (reordered or inserted)");
      return false;
    }
    if (header->prev != prev_leaf_) {
      if (i == 0) {
        Problem(0, "record 0 does not start the chain");
        return false;
      }
      chain_break_ = true;  // record i-1 or record i was altered; record i+1 tells which
    }
    CheckPendingCheckpoints(i);
    if (header->kind == "checkpoint") CheckCheckpointRecord(i, header->body);
    if (report_.problem) return false;
    completed_.clear();
    range_.Append(hasher_, leaf, &completed_);
    for (const auto& c : completed_) {
      if (IsStoredLevel(c.level)) computed_nodes_[c.level].push_back(c);
    }
    CheckNodes(false);
    prev_leaf_ = leaf;
    ++position_;
    if (options_.progress && position_ % kProgressEvery == 0) {
      options_.progress(position_, total_);
    }
    return !report_.problem;
  }

  // Called with whether the current record chains to the previous one, when the previous one
  // did not chain to its own predecessor: if the successor confirms it, its predecessor is the
  // record that changed; otherwise the previous record itself was altered, inserted or moved.
  void ResolveChain(bool successor_confirms) {
    if (!chain_break_) return;
    chain_break_ = false;
    uint64_t broken = position_ - 1;
    if (successor_confirms) {
      Problem(broken - 1, "record " + std::to_string(broken - 1) +
                              " was changed (its successor's chain link does not match it)");
    } else {
      Problem(broken, "record " + std::to_string(broken) +
                          " was changed, inserted or moved (chain broken on both sides)");
    }
  }

  void FinishChain() { ResolveChain(false); }

  // Checks a checkpoint note against the recomputed tree of `size` leaves (the current range).
  void CheckNote(uint64_t size, const std::string& note, const std::string& source) {
    ++report_.checkpoints;
    Checkpoint cp;
    if (options_.key) {
      auto opened = OpenCheckpoint(note, *options_.key);
      if (!opened.ok()) {
        CheckpointProblem(size, "checkpoint for tree size " + std::to_string(size) + " (" + source +
                                    ") is forged: " + opened.status().message());
        return;
      }
      cp = *opened;
    } else {
      auto parsed = ParseNote(note);
      auto body = parsed.ok() ? ParseCheckpointBody(parsed->body) : parsed.status();
      if (!body.ok()) {
        CheckpointProblem(size, "checkpoint for tree size " + std::to_string(size) + " (" + source +
                                    ") is malformed");
        return;
      }
      cp = *body;
    }
    if (cp.origin != options_.origin || cp.tree_size != size) {
      CheckpointProblem(size, "checkpoint for tree size " + std::to_string(size) + " (" + source +
                                  ") names another log or size");
      return;
    }
    if (cp.root != range_.Root(hasher_)) {
      CheckpointProblem(size, "checkpoint for tree size " + std::to_string(size) + " (" + source +
                                  ") does not match the log: the records before it were changed");
    }
  }

  void CheckPendingCheckpoints(uint64_t size) {
    while (!pending_.empty() && pending_.begin()->first <= size && !report_.problem) {
      auto it = pending_.begin();
      if (it->first == size) CheckNote(size, it->second.note, it->second.source);
      pending_.erase(it);
    }
  }

  void CheckCheckpointRecord(uint64_t seq, std::string_view body) {
    auto v = ParseJson(body);
    if (!v.ok() || !v->is_object()) {
      Problem(seq, "checkpoint record " + std::to_string(seq) + " is malformed");
      return;
    }
    const auto& o = v->as_object();
    auto* note = o.if_contains("note");
    auto* size = o.if_contains("tree_size");
    if (!note || !note->is_string() || !size || !size->is_int64() ||
        static_cast<uint64_t>(size->as_int64()) != seq) {
      Problem(seq, "checkpoint record " + std::to_string(seq) + " is malformed");
      return;
    }
    CheckNote(seq, std::string(note->as_string()), "record");
  }

  // Compares computed subtree hashes with the stored ones, a chunk at a time.
  void CheckNodes(bool final) {
    for (auto& [level, nodes] : computed_nodes_) {
      if (nodes.empty() || (!final && nodes.size() < kNodeCheckChunk)) continue;
      uint64_t first = nodes.front().index;
      auto stored = store_.NodeHashes(options_.origin, level, first, first + nodes.size());
      for (size_t k = 0; k < nodes.size(); ++k) {
        if (!stored.ok() || (*stored)[k] != nodes[k].hash) {
          uint64_t seq = nodes[k].index << level;
          Problem(seq, "stored Merkle subtree (level " + std::to_string(level) + ", index " +
                           std::to_string(nodes[k].index) +
                           ") is missing or does not match the records from seq " +
                           std::to_string(seq));
          return;
        }
      }
      report_.nodes += nodes.size();
      nodes.clear();
    }
  }

  store::LedgerStore& store_;
  const VerifyOptions& options_;
  VerifyReport report_;
  uint64_t total_ = 0;
  uint64_t position_ = 0;
  Digest prev_leaf_{};
  bool chain_break_ = false;
  Sha256Hasher hasher_;
  CompactRange range_;
  std::vector<CompletedNode> completed_;
  std::map<uint32_t, std::vector<CompletedNode>> computed_nodes_;
  std::multimap<uint64_t, Pending> pending_;
};

}  // namespace

Result<VerifyReport> VerifyLedger(store::LedgerStore& store, const VerifyOptions& options) {
  WRIT_RETURN_IF_ERROR(ValidateOrigin(options.origin));
  Verification v(store, options);
  return v.Run();
}

}  // namespace writ::ledger
