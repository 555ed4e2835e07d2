#include "cedar/value.h"

#include <algorithm>
#include <cstring>

namespace cedar {

uint64_t HashBytes(std::string_view s, uint64_t seed) {
  // 64-bit multiply-xorshift over 8-byte words; measured faster than FNV-1a on ids of 4-40
  // bytes, which is what entity uids look like.
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = seed ^ (s.size() * kMul);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w ^ (uint64_t(n) << 56)) * kMul;
    h ^= h >> 29;
  }
  h *= kMul;
  return h ^ (h >> 32);
}

const EntityUID* EntityUID::Make(Arena& arena, std::string_view type, std::string_view id) {
  auto t = arena.CopyString(type);
  auto i = arena.CopyString(id);
  return arena.New<EntityUID>(t, i, HashOf(t, i));
}

std::string EscapeString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  static const char* kHex = "0123456789abcdef";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u{";
          if (c >= 0x10) out += kHex[c >> 4];
          out += kHex[c & 15];
          out += "}";
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string EntityUID::ToString() const {
  std::string out(type);
  out += "::\"";
  out += EscapeString(id);
  out += "\"";
  return out;
}

const char* KindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kLong:
      return "long";
    case ValueKind::kString:
      return "string";
    case ValueKind::kEntity:
      return "entity";
    case ValueKind::kSet:
      return "set";
    case ValueKind::kRecord:
      return "record";
    case ValueKind::kDecimal:
      return "decimal";
    case ValueKind::kIpAddr:
      return "ipaddr";
    case ValueKind::kDatetime:
      return "datetime";
    case ValueKind::kDuration:
      return "duration";
  }
  return "?";
}

const Value* RecordData::Find(std::string_view key) const {
  // Records are small in practice; a linear scan beats binary search below ~16 fields.
  if (fields.size() <= 16) {
    for (const auto& f : fields) {
      if (BytesEqual(f.key, key)) return &f.value;
    }
    return nullptr;
  }
  auto it = std::lower_bound(fields.begin(), fields.end(), key,
                             [](const RecordField& f, std::string_view k) { return f.key < k; });
  if (it != fields.end() && it->key == key) return &it->value;
  return nullptr;
}

namespace {

template <typename T>
int Cmp3(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareStrings(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

int Compare(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return Cmp3(static_cast<int>(a.kind()), static_cast<int>(b.kind()));
  switch (a.kind()) {
    case ValueKind::kBool:
    case ValueKind::kLong:
    case ValueKind::kDecimal:
    case ValueKind::kDatetime:
    case ValueKind::kDuration:
      return Cmp3(a.AsLong(), b.AsLong());
    case ValueKind::kString:
      return CompareStrings(a.AsString(), b.AsString());
    case ValueKind::kEntity: {
      const EntityUID& x = a.AsEntity();
      const EntityUID& y = b.AsEntity();
      if (&x == &y) return 0;
      if (int c = CompareStrings(x.type, y.type)) return c;
      return CompareStrings(x.id, y.id);
    }
    case ValueKind::kSet: {
      auto xs = a.AsSet().items;
      auto ys = b.AsSet().items;
      if (xs.data() == ys.data() && xs.size() == ys.size()) return 0;
      size_t n = std::min(xs.size(), ys.size());
      for (size_t i = 0; i < n; ++i) {
        if (int c = Compare(xs[i], ys[i])) return c;
      }
      return Cmp3(xs.size(), ys.size());
    }
    case ValueKind::kRecord: {
      auto xs = a.AsRecord().fields;
      auto ys = b.AsRecord().fields;
      if (xs.data() == ys.data() && xs.size() == ys.size()) return 0;
      size_t n = std::min(xs.size(), ys.size());
      for (size_t i = 0; i < n; ++i) {
        if (int c = CompareStrings(xs[i].key, ys[i].key)) return c;
        if (int c = Compare(xs[i].value, ys[i].value)) return c;
      }
      return Cmp3(xs.size(), ys.size());
    }
    case ValueKind::kIpAddr: {
      auto c = a.AsIp() <=> b.AsIp();
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
  }
  return 0;
}

bool SetContains(const SetData& set, const Value& v) {
  auto items = set.items;
  if (items.size() <= 8) {
    for (const auto& x : items) {
      if (Compare(x, v) == 0) return true;
    }
    return false;
  }
  size_t lo = 0, hi = items.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = Compare(items[mid], v);
    if (c == 0) return true;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return false;
}

const SetData* EmptySet() {
  static const SetData kEmpty{};
  return &kEmpty;
}

const RecordData* EmptyRecord() {
  static const RecordData kEmpty{};
  return &kEmpty;
}

const SetData* MakeSet(Arena& arena, std::span<const Value> elems) {
  if (elems.empty()) return EmptySet();
  Value* items = arena.NewArray<Value>(elems.size());
  std::copy(elems.begin(), elems.end(), items);
  bool sorted = true;
  for (size_t i = 1; i < elems.size() && sorted; ++i) sorted = Compare(items[i - 1], items[i]) < 0;
  size_t n = elems.size();
  if (!sorted) {
    std::sort(items, items + n, [](const Value& a, const Value& b) { return Compare(a, b) < 0; });
    n = std::unique(items, items + n, [](const Value& a, const Value& b) { return Equal(a, b); }) -
        items;
  }
  return arena.New<SetData>(std::span<const Value>(items, n));
}

const RecordData* MakeRecord(Arena& arena, std::span<const RecordField> fields) {
  if (fields.empty()) return EmptyRecord();
  RecordField* out = arena.NewArray<RecordField>(fields.size());
  std::copy(fields.begin(), fields.end(), out);
  // Keys mostly differ in their first byte: compare it before calling memcmp.
  std::sort(out, out + fields.size(), [](const RecordField& a, const RecordField& b) {
    if (!a.key.empty() && !b.key.empty() && a.key[0] != b.key[0]) {
      return static_cast<unsigned char>(a.key[0]) < static_cast<unsigned char>(b.key[0]);
    }
    return a.key < b.key;
  });
  for (size_t i = 1; i < fields.size(); ++i) {
    if (out[i - 1].key == out[i].key) return nullptr;
  }
  return arena.New<RecordData>(std::span<const RecordField>(out, fields.size()));
}

Value CopyValue(Arena& arena, const Value& v) {
  switch (v.kind()) {
    case ValueKind::kString:
      return Value::String(arena.CopyString(v.AsString()));
    case ValueKind::kEntity:
      return Value::Entity(EntityUID::Make(arena, v.AsEntity().type, v.AsEntity().id));
    case ValueKind::kIpAddr:
      return Value::Ip(arena.New<IpAddr>(v.AsIp()));
    case ValueKind::kSet: {
      auto items = v.AsSet().items;
      if (items.empty()) return Value::Set(EmptySet());
      Value* out = arena.NewArray<Value>(items.size());
      for (size_t i = 0; i < items.size(); ++i) out[i] = CopyValue(arena, items[i]);
      return Value::Set(arena.New<SetData>(std::span<const Value>(out, items.size())));
    }
    case ValueKind::kRecord: {
      auto fields = v.AsRecord().fields;
      if (fields.empty()) return Value::Record(EmptyRecord());
      RecordField* out = arena.NewArray<RecordField>(fields.size());
      for (size_t i = 0; i < fields.size(); ++i) {
        out[i] = {arena.CopyString(fields[i].key), CopyValue(arena, fields[i].value)};
      }
      return Value::Record(arena.New<RecordData>(std::span<const RecordField>(out, fields.size())));
    }
    default:
      return v;
  }
}

std::string Value::ToCedar() const {
  switch (kind_) {
    case ValueKind::kBool:
      return AsBool() ? "true" : "false";
    case ValueKind::kLong:
      return std::to_string(AsLong());
    case ValueKind::kString:
      return "\"" + EscapeString(AsString()) + "\"";
    case ValueKind::kEntity:
      return AsEntity().ToString();
    case ValueKind::kSet: {
      std::string out = "[";
      bool first = true;
      for (const auto& x : AsSet().items) {
        if (!first) out += ", ";
        first = false;
        out += x.ToCedar();
      }
      return out + "]";
    }
    case ValueKind::kRecord: {
      std::string out = "{";
      bool first = true;
      for (const auto& f : AsRecord().fields) {
        if (!first) out += ", ";
        first = false;
        out += "\"" + EscapeString(f.key) + "\": " + f.value.ToCedar();
      }
      return out + "}";
    }
    case ValueKind::kDecimal:
      return "decimal(\"" + AsDecimal().ToString() + "\")";
    case ValueKind::kIpAddr:
      return "ip(\"" + AsIp().ToString() + "\")";
    case ValueKind::kDatetime:
      return "datetime(\"" + AsDatetime().ToString() + "\")";
    case ValueKind::kDuration:
      return "duration(\"" + AsDuration().ToString() + "\")";
  }
  return "?";
}

}  // namespace cedar
