// Text encodings of bytes: lowercase hex, standard base64 (RFC 4648 §4, padded) and base64url
// (RFC 4648 §5, unpadded, as JOSE uses it).
//
// Decoders are strict: they refuse characters outside the alphabet, wrong lengths, wrong
// padding and non-zero trailing bits, so every byte string has exactly one accepted encoding.
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace writ {

std::string HexEncode(std::string_view bytes);
// Accepts upper- and lowercase digits; an odd length or a non-hex character is an error.
Result<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

std::string Base64UrlEncode(std::string_view bytes);
Result<std::string> Base64UrlDecode(std::string_view text);

}  // namespace writ
