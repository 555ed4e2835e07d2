#include "cedar/validator/types.h"

#include <gtest/gtest.h>

namespace cedar::validation {
namespace {

Type Rec(Arena& arena, std::initializer_list<RecordAttr> attrs) {
  RecordAttr* a = arena.NewArray<RecordAttr>(attrs.size());
  std::copy(attrs.begin(), attrs.end(), a);
  return Type::Record(arena.New<RecordType>(RecordType{{a, attrs.size()}}));
}

TEST(TypesTest, BooleansJoinToBool) {
  Arena arena;
  Type out;
  ASSERT_TRUE(LeastUpperBound(Type::True(), Type::True(), arena, out));
  EXPECT_TRUE(out.is(TypeKind::kTrue));
  ASSERT_TRUE(LeastUpperBound(Type::True(), Type::False(), arena, out));
  EXPECT_TRUE(out.is(TypeKind::kBool));
  ASSERT_TRUE(LeastUpperBound(Type::Never(), Type::Long(), arena, out));
  EXPECT_TRUE(out.is(TypeKind::kLong));
  EXPECT_FALSE(LeastUpperBound(Type::Long(), Type::String(), arena, out));
  EXPECT_TRUE(out.IsNever());
  EXPECT_FALSE(LeastUpperBound(Type::Simple(TypeKind::kDatetime), Type::Simple(TypeKind::kDuration),
                               arena, out));
}

TEST(TypesTest, EntityTypesMustBeTheSame) {
  Arena arena;
  EntityTypeInfo user, doc;
  user.name = "User";
  doc.name = "Doc";
  Type out;
  EXPECT_TRUE(LeastUpperBound(Type::Entity(&user), Type::Entity(&user), arena, out));
  EXPECT_FALSE(LeastUpperBound(Type::Entity(&user), Type::Entity(&doc), arena, out));
  Type su = Type::SetOf(arena.New<Type>(Type::Entity(&user)));
  Type sd = Type::SetOf(arena.New<Type>(Type::Entity(&doc)));
  EXPECT_FALSE(LeastUpperBound(su, sd, arena, out));
  EXPECT_EQ(su.ToString(), "Set<User>");
}

TEST(TypesTest, RecordsNeedSameAttributesAndRequiredness) {
  Arena arena;
  Type a = Rec(arena, {{"a", Type::True(), true}, {"b", Type::Long(), false}});
  Type b = Rec(arena, {{"a", Type::False(), true}, {"b", Type::Long(), false}});
  Type out;
  ASSERT_TRUE(LeastUpperBound(a, b, arena, out));
  EXPECT_EQ(out.ToString(), "{a: Bool, b?: Long}");
  Type c = Rec(arena, {{"a", Type::True(), true}, {"b", Type::Long(), true}});
  EXPECT_FALSE(LeastUpperBound(a, c, arena, out));  // b optional vs required
  Type d = Rec(arena, {{"a", Type::True(), true}});
  EXPECT_FALSE(LeastUpperBound(a, d, arena, out));  // no width subtyping
  Type e = Rec(arena, {{"a", Type::String(), true}, {"b", Type::Long(), false}});
  EXPECT_FALSE(LeastUpperBound(a, e, arena, out));
}

TEST(TypesTest, HierarchyMembership) {
  EntityTypeInfo group, user, doc;
  group.index = 0;
  user.index = 1;
  doc.index = 2;
  user.ancestors = {true, false, false};
  EXPECT_TRUE(user.MayBeIn(group));
  EXPECT_TRUE(user.MayBeIn(user));
  EXPECT_FALSE(user.MayBeIn(doc));
  EXPECT_FALSE(group.MayBeIn(user));
}

}  // namespace
}  // namespace cedar::validation
