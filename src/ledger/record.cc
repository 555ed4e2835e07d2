#include "ledger/record.h"

#include <array>
#include <charconv>
#include <cstring>

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

// Strips `suffix` (a literal) from the end of `s`; false when it is not there. The size is a
// constant so that the comparison is inlined (DecodeRecordHeader runs once per record in
// verify; measured: out-of-line memcmp calls were a third of its time).
template <size_t N>
bool EatSuffix(std::string_view* s, const char (&suffix)[N]) {
  constexpr size_t n = N - 1;
  if (s->size() < n || std::memcmp(s->data() + s->size() - n, suffix, n) != 0) return false;
  s->remove_suffix(n);
  return true;
}

// Reads a quoted simple string (no quotes or backslashes inside) at the end of `s`.
bool EatQuoted(std::string_view* s, std::string_view* value) {
  size_t n = s->size();
  if (n < 2 || (*s)[n - 1] != '"') return false;
  // One backward pass finds the opening quote and refuses a backslash on the way.
  size_t open = n - 2;
  for (;; --open) {
    char c = (*s)[open];
    if (c == '"') break;
    if (c == '\\' || open == 0) return false;
  }
  *value = s->substr(open + 1, n - open - 2);
  s->remove_suffix(n - open);
  return true;
}

// Lowercase hex digit values (canonical records use lowercase only); 0xff for anything else.
constexpr std::array<uint8_t, 256> kHexValue = [] {
  std::array<uint8_t, 256> t{};
  t.fill(0xff);
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<size_t>(c)] = static_cast<uint8_t>(c - 'a' + 10);
  return t;
}();

// 64 hex digits to a digest, without allocating or branching per digit (the verify hot path
// reads one per record; measured: the branchy version was half of DecodeRecordHeader).
bool DecodeHexDigest(std::string_view hex, Digest* out) {
  if (hex.size() != 2 * kSha256Size) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(hex.data());
  uint8_t bad = 0;
  for (size_t i = 0; i < kSha256Size; ++i) {
    uint8_t hi = kHexValue[p[2 * i]];
    uint8_t lo = kHexValue[p[2 * i + 1]];
    bad |= hi | lo;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | (lo & 0x0f));
  }
  return (bad & 0xf0) == 0;
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
  return EncodeRecord(entry, origin, seq, prev, FormatRfc3339Micros(time_us));
}

std::string EncodeRecord(const LedgerEntry& entry, std::string_view origin, uint64_t seq,
                         const Digest& prev, std::string_view rfc3339_time) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(entry.body.size() + origin.size() + rfc3339_time.size() + 160);
  out += "{\"body\":";
  out += entry.body;
  out += ",\"kind\":\"";
  out += RecordKindName(entry.kind);
  out += "\",\"origin\":\"";
  out += origin;
  out += "\",\"prev\":\"";
  char hex[2 * kSha256Size];
  for (size_t i = 0; i < kSha256Size; ++i) {
    hex[2 * i] = kHex[prev[i] >> 4];
    hex[2 * i + 1] = kHex[prev[i] & 0x0f];
  }
  out.append(hex, sizeof hex);
  out += "\",\"seq\":";
  char num[24];
  auto r = std::to_chars(num, num + sizeof num, seq);
  out.append(num, r.ptr);
  out += ",\"time\":\"";
  out += rfc3339_time;
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
  if (s.size() < 10 || std::memcmp(s.data(), "{\"body\":", 8) != 0 || s[8] != '{' ||
      s.back() != '}') {
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
