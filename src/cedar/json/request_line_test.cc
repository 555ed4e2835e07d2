#include <gtest/gtest.h>

#include "cedar/json.h"

namespace cedar {
namespace {

// The fast reader must give exactly what the general path gives, for accepted and refused
// lines alike.
std::string ViaLineParser(std::string_view line) {
  RequestLineParser parser;
  Arena arena;
  auto r = parser.Parse(line, arena);
  if (!r.ok()) return "error: " + r.error().message;
  return r->principal->ToString() + " " + r->action->ToString() + " " + r->resource->ToString() +
         " " + r->context.ToCedar();
}

std::string ViaDocument(std::string_view line) {
  auto j = ParseJsonText(line);
  if (!j.ok()) return "error: " + j.error().message;
  Arena arena;
  auto r = RequestFromJson(*j, arena, nullptr, false);
  if (!r.ok()) return "error: " + r.error().message;
  return r->principal->ToString() + " " + r->action->ToString() + " " + r->resource->ToString() +
         " " + r->context.ToCedar();
}

TEST(RequestLineParserTest, AgreesWithTheGeneralPath) {
  const char* kPrefix =
      R"({"principal":{"type":"User","id":"a"},"action":{"type":"Action","id":"v"},"resource":{"type":"Doc","id":"d"})";
  const std::vector<std::string> contexts = {
      "",
      R"(,"context":{})",
      R"(,"context":{"n":-9223372036854775808,"m":9223372036854775807,"b":true,"f":false})",
      R"(,"context":{"s":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n\t","raw":"h\u00e9llo"})",
      R"(,"context":{"set":[3,1,2,1,[1],{"a":1}],"rec":{"z":1,"a":{"deep":[true]}}})",
      R"(,"context":{"e":{"__entity":{"type":"Ns::T","id":"x"}},"i":{"__extn":{"fn":"ip","arg":"10.0.0.1/8"}}})",
      R"(,"context":{"d":{"__extn":{"fn":"decimal","arg":"1.25"}},"t":{"__extn":{"fn":"datetime","arg":"2024-01-01"}},"u":{"__extn":{"fn":"duration","arg":"1h"}}})",
      R"(,"context":{"x":{"__extn":{"fn":"offset","args":[{"__extn":{"fn":"datetime","arg":"2024-01-01"}},{"__extn":{"fn":"duration","arg":"1d"}}]}}})",
      R"(,"context":{"imp":{"type":"User","id":"b"}})",
      R"(,"context":{"mixed":{"__entity":{"type":"U","id":"b"},"other":1}})",
      // Refused forms.
      R"(,"context":{"f":1.5})",
      R"(,"context":{"big":9223372036854775808})",
      R"(,"context":{"n":null})",
      R"(,"context":{"a":1,"a":2})",
      R"(,"context":{"a":01})",
      R"(,"context":{"bad":{"__extn":{"fn":"ip","arg":"300.1.1.1"}}})",
      R"(,"context":{"bad":{"__entity":{"type":"if","id":"x"}}})",
      R"(,"context":[1])",
      R"(,"context":{"s":"\ud800"})",
      R"(,"context":{"trailing":1},})",
  };
  for (const auto& c : contexts) {
    std::string line = std::string(kPrefix) + c + "}";
    EXPECT_EQ(ViaLineParser(line), ViaDocument(line)) << line;
  }
  for (
      const char* line : {
          R"({"principal":{"__entity":{"type":"U","id":"a"}},"action":{"id":"v","type":"Action"},"resource":{"type":"R","id":"r"}})",
          R"({"action":{"type":"Action","id":"v"},"resource":{"type":"R","id":"r"}})",
          R"({"principal":{"type":"U","id":"a"},"principal":{"type":"U","id":"b"},"action":{"type":"Action","id":"v"},"resource":{"type":"R","id":"r"}})",
          R"({"principal":{"type":"U ","id":"a"},"action":{"type":"Action","id":"v"},"resource":{"type":"R","id":"r"}})",
          R"({"principal":{"type":"U","id":"a","x":1},"action":{"type":"Action","id":"v"},"resource":{"type":"R","id":"r"}})",
          R"({"principal":{"type":"U","id":"a"},"action":{"type":"Action","id":"v"},"resource":{"type":"R","id":"r"},"extra":[1]})",
          "not json",
          "{}",
      }) {
    EXPECT_EQ(ViaLineParser(line), ViaDocument(line)) << line;
  }
}

TEST(ArenaTest, ResetKeepsOneBlockForReuse) {
  Arena arena;
  for (int i = 0; i < 3; ++i) {
    arena.Reset();
    for (int k = 0; k < 100; ++k) arena.CopyString(std::string(100, 'x'));
  }
  size_t reserved = arena.BytesReserved();
  arena.Reset();
  EXPECT_LE(arena.BytesReserved(), reserved);
  EXPECT_GT(arena.BytesReserved(), 0u);
  std::string_view s = arena.CopyString("hello");
  EXPECT_EQ(s, "hello");
}

}  // namespace
}  // namespace cedar
