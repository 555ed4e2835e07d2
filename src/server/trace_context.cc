#include "server/trace_context.h"

#include <vector>

namespace writ::server {
namespace {

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// `n` lowercase hex digits at `s`, not all zero when `nonzero`.
bool HexField(std::string_view s, size_t n, bool nonzero) {
  if (s.size() != n) return false;
  bool any = false;
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
    if (c != '0') any = true;
  }
  return any || !nonzero;
}

uint8_t HexByte(std::string_view s) {
  auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  return static_cast<uint8_t>(v(s[0]) * 16 + v(s[1]));
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsLcAlpha(char c) {
  return c >= 'a' && c <= 'z';
}
bool IsKeyChar(char c) {
  return IsLcAlpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/';
}

bool ValidKey(std::string_view key) {
  size_t at = key.find('@');
  if (at == std::string_view::npos) {
    if (key.empty() || key.size() > 256 || !IsLcAlpha(key.front())) return false;
    for (char c : key) {
      if (!IsKeyChar(c)) return false;
    }
    return true;
  }
  std::string_view tenant = key.substr(0, at);
  std::string_view system = key.substr(at + 1);
  if (tenant.empty() || tenant.size() > 241) return false;
  if (!(IsLcAlpha(tenant.front()) || (tenant.front() >= '0' && tenant.front() <= '9'))) {
    return false;
  }
  for (char c : tenant) {
    if (!IsKeyChar(c)) return false;
  }
  if (system.empty() || system.size() > 14 || !IsLcAlpha(system.front())) return false;
  for (char c : system) {
    if (!IsKeyChar(c)) return false;
  }
  return true;
}

bool ValidValue(std::string_view value) {
  if (value.empty() || value.size() > 256) return false;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == ',' || c == '=') return false;
  }
  return value.back() != ' ';
}

}  // namespace

std::optional<TraceParent> ParseTraceParent(std::string_view value) {
  value = TrimOws(value);
  if (value.size() < 55) return std::nullopt;
  std::string_view version = value.substr(0, 2);
  if (!HexField(version, 2, false) || version == "ff") return std::nullopt;
  uint8_t v = HexByte(version);
  if (v == 0 && value.size() != 55) return std::nullopt;
  if (v != 0 && value.size() > 55 && value[55] != '-') return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  std::string_view trace_id = value.substr(3, 32);
  std::string_view parent_id = value.substr(36, 16);
  std::string_view flags = value.substr(53, 2);
  if (!HexField(trace_id, 32, true) || !HexField(parent_id, 16, true) ||
      !HexField(flags, 2, false)) {
    return std::nullopt;
  }
  TraceParent p;
  p.version = v;
  p.trace_id.assign(trace_id);
  p.parent_id.assign(parent_id);
  p.flags = HexByte(flags);
  return p;
}

std::optional<std::string> ParseTraceState(std::string_view value) {
  std::string out;
  std::vector<std::string_view> keys;
  while (true) {
    size_t comma = value.find(',');
    std::string_view member = TrimOws(value.substr(0, comma));
    if (!member.empty()) {
      size_t eq = member.find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      std::string_view key = member.substr(0, eq);
      if (!ValidKey(key) || !ValidValue(member.substr(eq + 1))) return std::nullopt;
      for (std::string_view k : keys) {
        if (k == key) return std::nullopt;
      }
      keys.push_back(key);
      if (keys.size() > 32) return std::nullopt;
      if (!out.empty()) out += ',';
      out += member;
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

void AppendHex64(uint64_t value, int digits, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out->push_back(kHex[(value >> (i * 4)) & 0xf]);
}

std::string TraceContext::ChildTraceParent() const {
  std::string out;
  out.reserve(55);
  out += "00-";
  out += trace_id;
  out += '-';
  out += span_id;
  out += '-';
  AppendHex64(flags, 2, &out);
  return out;
}

}  // namespace writ::server
