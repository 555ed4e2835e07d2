#include <gtest/gtest.h>

#include "cedar/schema.h"

namespace cedar {
namespace {

SchemaTypePtr Make(SchemaType::Kind kind, std::string name = {}) {
  auto t = std::make_shared<SchemaType>();
  t->kind = kind;
  t->name = std::move(name);
  return t;
}

SchemaTypePtr SetOf(SchemaTypePtr element) {
  auto t = std::make_shared<SchemaType>();
  t->kind = SchemaType::Kind::kSet;
  t->element = std::move(element);
  return t;
}

TEST(SchemaType, ToString) {
  using K = SchemaType::Kind;
  EXPECT_EQ(Make(K::kBool)->ToString(), "Bool");
  EXPECT_EQ(Make(K::kLong)->ToString(), "Long");
  EXPECT_EQ(Make(K::kString)->ToString(), "String");
  EXPECT_EQ(Make(K::kEntity, "Ns::User")->ToString(), "Ns::User");
  EXPECT_EQ(Make(K::kExtension, "ipaddr")->ToString(), "ipaddr");
  EXPECT_EQ(SetOf(Make(K::kEntity, "Ns::User"))->ToString(), "Set<Ns::User>");
  auto record = std::make_shared<SchemaType>();
  record->kind = K::kRecord;
  EXPECT_EQ(record->ToString(), "{}");
  record->attributes["a"] = {Make(K::kLong), false, {}};
  EXPECT_EQ(record->ToString(), "{ a?: Long }");
  record->attributes["b c"] = {SetOf(Make(K::kString)), true, {}};
  record->attributes["in"] = {Make(K::kBool), true, {}};
  EXPECT_EQ(record->ToString(), "{ a?: Long, \"b c\": Set<String>, \"in\": Bool }");
}

TEST(SchemaType, Equality) {
  using K = SchemaType::Kind;
  EXPECT_TRUE(*SetOf(Make(K::kLong)) == *SetOf(Make(K::kLong)));
  EXPECT_FALSE(*SetOf(Make(K::kLong)) == *SetOf(Make(K::kString)));
  EXPECT_FALSE(*Make(K::kEntity, "A") == *Make(K::kEntity, "B"));
  EXPECT_TRUE(SameType(nullptr, nullptr));
  EXPECT_FALSE(SameType(Make(K::kLong), nullptr));
  EXPECT_TRUE(SameType(Make(K::kLong), Make(K::kLong)));

  auto a = std::make_shared<SchemaType>();
  a->kind = K::kRecord;
  a->attributes["x"] = {Make(K::kLong), true, {}};
  auto b = std::make_shared<SchemaType>(*a);
  EXPECT_TRUE(*a == *b);
  b->attributes["x"].required = false;
  EXPECT_FALSE(*a == *b);
  b->attributes["x"] = {Make(K::kLong), true, {{"doc", "x"}}};
  EXPECT_FALSE(*a == *b);
  b->attributes["x"] = {Make(K::kString), true, {}};
  EXPECT_FALSE(*a == *b);
}

}  // namespace
}  // namespace cedar
