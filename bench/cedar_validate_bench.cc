// Validation time of Writ's Cedar validator (strict mode), for bench/cedar/validate_bench.sh.
//
//   cedar_validate_bench corpus ROOT DIR [RUNS]      every *.json test of DIR (paths from ROOT)
//   cedar_validate_bench set SCHEMA POLICIES [RUNS]  one schema and one policy file
//
// The inputs are read into memory first. Two figures, each the best of RUNS (default 5):
// "parse_validate_ms", parsing the schema and the policies and validating them, which is
// what cedar-wasm's validate() does from the same text; and "validate_ms", validating
// already parsed schemas and policies (Validator construction included). Prints one JSON
// object, with the number of inputs found valid so the peer's verdicts can be compared.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cedar/json.h"
#include "cedar/policy.h"
#include "cedar/schema.h"
#include "cedar/validator.h"

namespace fs = std::filesystem;

namespace {

struct Input {
  std::string schema;
  std::string policies;
};

std::optional<std::string> Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr
        << "usage: cedar_validate_bench corpus ROOT DIR [RUNS] | set SCHEMA POLICIES [RUNS]\n";
    return 2;
  }
  std::string mode = argv[1];
  int runs = argc > 4 ? std::max(1, std::atoi(argv[4])) : 5;
  std::vector<Input> inputs;
  if (mode == "corpus") {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(argv[3])) {
      std::string name = e.path().filename().string();
      if (name.size() > 5 && name.ends_with(".json") && !name.ends_with(".entities.json")) {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto text = Slurp(f);
      auto test = text ? cedar::ParseJsonText(*text) : cedar::MakeError(cedar::ErrorCode::kIo, "");
      if (!test.ok() || !test->is_object()) continue;
      const auto& o = test->get_object();
      if (!o.contains("schema") || !o.contains("policies")) continue;
      auto schema = Slurp(fs::path(argv[2]) / std::string(o.at("schema").as_string()));
      auto policies = Slurp(fs::path(argv[2]) / std::string(o.at("policies").as_string()));
      if (schema && policies) inputs.push_back({*schema, *policies});
    }
  } else if (mode == "set") {
    auto schema = Slurp(argv[2]);
    auto policies = Slurp(argv[3]);
    if (!schema || !policies) {
      std::cerr << "cannot read the inputs\n";
      return 2;
    }
    inputs.push_back({*schema, *policies});
  } else {
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
  }

  // Parsed once for the validate-only figure.
  std::vector<cedar::Schema> schemas;
  std::vector<cedar::PolicySet> sets;
  size_t policies = 0;
  for (const Input& in : inputs) {
    auto s = cedar::Schema::FromCedar(in.schema);
    auto p = cedar::PolicySet::Parse(in.policies);
    if (!s.ok() || !p.ok()) {
      std::cerr << "an input does not parse: "
                << (s.ok() ? p.error().ToString() : s.error().ToString()) << "\n";
      return 1;
    }
    policies += p->size() + p->templates().size();
    schemas.push_back(std::move(*s));
    sets.push_back(std::move(*p));
  }

  double best_full = 1e300, best_validate = 1e300;
  size_t valid = 0;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    size_t v = 0;
    for (const Input& in : inputs) {
      auto s = cedar::Schema::FromCedar(in.schema);
      auto p = cedar::PolicySet::Parse(in.policies);
      v += cedar::Validate(*s, *p).ok();
    }
    auto t1 = std::chrono::steady_clock::now();
    size_t v2 = 0;
    for (size_t i = 0; i < schemas.size(); ++i) v2 += cedar::Validate(schemas[i], sets[i]).ok();
    auto t2 = std::chrono::steady_clock::now();
    best_full = std::min(best_full, Ms(t1 - t0));
    best_validate = std::min(best_validate, Ms(t2 - t1));
    if (v != v2) {
      std::cerr << "verdicts differ between runs\n";
      return 1;
    }
    valid = v;
  }
  std::printf(
      "{\"inputs\":%zu,\"policies\":%zu,\"valid\":%zu,\"runs\":%d,\"parse_validate_ms\":%.3f,"
      "\"validate_ms\":%.3f}\n",
      inputs.size(), policies, valid, runs, best_full, best_validate);
  return 0;
}
