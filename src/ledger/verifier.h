// Verifying a stored ledger from scratch: every record's bytes, position, origin and chain
// link, the Merkle tree recomputed from the records, the stored subtree hashes, and every
// checkpoint (in the store, in checkpoint records, and optionally in an outside file): its
// signature and its root against the recomputed tree of its size.
//
// The first problem found is reported with the sequence number it concerns:
//   - a changed record: its seq (its bytes no longer match its successor's chain link or its
//     stored leaf hash);
//   - a removed record: the seq that is missing;
//   - reordered or inserted records: the first position whose record names another seq or
//     does not chain to its predecessor;
//   - a truncated log: the first seq missing below a checkpoint's tree size;
//   - a forged or inconsistent checkpoint: the tree size it claims (its checkpoint record's
//     seq).
// When several consecutive records were altered, the first of them is named. The chain alone
// cannot tell "records r-1 and r both changed" from "record r alone replaced with a wrong
// link" (both break the chain after r-1 and after r); the stored subtree hash over r-1 decides,
// and when there is none (the subtree is not complete yet, or its hash was removed), r-1 is
// named: the first record that may have changed.
//
// Memory stays flat (O(log n)); records are read in one sequential scan.
// Thread-safety: VerifyLedger may run while a Ledger appends; it checks the records present
// when its scan began or later.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "ledger/checkpoint.h"
#include "store/store.h"

namespace writ::ledger {

struct VerifyOptions {
  std::string origin;                   // required
  std::optional<VerifierKey> key;       // without it, signatures are not checked (reported)
  std::string outside_checkpoint_file;  // empty: none
  // Called now and then with (records checked, records in the log).
  std::function<void(uint64_t, uint64_t)> progress;
  // Records read at a time, by one of two threads in turn (tests make it small, to cross many
  // chunk boundaries).
  uint64_t read_chunk = 4096;
};

struct VerifyProblem {
  uint64_t seq = 0;
  std::string what;
};

struct VerifyReport {
  bool ok() const { return !problem.has_value(); }
  uint64_t records = 0;                  // records scanned
  uint64_t checkpoints = 0;              // checkpoints checked (store, records and file)
  uint64_t nodes = 0;                    // stored subtree hashes checked
  bool signatures_checked = false;       // false when no key was given
  Digest root{};                         // the recomputed tree head
  std::optional<VerifyProblem> problem;  // the first one found
};

// An error Status means verify could not run (the store is unreadable); a tampered log is an
// ok Result whose report has a problem.
Result<VerifyReport> VerifyLedger(store::LedgerStore& store, const VerifyOptions& options);

}  // namespace writ::ledger
