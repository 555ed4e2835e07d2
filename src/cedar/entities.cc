#include "cedar/entities.h"

#include <algorithm>
#include <unordered_map>

namespace cedar {

bool Entity::HasAncestor(const EntityUID& uid) const {
  // Ancestor lists are sorted by hash; equal hashes are compared in full.
  auto it = std::lower_bound(ancestors.begin(), ancestors.end(), uid.hash,
                             [](const EntityUID* a, uint64_t h) { return a->hash < h; });
  for (; it != ancestors.end() && (*it)->hash == uid.hash; ++it) {
    if (**it == uid) return true;
  }
  return false;
}

Entities::Entities() : arena_(std::make_unique<Arena>()) {}
Entities::Entities(Entities&&) noexcept = default;
Entities& Entities::operator=(Entities&&) noexcept = default;
Entities::~Entities() = default;

const Entity* Entities::FindOwn(const EntityUID& uid) const {
  if (table_.empty()) return nullptr;
  uint64_t slot = uid.hash & mask_;
  while (true) {
    uint32_t idx = table_[slot];
    if (idx == 0) return nullptr;
    const Entity& e = entities_[idx - 1];
    if (*e.uid == uid) return &e;
    slot = (slot + 1) & mask_;
  }
}

EntitiesBuilder::EntitiesBuilder() : arena_(std::make_unique<Arena>()) {}

bool EntitiesBuilder::Contains(const EntityUID& uid) const {
  auto lo = std::lower_bound(seen_.begin(), seen_.end(), std::make_pair(uid.hash, uint32_t{0}));
  for (; lo != seen_.end() && lo->first == uid.hash; ++lo) {
    if (*pending_[lo->second].uid == uid) return true;
  }
  return false;
}

Status EntitiesBuilder::Add(const EntityUID* uid, const RecordData* attrs, const RecordData* tags,
                            std::vector<const EntityUID*> parents) {
  // seen_ stays sorted so that duplicate checks are a binary search.
  if (Contains(*uid)) {
    return MakeError(ErrorCode::kEntity, "duplicate entity entry `" + uid->ToString() + "`");
  }
  auto pos = std::upper_bound(seen_.begin(), seen_.end(), std::make_pair(uid->hash, UINT32_MAX));
  seen_.insert(pos, {uid->hash, static_cast<uint32_t>(pending_.size())});
  pending_.push_back(
      {uid, attrs ? attrs : EmptyRecord(), tags ? tags : EmptyRecord(), std::move(parents)});
  return {};
}

Result<Entities> EntitiesBuilder::Build() && {
  Entities out;
  out.arena_ = std::move(arena_);
  out.base_ = base_;
  Arena& arena = *out.arena_;
  size_t n = pending_.size();
  out.entities_.resize(n);
  size_t cap = 8;
  while (cap < n * 2) cap <<= 1;
  out.table_.assign(cap, 0);
  out.mask_ = cap - 1;
  for (size_t i = 0; i < n; ++i) {
    out.entities_[i].uid = pending_[i].uid;
    out.entities_[i].attrs = pending_[i].attrs;
    out.entities_[i].tags = pending_[i].tags;
    uint64_t slot = pending_[i].uid->hash & out.mask_;
    while (out.table_[slot] != 0) slot = (slot + 1) & out.mask_;
    out.table_[slot] = static_cast<uint32_t>(i + 1);
  }
  auto index_of = [&](const EntityUID& uid) -> int64_t {
    const Entity* e = out.FindOwn(uid);
    return e == nullptr ? -1 : e - out.entities_.data();
  };

  // Transitive closure by depth-first search with memoisation; a back edge is a cycle.
  enum State : uint8_t { kNew, kVisiting, kDone };
  std::vector<State> state(n, kNew);
  std::vector<std::vector<const EntityUID*>> closure(n);
  std::vector<std::pair<size_t, size_t>> stack;  // (entity, next parent to visit)
  for (size_t root = 0; root < n; ++root) {
    if (state[root] != kNew) continue;
    stack.push_back({root, 0});
    state[root] = kVisiting;
    while (!stack.empty()) {
      auto& [cur, next] = stack.back();
      const auto& parents = pending_[cur].parents;
      if (next < parents.size()) {
        const EntityUID* p = parents[next++];
        int64_t pi = index_of(*p);
        if (pi < 0) continue;
        if (state[pi] == kVisiting) {
          return MakeError(ErrorCode::kEntity,
                           "the entity hierarchy has a cycle containing `" + p->ToString() + "`");
        }
        if (state[pi] == kNew) {
          state[pi] = kVisiting;
          stack.push_back({static_cast<size_t>(pi), 0});
        }
        continue;
      }
      // All parents are done: the closure is the parents plus their closures.
      std::vector<const EntityUID*> acc;
      for (const EntityUID* p : parents) {
        acc.push_back(p);
        int64_t pi = index_of(*p);
        if (pi >= 0) {
          acc.push_back(out.entities_[pi].uid);
          acc.insert(acc.end(), closure[pi].begin(), closure[pi].end());
        } else if (base_ != nullptr) {
          if (const Entity* be = base_->Find(*p)) {
            acc.insert(acc.end(), be->ancestors.begin(), be->ancestors.end());
          }
        }
      }
      std::sort(acc.begin(), acc.end(), [](const EntityUID* a, const EntityUID* b) {
        if (a->hash != b->hash) return a->hash < b->hash;
        if (a->type != b->type) return a->type < b->type;
        return a->id < b->id;
      });
      acc.erase(std::unique(acc.begin(), acc.end(),
                            [](const EntityUID* a, const EntityUID* b) { return *a == *b; }),
                acc.end());
      closure[cur] = std::move(acc);
      state[cur] = kDone;
      stack.pop_back();
    }
  }
  for (size_t i = 0; i < n; ++i) {
    out.entities_[i].ancestors = arena.CopyArray<const EntityUID*>(closure[i]);
  }
  return out;
}

}  // namespace cedar
