// `writ format` and `writ policy convert`.
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "cedar/format.h"
#include "cedar/json.h"
#include "cedar/policy.h"
#include "cli/commands.h"
#include "cli/io.h"

namespace writ::cli {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string ReadStdin() {
  std::ostringstream s;
  s << std::cin.rdbuf();
  return std::move(s).str();
}

// "<where>:<line>:<col>: message" for errors that point into the text.
std::string Located(const std::string& where, const cedar::Error& e) {
  if (e.pos.line > 0) return where + ":" + e.ToString();
  return where + ": " + e.message;
}

// Replaces `path` by `text` without a window in which the file is partly written: the text goes
// to a temporary file in the same directory, which then takes the original's name and mode.
bool WriteFileAtomically(const std::string& path, const std::string& text, std::string& error) {
  fs::path target(path);
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string templ = (dir / ("." + target.filename().string() + ".writ-XXXXXX")).string();
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0) {
    error = "cannot create a temporary file beside `" + path + "`: " + std::strerror(errno);
    return false;
  }
  std::string tmp(name.data());
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = "cannot write `" + tmp + "`: " + std::strerror(errno);
      ::close(fd);
      std::remove(tmp.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    error = "cannot write `" + tmp + "`: " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  std::error_code ec;
  fs::permissions(tmp, fs::status(target, ec).permissions(), ec);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot replace `" + path + "`: " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

struct FormatArgs {
  bool check = false;
  int line_width = 80;
  int indent = 2;
  std::vector<std::string> files;
};

int RunFormat(const FormatArgs& args) {
  cedar::FormatOptions options;
  options.line_width = args.line_width;
  options.indent_width = args.indent;
  if (args.files.empty()) {
    std::string text = ReadStdin();
    auto formatted = cedar::FormatPolicies(text, options);
    if (!formatted.ok()) {
      PrintError(Located("<stdin>", formatted.error()));
      return kExitInputError;
    }
    if (args.check) {
      if (*formatted == text) return kExitOk;
      std::cout << "<stdin>\n";
      return kExitInputError;
    }
    std::cout << *formatted;
    return kExitOk;
  }
  int rc = kExitOk;
  for (const std::string& path : args.files) {
    std::string error;
    auto text = ReadFile(path, &error);
    if (!text) {
      PrintError(error);
      rc = kExitInputError;
      continue;
    }
    auto formatted = cedar::FormatPolicies(*text, options);
    if (!formatted.ok()) {
      PrintError(Located(path, formatted.error()));
      rc = kExitInputError;
      continue;
    }
    if (*formatted == *text) continue;
    if (args.check) {
      std::cout << path << "\n";
      rc = kExitInputError;
      continue;
    }
    if (!WriteFileAtomically(path, *formatted, error)) {
      PrintError(error);
      rc = kExitInputError;
    }
  }
  return rc;
}

// JSON with two-space indentation, members in their order.
void AppendPrettyJson(std::string& out, const json::value& v, int depth) {
  auto newline = [&](int d) {
    out += '\n';
    out.append(static_cast<size_t>(2 * d), ' ');
  };
  if (v.is_object() && !v.get_object().empty()) {
    out += '{';
    bool first = true;
    for (const auto& kv : v.get_object()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      out += json::serialize(json::value(kv.key()));
      out += ": ";
      AppendPrettyJson(out, kv.value(), depth + 1);
    }
    newline(depth);
    out += '}';
  } else if (v.is_array() && !v.get_array().empty()) {
    out += '[';
    bool first = true;
    for (const auto& x : v.get_array()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      AppendPrettyJson(out, x, depth + 1);
    }
    newline(depth);
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

// Cedar text -> policy JSON: one policy or template gives its policy JSON, anything else the
// policy-set form with the positional ids policy0, policy1, ...
int ConvertToJson(const std::string& where, const std::string& text) {
  auto policies = cedar::ParsePolicies(text);
  if (!policies.ok()) {
    PrintError(Located(where, policies.error()));
    return kExitInputError;
  }
  json::value out;
  if (policies->size() == 1) {
    out = cedar::PolicyToJson(*(*policies)[0]);
  } else {
    auto set = cedar::PolicySet::Parse(text);
    if (!set.ok()) {
      PrintError(Located(where, set.error()));
      return kExitInputError;
    }
    out = cedar::PolicySetToJson(*set);
  }
  std::string s;
  AppendPrettyJson(s, out, 0);
  std::cout << s << "\n";
  return kExitOk;
}

bool IsPolicySetJson(const json::value& v) {
  const json::object* o = v.if_object();
  return o != nullptr && (o->contains("staticPolicies") || o->contains("templates") ||
                          o->contains("templateLinks"));
}

// Policy JSON (one policy, or the policy-set form) -> Cedar text, laid out by the formatter.
// Template links have no Cedar text form, so a set with links is refused.
int ConvertToCedar(const std::string& where, const std::string& text) {
  auto parsed = cedar::ParseJsonText(text);
  if (!parsed.ok()) {
    PrintError(Located(where, parsed.error()));
    return kExitInputError;
  }
  std::string cedar_text;
  if (IsPolicySetJson(*parsed)) {
    auto set = cedar::PolicySetFromJson(*parsed);
    if (!set.ok()) {
      PrintError(where + ": " + set.error().message);
      return kExitInputError;
    }
    size_t links = 0;
    for (const auto& p : set->policies()) {
      if (p->is_linked()) {
        ++links;
        continue;
      }
      if (!cedar_text.empty()) cedar_text += '\n';
      cedar_text += cedar::PolicyToText(p->ast());
    }
    if (links > 0) {
      PrintError(where + ": template links have no Cedar text form (" + std::to_string(links) +
                 " in the input); convert the templates and keep the links as JSON");
      return kExitInputError;
    }
    for (const auto& t : set->templates()) {
      if (!cedar_text.empty()) cedar_text += '\n';
      cedar_text += cedar::PolicyToText(*t->ast);
    }
  } else {
    auto ast = cedar::PolicyFromJson(*parsed);
    if (!ast.ok()) {
      PrintError(where + ": " + ast.error().message);
      return kExitInputError;
    }
    cedar_text = cedar::PolicyToText(**ast);
  }
  auto formatted = cedar::FormatPolicies(cedar_text);
  if (!formatted.ok()) {
    // The writer's output always parses; this would be a bug, reported with the text.
    PrintError(where + ": cannot lay out the converted text (" + formatted.error().ToString() +
               "):\n" + cedar_text);
    return kExitInputError;
  }
  std::cout << *formatted;
  return kExitOk;
}

}  // namespace

void AddPolicyCommands(CLI::App& app) {
  auto args = std::make_shared<FormatArgs>();
  auto* format =
      app.add_subcommand("format", "Format Cedar policy files in place (no FILE: stdin to stdout)");
  format->add_flag("--check", args->check,
                   "Change nothing; list the files that are not formatted and exit 1 if any");
  format->add_option("--line-width", args->line_width, "Line width (default 80)")
      ->check(CLI::Range(1, 10000));
  format->add_option("--indent", args->indent, "Indentation width (default 2)")
      ->check(CLI::Range(0, 16));
  format->add_option("files", args->files, "Cedar policy files");
  format->callback([args] {
    int rc = RunFormat(*args);
    if (rc != kExitOk) Exit(rc);
  });

  auto* policy = app.add_subcommand("policy", "Work with Cedar policy files");
  policy->require_subcommand(1);
  auto to = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto* convert = policy->add_subcommand(
      "convert", "Convert between Cedar policy text and policy JSON; output on stdout");
  convert->add_option("--to", *to, "Output format: json or cedar")
      ->required()
      ->check(CLI::IsMember({"json", "cedar"}));
  convert->add_option("file", *file, "Input file (default stdin)");
  convert->callback([to, file] {
    std::string where = file->empty() ? "<stdin>" : *file;
    std::string text;
    if (file->empty()) {
      text = ReadStdin();
    } else {
      std::string error;
      auto read = ReadFile(*file, &error);
      if (!read) {
        PrintError(error);
        Exit(kExitInputError);
      }
      text = std::move(*read);
    }
    int rc = *to == "json" ? ConvertToJson(where, text) : ConvertToCedar(where, text);
    if (rc != kExitOk) Exit(rc);
  });
}

}  // namespace writ::cli
