// Evidence policy: how much of a record is kept, and which fields are never kept in clear.
//
// Depth: `full` keeps the whole request context; `summary` keeps ids, verdict, policy ids and
// digests, and replaces the intent, the upstream context and the request context by digests
// (intent_digest, upstream_digest, request.context_digest). Denials, high and critical risk,
// and any transition class (privilege escalation, data export, external tool invocation,
// approval override) are always kept `full`, whatever was asked.
//
// Sensitive fields: the values at the configured paths (dotted, from the record body, e.g.
// "intent" or "request.context.prompt") and the members with the configured names anywhere
// under "upstream" and "request.context" (e.g. "password", "prompt") are replaced by
//   {"hmac_sha256": hex(HMAC-SHA256(deployment key, RFC 8785 canonical JSON of the value))}
// A decision's "intent" and "upstream" are also copied by the engine into its request context
// (request.context.intent, request.context.upstream): a path naming either place, or a path
// above the copy ("request", "request.context"), covers both places, and so does the name
// "intent" or "upstream" (which otherwise only acts under request.context and upstream).
// so the ledger never holds them in clear, while an investigator holding the key can check a
// known value with SensitiveDigest (or `writ ledger digest`). Summary digests use the same
// HMAC when a key is configured, plain SHA-256 ({"sha256": hex}) otherwise.
//
// Thread-safety: an EvidencePolicy is immutable and may be used from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ledger/record.h"
#include "ledger/records.h"

namespace writ::ledger {

struct EvidenceConfig {
  std::string hmac_key;                      // deployment key (raw bytes); a secret
  std::vector<std::string> sensitive_paths;  // e.g. {"intent", "request.context.prompt"}
  std::vector<std::string> sensitive_names;  // e.g. {"password", "api_key", "prompt"}
  EvidenceDepth default_depth = EvidenceDepth::kFull;
};

// hex(HMAC-SHA256(key, canonical JSON of `value`)); invalid_argument when the value cannot be
// canonicalised.
Result<std::string> SensitiveDigest(std::string_view key, const boost::json::value& value);

class EvidencePolicy {
 public:
  // invalid_argument when sensitive fields are configured without a key (at least 16 bytes).
  static Result<EvidencePolicy> Create(EvidenceConfig config);

  // The ledger entry of a decision at `requested` depth (default_depth when unset), with the
  // rules above applied. record.evidence is set to the depth used.
  Result<LedgerEntry> DecisionEntry(DecisionRecord record,
                                    std::optional<EvidenceDepth> requested = {}) const;
  // The ledger entry of any other record body, with sensitive fields digested.
  Result<LedgerEntry> Entry(RecordKind kind, boost::json::object body) const;
  // Whether the value at dotted `path` of a decision record (e.g. "intent") is digested by the
  // rules above, so that a copy of it kept elsewhere (the approval summary) can be too.
  bool IsSensitive(std::string_view path) const;
  // The digest that replaces a sensitive value: {"hmac_sha256": hex} with the deployment key,
  // {"sha256": hex} when none is configured.
  Result<boost::json::object> Digest(const boost::json::value& v) const;

 private:
  explicit EvidencePolicy(EvidenceConfig config);
  Status RedactSensitive(boost::json::object& body) const;
  Status RedactNames(boost::json::value& v, int depth) const;
  EvidenceConfig config_;
  // The configured paths with the copies they stand for (see above).
  std::vector<std::string> paths_;
};

}  // namespace writ::ledger
