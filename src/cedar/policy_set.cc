#include <algorithm>
#include <unordered_set>

#include "cedar/policy.h"
#include "cedar/policy_index.h"

namespace cedar {

void PolicyIndex::Add(uint32_t index, const Policy& policy) {
  const PolicyAst& ast = policy.ast();
  policy_count_ = std::max(policy_count_, index + 1);
  auto file_entity = [&](Dimension& dim, const EntityScope& scope, const EntityUID* target) {
    switch (scope.op) {
      case EntityScope::kAny:
        dim.any.push_back(index);
        break;
      case EntityScope::kEq:
        dim.eq[target].push_back(index);
        break;
      case EntityScope::kIn:
      case EntityScope::kIsIn:
        dim.in[target].push_back(index);
        break;
      case EntityScope::kIs:
        dim.type[scope.entity_type].push_back(index);
        break;
    }
  };
  file_entity(principal_, ast.principal, policy.principal_uid());
  file_entity(resource_, ast.resource, policy.resource_uid());
  switch (ast.action.op) {
    case ActionScope::kAny:
      action_.any.push_back(index);
      break;
    case ActionScope::kEq:
      action_.eq[ast.action.uids[0]].push_back(index);
      break;
    case ActionScope::kIn:
    case ActionScope::kInSet: {
      std::unordered_set<const EntityUID*, UidHash, UidEq> distinct(ast.action.uids.begin(),
                                                                    ast.action.uids.end());
      for (const EntityUID* uid : distinct) action_.in[uid].push_back(index);
      if (distinct.size() > 1) {
        if (in_several_lists_.size() <= index) in_several_lists_.resize(index + 1, false);
        in_several_lists_[index] = true;
      }
      break;
    }
  }
}

uint32_t PolicyIndex::Marks::Begin(size_t policies) {
  if (stamp.size() < policies) stamp.resize(policies, 0);
  if (++generation == 0) {  // wrapped: old stamps could match again
    std::fill(stamp.begin(), stamp.end(), 0);
    generation = 1;
  }
  return generation;
}

PolicyIndex::Marks& PolicyIndex::ThreadMarks() {
  thread_local Marks marks;
  return marks;
}

void PolicyIndex::Clear() {
  *this = PolicyIndex();
}

std::vector<uint32_t>& PolicyIndex::UidMap::operator[](const EntityUID* uid) {
  if ((lists_.size() + 1) * 2 > slots_.size()) Grow();
  for (size_t i = uid->hash & mask_;; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.key == nullptr) {
      s = {uid->hash, uid, static_cast<uint32_t>(lists_.size())};
      lists_.emplace_back();
      return lists_.back();
    }
    if (s.hash == uid->hash && *s.key == *uid) return lists_[s.list];
  }
}

void PolicyIndex::UidMap::Grow() {
  size_t cap = slots_.empty() ? 16 : slots_.size() * 2;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  for (const Slot& s : old) {
    if (s.key == nullptr) continue;
    size_t i = s.hash & mask_;
    while (slots_[i].key != nullptr) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

PolicySet::PolicySet() : index_(std::make_unique<PolicyIndex>()) {}
PolicySet::PolicySet(PolicySet&&) noexcept = default;
PolicySet& PolicySet::operator=(PolicySet&&) noexcept = default;
PolicySet::~PolicySet() = default;

Status PolicySet::CheckNewId(const std::string& id) const {
  if (policy_ids_.count(id) || template_ids_.count(id)) {
    return MakeError(ErrorCode::kPolicySet, "duplicate policy id `" + id + "`");
  }
  return {};
}

Status PolicySet::AddPolicy(std::string id, std::shared_ptr<const PolicyAst> ast) {
  if (ast->IsTemplate()) {
    return MakeError(ErrorCode::kPolicySet,
                     "policy `" + id + "` has template slots; add it as a template");
  }
  if (Status st = CheckNewId(id); !st.ok()) return st;
  auto p = std::make_unique<Policy>();
  p->id_ = std::move(id);
  p->ast_ = std::move(ast);
  uint32_t index = static_cast<uint32_t>(policies_.size());
  policy_ids_.emplace(p->id_, index);
  index_->Add(index, *p);
  policies_.push_back(std::move(p));
  return {};
}

Status PolicySet::AddTemplate(std::string id, std::shared_ptr<const PolicyAst> ast) {
  if (!ast->IsTemplate()) {
    return MakeError(ErrorCode::kPolicySet,
                     "template `" + id + "` has no slots; add it as a static policy");
  }
  if (Status st = CheckNewId(id); !st.ok()) return st;
  template_ids_.emplace(id, templates_.size());
  templates_.push_back(std::make_unique<Template>(Template{std::move(id), std::move(ast)}));
  return {};
}

Status PolicySet::Link(std::string_view template_id, std::string new_id, const EntityUID* principal,
                       const EntityUID* resource) {
  const Template* t = FindTemplate(template_id);
  if (t == nullptr) {
    return MakeError(ErrorCode::kLink, "no template with id `" + std::string(template_id) + "`");
  }
  const PolicyAst& ast = *t->ast;
  if (ast.principal.slot != (principal != nullptr)) {
    return MakeError(ErrorCode::kLink, ast.principal.slot
                                           ? "template `" + t->id + "` needs a value for ?principal"
                                           : "template `" + t->id + "` has no ?principal slot");
  }
  if (ast.resource.slot != (resource != nullptr)) {
    return MakeError(ErrorCode::kLink, ast.resource.slot
                                           ? "template `" + t->id + "` needs a value for ?resource"
                                           : "template `" + t->id + "` has no ?resource slot");
  }
  if (Status st = CheckNewId(new_id); !st.ok()) return st;
  auto p = std::make_unique<Policy>();
  p->id_ = std::move(new_id);
  p->ast_ = t->ast;
  p->template_id_ = t->id;
  p->link_arena_ = std::make_shared<Arena>(std::span<std::byte>{}, 256);
  if (principal)
    p->principal_link_ = EntityUID::Make(*p->link_arena_, principal->type, principal->id);
  if (resource) p->resource_link_ = EntityUID::Make(*p->link_arena_, resource->type, resource->id);
  uint32_t index = static_cast<uint32_t>(policies_.size());
  policy_ids_.emplace(p->id_, index);
  index_->Add(index, *p);
  policies_.push_back(std::move(p));
  return {};
}

const Policy* PolicySet::FindPolicy(std::string_view id) const {
  auto it = policy_ids_.find(std::string(id));
  return it == policy_ids_.end() ? nullptr : policies_[it->second].get();
}

const Template* PolicySet::FindTemplate(std::string_view id) const {
  auto it = template_ids_.find(std::string(id));
  return it == template_ids_.end() ? nullptr : templates_[it->second].get();
}

Result<PolicySet> PolicySet::Parse(std::string_view text, bool use_id_annotations) {
  auto asts = ParsePolicies(text);
  if (!asts.ok()) return asts.take_error();
  PolicySet set;
  size_t n = 0;
  for (auto& ast : *asts) {
    std::string id = "policy" + std::to_string(n++);
    if (use_id_annotations) {
      if (const Annotation* a = ast->FindAnnotation("id"); a && a->has_value) id = a->value;
    }
    Status st = ast->IsTemplate() ? set.AddTemplate(std::move(id), std::move(ast))
                                  : set.AddPolicy(std::move(id), std::move(ast));
    if (!st.ok()) return st.error();
  }
  return set;
}

}  // namespace cedar
