#include "gateway/cedar_mapping.h"

#include <gtest/gtest.h>

#include "cedar/schema.h"
#include "cedar/schema_fragment.h"

namespace writ::gateway {
namespace {

namespace json = boost::json;

TEST(CedarMappingTest, ActionUids) {
  EXPECT_EQ(ActionUid("", "read_file"), "Action::\"read_file\"");
  EXPECT_EQ(ActionUid("Fs", "read_file"), "Fs::Action::\"read_file\"");
  EXPECT_EQ(ActionUid("", "a\"b"), "Action::\"a\\\"b\"");
}

TEST(CedarMappingTest, JsonSchemaTypes) {
  EXPECT_EQ(CedarType(json::parse(R"({"type":"string","enum":["a"]})"), 0), "String");
  EXPECT_EQ(CedarType(json::parse(R"({"type":"integer"})"), 0), "Long");
  EXPECT_EQ(CedarType(json::parse(R"({"type":"number"})"), 0), "Long");
  EXPECT_EQ(CedarType(json::parse(R"({"type":"boolean"})"), 0), "Bool");
  EXPECT_EQ(CedarType(json::parse(R"({"type":["string","null"]})"), 0), "String");
  EXPECT_EQ(CedarType(json::parse(R"({"type":"array","items":{"type":"string"}})"), 0),
            "Set<String>");
  EXPECT_EQ(CedarType(json::parse(R"({"type":"array"})"), 0), "");
  EXPECT_EQ(CedarType(json::parse(R"({"type":"object"})"), 0), "");
  EXPECT_EQ(CedarType(json::parse(R"({"anyOf":[{"type":"string"}]})"), 0), "");
  EXPECT_EQ(
      CedarType(
          json::parse(
              R"({"type":"object","properties":{"p":{"type":"string"},"n":{"type":"integer"},"x":{}},"required":["p"]})"),
          0),
      "{\n  \"p\": String,\n  \"n\"?: Long\n}");
}

// The schema generated for a real server's tools/list (server-filesystem's shape) is a schema
// Writ accepts, with the arguments typed under context.input.
TEST(CedarMappingTest, SchemaFromToolsIsAValidSchema) {
  json::value list = json::parse(R"({"tools":[
    {"name":"read_text_file","description":"Read a file.\nMore.","inputSchema":{"type":"object",
      "properties":{"path":{"type":"string"},"head":{"type":"number"}},"required":["path"]}},
    {"name":"edit_file","inputSchema":{"type":"object","properties":{"path":{"type":"string"},
      "edits":{"type":"array","items":{"type":"object","properties":{"oldText":{"type":"string"},
      "newText":{"type":"string"}},"required":["oldText","newText"]}},"dryRun":{"type":"boolean"}},
      "required":["path","edits"]}},
    {"name":"list_allowed_directories","inputSchema":{"type":"object","properties":{}}}]})");
  json::value again = json::parse(
      R"({"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"read_text_file"},{"name":"echo"}]}})");
  SchemaOptions o;
  o.source = "test";
  auto text = SchemaFromTools({list, again}, o);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_NE(text->find("action \"read_text_file\" appliesTo"), std::string::npos) << *text;
  EXPECT_NE(text->find("\"head\"?: Long"), std::string::npos) << *text;
  EXPECT_NE(text->find("\"edits\": Set<{"), std::string::npos) << *text;
  EXPECT_NE(text->find("action \"echo\""), std::string::npos);
  EXPECT_EQ(text->find("More."), std::string::npos);
  auto fragment = cedar::SchemaFragment::FromCedar(*text);
  ASSERT_TRUE(fragment.ok()) << fragment.error().ToString() << "\n" << *text;
  auto schema = cedar::Schema::FromFragment(*fragment);
  ASSERT_TRUE(schema.ok()) << schema.error().ToString();
}

TEST(CedarMappingTest, SchemaFromToolsRefusesWhatIsNotAToolList) {
  EXPECT_FALSE(SchemaFromTools({json::parse(R"({"x":1})")}, {}).ok());
  EXPECT_FALSE(SchemaFromTools({json::parse(R"({"tools":[{"description":"x"}]})")}, {}).ok());
}

}  // namespace
}  // namespace writ::gateway
