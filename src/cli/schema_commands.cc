// `writ schema convert`: between the Cedar schema format and the JSON schema format.
// `writ schema from-mcp`: the Cedar schema of MCP servers' tools (gateway/cedar_mapping.h).
#include <boost/json.hpp>
#include <future>
#include <iostream>
#include <iterator>

#include "cedar/schema.h"
#include "cedar/schema_fragment.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "gateway/cedar_mapping.h"
#include "gateway/http_upstream.h"
#include "gateway/stdio_upstream.h"
#include "service/work_pool.h"

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

  auto* from_mcp = schema->add_subcommand(
      "from-mcp",
      "Generate the Cedar schema of MCP servers' tools (one action per tool, arguments under "
      "context.input) from tools/list results or a live server (stdout)");
  struct McpOptions {
    std::vector<std::string> files;
    std::string url;
    std::string ca_file;
    int64_t wait_ms = 30000;
    std::vector<std::string> command;
    std::string resource_type = "McpServer";
    bool actions_only = false;
    bool resources_and_prompts = false;
  };
  auto m = std::make_shared<McpOptions>();
  from_mcp->add_option("files", m->files, "tools/list results (JSON files; - for stdin)");
  from_mcp->add_option("--url", m->url, "a Streamable HTTP MCP server to ask");
  from_mcp->add_option("--ca-file", m->ca_file,
                       "https: PEM roots to trust instead of the system's");
  from_mcp->add_option("--wait-ms", m->wait_ms, "how long to wait for the server to initialize")
      ->capture_default_str();
  from_mcp
      ->add_option("--command", m->command,
                   "a stdio MCP server to run and ask (program and arguments)")
      ->expected(1, -1)
      ->allow_extra_args();
  from_mcp->add_option("--resource-type", m->resource_type, "the Cedar resource type");
  from_mcp->add_flag("--actions-only", m->actions_only,
                     "only the actions (to add to a schema that declares Writ's base types)");
  from_mcp->add_flag("--resources-and-prompts", m->resources_and_prompts,
                     "also the actions resources/read and prompts/get");
  from_mcp->callback([m] {
    std::vector<boost::json::value> lists;
    std::vector<std::string> sources;
    for (const std::string& f : m->files) {
      std::string text;
      if (f == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
      } else {
        std::string error;
        auto read = ReadFile(f, &error);
        if (!read) {
          PrintError(error);
          Exit(kExitInputError);
        }
        text = std::move(*read);
      }
      boost::json::error_code ec;
      boost::json::value v = boost::json::parse(text, ec);
      if (ec) {
        PrintError(f + ": not JSON: " + ec.message());
        Exit(kExitInputError);
      }
      lists.push_back(std::move(v));
      sources.push_back(f);
    }
    if (!m->url.empty() || !m->command.empty()) {
      service::WorkPool pool(1, 16);
      std::unique_ptr<gateway::Upstream> up;
      // Why the server did not answer, for the error below.
      auto last = std::make_shared<std::string>();
      auto log = [last](const std::string& line) { *last = line; };
      if (!m->url.empty()) {
        gateway::HttpUpstreamOptions o;
        o.name = m->url;
        o.url = m->url;
        o.ca_file = m->ca_file;
        o.timeout_ms = 30000;
        o.log = log;
        up = std::make_unique<gateway::HttpUpstream>(std::move(o), pool);
        sources.push_back(m->url);
      } else {
        gateway::StdioUpstreamOptions o;
        o.name = m->command.front();
        o.command = m->command.front();
        o.args.assign(m->command.begin() + 1, m->command.end());
        o.timeout_ms = 30000;
        o.log = log;
        up = std::make_unique<gateway::StdioUpstream>(std::move(o));
        sources.push_back(m->command.front());
      }
      Status started = up->Start(m->wait_ms);
      if (!started.ok() || !up->ready()) {
        up->Stop();
        PrintError("from-mcp: the server did not initialize" + (!started.ok()
                                                                    ? ": " + started.ToString()
                                                                : last->empty() ? std::string()
                                                                                : ": " + *last));
        Exit(kExitInputError);
      }
      std::promise<Result<boost::json::object>> answer;
      up->Call("tools/list", boost::json::object{}, {},
               [&answer](Result<boost::json::object> r) { answer.set_value(std::move(r)); });
      Result<boost::json::object> r = answer.get_future().get();
      up->Stop();
      pool.Stop();
      if (!r.ok()) {
        PrintError("from-mcp: tools/list: " + r.status().ToString());
        Exit(kExitInputError);
      }
      lists.push_back(std::move(r).value());
    }
    if (lists.empty()) {
      PrintError("from-mcp: give tools/list files, --url or --command");
      Exit(kExitInputError);
    }
    gateway::SchemaOptions options;
    options.resource_type = m->resource_type;
    options.standalone = !m->actions_only;
    options.resources_and_prompts = m->resources_and_prompts;
    for (size_t i = 0; i < sources.size(); ++i) {
      options.source += (i ? ", " : "") + sources[i];
    }
    Result<std::string> text = gateway::SchemaFromTools(lists, options);
    if (!text.ok()) {
      PrintError(text.status().message());
      Exit(kExitInputError);
    }
    if (options.standalone) {
      // What is generated must be a schema Writ accepts.
      auto fragment = cedar::SchemaFragment::FromCedar(*text);
      if (!fragment.ok()) {
        PrintError("from-mcp: generated an invalid schema: " + fragment.error().ToString());
        Exit(kExitInvalid);
      }
      auto resolved = cedar::Schema::FromFragment(*fragment);
      if (!resolved.ok()) {
        PrintError("from-mcp: generated an invalid schema: " + resolved.error().ToString());
        Exit(kExitInvalid);
      }
    }
    std::cout << *text;
  });
}

}  // namespace writ::cli
