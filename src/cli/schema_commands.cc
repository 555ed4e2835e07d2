// `writ schema convert`: between the Cedar schema format and the JSON schema format.
#include <iostream>
#include <iterator>

#include "cedar/schema.h"
#include "cedar/schema_fragment.h"
#include "cli/commands.h"
#include "cli/io.h"

namespace writ::cli {

void AddSchemaCommands(CLI::App& app) {
  auto* schema = app.add_subcommand("schema", "Cedar schema tools");
  schema->require_subcommand(1);
  auto* convert = schema->add_subcommand(
      "convert", "Convert a schema between the Cedar format and the JSON format (stdout)");
  struct Options {
    std::string to;
    std::string file;
  };
  auto o = std::make_shared<Options>();
  convert->add_option("--to", o->to, "Output format")
      ->required()
      ->check(CLI::IsMember({"json", "cedar"}));
  convert->add_option("file", o->file, "Schema file (default: stdin); its format is detected");
  convert->callback([o] {
    std::string text;
    if (o->file.empty() || o->file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::string error;
      auto read = ReadFile(o->file, &error);
      if (!read) {
        PrintError(error);
        Exit(kExitInputError);
      }
      text = std::move(*read);
    }
    // JSON schemas are objects; the Cedar format never starts with `{`.
    size_t first = text.find_first_not_of(" \t\r\n");
    bool is_json = first != std::string::npos && text[first] == '{';
    auto fragment =
        is_json ? cedar::SchemaFragment::FromJson(text) : cedar::SchemaFragment::FromCedar(text);
    if (!fragment.ok()) {
      PrintError((o->file.empty() ? std::string("stdin") : o->file) + ":" +
                 fragment.error().ToString());
      Exit(kExitInputError);
    }
    // Resolve too, so that a schema that parses but does not make sense is refused.
    auto resolved = cedar::Schema::FromFragment(*fragment);
    if (!resolved.ok()) {
      PrintError(resolved.error().ToString());
      Exit(kExitInvalid);
    }
    if (o->to == "json") {
      std::cout << fragment->ToJsonText() << "\n";
    } else {
      auto cedar_text = fragment->ToCedar();
      if (!cedar_text.ok()) {
        PrintError(cedar_text.error().ToString());
        Exit(kExitInputError);
      }
      std::cout << *cedar_text;
    }
  });
}

}  // namespace writ::cli
