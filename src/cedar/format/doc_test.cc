#include "cedar/format/doc.h"

#include <gtest/gtest.h>

#include "cedar/format/display_width.h"

namespace cedar::format {
namespace {

// `[a, b, c]` with a break after each comma when it does not fit.
DocId List(Docs& d, std::initializer_list<const char*> items) {
  std::vector<DocId> parts{d.Text("[")};
  bool first = true;
  for (const char* item : items) {
    if (!first) parts.insert(parts.end(), {d.Text(","), d.Line()});
    first = false;
    parts.push_back(d.Text(item));
  }
  parts.push_back(d.Text("]"));
  return d.Group(d.Nest(1, d.Concat(parts)));
}

TEST(DocTest, GroupIsFlatWhenItFits) {
  Docs d;
  DocId doc = List(d, {"aa", "bb", "cc"});
  EXPECT_EQ(d.Render(doc, 12), "[aa, bb, cc]");
  EXPECT_EQ(d.Render(doc, 11), "[aa,\n bb,\n cc]");
}

TEST(DocTest, FitIncludesTheTextUpToTheNextBreak) {
  Docs d;
  // The group fits alone in 12 columns, but not with the `;;` that follows it on its line.
  DocId doc = d.Concat({List(d, {"aa", "bb", "cc"}), d.Text(";;")});
  EXPECT_EQ(d.Render(doc, 14), "[aa, bb, cc];;");
  EXPECT_EQ(d.Render(doc, 13), "[aa,\n bb,\n cc];;");
  // A possible break after the group ends what has to fit.
  DocId broken = d.Concat({List(d, {"aa", "bb", "cc"}), d.HardLine(), d.Text("a long line")});
  EXPECT_EQ(d.Render(broken, 12), "[aa, bb, cc]\na long line");
}

TEST(DocTest, InnerGroupsDecideAgain) {
  Docs d;
  DocId inner = List(d, {"x", "y"});
  DocId outer = d.Group(d.Concat(
      {d.Text("f("), d.Nest(2, d.Concat({d.SoftLine(), inner})), d.SoftLine(), d.Text(")")}));
  EXPECT_EQ(d.Render(outer, 20), "f([x, y])");
  EXPECT_EQ(d.Render(outer, 8), "f(\n  [x, y]\n)");
  EXPECT_EQ(d.Render(outer, 5), "f(\n  [x,\n   y]\n)");
}

TEST(DocTest, HardLineBreaksItsGroup) {
  Docs d;
  DocId doc = d.Group(d.Concat({d.Text("a"), d.Line(), d.Text("b"), d.HardLine(), d.Text("c")}));
  EXPECT_EQ(d.Render(doc, 80), "a\nb\nc");
}

TEST(DocTest, EmptyLinesHaveNoIndentation) {
  Docs d;
  DocId doc = d.Nest(4, d.Concat({d.Text("a"), d.HardLine(), d.HardLine(), d.Text("b")}));
  EXPECT_EQ(d.Render(doc, 80), "a\n\n    b");
}

TEST(DocTest, ClearAndOutdent) {
  Docs d;
  DocId comment = d.Concat({d.Text(" // c"), d.HardLine()});
  DocId doc = d.Concat(
      {d.Text("{"), d.Nest(2, d.Concat({d.HardLine(), d.Text("x"), comment})), d.Text("}")});
  EXPECT_EQ(d.Render(doc, 80), "{\n  x // c\n  }");
  d.Outdent(comment, 2);
  EXPECT_EQ(d.Render(doc, 80), "{\n  x // c\n}");
  d.Clear(comment);
  EXPECT_EQ(d.Render(doc, 80), "{\n  x}");
}

TEST(DocTest, WidthIsDisplayWidth) {
  Docs d;
  // Three wide characters take six columns.
  DocId doc =
      d.Group(d.Concat({d.Text("\xe6\x99\x99\xe6\x99\x99\xe6\x99\x99"), d.Line(), d.Text("x")}));
  EXPECT_EQ(d.Render(doc, 8), "\xe6\x99\x99\xe6\x99\x99\xe6\x99\x99 x");
  EXPECT_EQ(d.Render(doc, 7), "\xe6\x99\x99\xe6\x99\x99\xe6\x99\x99\nx");
}

TEST(DisplayWidthTest, Widths) {
  EXPECT_EQ(DisplayWidth("abc"), 3);
  EXPECT_EQ(DisplayWidth("\xc3\xa9"), 1);          // é
  EXPECT_EQ(DisplayWidth("e\xcc\x81"), 1);         // e + combining acute
  EXPECT_EQ(DisplayWidth("\xe6\x99\x99"), 2);      // 晙
  EXPECT_EQ(DisplayWidth("\xef\xbc\xa1"), 2);      // fullwidth A
  EXPECT_EQ(DisplayWidth("\xf0\x9f\x98\x80"), 2);  // 😀
  EXPECT_EQ(DisplayWidth("\xd6\xb2"), 0);          // Hebrew point hataf patah
  EXPECT_EQ(DisplayWidth("\xff\xfe"), 2);          // not UTF-8: a column per byte
  EXPECT_EQ(CodePointWidth(0x10FFFF), 1);
}

}  // namespace
}  // namespace cedar::format
