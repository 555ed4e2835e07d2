#include "cedar/validator/string_checks.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace cedar::validation {

namespace {

#include "cedar/validator/unicode_tables.inc"

// Decodes the next code point of valid UTF-8 (the parser rejects anything else).
char32_t NextChar(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  int n = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1;
  char32_t c = b & (0x3F >> n);
  ++i;
  for (int k = 0; k < n && i < s.size(); ++k, ++i) {
    c = (c << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  }
  return c;
}

const ScriptSet& ScriptsOf(char32_t c) {
  auto it = std::upper_bound(std::begin(kScriptRanges), std::end(kScriptRanges), c,
                             [](char32_t v, const ScriptRange& r) { return v < r.first; });
  return kScriptSets[std::prev(it)->set];
}

bool IsAllScripts(const ScriptSet& s) {
  return &s == &kScriptSets[kAllScriptsSet];
}

bool InInversionList(const uint32_t* begin, const uint32_t* end, char32_t c) {
  // Inside a range when an odd number of boundaries are at or below c.
  const uint32_t* it = std::upper_bound(begin, end, static_cast<uint32_t>(c));
  return (it - begin) % 2 == 1;
}

std::string HexEscape(char32_t c) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string digits;
  do {
    digits.insert(digits.begin(), kHex[c & 0xF]);
    c >>= 4;
  } while (c != 0);
  return "\\u{" + digits + "}";
}

bool IsBidiControl(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

bool IsSingleScript(std::string_view utf8) {
  // ASCII is Latin and Common only (measured: most of the validator's time on a large policy
  // set went to the table lookups otherwise).
  if (IsAscii(utf8)) return true;
  uint64_t acc[kScriptWords];
  std::fill(std::begin(acc), std::end(acc), ~uint64_t{0});
  for (size_t i = 0; i < utf8.size();) {
    const ScriptSet& s = ScriptsOf(NextChar(utf8, i));
    if (IsAllScripts(s)) continue;
    bool any = false;
    for (int w = 0; w < kScriptWords; ++w) {
      acc[w] &= s.bits[w];
      any = any || acc[w] != 0;
    }
    if (!any) return false;
  }
  return true;
}

bool HasBidiControl(std::string_view utf8) {
  if (IsAscii(utf8)) return false;
  for (size_t i = 0; i < utf8.size();) {
    if (IsBidiControl(NextChar(utf8, i))) return true;
  }
  return false;
}

bool IdentifierCharAllowed(char32_t c) {
  if (c >= 0x20 && c <= 0x7E) return true;
  return InInversionList(std::begin(kIdentifierAllowed), std::end(kIdentifierAllowed), c);
}

std::string LikePatternText(std::span<const PatternElem> pattern) {
  std::string out;
  for (const PatternElem& p : pattern) {
    if (p.wildcard) {
      out += '*';
      continue;
    }
    for (size_t i = 0; i < p.literal.size();) {
      char32_t c = NextChar(p.literal, i);
      switch (c) {
        case '*':
          out += "\\*";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\'':
          out += "\\'";
          break;
        case 0:
        case '\t':
        case '\n':
        case '\r':
          out += EscapeChar(c);
          break;
        default:
          if (InInversionList(std::begin(kDebugEscaped), std::end(kDebugEscaped), c)) {
            out += HexEscape(c);
          } else {
            out += EscapeChar(c);
          }
      }
    }
  }
  return out;
}

std::optional<ValidationCode> StringWarning(std::string_view utf8) {
  if (HasBidiControl(utf8)) return ValidationCode::kBidiCharsInString;
  if (!IsSingleScript(utf8)) return ValidationCode::kMixedScriptString;
  return std::nullopt;
}

std::optional<ValidationCode> IdentifierWarning(std::string_view utf8, char32_t* bad) {
  if (IsAscii(utf8)) {
    for (char c : utf8) {
      if (c < 0x20 || c == 0x7F) {
        *bad = static_cast<char32_t>(c);
        return ValidationCode::kConfusableIdentifier;
      }
    }
    return std::nullopt;
  }
  if (HasBidiControl(utf8)) return ValidationCode::kBidiCharsInIdentifier;
  for (size_t i = 0; i < utf8.size();) {
    char32_t c = NextChar(utf8, i);
    if (!IdentifierCharAllowed(c)) {
      *bad = c;
      return ValidationCode::kConfusableIdentifier;
    }
  }
  if (!IsSingleScript(utf8)) return ValidationCode::kMixedScriptIdentifier;
  return std::nullopt;
}

std::string EscapeChar(char32_t c) {
  switch (c) {
    case 0:
      return "\\0";
    case '\t':
      return "\\t";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    default:
      break;
  }
  if (c < 0x20 || c == 0x7F) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\\u{";
    if (c >= 0x10) out += kHex[(c >> 4) & 0xF];
    out += kHex[c & 0xF];
    return out + "}";
  }
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

std::string EscapeControls(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    char32_t c = NextChar(s, i);
    if (c < 0x20 || c == 0x7F) {
      out += EscapeChar(c);
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

}  // namespace cedar::validation
