#include "cedar/entities.h"

#include <gtest/gtest.h>

#include "cedar/json.h"

namespace cedar {
namespace {

TEST(EntitiesTest, LayeredStoreFallsThroughAndInheritsAncestors) {
  auto base = EntitiesFromJsonText(R"([
    {"uid": {"type": "Team", "id": "eng"}, "parents": [{"type": "Org", "id": "acme"}]},
    {"uid": {"type": "Org", "id": "acme"}},
    {"uid": {"type": "Agent", "id": "bot"}, "attrs": {"static": 1}}
  ])");
  ASSERT_TRUE(base.ok());
  EntitiesBuilder b;
  b.SetBase(&*base);
  Arena& a = b.arena();
  const EntityUID* bot = EntityUID::Make(a, "Agent", "bot");
  const EntityUID* team = EntityUID::Make(a, "Team", "eng");
  RecordField f{a.CopyString("dynamic"), Value::Bool(true)};
  ASSERT_TRUE(b.Add(bot, MakeRecord(a, std::span<const RecordField>(&f, 1)), nullptr, {team}).ok());
  auto layered = std::move(b).Build();
  ASSERT_TRUE(layered.ok()) << layered.error().message;
  Arena q;
  // The request-time entity hides the base's, and reaches the base's hierarchy.
  const Entity* e = layered->Find(*EntityUID::Make(q, "Agent", "bot"));
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->attrs->Find("dynamic"), nullptr);
  EXPECT_EQ(e->attrs->Find("static"), nullptr);
  EXPECT_TRUE(
      layered->IsIn(*EntityUID::Make(q, "Agent", "bot"), *EntityUID::Make(q, "Org", "acme")));
  // Base entities are found through the layer.
  EXPECT_NE(layered->Find(*EntityUID::Make(q, "Org", "acme")), nullptr);
  EXPECT_EQ(layered->size(), 1u);
}

TEST(EntitiesTest, ClosureOverDeepChainsAndDiamonds) {
  auto r = EntitiesFromJsonText(R"([
    {"uid": {"type": "N", "id": "a"}, "parents": [{"type": "N", "id": "b"}, {"type": "N", "id": "c"}]},
    {"uid": {"type": "N", "id": "b"}, "parents": [{"type": "N", "id": "d"}]},
    {"uid": {"type": "N", "id": "c"}, "parents": [{"type": "N", "id": "d"}]},
    {"uid": {"type": "N", "id": "d"}, "parents": [{"type": "N", "id": "e"}]}
  ])");
  ASSERT_TRUE(r.ok());
  Arena q;
  const Entity* a = r->Find(*EntityUID::Make(q, "N", "a"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->ancestors.size(), 4u);  // b, c, d, e (d once)
  EXPECT_TRUE(r->IsIn(*EntityUID::Make(q, "N", "a"), *EntityUID::Make(q, "N", "e")));
  EXPECT_FALSE(r->IsIn(*EntityUID::Make(q, "N", "e"), *EntityUID::Make(q, "N", "a")));
}

}  // namespace
}  // namespace cedar
