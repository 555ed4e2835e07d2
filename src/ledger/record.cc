#include "ledger/record.h"

#include <array>
#include <charconv>

#include "base/canonical_json.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "ledger/checkpoint.h"

namespace writ::ledger {
namespace {

constexpr std::array<std::string_view, kRecordKindCount> kKindNames = {
    "task_start",        "task_end",           "delegation",        "decision",
    "credential_issue",  "credential_use",     "credential_revoke", "approval_request",
    "approval_grant",    "approval_deny",      "approval_override", "outcome",
    "policy_set_loaded", "entity_data_loaded", "key_rotation",      "checkpoint",
};

std::string StringField(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().get_string());
}

// Strips `suffix` from the end of `s`; false when it is not there.
bool EatSuffix(std::string_view* s, std::string_view suffix) {
  if (s->size() < suffix.size() || s->substr(s->size() - suffix.size()) != suffix) return false;
  s->remove_suffix(suffix.size());
  return true;
}

// Reads a quoted simple string (no quotes or backslashes inside) at the end of `s`.
bool EatQuoted(std::string_view* s, std::string_view* value) {
  if (s->empty() || s->back() != '"') return false;
  size_t open = s->rfind('"', s->size() - 2);
  if (open == std::string_view::npos || s->size() < 2) return false;
  *value = s->substr(open + 1, s->size() - open - 2);
  if (value->find('\\') != std::string_view::npos) return false;
  s->remove_suffix(s->size() - open);
  return true;
}

// 64 hex digits to a digest, without allocating (the verify hot path reads one per record).
bool DecodeHexDigest(std::string_view hex, Digest* out) {
  if (hex.size() != 2 * kSha256Size) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;  // canonical records use lowercase only
  };
  for (size_t i = 0; i < kSha256Size; ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace

std::string_view RecordKindName(RecordKind kind) {
  return kKindNames[static_cast<size_t>(kind)];
}

Result<RecordKind> ParseRecordKind(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<RecordKind>(i);
  }
  return InvalidArgument("ledger: unknown record kind '" + std::string(name) + "'");
}

Result<LedgerEntry> MakeEntry(RecordKind kind, const boost::json::object& body) {
  LedgerEntry e;
  e.kind = kind;
  WRIT_ASSIGN_OR_RETURN(e.body, CanonicalJson(body));
  e.decision_id = StringField(body, "decision_id");
  e.task_id = StringField(body, "task_id");
  e.principal = StringField(body, "principal");
  if (e.principal.empty()) {
    auto it = body.find("identity");
    if (it != body.end() && it->value().is_object()) {
      e.principal = StringField(it->value().get_object(), "principal");
    }
  }
  e.verdict = StringField(body, "verdict");
  return e;
}

std::string EncodeRecord(const LedgerEntry& entry, std::string_view origin, uint64_t seq,
                         const Digest& prev, int64_t time_us) {
  std::string out;
  out.reserve(entry.body.size() + origin.size() + 180);
  out += "{\"body\":";
  out += entry.body;
  out += ",\"kind\":\"";
  out += RecordKindName(entry.kind);
  out += "\",\"origin\":\"";
  out += origin;
  out += "\",\"prev\":\"";
  out += DigestHex(prev);
  out += "\",\"seq\":";
  char num[24];
  auto r = std::to_chars(num, num + sizeof num, seq);
  out.append(num, r.ptr);
  out += ",\"time\":\"";
  out += FormatRfc3339Micros(time_us);
  out += "\",\"v\":1}";
  return out;
}

Result<RecordHeader> DecodeRecordHeader(std::string_view bytes) {
  auto bad = [](const char* what) {
    return InvalidArgument(std::string("ledger: record is malformed (") + what + ")");
  };
  RecordHeader h;
  std::string_view s = bytes;
  std::string_view v;
  if (!EatSuffix(&s, ",\"v\":1}")) return bad("version");
  if (!EatQuoted(&s, &v) || !EatSuffix(&s, ",\"time\":")) return bad("time");
  size_t digits = 0;
  while (digits < s.size() && s[s.size() - 1 - digits] >= '0' && s[s.size() - 1 - digits] <= '9') {
    ++digits;
  }
  if (digits == 0 || digits > 20 || (digits > 1 && s[s.size() - digits] == '0')) {
    return bad("seq");
  }
  auto r = std::from_chars(s.data() + s.size() - digits, s.data() + s.size(), h.seq);
  if (r.ec != std::errc()) return bad("seq");
  s.remove_suffix(digits);
  if (!EatSuffix(&s, ",\"seq\":")) return bad("seq");
  if (!EatQuoted(&s, &v) || !EatSuffix(&s, ",\"prev\":")) return bad("prev");
  if (!DecodeHexDigest(v, &h.prev)) return bad("prev");
  if (!EatQuoted(&s, &h.origin) || !EatSuffix(&s, ",\"origin\":")) return bad("origin");
  if (!EatQuoted(&s, &h.kind) || !EatSuffix(&s, ",\"kind\":")) return bad("kind");
  if (s.substr(0, 8) != "{\"body\":" || s.size() < 10 || s[8] != '{' || s.back() != '}') {
    return bad("body");
  }
  h.body = s.substr(8);
  return h;
}

Result<LedgerRecord> DecodeRecord(std::string_view bytes) {
  WRIT_ASSIGN_OR_RETURN(RecordHeader h, DecodeRecordHeader(bytes));
  WRIT_ASSIGN_OR_RETURN(boost::json::value v, ParseJson(bytes));
  WRIT_ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(v));
  if (canonical != bytes) return InvalidArgument("ledger: record is not in canonical form");
  const auto& o = v.as_object();
  if (o.size() != 7) return InvalidArgument("ledger: record has unexpected members");
  LedgerRecord rec;
  WRIT_RETURN_IF_ERROR(ValidateOrigin(h.origin));
  rec.origin = std::string(h.origin);
  rec.seq = h.seq;
  rec.prev = h.prev;
  WRIT_ASSIGN_OR_RETURN(rec.kind, ParseRecordKind(h.kind));
  WRIT_ASSIGN_OR_RETURN(rec.time_us, ParseRfc3339(o.at("time").as_string()));
  rec.body = o.at("body").as_object();
  return rec;
}

}  // namespace writ::ledger
