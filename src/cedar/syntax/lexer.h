// Tokens of the Cedar policy and schema languages.
//
// The lexer splits the whole text into tokens up front. Identifiers include keywords (the
// parsers decide which words are reserved where); string tokens keep their raw text, and
// Unescape() turns them into values following Cedar's escape rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cedar/error.h"

namespace cedar {

enum class Tok : uint8_t {
  kEof,
  kIdent,
  kInt,
  kString,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kComma,
  kSemi,
  kColon,
  kColonColon,
  kDot,
  kAt,
  kQuestion,
  kEqEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kBang,
  kMinus,
  kPlus,
  kStar,
  kSlash,
  kPercent,
  kAssign,
};

// How the token reads in an error message, e.g. "`==`", "identifier", "end of input".
const char* TokName(Tok t);

struct Token {
  Tok kind = Tok::kEof;
  uint32_t begin = 0;  // byte offsets into the source
  uint32_t end = 0;
};

struct Comment {
  uint32_t begin = 0;  // offset of the "//"
  uint32_t end = 0;    // offset of the end of line (exclusive)
};

struct TokenStream {
  std::vector<Token> tokens;  // always ends with kEof
  std::vector<Comment> comments;
};

// Splits `source` into tokens. Errors: invalid UTF-8, unexpected characters, unterminated
// strings. Offsets are limited to 4 GiB.
Result<TokenStream> Tokenize(std::string_view source);

// Decodes the contents of a string token (without its quotes) per Cedar: \n \r \t \\ \0 \' \"
// \xHH (at most 0x7F) and \u{H..HHHHHH} (a Unicode scalar value); anything else is an error.
// `offset` positions error messages.
Result<std::string> UnescapeString(std::string_view body, uint32_t offset, std::string_view source);

// Decodes a `like` pattern body: like UnescapeString, plus `\*` for a literal star; an
// unescaped `*` is a wildcard. Returns the pieces in order.
struct PatternPiece {
  bool wildcard = false;
  std::string literal;
};
Result<std::vector<PatternPiece>> UnescapePattern(std::string_view body, uint32_t offset,
                                                  std::string_view source);

// True when `s` is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);

// True for an identifier: [_a-zA-Z][_a-zA-Z0-9]*.
bool IsIdentifier(std::string_view s);

}  // namespace cedar
