// Ledger records as bytes: the kinds, the entry a writer hands to the ledger, and the record
// encoding that the Merkle tree hashes.
//
// A record is the RFC 8785 canonical JSON of
//   {"body": {...kind-specific fields...}, "kind": "decision", "origin": "<log origin>",
//    "prev": "<hex leaf hash of the previous record, 64 zeros for the first>",
//    "seq": <leaf index>, "time": "<RFC 3339 UTC, microseconds>", "v": 1}
// so that every record names its log and position (removal, reordering and insertion change
// them) and chains to its predecessor (verify names the first record that breaks the chain).
// Canonical key order puts "body" first, so the header can be read from the end of the bytes
// without parsing the body (DecodeRecordHeader: the verify hot path).
//
// Typed records (DecisionRecord and the others) live in records.h; this header is the layer
// under them. All functions are pure and thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/crypto.h"
#include "base/status.h"

namespace writ::ledger {

enum class RecordKind : uint8_t {
  kTaskStart,
  kTaskEnd,
  kDelegation,
  kDecision,
  kCredentialIssue,
  kCredentialUse,
  kCredentialRevoke,
  kApprovalRequest,
  kApprovalGrant,
  kApprovalDeny,
  kApprovalOverride,
  kOutcome,
  kPolicySetLoaded,
  kEntityDataLoaded,
  kKeyRotation,
  kCheckpoint,
};
inline constexpr int kRecordKindCount = 16;

// "task_start", "decision", "credential_issue", ... (the `kind` of a record).
std::string_view RecordKindName(RecordKind kind);
Result<RecordKind> ParseRecordKind(std::string_view name);

inline constexpr int kRecordFormatVersion = 1;

// What a writer appends: the kind, its body as canonical JSON (an object), and copies of the
// body's fields that the store indexes for queries (empty when not applicable).
struct LedgerEntry {
  RecordKind kind = RecordKind::kDecision;
  std::string body;
  std::string decision_id;
  std::string task_id;
  std::string principal;
  std::string verdict;
};

// Builds an entry from a body object: canonicalises it (invalid_argument when it cannot be, see
// canonical_json.h).
Result<LedgerEntry> MakeEntry(RecordKind kind, const boost::json::object& body);

// The leaf bytes of a record. `entry.body` must be canonical JSON of an object and `origin`
// valid (ValidateOrigin); the result is then canonical JSON as a whole.
std::string EncodeRecord(const LedgerEntry& entry, std::string_view origin, uint64_t seq,
                         const Digest& prev, int64_t time_us);
// The same with the time already formatted (FormatRfc3339Micros), for a batch of records that
// share it.
std::string EncodeRecord(const LedgerEntry& entry, std::string_view origin, uint64_t seq,
                         const Digest& prev, std::string_view rfc3339_time);

// The header fields, read from the end of the bytes without parsing the body.
struct RecordHeader {
  std::string_view origin;
  std::string_view kind;
  uint64_t seq = 0;
  Digest prev{};
  std::string_view body;  // the body's JSON text
};
// invalid_argument when the bytes do not have the record layout.
Result<RecordHeader> DecodeRecordHeader(std::string_view bytes);

// A record fully decoded (and checked to be canonical).
struct LedgerRecord {
  std::string origin;
  uint64_t seq = 0;
  Digest prev{};
  RecordKind kind = RecordKind::kDecision;
  int64_t time_us = 0;
  boost::json::object body;
};
Result<LedgerRecord> DecodeRecord(std::string_view bytes);

}  // namespace writ::ledger
