// Cedar values.
//
// A Value is 16 bytes, trivially copyable and non-owning: strings, sets, records, entity
// references and IP addresses point into an Arena owned by whatever holds the value (an
// entity store, a policy set, a request, an evaluation). Copying a Value never allocates.
//
// Sets are kept sorted by Compare() and free of duplicates, records sorted by key, so equality
// is structural and set membership is a binary search.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cedar/arena.h"
#include "cedar/extensions/datetime.h"
#include "cedar/extensions/decimal.h"
#include "cedar/extensions/ipaddr.h"

namespace cedar {

// Hash used for entity uids and interned names. Fast on short strings; not for security.
uint64_t HashBytes(std::string_view s, uint64_t seed = 0);

// Byte equality inlined for the short strings of entity types and ids (a call to memcmp was
// the largest single cost of an authorization when measured).
inline bool BytesEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  size_t n = a.size();
  if (x == y) return true;
  while (n >= 8) {
    uint64_t u, v;
    __builtin_memcpy(&u, x, 8);
    __builtin_memcpy(&v, y, 8);
    if (u != v) return false;
    x += 8;
    y += 8;
    n -= 8;
  }
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

// An entity's identity: its type (a fully qualified name such as "Ns::User") and its id.
struct EntityUID {
  std::string_view type;
  std::string_view id;
  uint64_t hash = 0;  // HashOf(type, id), kept so lookups and comparisons stay cheap

  static uint64_t HashOf(std::string_view type, std::string_view id) {
    return HashBytes(id, HashBytes(type));
  }
  // Builds a uid whose strings are copied into `arena`.
  static const EntityUID* Make(Arena& arena, std::string_view type, std::string_view id);

  bool operator==(const EntityUID& o) const {
    return this == &o || (hash == o.hash && BytesEqual(type, o.type) && BytesEqual(id, o.id));
  }
  // `Type::"id"` with the id escaped as a Cedar string literal.
  std::string ToString() const;
};

enum class ValueKind : uint8_t {
  kBool,
  kLong,
  kString,
  kEntity,
  kSet,
  kRecord,
  kDecimal,
  kIpAddr,
  kDatetime,
  kDuration,
};

// The type name Cedar uses in messages: "bool", "long", "string", "entity", "set", "record",
// "decimal", "ipaddr", "datetime", "duration".
const char* KindName(ValueKind kind);
inline bool IsExtensionKind(ValueKind k) {
  return k >= ValueKind::kDecimal;
}

struct SetData;
struct RecordData;

class Value {
 public:
  Value() : kind_(ValueKind::kBool), len_(0), i_(0) {}

  static Value Bool(bool b) { return Value(ValueKind::kBool, 0, b ? 1 : 0); }
  static Value Long(int64_t v) { return Value(ValueKind::kLong, 0, v); }
  // The characters must outlive the value (arena, policy text, ...).
  static Value String(std::string_view s) {
    Value v(ValueKind::kString, static_cast<uint32_t>(s.size()), 0);
    v.s_ = s.data();
    return v;
  }
  static Value Entity(const EntityUID* uid) { return Ptr(ValueKind::kEntity, uid); }
  static Value Set(const SetData* set) { return Ptr(ValueKind::kSet, set); }
  static Value Record(const RecordData* rec) { return Ptr(ValueKind::kRecord, rec); }
  static Value Dec(Decimal d) { return Value(ValueKind::kDecimal, 0, d.raw); }
  static Value Ip(const IpAddr* ip) { return Ptr(ValueKind::kIpAddr, ip); }
  static Value Time(Datetime d) { return Value(ValueKind::kDatetime, 0, d.ms); }
  static Value Dur(Duration d) { return Value(ValueKind::kDuration, 0, d.ms); }

  ValueKind kind() const { return kind_; }
  bool is(ValueKind k) const { return kind_ == k; }

  bool AsBool() const { return i_ != 0; }
  int64_t AsLong() const { return i_; }
  std::string_view AsString() const { return {s_, len_}; }
  const EntityUID& AsEntity() const { return *static_cast<const EntityUID*>(p_); }
  const EntityUID* EntityPtr() const { return static_cast<const EntityUID*>(p_); }
  const SetData& AsSet() const { return *static_cast<const SetData*>(p_); }
  const RecordData& AsRecord() const { return *static_cast<const RecordData*>(p_); }
  Decimal AsDecimal() const { return Decimal{i_}; }
  const IpAddr& AsIp() const { return *static_cast<const IpAddr*>(p_); }
  Datetime AsDatetime() const { return Datetime{i_}; }
  Duration AsDuration() const { return Duration{i_}; }

  // Cedar source text for the value, e.g. `[1, "a", User::"x"]`, `ip("10.0.0.1/24")`.
  std::string ToCedar() const;

 private:
  Value(ValueKind k, uint32_t len, int64_t i) : kind_(k), len_(len), i_(i) {}
  static Value Ptr(ValueKind k, const void* p) {
    Value v(k, 0, 0);
    v.p_ = p;
    return v;
  }

  ValueKind kind_;
  uint32_t len_;
  union {
    int64_t i_;
    const char* s_;
    const void* p_;
  };
};
static_assert(sizeof(Value) == 16);
static_assert(std::is_trivially_copyable_v<Value>);

struct SetData {
  std::span<const Value> items;  // sorted by Compare, no duplicates
};

struct RecordField {
  std::string_view key;
  Value value;
};

struct RecordData {
  std::span<const RecordField> fields;  // sorted by key, keys unique

  const Value* Find(std::string_view key) const;
};

// Total order on values: first by kind, then by content. Used to keep sets canonical.
int Compare(const Value& a, const Value& b);
// Cedar's `==`: structural equality, never an error.
inline bool Equal(const Value& a, const Value& b) {
  return Compare(a, b) == 0;
}
bool SetContains(const SetData& set, const Value& v);

// Builds a canonical set from arbitrary elements (sorted, duplicates dropped). The elements'
// payloads must already live as long as the arena.
const SetData* MakeSet(Arena& arena, std::span<const Value> elems);
const SetData* EmptySet();
// Builds a record. Returns nullptr if two fields share a key (callers report it).
const RecordData* MakeRecord(Arena& arena, std::span<const RecordField> fields);
const RecordData* EmptyRecord();

// Deep copy of a value's payload into another arena.
Value CopyValue(Arena& arena, const Value& v);

// Cedar string-literal escaping (the inverse of the lexer), without the quotes.
std::string EscapeString(std::string_view s);

}  // namespace cedar
