#include "cedar/syntax/lexer.h"

#include <string>

#include "cedar/ast.h"

namespace cedar {

// One line per token: the table reads as one.
// clang-format off
const char* TokName(Tok t) {
  switch (t) {
    case Tok::kEof: return "end of input";
    case Tok::kIdent: return "identifier";
    case Tok::kInt: return "integer literal";
    case Tok::kString: return "string literal";
    case Tok::kLParen: return "`(`";
    case Tok::kRParen: return "`)`";
    case Tok::kLBracket: return "`[`";
    case Tok::kRBracket: return "`]`";
    case Tok::kLBrace: return "`{`";
    case Tok::kRBrace: return "`}`";
    case Tok::kComma: return "`,`";
    case Tok::kSemi: return "`;`";
    case Tok::kColon: return "`:`";
    case Tok::kColonColon: return "`::`";
    case Tok::kDot: return "`.`";
    case Tok::kAt: return "`@`";
    case Tok::kQuestion: return "`?`";
    case Tok::kEqEq: return "`==`";
    case Tok::kNe: return "`!=`";
    case Tok::kLt: return "`<`";
    case Tok::kLe: return "`<=`";
    case Tok::kGt: return "`>`";
    case Tok::kGe: return "`>=`";
    case Tok::kAnd: return "`&&`";
    case Tok::kOr: return "`||`";
    case Tok::kBang: return "`!`";
    case Tok::kMinus: return "`-`";
    case Tok::kPlus: return "`+`";
    case Tok::kStar: return "`*`";
    case Tok::kSlash: return "`/`";
    case Tok::kPercent: return "`%`";
    case Tok::kAssign: return "`=`";
  }
  return "token";
}
// clang-format on

namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when invalid.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n;
  uint32_t v;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    v = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
      (v >= 0xD800 && v <= 0xDFFF)) {
    return 0;
  }
  *cp = v;
  return n;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool IsUnicodeSpace(uint32_t cp) {
  static constexpr uint32_t kSpaces[] = {0x09, 0x0A,   0x0B,   0x0C,   0x0D,   0x20,   0x85,
                                         0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
  if (cp >= 0x2000 && cp <= 0x200A) return true;
  for (uint32_t space : kSpaces) {
    if (cp == space) return true;
  }
  return false;
}

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || (c >= '0' && c <= '9');
}

Error LexError(std::string_view source, uint32_t offset, std::string message) {
  return MakeError(ErrorCode::kParse, std::move(message), PositionOf(source, offset));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `body` into `out`; with `pieces`, unescaped stars split the pattern.
Status Unescape(std::string_view body, uint32_t offset, std::string_view source, std::string& out,
                std::vector<PatternPiece>* pieces) {
  size_t i = 0;
  auto flush_piece = [&] {
    if (!out.empty()) {
      pieces->push_back({false, std::move(out)});
      out.clear();
    }
  };
  while (i < body.size()) {
    char c = body[i];
    if (c == '*' && pieces != nullptr) {
      flush_piece();
      if (pieces->empty() || !pieces->back().wildcard) pieces->push_back({true, {}});
      ++i;
      continue;
    }
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    uint32_t at = offset + static_cast<uint32_t>(i);
    if (i + 1 >= body.size()) return LexError(source, at, "the input `\\` is not a valid escape");
    char e = body[i + 1];
    switch (e) {
      case 'n':
        out += '\n';
        i += 2;
        continue;
      case 'r':
        out += '\r';
        i += 2;
        continue;
      case 't':
        out += '\t';
        i += 2;
        continue;
      case '\\':
        out += '\\';
        i += 2;
        continue;
      case '0':
        out += '\0';
        i += 2;
        continue;
      case '\'':
        out += '\'';
        i += 2;
        continue;
      case '"':
        out += '"';
        i += 2;
        continue;
      case '*':
        if (pieces != nullptr) {
          out += '*';
          i += 2;
          continue;
        }
        break;
      case 'x': {
        int h1 = i + 2 < body.size() ? HexValue(body[i + 2]) : -1;
        int h2 = i + 3 < body.size() ? HexValue(body[i + 3]) : -1;
        if (h1 < 0 || h2 < 0 || h1 > 7) {
          size_t len = std::min<size_t>(4, body.size() - i);
          return LexError(source, at,
                          "the input `" + std::string(body.substr(i, len)) +
                              "` is not a valid escape: `\\x` takes two hex digits, at most 7F");
        }
        out += static_cast<char>(h1 * 16 + h2);
        i += 4;
        continue;
      }
      case 'u': {
        size_t j = i + 2;
        if (j >= body.size() || body[j] != '{') break;
        ++j;
        uint32_t cp = 0;
        size_t digits = 0;
        while (j < body.size() && HexValue(body[j]) >= 0 && digits < 7) {
          cp = cp * 16 + static_cast<uint32_t>(HexValue(body[j]));
          ++j;
          ++digits;
        }
        if (j >= body.size() || body[j] != '}' || digits == 0 || digits > 6 || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
          size_t end = body.find('}', i);
          size_t len = end == std::string_view::npos ? body.size() - i : end - i + 1;
          return LexError(source, at,
                          "the input `" + std::string(body.substr(i, len)) +
                              "` is not a valid escape: `\\u{...}` takes 1 to 6 hex digits "
                              "naming a Unicode scalar value");
        }
        AppendUtf8(out, cp);
        i = j + 1;
        continue;
      }
      default:
        break;
    }
    uint32_t cp = 0;
    size_t n = DecodeUtf8(body, i + 1, &cp);
    return LexError(
        source, at,
        "the input `\\" + std::string(body.substr(i + 1, n ? n : 1)) + "` is not a valid escape");
  }
  return {};
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || !IsIdentStart(s[0])) return false;
  for (char c : s) {
    if (!IsIdentChar(c)) return false;
  }
  return true;
}

Result<TokenStream> Tokenize(std::string_view src) {
  if (src.size() > UINT32_MAX - 1) {
    return MakeError(ErrorCode::kParse, "input is too large (over 4 GiB)");
  }
  TokenStream ts;
  ts.tokens.reserve(src.size() / 3 + 8);
  size_t i = 0;
  auto push = [&](Tok kind, size_t begin, size_t end) {
    ts.tokens.push_back({kind, static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
  };
  while (i < src.size()) {
    char c = src[i];
    unsigned char uc = static_cast<unsigned char>(c);
    if (uc >= 0x80) {
      uint32_t cp;
      size_t n = DecodeUtf8(src, i, &cp);
      if (n == 0) return LexError(src, static_cast<uint32_t>(i), "invalid UTF-8 in input");
      if (!IsUnicodeSpace(cp)) {
        return LexError(src, static_cast<uint32_t>(i),
                        "unexpected character `" + std::string(src.substr(i, n)) + "`");
      }
      i += n;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < src.size() && src[i + 1] == '/') {
      size_t end = src.find('\n', i);
      if (end == std::string_view::npos) end = src.size();
      // A comment may hold any valid UTF-8.
      if (!IsValidUtf8(src.substr(i, end - i))) {
        return LexError(src, static_cast<uint32_t>(i), "invalid UTF-8 in comment");
      }
      ts.comments.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(end)});
      i = end;
      continue;
    }
    size_t start = i;
    if (IsIdentStart(c)) {
      while (i < src.size() && IsIdentChar(src[i])) ++i;
      push(Tok::kIdent, start, i);
      continue;
    }
    if (c >= '0' && c <= '9') {
      while (i < src.size() && src[i] >= '0' && src[i] <= '9') ++i;
      push(Tok::kInt, start, i);
      continue;
    }
    if (c == '"') {
      ++i;
      while (i < src.size() && src[i] != '"') {
        if (src[i] == '\\' && i + 1 < src.size()) ++i;
        ++i;
      }
      if (i >= src.size()) {
        return LexError(src, static_cast<uint32_t>(start), "unterminated string literal");
      }
      ++i;
      if (!IsValidUtf8(src.substr(start, i - start))) {
        return LexError(src, static_cast<uint32_t>(start), "invalid UTF-8 in string literal");
      }
      push(Tok::kString, start, i);
      continue;
    }
    auto next_is = [&](char n) { return i + 1 < src.size() && src[i + 1] == n; };
    Tok t;
    size_t len = 1;
    switch (c) {
      case '(':
        t = Tok::kLParen;
        break;
      case ')':
        t = Tok::kRParen;
        break;
      case '[':
        t = Tok::kLBracket;
        break;
      case ']':
        t = Tok::kRBracket;
        break;
      case '{':
        t = Tok::kLBrace;
        break;
      case '}':
        t = Tok::kRBrace;
        break;
      case ',':
        t = Tok::kComma;
        break;
      case ';':
        t = Tok::kSemi;
        break;
      case '.':
        t = Tok::kDot;
        break;
      case '@':
        t = Tok::kAt;
        break;
      case '?':
        t = Tok::kQuestion;
        break;
      case '+':
        t = Tok::kPlus;
        break;
      case '-':
        t = Tok::kMinus;
        break;
      case '*':
        t = Tok::kStar;
        break;
      case '/':
        t = Tok::kSlash;
        break;
      case '%':
        t = Tok::kPercent;
        break;
      case ':':
        t = next_is(':') ? (len = 2, Tok::kColonColon) : Tok::kColon;
        break;
      case '=':
        t = next_is('=') ? (len = 2, Tok::kEqEq) : Tok::kAssign;
        break;
      case '!':
        t = next_is('=') ? (len = 2, Tok::kNe) : Tok::kBang;
        break;
      case '<':
        t = next_is('=') ? (len = 2, Tok::kLe) : Tok::kLt;
        break;
      case '>':
        t = next_is('=') ? (len = 2, Tok::kGe) : Tok::kGt;
        break;
      case '&':
        if (!next_is('&'))
          return LexError(src, static_cast<uint32_t>(i), "unexpected `&`; did you mean `&&`?");
        t = Tok::kAnd;
        len = 2;
        break;
      case '|':
        if (!next_is('|'))
          return LexError(src, static_cast<uint32_t>(i), "unexpected `|`; did you mean `||`?");
        t = Tok::kOr;
        len = 2;
        break;
      default: {
        std::string shown =
            (uc < 0x20 || uc == 0x7f) ? "\\u{" + std::to_string(uc) + "}" : std::string(1, c);
        return LexError(src, static_cast<uint32_t>(i), "unexpected character `" + shown + "`");
      }
    }
    i += len;
    push(t, start, i);
  }
  push(Tok::kEof, src.size(), src.size());
  return ts;
}

Result<std::string> UnescapeString(std::string_view body, uint32_t offset,
                                   std::string_view source) {
  std::string out;
  if (body.find('\\') == std::string_view::npos) return std::string(body);
  Status st = Unescape(body, offset, source, out, nullptr);
  if (!st.ok()) return st.error();
  return out;
}

Result<std::vector<PatternPiece>> UnescapePattern(std::string_view body, uint32_t offset,
                                                  std::string_view source) {
  std::vector<PatternPiece> pieces;
  std::string out;
  Status st = Unescape(body, offset, source, out, &pieces);
  if (!st.ok()) return st.error();
  if (!out.empty()) pieces.push_back({false, std::move(out)});
  return pieces;
}

}  // namespace cedar
