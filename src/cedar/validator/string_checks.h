// The Unicode checks behind the validator's warnings about strings and identifiers that may
// not read as what they are (Unicode Technical Standard #39, as Cedar applies it).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cedar/ast.h"
#include "cedar/validator.h"

namespace cedar::validation {

// True when every character of `utf8` may belong to one script: the intersection of the
// characters' augmented script extensions is not empty (Common and Inherited characters fit
// any script; unassigned and private-use characters fit none).
bool IsSingleScript(std::string_view utf8);

// True for the bidirectional embedding, override and isolate controls (U+202A..U+202E,
// U+2066..U+2069).
bool HasBidiControl(std::string_view utf8);

// True for a character that may appear in an identifier without a warning: printable ASCII
// (space included) or Identifier_Status=Allowed.
bool IdentifierCharAllowed(char32_t c);

// The warning a string literal (or `like` pattern) deserves: kBidiCharsInString or
// kMixedScriptString.
std::optional<ValidationCode> StringWarning(std::string_view utf8);

// The warning an attribute name or entity id deserves: kBidiCharsInIdentifier, else
// kConfusableIdentifier (with the first offending character in `*bad`), else
// kMixedScriptIdentifier.
std::optional<ValidationCode> IdentifierWarning(std::string_view utf8, char32_t* bad);

// A `like` pattern as Cedar checks and shows it: each literal character as Rust's
// char::escape_debug writes it (\0, \t, \n, \r, \\, \", \', or \u{..} for characters that
// are not printable or extend a grapheme), a literal star as \*, a wildcard as *. The escapes
// make a pattern read as Latin where its characters do not show.
std::string LikePatternText(std::span<const PatternElem> pattern);

// `s` for a message: control characters escaped as \0, \t, \n, \r or \u{..}.
std::string EscapeControls(std::string_view s);
std::string EscapeChar(char32_t c);

}  // namespace cedar::validation
