#include "service/form.h"

#include <cctype>

#include "server/json_body.h"
#include "server/request.h"

namespace writ::service {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string_view> FormFields::Get(std::string_view name) const {
  auto it = fields_.find(name);
  if (it == fields_.end()) return std::nullopt;
  return std::string_view(it->second);
}

bool FormFields::Add(std::string name, std::string value) {
  return fields_.emplace(std::move(name), std::move(value)).second;
}

bool IsFormContentType(std::string_view content_type) {
  bool first = true;
  while (true) {
    size_t semi = content_type.find(';');
    std::string_view part = Trim(content_type.substr(0, semi));
    if (first) {
      if (!EqualsIgnoreCase(part, "application/x-www-form-urlencoded")) return false;
      first = false;
    } else if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) return false;
      std::string_view name = Trim(part.substr(0, eq));
      std::string_view value = Trim(part.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (!EqualsIgnoreCase(name, "charset") || !EqualsIgnoreCase(value, "utf-8")) return false;
    }
    if (semi == std::string_view::npos) return true;
    content_type = content_type.substr(semi + 1);
  }
}

Result<FormFields> ParseForm(std::string_view body, size_t max_fields) {
  FormFields out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    std::string name, value;
    if (!server::PercentDecode(raw_name, true, &name) ||
        !server::PercentDecode(raw_value, true, &value)) {
      return InvalidArgument("the form has a malformed percent escape");
    }
    if (!server::IsValidUtf8(name) || !server::IsValidUtf8(value)) {
      return InvalidArgument("the form has a name or value that is not UTF-8");
    }
    if (name.empty()) return InvalidArgument("the form has a value without a name");
    if (out.size() >= max_fields) {
      return InvalidArgument("the form has more than " + std::to_string(max_fields) +
                             " parameters");
    }
    std::string shown = name.size() > 64 ? name.substr(0, 64) + "..." : name;
    if (!out.Add(std::move(name), std::move(value))) {
      return InvalidArgument("the parameter `" + shown + "` is given more than once");
    }
  }
  return out;
}

std::string EncodeForm(const std::vector<std::pair<std::string, std::string>>& fields) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto append = [](std::string& out, std::string_view s) {
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
  };
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    append(body, name);
    body += '=';
    append(body, value);
  }
  return body;
}

}  // namespace writ::service
