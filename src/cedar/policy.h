// Policies, templates, template links and policy sets.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cedar/ast.h"
#include "cedar/error.h"

namespace cedar {

class PolicyIndex;

// A static policy or a template-linked policy. Templates themselves are not Policies: they
// are never evaluated, only linked.
class Policy {
 public:
  const std::string& id() const { return id_; }
  Effect effect() const { return ast_->effect; }
  const PolicyAst& ast() const { return *ast_; }
  std::shared_ptr<const PolicyAst> shared_ast() const { return ast_; }
  // The template this policy was linked from; empty for a static policy.
  const std::string& template_id() const { return template_id_; }
  bool is_linked() const { return !template_id_.empty(); }

  // The scope entity after slot substitution (nullptr when the scope has no entity).
  const EntityUID* principal_uid() const {
    return ast_->principal.slot ? principal_link_ : ast_->principal.uid;
  }
  const EntityUID* resource_uid() const {
    return ast_->resource.slot ? resource_link_ : ast_->resource.uid;
  }
  const EntityUID* principal_slot_value() const { return principal_link_; }
  const EntityUID* resource_slot_value() const { return resource_link_; }

  const Annotation* FindAnnotation(std::string_view key) const { return ast_->FindAnnotation(key); }

 private:
  friend class PolicySet;
  std::string id_;
  std::shared_ptr<const PolicyAst> ast_;
  std::string template_id_;
  const EntityUID* principal_link_ = nullptr;
  const EntityUID* resource_link_ = nullptr;
  std::shared_ptr<Arena> link_arena_;
};

struct Template {
  std::string id;
  std::shared_ptr<const PolicyAst> ast;
};

// An ordered collection of policies and templates with unique ids, indexed by scope.
// Mutating calls are not thread-safe; a PolicySet that is no longer mutated may be read (and
// authorized against) from many threads.
class PolicySet {
 public:
  PolicySet();
  PolicySet(PolicySet&&) noexcept;
  PolicySet& operator=(PolicySet&&) noexcept;
  PolicySet(const PolicySet&) = delete;
  ~PolicySet();

  // Parses a policy-set text; policies and templates receive the positional ids "policy0",
  // "policy1", ... in order of appearance, unless they carry an `@id("...")` annotation and
  // `use_id_annotations` is set.
  static Result<PolicySet> Parse(std::string_view text, bool use_id_annotations = false);

  Status AddPolicy(std::string id, std::shared_ptr<const PolicyAst> ast);
  Status AddTemplate(std::string id, std::shared_ptr<const PolicyAst> ast);
  // Links a template: fills ?principal and ?resource (each required exactly when the template
  // has that slot).
  Status Link(std::string_view template_id, std::string new_id, const EntityUID* principal,
              const EntityUID* resource);

  const Policy* FindPolicy(std::string_view id) const;
  const Template* FindTemplate(std::string_view id) const;
  size_t size() const { return policies_.size(); }
  const Policy& policy(size_t i) const { return *policies_[i]; }
  std::span<const std::unique_ptr<Policy>> policies() const { return policies_; }
  std::span<const std::unique_ptr<Template>> templates() const { return templates_; }

  const PolicyIndex& index() const { return *index_; }

 private:
  Status CheckNewId(const std::string& id) const;
  std::vector<std::unique_ptr<Policy>> policies_;
  std::vector<std::unique_ptr<Template>> templates_;
  std::unordered_map<std::string, size_t> policy_ids_;
  std::unordered_map<std::string, size_t> template_ids_;
  std::unique_ptr<PolicyIndex> index_;
};

// Parses one policy or template (exactly one, with its trailing semicolon).
Result<std::shared_ptr<PolicyAst>> ParsePolicy(std::string_view text);
// Parses every policy and template of a text, in order.
Result<std::vector<std::shared_ptr<PolicyAst>>> ParsePolicies(std::string_view text);
// Parses `Type::"id"`.
Result<const EntityUID*> ParseEntityUID(Arena& arena, std::string_view text);
// Parses an entity type name such as `Ns::User`.
Result<std::string> ParseName(std::string_view text);
// Parses a Cedar expression on its own.
Result<const Expr*> ParseExpression(Arena& arena, std::string_view text);

}  // namespace cedar
