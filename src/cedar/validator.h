// Validation of Cedar policies against a schema, with the rules of Cedar's strict mode.
//
// A policy is valid when, for every request the schema allows, evaluating it cannot fail with
// a type error, an unknown attribute or tag, a read of an optional attribute or tag nobody
// tested for, or an extension constructor given an invalid string. The validator checks every
// static policy, every template (with its slots typed by the scope) and every template-linked
// policy of a PolicySet.
//
// How: each policy is typechecked once per request environment, that is per (principal type,
// action, resource type) that an action's `appliesTo` declares. The policy's scope is part of
// the checked expression, so environments the scope excludes type as `false` and the
// conditions are not checked there. Boolean types are precise (`true`, `false` or either) and
// `&&`, `||` and `if` skip what cannot run, so `false && x` never reports `x`. `has` and
// `hasTag` tests guard the reads that they dominate through `&&`, `||` and `if`.
//
// Errors make a policy set invalid; warnings do not. The rules follow Cedar 4.5's strict
// validator as the reference engine (cedar-wasm 4.13) applies them, including these choices:
//  - `==` between operands whose types have no common type is an error unless the result is
//    known to be false (two literals, or two different entity types);
//  - no subtyping between records in strict mode: records are compatible when they have the
//    same attributes, each required in both or optional in both, with compatible types;
//  - different entity types are never compatible; an empty set literal is an error;
//  - a scope that no action's `appliesTo` admits (including an `in` that the entity
//    hierarchy makes impossible) is the warning kNoApplicableAction, not an error.
//
// Level validation (Cedar 4.3) is optional: with ValidationOptions::max_deref_level = n, a
// policy is also invalid when it reads entity data (an attribute, a tag, or the ancestors for
// `in`) more than n dereferences away from the request's principal, action, resource and
// context, or reads any data of an entity literal.
//
// Thread safety: a Validator is immutable once built and may be used from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cedar/ast.h"
#include "cedar/error.h"

namespace cedar {

class PolicySet;
class Schema;

enum class ValidationCode : uint8_t {
  // Errors.
  kUnrecognizedEntityType,  // an entity type the schema does not declare
  kUnrecognizedAction,      // an action the schema does not declare
  kInvalidEnumEntity,       // an entity id that its enumerated entity type does not list
  kUnexpectedType,          // an operand of the wrong type, e.g. `1 && true`
  kIncompatibleTypes,       // `==` operands, set elements, `if` branches or `contains` operands
                            // without a common type
  kAttributeNotFound,       // reading an attribute that the type does not declare
  kUnsafeOptionalAttributeAccess,  // reading an optional attribute without a `has` guard
  kUnsafeTagAccess,     // `getTag` without a `hasTag` guard for the same key (always the case on
                        // an entity type without tags)
  kWrongArgumentCount,  // an extension function with too few or too many arguments
  kInvalidExtensionArgument,        // an extension constructor on a string that does not parse
  kNonLiteralExtensionConstructor,  // an extension constructor on anything but a literal
  kEmptySetLiteral,                 // `[]`, whose element type cannot be known
  kEntityDerefLevel,                // level validation: dereferences deeper than allowed
  kEntityLiteralDeref,              // level validation: reading data of an entity literal
  // Warnings.
  kImpossiblePolicy,       // the policy is false for every request the schema allows
  kNoApplicableAction,     // no action's appliesTo matches the scope
  kMixedScriptString,      // a string mixing Unicode scripts
  kBidiCharsInString,      // a string with bidirectional control characters
  kMixedScriptIdentifier,  // an attribute name or entity id mixing Unicode scripts
  kBidiCharsInIdentifier,  // an attribute name or entity id with bidirectional controls
  kConfusableIdentifier,   // an attribute name or entity id with a character that is not
                           // printable ASCII and not allowed in identifiers by Unicode's
                           // General Security Profile (UTS #39)
};

// A stable name for the code, e.g. "unsafe_optional_attribute_access".
const char* ValidationCodeName(ValidationCode code);
bool IsValidationWarning(ValidationCode code);

struct ValidationIssue {
  ValidationCode code = ValidationCode::kUnexpectedType;
  std::string policy_id;  // the static policy, template or linked policy
  SourcePos pos;          // where the span begins (line 0 when unknown)
  SourceSpan span;        // byte range in the policy's source text (empty when unknown)
  std::string message;    // what is wrong, in words

  bool is_warning() const { return IsValidationWarning(code); }
  // "policy0 3:14: error: attribute `age` on entity type `Group` not found"
  std::string ToString() const;
};

struct ValidationOptions {
  // When set, level validation: the largest number of entity dereferences a policy may chain.
  std::optional<uint32_t> max_deref_level;
};

struct ValidationResult {
  std::vector<ValidationIssue> errors;    // by policy (in set order), then by position
  std::vector<ValidationIssue> warnings;  // same order

  bool ok() const { return errors.empty(); }
};

class Validator {
 public:
  // Prepares the schema's types for checking. `schema` must outlive the Validator.
  explicit Validator(const Schema& schema);
  ~Validator();
  Validator(Validator&&) noexcept;
  Validator& operator=(Validator&&) noexcept;

  // Validates static policies, templates and template-linked policies, in that order.
  ValidationResult Validate(const PolicySet& policies, const ValidationOptions& options = {}) const;

  // Validates one static policy or template and appends its issues, reported under `id`.
  void ValidatePolicy(std::string_view id, const PolicyAst& ast, const ValidationOptions& options,
                      ValidationResult& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: Validator(schema).Validate(policies, options).
ValidationResult Validate(const Schema& schema, const PolicySet& policies,
                          const ValidationOptions& options = {});

}  // namespace cedar
