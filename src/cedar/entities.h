// The entity store: the hierarchy and attributes an authorization reads.
//
// Built once (from JSON or programmatically), then immutable and safe to share between
// threads. Ancestors are stored as a transitive closure, so `in` is one hash lookup and one
// binary search.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cedar/arena.h"
#include "cedar/error.h"
#include "cedar/value.h"

namespace cedar {

struct Entity {
  const EntityUID* uid = nullptr;
  const RecordData* attrs = nullptr;
  const RecordData* tags = nullptr;
  std::span<const EntityUID* const> ancestors;  // transitive closure, sorted by hash

  bool HasAncestor(const EntityUID& uid) const;
};

class Entities {
 public:
  Entities();
  Entities(Entities&&) noexcept;
  Entities& operator=(Entities&&) noexcept;
  ~Entities();

  // Looks in this store, then in its base (see EntitiesBuilder::SetBase).
  const Entity* Find(const EntityUID& uid) const {
    const Entity* e = FindOwn(uid);
    return e != nullptr || base_ == nullptr ? e : base_->Find(uid);
  }
  // The base store this one layers over, or null.
  const Entities* base() const { return base_; }
  // Cedar's `in` on entities: equal, or `ancestor` is an ancestor of `uid`.
  bool IsIn(const EntityUID& uid, const EntityUID& ancestor) const {
    if (uid == ancestor) return true;
    const Entity* e = Find(uid);
    return e != nullptr && e->HasAncestor(ancestor);
  }
  // This store's own entities (not its base's).
  size_t size() const { return entities_.size(); }
  std::span<const Entity> all() const { return entities_; }

  // Content hash (SHA-256 hex is computed by callers); a stable serialisation in canonical
  // order, for content addressing.
  std::string CanonicalJson() const;

 private:
  friend class EntitiesBuilder;
  const Entity* FindOwn(const EntityUID& uid) const;
  std::unique_ptr<Arena> arena_;
  const Entities* base_ = nullptr;
  std::vector<Entity> entities_;
  std::vector<uint32_t> table_;  // open addressing: index+1 into entities_, 0 = empty
  uint64_t mask_ = 0;
};

// Collects entities, then computes the transitive closure of the hierarchy and checks it.
class EntitiesBuilder {
 public:
  EntitiesBuilder();
  Arena& arena() { return *arena_; }

  // Layers the store being built over `base`, which must outlive it: lookups fall through to
  // the base, and the ancestors of an entity whose parents live in the base include theirs.
  // An entity defined here hides the base's entity of the same uid. This is how a decision adds
  // its request-time entities (the acting agent, the user) to a shared, immutable store
  // without copying it.
  void SetBase(const Entities* base) { base_ = base; }

  // The uid, attrs, tags and parents must live in arena() (or be static). Returns an error on
  // a duplicate uid.
  Status Add(const EntityUID* uid, const RecordData* attrs, const RecordData* tags,
             std::vector<const EntityUID*> parents);
  bool Contains(const EntityUID& uid) const;

  // Computes ancestors; an error when the parent graph has a cycle.
  Result<Entities> Build() &&;

 private:
  struct Pending {
    const EntityUID* uid;
    const RecordData* attrs;
    const RecordData* tags;
    std::vector<const EntityUID*> parents;
  };
  std::unique_ptr<Arena> arena_;
  const Entities* base_ = nullptr;
  std::vector<Pending> pending_;
  std::vector<std::pair<uint64_t, uint32_t>> seen_;  // (hash, index), for duplicate checks
};

}  // namespace cedar
