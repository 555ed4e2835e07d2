#include "server/json_body.h"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace writ::server {
namespace {

namespace json = boost::json;

enum class Violation : uint8_t { kNone, kStringTooLong, kDuplicateField };

// Builds the value like Boost.JSON's own parser (through a value_stack) and checks, as it
// goes, what that parser does not: string lengths and duplicate member names.
class CheckingHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  explicit CheckingHandler(size_t max_string_bytes) : max_string_bytes_(max_string_bytes) {}

  json::value_stack st;
  Violation violation = Violation::kNone;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    levels_.push_back(key_hashes_.size());
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code& ec) {
    size_t start = levels_.back();
    levels_.pop_back();
    auto begin = key_hashes_.begin() + static_cast<std::ptrdiff_t>(start);
    std::sort(begin, key_hashes_.end());
    bool duplicate = std::adjacent_find(begin, key_hashes_.end()) != key_hashes_.end();
    key_hashes_.resize(start);
    if (duplicate) return Fail(Violation::kDuplicateField, ec);
    st.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t n, json::error_code& ec) {
    if (n > max_string_bytes_) return Fail(Violation::kStringTooLong, ec);
    key_hash_ = Fnv1a(key_hash_, s);
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t n, json::error_code& ec) {
    if (n > max_string_bytes_) return Fail(Violation::kStringTooLong, ec);
    key_hashes_.push_back(Fnv1a(key_hash_, s));
    key_hash_ = kFnvOffset;
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t n, json::error_code& ec) {
    if (n > max_string_bytes_) return Fail(Violation::kStringTooLong, ec);
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t n, json::error_code& ec) {
    if (n > max_string_bytes_) return Fail(Violation::kStringTooLong, ec);
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  static constexpr uint64_t kFnvOffset = 14695981039346656037ull;
  // Member names are compared by a 64-bit FNV-1a hash: a collision can only make the sender's
  // own document look like it has a duplicate.
  static uint64_t Fnv1a(uint64_t h, json::string_view s) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    return h;
  }
  bool Fail(Violation v, json::error_code& ec) {
    violation = v;
    ec = json::error::exception;
    return false;
  }

  size_t max_string_bytes_;
  std::vector<uint64_t> key_hashes_;
  std::vector<size_t> levels_;
  uint64_t key_hash_ = kFnvOffset;
};

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool IsValidUtf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* end = p + bytes.size();
  while (p < end) {
    // Fast path over ASCII, eight bytes at a time.
    while (end - p >= 8) {
      uint64_t chunk;
      std::memcpy(&chunk, p, 8);
      if (chunk & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p >= end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;  // a continuation byte, an overlong lead (c0, c1) or beyond f4
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      unsigned char cc = p[i];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    p += extra + 1;
  }
  return true;
}

bool IsJsonContentType(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string_view media = Trim(content_type.substr(0, semi));
  bool json_type = EqualsIgnoreCase(media, "application/json");
  if (!json_type && media.size() > 17 && EqualsIgnoreCase(media.substr(0, 12), "application/") &&
      EqualsIgnoreCase(media.substr(media.size() - 5), "+json") &&
      media.find('/', 12) == std::string_view::npos) {
    json_type = true;
  }
  if (!json_type) return false;
  while (semi != std::string_view::npos) {
    content_type.remove_prefix(semi + 1);
    semi = content_type.find(';');
    std::string_view param = Trim(content_type.substr(0, semi));
    if (param.empty()) continue;
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view name = Trim(param.substr(0, eq));
    std::string_view value = Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (!EqualsIgnoreCase(name, "charset") || !EqualsIgnoreCase(value, "utf-8")) return false;
  }
  return true;
}

ApiResult<json::value> ParseJsonText(std::string_view text, const JsonLimits& limits) {
  if (!IsValidUtf8(text)) {
    return ApiError{400, "invalid_utf8", "the body is not valid UTF-8"};
  }
  json::parse_options options;
  options.max_depth = limits.max_depth;
  json::basic_parser<CheckingHandler> parser(options, limits.max_string_bytes);
  parser.handler().st.reset();
  json::error_code ec;
  size_t used = parser.write_some(false, text.data(), text.size(), ec);
  CheckingHandler& h = parser.handler();
  if (h.violation == Violation::kStringTooLong) {
    return ApiError{400, "json_string_too_long",
                    "a string or member name is longer than " +
                        std::to_string(limits.max_string_bytes) + " bytes"};
  }
  if (h.violation == Violation::kDuplicateField) {
    return ApiError{400, "duplicate_field", "an object has the same member name twice"};
  }
  if (ec == json::error::too_deep) {
    return ApiError{400, "json_too_deep",
                    "arrays and objects are nested deeper than " +
                        std::to_string(limits.max_depth) + " levels"};
  }
  if (ec || !parser.done()) {
    std::string why = ec ? ec.message() : std::string("incomplete JSON text");
    return ApiError{400, "malformed_json", "the body is not valid JSON: " + why};
  }
  if (used < text.size()) {
    // Only whitespace may follow the value (basic_parser stops right after the value).
    std::string_view rest = text.substr(used);
    if (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      return ApiError{400, "malformed_json", "the body has data after the JSON value"};
    }
  }
  return h.st.release();
}

std::optional<ApiError> CheckFields(const json::object& object, FieldList fields,
                                    std::string_view where) {
  for (const auto& member : object) {
    std::string_view key = member.key();
    if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
      std::string shown(key.substr(0, 64));
      return ApiError{400, "unknown_field",
                      std::string(where) + " has the unknown member `" + shown + "`"};
    }
  }
  return std::nullopt;
}

ApiResult<json::value> ParseJsonBody(const Request& request, FieldList fields) {
  std::string_view content_type = request.header("Content-Type");
  if (!IsJsonContentType(content_type)) {
    std::string shown(content_type.substr(0, 64));
    return ApiError{415, "unsupported_media_type",
                    content_type.empty()
                        ? std::string("the body must be sent with Content-Type: application/json")
                        : "the body must be application/json, not `" + shown + "`"};
  }
  if (request.body().empty()) {
    return ApiError{400, "empty_body", "the request needs a JSON body"};
  }
  ApiResult<json::value> v = ParseJsonText(request.body(), request.json_limits());
  if (!v.ok() || fields.empty()) return v;
  if (!v->is_object()) {
    return ApiError{400, "not_an_object", "the body must be a JSON object"};
  }
  if (auto e = CheckFields(v->get_object(), fields, "the body")) return *e;
  return v;
}

}  // namespace writ::server
