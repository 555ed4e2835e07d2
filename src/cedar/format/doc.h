// A document algebra for pretty-printing, after Wadler's "A prettier printer".
//
// A document is text plus places where a line may break. A Group is laid out flat (every Line
// a space, every SoftLine nothing) when all of it, and the text after it up to the next
// possible break, fits in the line width; otherwise its own breaks become newlines and its
// inner groups decide again. Nest indents the lines that break inside it. A HardLine always
// breaks, and a group that contains one never fits.
//
// Documents live in a Docs pool and are named by DocId; nodes are immutable once built,
// except through Clear() and Outdent() (the formatter uses these to place comments). A Docs is
// not thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cedar::format {

using DocId = uint32_t;

class Docs {
 public:
  Docs();

  DocId Nil() const { return 0; }
  // Copies `text`, which must not contain a newline. Its width is its display width.
  DocId Text(std::string_view text);
  DocId Line();      // a space when flat, a newline when broken
  DocId SoftLine();  // nothing when flat, a newline when broken
  DocId HardLine();  // always a newline
  DocId Nest(int indent, DocId doc);
  DocId Group(DocId doc);
  DocId Concat(std::span<const DocId> docs);
  DocId Concat(std::initializer_list<DocId> docs) {
    return Concat(std::span<const DocId>(docs.begin(), docs.size()));
  }

  // Makes `doc` empty (its parents then render nothing in its place).
  void Clear(DocId doc);
  // Changes `doc` in place into Nest(-indent, doc): its breaks go back `indent` columns.
  void Outdent(DocId doc, int indent);

  // Lays `root` out in `width` columns. Lines are indented with spaces; a newline is never
  // followed by trailing indentation on an otherwise empty line.
  std::string Render(DocId root, int width) const;

 private:
  enum class Kind : uint8_t {
    kNil,
    kText,
    kLine,
    kSoftLine,
    kHardLine,
    kNest,
    kGroup,
    kConcat,
  };
  struct Node {
    Kind kind = Kind::kNil;
    int32_t indent = 0;  // kNest: the added indentation; kText: display width
    uint32_t a = 0;      // kText: offset in text_; kNest/kGroup: child; kConcat: first child
    uint32_t b = 0;      // kText: byte length; kConcat: number of children
  };
  struct Cmd {
    int indent;
    bool flat;
    DocId doc;
  };

  DocId Add(Node node);
  bool Fits(const Cmd& next, const std::vector<Cmd>& rest, int remaining) const;

  std::vector<Node> nodes_;
  std::vector<DocId> children_;
  std::string text_;
};

}  // namespace cedar::format
