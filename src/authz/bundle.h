// A policy bundle: the policies, schema and entity data a decision is made with, loaded from a
// directory as one unit.
//
// Directory layout:
//   *.cedar              policies (all files, in name order); a policy's id is its @id
//                        annotation, or "<file stem>.<n>" (n counts from 0 within the file)
//   *.cedarschema        the schema in Cedar's format, or schema.json in the JSON format
//                        (at most one schema)
//   entities.json        entity data (optional)
// A bundle is accepted only whole: every file parses, ids are unique, the Writ annotations are
// valid (annotations.h), the entity data conforms to the schema and, when a validator is
// has a schema, every policy validates in strict mode. Otherwise the load fails and nothing of
// it is used.
//
// Content addressing: `policy_blob` (canonical JSON of the policy files and the schema) and
// `entities_blob` (the entity data in canonical JSON) are what the decision records' hashes
// name; the store keeps them, so a decision can be replayed on exactly its inputs.
//
// A Bundle is immutable once loaded and is shared between threads by shared_ptr.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "authz/annotations.h"
#include "base/crypto.h"
#include "base/status.h"
#include "cedar/entities.h"
#include "cedar/policy.h"
#include "cedar/schema.h"

namespace writ::authz {

struct Bundle {
  cedar::PolicySet policies;
  std::optional<cedar::Schema> schema;
  cedar::Entities entities;
  std::unordered_map<std::string, PolicyMeta> meta;  // by policy id
  std::map<std::string, std::string> policy_text;    // by policy id: the policy as written
  std::map<std::string, std::string> policy_file;    // by policy id: the file it came from

  std::string policy_blob;    // canonical JSON {"files": {...}, "schema": {...}}
  std::string entities_blob;  // canonical JSON of the entity data
  Digest policy_hash{};
  Digest entities_hash{};
  std::string directory;
  int64_t loaded_us = 0;
  bool has_approval_policies = false;  // some permit carries @approval
  std::vector<std::string> warnings;   // the validator's warnings, as text

  const PolicyMeta* Meta(const std::string& id) const {
    auto it = meta.find(id);
    return it == meta.end() ? nullptr : &it->second;
  }
  // Short version string: the first 12 hex digits of the policy hash.
  std::string Version() const;
};

struct BundleOptions {
  // With a schema, every policy must pass Cedar's strict validator (warnings are kept in
  // Bundle::warnings). Only tools that load a bundle to inspect it turn this off.
  bool validate = true;
};

// Loads a bundle from `dir`. invalid_argument names the file, line and column and what is
// wrong; not_found when the directory does not exist.
Result<std::shared_ptr<const Bundle>> LoadBundle(const std::filesystem::path& dir,
                                                 const BundleOptions& options = {});

// Builds a bundle from the blobs a decision record names (for replay).
Result<std::shared_ptr<const Bundle>> BundleFromBlobs(std::string_view policy_blob,
                                                      std::string_view entities_blob);

}  // namespace writ::authz
