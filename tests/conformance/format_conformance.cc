// Checks the policy formatter (FormatPolicies, which `writ format` runs) and the policy
// conversions on a corpus of policy files.
//
// For every *.cedar file under the given directories (recursively) this program
//  (a) formats it and checks that the result parses to the same policies (the same policy
//      JSON, in order) as the input;
//  (b) formats the result again and checks that nothing changes;
//  (c) compares the result byte for byte with the reference formatter's output for the same
//      file, written beforehand by format_oracle.js into ORACLE_DIR/<i>/<relative path>
//      (<i> is the position of the directory on the command line), or with
//      ORACLE_DIR/<i>/<relative path>.error when the reference formatter rejected the file;
//  (d) converts every policy to policy JSON, serializes and reads the JSON back, writes it as
//      Cedar text (PolicyToText, as `writ policy convert --to cedar` does) and checks that the
//      text, and the text laid out by the formatter, parse to the same policy JSON.
// It prints the figures, the kinds of differences left in (c) and the first few failures,
// and exits 1 when (a), (b) or (d) fail anywhere or when the share of identical files in (c)
// is below --min-identical (a percentage, default 99).
//
// Usage: format_conformance [--line-width N] [--indent N] [--min-identical PCT] [--show N]
//                           ORACLE_DIR DIR...
#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cedar/format.h"
#include "cedar/json.h"
#include "cedar/policy.h"

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

bool ReadAll(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

// Policy JSON of every policy of `text`, or an error message.
bool PoliciesJson(std::string_view text, std::vector<json::value>& out, std::string& error) {
  auto parsed = cedar::ParsePolicies(text);
  if (!parsed.ok()) {
    error = parsed.error().ToString();
    return false;
  }
  out.clear();
  for (const auto& p : *parsed) out.push_back(cedar::PolicyToJson(*p));
  return true;
}

std::string WithoutBlanks(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\n') out += c;
  }
  return out;
}

// A short description of how `ours` differs from `theirs`.
std::string DifferenceKind(const std::string& ours, const std::string& theirs) {
  if (WithoutBlanks(ours) != WithoutBlanks(theirs)) return "different tokens";
  size_t line = 0, i = 0;
  while (i < ours.size() && i < theirs.size() && ours[i] == theirs[i]) {
    if (ours[i] == '\n') ++line;
    ++i;
  }
  // Compare the first differing line's leading spaces.
  size_t a = ours.rfind('\n', i == 0 ? 0 : i - 1);
  a = a == std::string::npos ? 0 : a + 1;
  auto indent = [](const std::string& s, size_t from) {
    size_t n = 0;
    while (from + n < s.size() && s[from + n] == ' ') ++n;
    return n;
  };
  if (indent(ours, a) != indent(theirs, a) && ours.compare(a, i - a, theirs, a, i - a) == 0 &&
      i == a + std::min(indent(ours, a), indent(theirs, a))) {
    return "indentation";
  }
  return "line breaks";
}

struct Failure {
  std::string file;
  std::string what;
};

}  // namespace

int main(int argc, char** argv) {
  cedar::FormatOptions options;
  double min_identical = 99.0;
  size_t show = 5;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--line-width" && i + 1 < argc) {
      options.line_width = std::atoi(argv[++i]);
    } else if (a == "--indent" && i + 1 < argc) {
      options.indent_width = std::atoi(argv[++i]);
    } else if (a == "--min-identical" && i + 1 < argc) {
      min_identical = std::atof(argv[++i]);
    } else if (a == "--show" && i + 1 < argc) {
      show = static_cast<size_t>(std::atoi(argv[++i]));
    } else {
      args.push_back(a);
    }
  }
  if (args.size() < 2) {
    std::cerr << "usage: format_conformance [--line-width N] [--indent N] [--min-identical PCT] "
                 "[--show N] ORACLE_DIR DIR...\n";
    return 2;
  }
  fs::path oracle_dir = args[0];

  size_t files = 0, rejected_both = 0, policies = 0;
  size_t same_meaning = 0, idempotent = 0, identical = 0, compared = 0, converted = 0;
  std::vector<Failure> failures;        // (a), (b), (d) and acceptance disagreements
  std::vector<Failure> differences;     // (c)
  std::map<std::string, size_t> kinds;  // (c) by kind

  for (size_t d = 1; d < args.size(); ++d) {
    fs::path root = args[d];
    std::vector<fs::path> paths;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file() && entry.path().extension() == ".cedar") {
        paths.push_back(entry.path());
      }
    }
    std::sort(paths.begin(), paths.end());
    for (const fs::path& path : paths) {
      ++files;
      std::string name = path.string();
      std::string text;
      if (!ReadAll(path, text)) {
        failures.push_back({name, "cannot read"});
        continue;
      }
      fs::path oracle = oracle_dir / std::to_string(d - 1) / fs::relative(path, root);
      std::string expected;
      bool have_expected = ReadAll(oracle, expected);
      bool expected_error = !have_expected && fs::exists(oracle.string() + ".error");

      auto formatted = cedar::FormatPolicies(text, options);
      std::vector<json::value> before;
      std::string error;
      bool parses = PoliciesJson(text, before, error);
      if (!formatted.ok()) {
        if (parses) {
          failures.push_back({name, "format failed: " + formatted.error().ToString()});
        } else if (expected_error) {
          ++rejected_both;
        } else if (have_expected) {
          failures.push_back({name, "rejected here, formatted by the reference: " + error});
        }
        continue;
      }
      policies += before.size();

      // (a) the same policies
      std::vector<json::value> after;
      if (!PoliciesJson(*formatted, after, error)) {
        failures.push_back({name, "(a) output does not parse: " + error});
      } else if (after != before) {
        failures.push_back({name, "(a) output parses to different policies"});
      } else {
        ++same_meaning;
      }

      // (b) idempotent
      auto again = cedar::FormatPolicies(*formatted, options);
      if (again.ok() && *again == *formatted) {
        ++idempotent;
      } else {
        failures.push_back({name, "(b) formatting the output changes it"});
      }

      // (c) byte-identical with the reference formatter
      if (have_expected) {
        ++compared;
        if (expected == *formatted) {
          ++identical;
        } else {
          std::string kind = DifferenceKind(*formatted, expected);
          ++kinds[kind];
          differences.push_back({name, kind});
        }
      } else if (expected_error) {
        failures.push_back({name, "formatted here, rejected by the reference"});
      }

      // (d) text -> JSON -> text -> the same JSON
      bool all_converted = true;
      for (const json::value& est : before) {
        auto reread = cedar::ParseJsonText(json::serialize(est));
        auto ast = reread.ok() ? cedar::PolicyFromJson(*reread)
                               : cedar::Result<std::shared_ptr<cedar::PolicyAst>>(reread.error());
        if (!ast.ok()) {
          failures.push_back({name, "(d) JSON does not read back: " + ast.error().ToString()});
          all_converted = false;
          break;
        }
        std::string back = cedar::PolicyToText(**ast);
        std::vector<json::value> round;
        if (!PoliciesJson(back, round, error) || round.size() != 1 || round[0] != est) {
          failures.push_back({name, "(d) JSON -> text does not round-trip: " + back});
          all_converted = false;
          break;
        }
        auto laid_out = cedar::FormatPolicies(back, options);
        if (!laid_out.ok() || !PoliciesJson(*laid_out, round, error) || round[0] != est) {
          failures.push_back({name, "(d) formatted JSON -> text does not round-trip"});
          all_converted = false;
          break;
        }
      }
      if (all_converted) ++converted;
    }
  }

  size_t formatted_files = files - rejected_both;
  auto pct = [](size_t a, size_t b) { return b == 0 ? 100.0 : 100.0 * double(a) / double(b); };
  std::cout << "files: " << files << " (" << policies << " policies; " << rejected_both
            << " rejected by both formatters)\n";
  std::cout << "(a) same policies after formatting: " << same_meaning << "/" << formatted_files
            << "\n";
  std::cout << "(b) formatting twice changes nothing: " << idempotent << "/" << formatted_files
            << "\n";
  std::cout << "(c) identical to the reference formatter: " << identical << "/" << compared << " = "
            << pct(identical, compared) << "%\n";
  for (const auto& [kind, n] : kinds) std::cout << "    " << kind << ": " << n << "\n";
  for (size_t i = 0; i < differences.size() && i < show; ++i) {
    std::cout << "    e.g. " << differences[i].file << " (" << differences[i].what << ")\n";
  }
  std::cout << "(d) text -> JSON -> text round trips: " << converted << "/" << formatted_files
            << " files\n";
  for (size_t i = 0; i < failures.size() && i < show; ++i) {
    std::cout << "FAIL " << failures[i].file << ": " << failures[i].what << "\n";
  }
  bool ok = failures.empty() && pct(identical, compared) >= min_identical && compared > 0;
  std::cout << (ok ? "PASS" : "FAIL") << "\n";
  return ok ? 0 : 1;
}
