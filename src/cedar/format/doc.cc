#include "cedar/format/doc.h"

#include <algorithm>

#include "cedar/format/display_width.h"

namespace cedar::format {

Docs::Docs() {
  nodes_.push_back(Node{});  // DocId 0 is the empty document
}

DocId Docs::Add(Node node) {
  nodes_.push_back(node);
  return static_cast<DocId>(nodes_.size() - 1);
}

DocId Docs::Text(std::string_view text) {
  if (text.empty()) return Nil();
  Node n{Kind::kText, static_cast<int32_t>(DisplayWidth(text)), static_cast<uint32_t>(text_.size()),
         static_cast<uint32_t>(text.size())};
  text_.append(text);
  return Add(n);
}

DocId Docs::Line() {
  return Add(Node{Kind::kLine, 0, 0, 0});
}
DocId Docs::SoftLine() {
  return Add(Node{Kind::kSoftLine, 0, 0, 0});
}
DocId Docs::HardLine() {
  return Add(Node{Kind::kHardLine, 0, 0, 0});
}

DocId Docs::Nest(int indent, DocId doc) {
  if (doc == Nil()) return Nil();
  return Add(Node{Kind::kNest, indent, doc, 0});
}

DocId Docs::Group(DocId doc) {
  if (doc == Nil()) return Nil();
  return Add(Node{Kind::kGroup, 0, doc, 0});
}

DocId Docs::Concat(std::span<const DocId> docs) {
  size_t live = std::count_if(docs.begin(), docs.end(), [](DocId d) { return d != 0; });
  if (live == 0) return Nil();
  if (live == 1) return *std::find_if(docs.begin(), docs.end(), [](DocId d) { return d != 0; });
  Node n{Kind::kConcat, 0, static_cast<uint32_t>(children_.size()), static_cast<uint32_t>(live)};
  for (DocId d : docs) {
    if (d != 0) children_.push_back(d);
  }
  return Add(n);
}

void Docs::Clear(DocId doc) {
  if (doc != Nil()) nodes_[doc] = Node{};
}

void Docs::Outdent(DocId doc, int indent) {
  if (doc == Nil()) return;
  DocId moved = Add(nodes_[doc]);
  nodes_[doc] = Node{Kind::kNest, -indent, moved, 0};
}

// Whether `next`, laid out flat, and then whatever follows it on the stack (in its own mode)
// reach a possible line break before running out of the `remaining` columns.
bool Docs::Fits(const Cmd& next, const std::vector<Cmd>& rest, int remaining) const {
  std::vector<Cmd> stack{next};
  size_t rest_index = rest.size();
  while (true) {
    if (stack.empty()) {
      if (rest_index == 0) return true;
      stack.push_back(rest[--rest_index]);
    }
    Cmd cmd = stack.back();
    stack.pop_back();
    const Node& n = nodes_[cmd.doc];
    switch (n.kind) {
      case Kind::kNil:
        break;
      case Kind::kText:
        remaining -= n.indent;
        if (remaining < 0) return false;
        break;
      case Kind::kLine:
        if (!cmd.flat) return true;
        if (--remaining < 0) return false;
        break;
      case Kind::kSoftLine:
        if (!cmd.flat) return true;
        break;
      case Kind::kHardLine:
        return !cmd.flat;
      case Kind::kNest:
      case Kind::kGroup:
        stack.push_back({cmd.indent, cmd.flat, n.a});
        break;
      case Kind::kConcat:
        for (uint32_t i = n.b; i > 0; --i)
          stack.push_back({cmd.indent, cmd.flat, children_[n.a + i - 1]});
        break;
    }
  }
}

std::string Docs::Render(DocId root, int width) const {
  std::string out;
  int column = 0;
  int pending_indent = -1;  // indentation owed to the current line, written before its text
  std::vector<Cmd> stack{{0, false, root}};
  auto newline = [&](int indent) {
    out.push_back('\n');
    pending_indent = indent;
    column = indent;
  };
  while (!stack.empty()) {
    Cmd cmd = stack.back();
    stack.pop_back();
    const Node& n = nodes_[cmd.doc];
    switch (n.kind) {
      case Kind::kNil:
        break;
      case Kind::kText:
        if (pending_indent > 0) out.append(static_cast<size_t>(pending_indent), ' ');
        pending_indent = -1;
        out.append(text_, n.a, n.b);
        column += n.indent;
        break;
      case Kind::kLine:
        if (cmd.flat) {
          if (pending_indent > 0) out.append(static_cast<size_t>(pending_indent), ' ');
          pending_indent = -1;
          out.push_back(' ');
          ++column;
        } else {
          newline(cmd.indent);
        }
        break;
      case Kind::kSoftLine:
        if (!cmd.flat) newline(cmd.indent);
        break;
      case Kind::kHardLine:
        newline(cmd.indent);
        break;
      case Kind::kNest:
        stack.push_back({cmd.indent + n.indent, cmd.flat, n.a});
        break;
      case Kind::kGroup:
        if (cmd.flat || Fits({cmd.indent, true, n.a}, stack, width - column)) {
          stack.push_back({cmd.indent, true, n.a});
        } else {
          stack.push_back({cmd.indent, false, n.a});
        }
        break;
      case Kind::kConcat:
        for (uint32_t i = n.b; i > 0; --i) {
          stack.push_back({cmd.indent, cmd.flat, children_[n.a + i - 1]});
        }
        break;
    }
  }
  return out;
}

}  // namespace cedar::format
