// The scope index of a PolicySet.
//
// Every policy is filed under each of its three scope constraints (principal, action,
// resource): by the entity it names (`==` and `in`), by entity type (`is`), or as
// unconstrained. For a request, each dimension yields the policies that can match it (those
// filed under the request's entity, its ancestors, its type, or unconstrained); the
// authorizer visits only the smallest of the three candidate lists, intersected with the next
// smallest when that is short enough to walk. The cost of a decision therefore follows the
// number of policies that can apply, not the size of the set.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cedar/entities.h"
#include "cedar/policy.h"

namespace cedar {

class PolicyIndex {
 public:
  void Add(uint32_t index, const Policy& policy);
  void Clear();

  // Calls fn(index) once for each policy whose scope can match the request (a superset of the
  // policies whose scope does match). The entities are the request's entities as found in
  // the entity store (null when absent).
  template <typename Fn>
  void ForEachCandidate(const EntityUID& principal, const Entity* principal_entity,
                        const EntityUID& action, const Entity* action_entity,
                        const EntityUID& resource, const Entity* resource_entity, Fn&& fn) const;

 private:
  struct UidHash {
    size_t operator()(const EntityUID* u) const { return u->hash; }
  };
  struct UidEq {
    bool operator()(const EntityUID* a, const EntityUID* b) const { return *a == *b; }
  };

  // Entity uid -> list of policy indices, with open addressing on the uid's precomputed
  // hash (measured about twice as fast as std::unordered_map for this lookup).
  class UidMap {
   public:
    std::vector<uint32_t>& operator[](const EntityUID* uid);
    const std::vector<uint32_t>* find(const EntityUID& uid) const {
      if (slots_.empty()) return nullptr;
      for (size_t i = uid.hash & mask_;; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (s.key == nullptr) return nullptr;
        if (s.hash == uid.hash && *s.key == uid) return &lists_[s.list];
      }
    }
    bool empty() const { return lists_.empty(); }

   private:
    struct Slot {
      uint64_t hash = 0;
      const EntityUID* key = nullptr;
      uint32_t list = 0;
    };
    void Grow();
    std::vector<Slot> slots_;
    std::vector<std::vector<uint32_t>> lists_;
    size_t mask_ = 0;
  };

  struct Dimension {
    UidMap eq;
    UidMap in;
    std::unordered_map<std::string_view, std::vector<uint32_t>> type;
    std::vector<uint32_t> any;

    // The candidate lists for `uid`, and their total length.
    size_t Collect(const EntityUID& uid, const Entity* entity, const std::vector<uint32_t>** lists,
                   size_t& nlists) const;
  };

  static constexpr size_t kMaxLists = 64;
  // Below this many candidates in the smallest dimension, filtering by a second one costs
  // more than the scope checks it saves.
  static constexpr size_t kFilterAbove = 8;

  // Per-thread marks, one per policy, for intersecting two dimensions' candidate lists
  // without clearing: a policy is marked when its stamp equals the current generation.
  struct Marks {
    std::vector<uint32_t> stamp;
    uint32_t generation = 0;
    uint32_t Begin(size_t policies);
  };
  static Marks& ThreadMarks();

  Dimension principal_;
  Dimension action_;
  Dimension resource_;
  std::vector<bool> in_several_lists_;  // action `in [..]` with more than one entry
  uint32_t policy_count_ = 0;
};

inline size_t PolicyIndex::Dimension::Collect(const EntityUID& uid, const Entity* entity,
                                              const std::vector<uint32_t>** lists,
                                              size_t& nlists) const {
  size_t total = 0;
  nlists = 0;
  auto add = [&](const std::vector<uint32_t>& v) {
    if (v.empty()) return;
    if (nlists == kMaxLists) {
      total = SIZE_MAX;  // too many lists to track: this dimension will not be chosen
      return;
    }
    lists[nlists++] = &v;
    if (total != SIZE_MAX) total += v.size();
  };
  add(any);
  if (!eq.empty()) {
    if (const auto* list = eq.find(uid)) add(*list);
  }
  if (!type.empty()) {
    auto it = type.find(uid.type);
    if (it != type.end()) add(it->second);
  }
  if (!in.empty()) {
    if (const auto* list = in.find(uid)) add(*list);
    if (entity != nullptr) {
      for (const EntityUID* anc : entity->ancestors) {
        if (const auto* list = in.find(*anc)) add(*list);
      }
    }
  }
  return total;
}

template <typename Fn>
void PolicyIndex::ForEachCandidate(const EntityUID& principal, const Entity* principal_entity,
                                   const EntityUID& action, const Entity* action_entity,
                                   const EntityUID& resource, const Entity* resource_entity,
                                   Fn&& fn) const {
  const std::vector<uint32_t>* lists[3][kMaxLists];
  size_t counts[3];
  size_t totals[3];
  totals[0] = principal_.Collect(principal, principal_entity, lists[0], counts[0]);
  totals[1] = action_.Collect(action, action_entity, lists[1], counts[1]);
  totals[2] = resource_.Collect(resource, resource_entity, lists[2], counts[2]);
  size_t best = 0;
  for (size_t d = 1; d < 3; ++d) {
    if (totals[d] < totals[best]) best = d;
  }
  if (totals[best] == SIZE_MAX) {
    // An entity with more indexed ancestors than the lists tracked: every policy is a
    // candidate (correct, only slower).
    for (uint32_t i = 0; i < policy_count_; ++i) fn(i);
    return;
  }
  // A policy whose scope matches is in the candidate lists of every dimension. When the
  // smallest dimension still has many candidates, the next smallest one filters them: its
  // candidates are marked, and only marked ones are visited (each visit is a scope check
  // that touches the policy).
  size_t second = SIZE_MAX;
  for (size_t d = 0; d < 3; ++d) {
    if (d != best && totals[d] != SIZE_MAX && (second == SIZE_MAX || totals[d] < totals[second])) {
      second = d;
    }
  }
  uint32_t mark = 0;
  const uint32_t* stamps = nullptr;
  if (second != SIZE_MAX && totals[best] > kFilterAbove && totals[second] <= 4 * totals[best]) {
    Marks& marks = ThreadMarks();
    mark = marks.Begin(policy_count_);
    uint32_t* stamp = marks.stamp.data();
    for (size_t l = 0; l < counts[second]; ++l) {
      for (uint32_t idx : *lists[second][l]) stamp[idx] = mark;
    }
    stamps = stamp;
  }
  auto visit = [&](uint32_t idx) {
    if (stamps == nullptr || stamps[idx] == mark) fn(idx);
  };
  if (best != 1 || in_several_lists_.empty()) {
    for (size_t l = 0; l < counts[best]; ++l) {
      for (uint32_t idx : *lists[best][l]) visit(idx);
    }
    return;
  }
  // Action dimension: a policy with `action in [a, b]` can sit in several matching lists.
  std::vector<uint32_t> seen;
  for (size_t l = 0; l < counts[1]; ++l) {
    for (uint32_t idx : *lists[1][l]) {
      if (idx < in_several_lists_.size() && in_several_lists_[idx]) {
        if (std::find(seen.begin(), seen.end(), idx) != seen.end()) continue;
        seen.push_back(idx);
      }
      visit(idx);
    }
  }
}

}  // namespace cedar
