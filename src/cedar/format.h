// Formatting Cedar policy text in Cedar's own conventions.
//
// FormatPolicies lays a policy set out the way the reference formatter does: annotations one
// per line; the scope on one line when every scope variable is unconstrained, otherwise one
// variable per line; each condition on its own line, kept on one line with its braces when it
// fits, else one `&&` / `||` operand per line; a blank line between policies. Parentheses,
// string literals, entity ids and attribute names are kept as written; integer literals are
// written in decimal without leading zeros; trailing commas are dropped. Line comments are
// kept where they were: before a policy, at the end of a line, between operands and after the
// last policy.
//
// The output parses to the same policies (the same policy JSON) as the input and formatting it
// again changes nothing; FormatPolicies checks the first of these itself and fails rather than
// return text that would mean something else. One difference from the reference formatter is
// kept on purpose: comments on their own lines before a binary `in` stay there (the reference
// moves them to the end of the line above, which is not idempotent).
#pragma once

#include <string>
#include <string_view>

#include "cedar/ast.h"
#include "cedar/error.h"

namespace cedar {

struct FormatOptions {
  int line_width = 80;  // columns, measured in display width (a CJK character counts two)
  int indent_width = 2;
};

// Formats a policy-set text. Errors (kParse): the text does not parse (with the position);
// expressions are nested more than 1000 deep; the options are out of range (line_width
// 1..10000, indent_width 0..16).
Result<std::string> FormatPolicies(std::string_view text, const FormatOptions& options = {});

// Writes a policy or template (for example one read from policy JSON) as Cedar text on one
// line per annotation and one for the rest, ending with a newline; FormatPolicies lays it out.
// Parentheses are added where the tree needs them. The text parses back to the same policy
// JSON, with two exceptions of form but not meaning: a constant set, record or extension value
// (which policy JSON can hold in a "Value") is written as the expression that builds it, and a
// `has` test of a multi-attribute path with a name that is not an identifier is written as the
// equivalent chain of single `has` tests.
std::string PolicyToText(const PolicyAst& policy);

}  // namespace cedar
