#include "cedar/validator/string_checks.h"

#include <gtest/gtest.h>

namespace cedar::validation {
namespace {

TEST(StringChecksTest, SingleScript) {
  EXPECT_TRUE(IsSingleScript(""));
  EXPECT_TRUE(IsSingleScript("hello, world 42!"));
  EXPECT_TRUE(IsSingleScript("привет"));
  EXPECT_FALSE(IsSingleScript("hellо"));            // Cyrillic о
  EXPECT_TRUE(IsSingleScript("日本語のカタカナ"));  // Japanese (Han + kana)
  EXPECT_TRUE(IsSingleScript("한국어 漢字"));       // Korean (Hangul + Han)
  EXPECT_TRUE(IsSingleScript("ㄅ日"));              // Han with Bopomofo
  EXPECT_FALSE(IsSingleScript("ㄅカ"));             // Bopomofo and Katakana
  EXPECT_TRUE(IsSingleScript("\u0660\u0628"));      // Arabic-Indic digit with Arabic
  EXPECT_FALSE(IsSingleScript("\u0660a"));          // ... with Latin
  EXPECT_FALSE(IsSingleScript("\uE249"));           // private use: no script
  EXPECT_TRUE(IsSingleScript("a\u0301"));           // combining mark (Inherited)
}

TEST(StringChecksTest, BidiControls) {
  EXPECT_TRUE(HasBidiControl("a\u202Eb"));
  EXPECT_TRUE(HasBidiControl("\u2066"));
  EXPECT_FALSE(HasBidiControl("a\u200Eb"));  // LRM is not an embedding or isolate control
  EXPECT_EQ(StringWarning("a\u202Eb"), ValidationCode::kBidiCharsInString);
  EXPECT_EQ(StringWarning("hellо"), ValidationCode::kMixedScriptString);
  EXPECT_EQ(StringWarning("fine"), std::nullopt);
}

TEST(StringChecksTest, IdentifierCharacters) {
  EXPECT_TRUE(IdentifierCharAllowed(' '));
  EXPECT_TRUE(IdentifierCharAllowed('~'));
  EXPECT_FALSE(IdentifierCharAllowed('\t'));
  EXPECT_FALSE(IdentifierCharAllowed(0x7F));
  EXPECT_TRUE(IdentifierCharAllowed(0xE9));      // é
  EXPECT_TRUE(IdentifierCharAllowed(0x65E5));    // 日
  EXPECT_FALSE(IdentifierCharAllowed(0x1F600));  // emoji
  char32_t bad = 0;
  EXPECT_EQ(IdentifierWarning("a\tb", &bad), ValidationCode::kConfusableIdentifier);
  EXPECT_EQ(bad, U'\t');
  EXPECT_EQ(IdentifierWarning("a\u202Eb", &bad), ValidationCode::kBidiCharsInIdentifier);
  EXPECT_EQ(IdentifierWarning("éпривет", &bad), ValidationCode::kMixedScriptIdentifier);
  EXPECT_EQ(IdentifierWarning("name", &bad), std::nullopt);
}

TEST(StringChecksTest, LikePatternText) {
  PatternElem parts[] = {{true, {}}, {false, "a*\n\u05B2\"\x01"}, {true, {}}};
  EXPECT_EQ(LikePatternText(parts), "*a\\*\\n\\u{5b2}\\\"\\u{1}*");
}

TEST(StringChecksTest, EscapeControls) {
  EXPECT_EQ(EscapeControls(std::string("a\0b\x1f", 4)), "a\\0b\\u{1f}");
  EXPECT_EQ(EscapeChar(U'é'), "é");
}

}  // namespace
}  // namespace cedar::validation
