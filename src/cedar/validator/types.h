// The validator's types: Cedar's static types in strict mode.
//
// A Type is 16 bytes and trivially copyable; set element types, record attributes and entity
// type descriptions live in an Arena or in the SchemaView that made them. Boolean types are
// precise: `true` and `false` are types of their own, below Bool. Never is the type of an
// expression that already failed to typecheck; it is compatible with everything, so one
// mistake is reported once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cedar/arena.h"

namespace cedar::validation {

struct EntityTypeInfo;
struct RecordType;

enum class TypeKind : uint8_t {
  kNever,
  kTrue,
  kFalse,
  kBool,
  kLong,
  kString,
  kSet,
  kRecord,
  kEntity,  // one entity type (strict mode has no unions of entity types)
  kIpAddr,
  kDecimal,
  kDatetime,
  kDuration,
};

class Type {
 public:
  Type() = default;
  static Type Never() { return Type(TypeKind::kNever, nullptr); }
  static Type True() { return Type(TypeKind::kTrue, nullptr); }
  static Type False() { return Type(TypeKind::kFalse, nullptr); }
  static Type BoolOf(bool b) { return b ? True() : False(); }
  static Type Bool() { return Type(TypeKind::kBool, nullptr); }
  static Type Long() { return Type(TypeKind::kLong, nullptr); }
  static Type String() { return Type(TypeKind::kString, nullptr); }
  static Type Simple(TypeKind k) { return Type(k, nullptr); }
  static Type SetOf(const Type* element) { return Type(TypeKind::kSet, element); }
  static Type Record(const RecordType* record) { return Type(TypeKind::kRecord, record); }
  static Type Entity(const EntityTypeInfo* info) { return Type(TypeKind::kEntity, info); }

  TypeKind kind() const { return kind_; }
  bool is(TypeKind k) const { return kind_ == k; }
  bool IsNever() const { return kind_ == TypeKind::kNever; }
  bool IsBoolean() const {
    return kind_ == TypeKind::kTrue || kind_ == TypeKind::kFalse || kind_ == TypeKind::kBool;
  }
  bool IsEntity() const { return kind_ == TypeKind::kEntity; }
  bool IsExtension() const { return kind_ >= TypeKind::kIpAddr; }

  const Type& element() const { return *static_cast<const Type*>(p_); }  // kSet
  const RecordType& record() const { return *static_cast<const RecordType*>(p_); }
  const EntityTypeInfo& entity() const { return *static_cast<const EntityTypeInfo*>(p_); }
  const EntityTypeInfo* entity_ptr() const { return static_cast<const EntityTypeInfo*>(p_); }

  // As Cedar's schema format writes it: Bool, Long, Set<String>, {a: Long, b?: String}, a
  // fully qualified entity type, ipaddr. `true` and `false` print as Bool.
  std::string ToString() const;

 private:
  Type(TypeKind k, const void* p) : kind_(k), p_(p) {}
  TypeKind kind_ = TypeKind::kNever;
  const void* p_ = nullptr;
};

struct RecordAttr {
  std::string_view name;
  Type type;
  bool required = true;
};

// A closed record type: exactly these attributes (strict mode has no open records).
struct RecordType {
  std::span<const RecordAttr> attrs;  // sorted by name, names unique

  const RecordAttr* Find(std::string_view name) const;
};

// An entity type of the schema, or an action entity type.
struct EntityTypeInfo {
  std::string_view name;  // fully qualified
  uint32_t index = 0;     // position in SchemaView::entity_types()
  bool is_action = false;
  const RecordType* attrs = nullptr;  // the shape; empty for action types
  bool has_tags = false;
  Type tags;                                           // when has_tags
  const std::vector<std::string>* enum_ids = nullptr;  // an enumerated entity type
  std::vector<bool> ancestors;  // by index: types an entity of this type may be a member of,
                                // transitively (not including itself)

  // True when an entity of this type may be `in` an entity of type `other` (same type, or
  // an ancestor type by the schema's memberOf).
  bool MayBeIn(const EntityTypeInfo& other) const {
    return this == &other || (other.index < ancestors.size() && ancestors[other.index]);
  }
};

// Strict-mode least upper bound. Returns false when the types have no common type (different
// primitive or entity types, records with different attributes or requiredness); `out` is
// then Never. Types built for the result (sets, records) are allocated in `arena`.
bool LeastUpperBound(const Type& a, const Type& b, Arena& arena, Type& out);

}  // namespace cedar::validation
