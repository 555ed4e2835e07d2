#include "base/encoding.h"

#include <array>

namespace writ {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Encode64(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t v = byte(i) << 16;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    if (pad) out += '=';
  }
  return out;
}

Result<std::string> Decode64(std::string_view in, const char* alphabet, bool padded,
                             const char* what) {
  std::array<int8_t, 256> table;
  table.fill(-1);
  for (int k = 0; k < 64; ++k) table[static_cast<uint8_t>(alphabet[k])] = static_cast<int8_t>(k);
  size_t len = in.size();
  if (padded) {
    if (len % 4 != 0) return InvalidArgument(std::string(what) + ": length is not a multiple of 4");
    size_t pads = 0;
    while (pads < 2 && len > 0 && in[len - 1] == '=') {
      --len;
      ++pads;
    }
  } else if (len % 4 == 1) {
    return InvalidArgument(std::string(what) + ": impossible length");
  }
  std::string out;
  out.reserve(len * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t k = 0; k < len; ++k) {
    int8_t v = table[static_cast<uint8_t>(in[k])];
    if (v < 0) return InvalidArgument(std::string(what) + ": invalid character");
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(acc >> bits & 0xff);
    }
  }
  if (len % 4 == 1) return InvalidArgument(std::string(what) + ": impossible length");
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return InvalidArgument(std::string(what) + ": non-zero trailing bits");
  }
  return out;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<uint8_t>(bytes[i]);
    out[2 * i] = kHexDigits[b >> 4];
    out[2 * i + 1] = kHexDigits[b & 15];
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgument("hex: odd length");
  std::string out;
  out.resize(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("hex: invalid character");
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  return Encode64(bytes, kStd, true);
}
Result<std::string> Base64Decode(std::string_view text) {
  return Decode64(text, kStd, true, "base64");
}
std::string Base64UrlEncode(std::string_view bytes) {
  return Encode64(bytes, kUrl, false);
}
Result<std::string> Base64UrlDecode(std::string_view text) {
  return Decode64(text, kUrl, false, "base64url");
}

}  // namespace writ
