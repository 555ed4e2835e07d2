#include "base/canonical_json.h"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <span>
#include <vector>

namespace writ {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid (overlong
// forms, surrogates and code points beyond U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t c = b(i);
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (c == 0xF0 && b(i + 1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(i + 1) >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

// Integers of magnitude below 2^53 are exact doubles whose shortest form is their digits.
constexpr int64_t kExactIntegers = int64_t{1} << 53;

// Whether a double holds the integer exactly.
bool ExactDouble(int64_t i) {
  double d = static_cast<double>(i);
  // 2^63 is not an int64, so the cast back is only done below it.
  return d < 9223372036854775808.0 && static_cast<int64_t>(d) == i;
}
bool ExactDouble(uint64_t u) {
  double d = static_cast<double>(u);
  return d < 18446744073709551616.0 && static_cast<uint64_t>(d) == u;
}

// The first number under `v` that the canonical form refuses, with its path; empty when none.
std::string InexactNumber(const boost::json::value& v, const std::string& path, int depth) {
  if (depth > kMaxCanonicalJsonDepth) return std::string();  // refused for its depth instead
  switch (v.kind()) {
    case boost::json::kind::int64:
      return ExactDouble(v.get_int64()) ? std::string() : path;
    case boost::json::kind::uint64:
      return ExactDouble(v.get_uint64()) ? std::string() : path;
    case boost::json::kind::double_:
      return std::isfinite(v.get_double()) ? std::string() : path;
    case boost::json::kind::array: {
      const boost::json::array& a = v.get_array();
      for (size_t i = 0; i < a.size(); ++i) {
        std::string bad = InexactNumber(a[i], path + "[" + std::to_string(i) + "]", depth + 1);
        if (!bad.empty()) return bad;
      }
      return std::string();
    }
    case boost::json::kind::object:
      for (const auto& m : v.get_object()) {
        std::string bad = InexactNumber(
            m.value(), path.empty() ? std::string(m.key()) : path + "." + std::string(m.key()),
            depth + 1);
        if (!bad.empty()) return bad;
      }
      return std::string();
    default:
      return std::string();
  }
}

class Canonicalizer {
 public:
  explicit Canonicalizer(std::string* out) : out_(out) {}

  Status Write(const boost::json::value& v, int depth) {
    WRIT_RETURN_IF_ERROR(CheckDepth(depth));
    switch (v.kind()) {
      case boost::json::kind::null:
        out_->append("null");
        return Status::Ok();
      case boost::json::kind::bool_:
        out_->append(v.get_bool() ? "true" : "false");
        return {};
      case boost::json::kind::int64: {
        if (int64_t i = v.get_int64(); i > -kExactIntegers && i < kExactIntegers) {
          return WriteSmallInteger(i);
        }
        return WriteInteger(static_cast<double>(v.get_int64()), ExactDouble(v.get_int64()));
      }
      case boost::json::kind::uint64: {
        if (uint64_t u = v.get_uint64(); u < kExactIntegers) {
          return WriteSmallInteger(static_cast<int64_t>(u));
        }
        return WriteInteger(static_cast<double>(v.get_uint64()), ExactDouble(v.get_uint64()));
      }
      case boost::json::kind::double_: {
        auto s = FormatJsonNumber(v.get_double());
        if (!s.ok()) return s.status();
        out_->append(*s);
        return Status::Ok();
      }
      case boost::json::kind::string: {
        const auto& str = v.get_string();
        return AppendJsonString(std::string_view(str.data(), str.size()), out_);
      }
      case boost::json::kind::array: {
        out_->push_back('[');
        bool first = true;
        for (const auto& e : v.get_array()) {
          if (!first) out_->push_back(',');
          first = false;
          WRIT_RETURN_IF_ERROR(Write(e, depth + 1));
        }
        out_->push_back(']');
        return Status::Ok();
      }
      case boost::json::kind::object:
        return Write(v.get_object(), depth);
    }
    return Internal("json: unknown value kind");
  }

  Status Write(const boost::json::object& obj, int depth) {
    WRIT_RETURN_IF_ERROR(CheckDepth(depth));
    // Small objects (nearly all) sort their members on the stack.
    const boost::json::key_value_pair* inline_members[24];
    std::vector<const boost::json::key_value_pair*> heap_members;
    const boost::json::key_value_pair** begin = inline_members;
    if (obj.size() > std::size(inline_members)) {
      heap_members.resize(obj.size());
      begin = heap_members.data();
    }
    const boost::json::key_value_pair** end = begin;
    for (const auto& kv : obj) *end++ = &kv;
    std::span<const boost::json::key_value_pair*> members(begin, end);
    for (const auto* m : members) {
      std::string_view k(m->key().data(), m->key().size());
      for (size_t i = 0; i < k.size();) {
        size_t len = Utf8SequenceLength(k, i);
        if (len == 0) return InvalidArgument("json: member name is not valid UTF-8");
        i += len;
      }
    }
    std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
      return Utf16Less(std::string_view(a->key().data(), a->key().size()),
                       std::string_view(b->key().data(), b->key().size()));
    });
    out_->push_back('{');
    bool first = true;
    for (const auto* m : members) {
      if (!first) out_->push_back(',');
      first = false;
      WRIT_RETURN_IF_ERROR(
          AppendJsonString(std::string_view(m->key().data(), m->key().size()), out_));
      out_->push_back(':');
      WRIT_RETURN_IF_ERROR(Write(m->value(), depth + 1));
    }
    out_->push_back('}');
    return Status::Ok();
  }

 private:
  static Status CheckDepth(int depth) {
    if (depth <= kMaxCanonicalJsonDepth) return Status::Ok();
    return InvalidArgument("json: nesting deeper than " + std::to_string(kMaxCanonicalJsonDepth));
  }

  Status WriteSmallInteger(int64_t i) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, i);
    out_->append(buf, static_cast<size_t>(res.ptr - buf));
    return Status::Ok();
  }

  Status WriteInteger(double d, bool exact) {
    if (!exact) {
      return InvalidArgument(
          "json: integer cannot be represented exactly as an IEEE 754 double (RFC 8785 / I-JSON);"
          " encode it as a string");
    }
    auto s = FormatJsonNumber(d);
    if (!s.ok()) return s.status();
    out_->append(*s);
    return Status::Ok();
  }

  std::string* out_;
};

}  // namespace

bool Utf16Less(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size();
  // In valid UTF-8 the first bytes that differ are both lead bytes, or both continuation
  // bytes after the same lead, and byte order is code point order. UTF-16 differs from it
  // only between a code point from U+10000 on (lead F0-F4; a surrogate pair, from D800) and
  // one in U+E000-U+FFFF (lead EE or EF).
  auto ca = static_cast<uint8_t>(a[i]), cb = static_cast<uint8_t>(b[i]);
  bool a_pair = ca >= 0xF0, b_pair = cb >= 0xF0;
  if (a_pair != b_pair && ca >= 0xEE && cb >= 0xEE) return a_pair;
  return ca < cb;
}

Result<std::string> FormatJsonNumber(double value) {
  if (!std::isfinite(value)) return InvalidArgument("json: NaN and infinity are not JSON numbers");
  if (value == 0) return std::string("0");  // also -0
  char buf[64];
  // The shortest digits that round-trip, in scientific form: "d[.ddd]e[+-]x".
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  std::string out;
  if (sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp10);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1;  // the position of the decimal point relative to the digits
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out.push_back('.');
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out += digits.substr(1);
    }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

Status AppendJsonString(std::string_view s, std::string* out) {
  size_t start_size = out->size();
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // Copy the longest run that needs no escaping in one go.
    size_t run = i;
    while (run < s.size()) {
      auto c = static_cast<uint8_t>(s[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++run;
    }
    out->append(s.data() + i, run - i);
    i = run;
    if (i >= s.size()) break;
    auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x80) {
      size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
        out->resize(start_size);
        return InvalidArgument("json: string is not valid UTF-8");
      }
      out->append(s.data() + i, len);
      i += len;
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\u%04x", c);
        out->append(esc);
      }
    }
    ++i;
  }
  out->push_back('"');
  return Status::Ok();
}

namespace {

// A value or an object: no error leaves partial output behind.
template <typename Json>
Status AppendCanonical(const Json& json, std::string* out) {
  size_t start = out->size();
  Status s = Canonicalizer(out).Write(json, 0);
  if (!s.ok()) out->resize(start);
  return s;
}

template <typename Json>
Result<std::string> Canonical(const Json& json) {
  std::string out;
  out.reserve(1024);
  WRIT_RETURN_IF_ERROR(AppendCanonical(json, &out));
  return out;
}

}  // namespace

Status AppendCanonicalJson(const boost::json::value& value, std::string* out) {
  return AppendCanonical(value, out);
}

Status AppendCanonicalJson(const boost::json::object& object, std::string* out) {
  return AppendCanonical(object, out);
}

Result<std::string> CanonicalJson(const boost::json::value& value) {
  return Canonical(value);
}

Status CheckCanonicalNumbers(const boost::json::object& object) {
  for (const auto& m : object) {
    std::string bad = InexactNumber(m.value(), std::string(m.key()), 1);
    if (!bad.empty()) {
      return InvalidArgument("json: the number at `" + bad +
                             "` cannot be represented exactly as an IEEE 754 double (RFC 8785 / "
                             "I-JSON); send it as a string");
    }
  }
  return Status::Ok();
}

Result<std::string> CanonicalJson(const boost::json::object& object) {
  return Canonical(object);
}

namespace {

// Builds a value like boost::json::parse does, but converts doubles from their text with
// std::from_chars, which rounds correctly (Boost.JSON 1.81's own conversion can be 1 ulp off).
struct PreciseHandler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  boost::json::value_stack stack;
  std::string number;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t n, boost::system::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_object_begin(boost::system::error_code&) { return true; }
  bool on_object_end(std::size_t n, boost::system::error_code&) {
    stack.push_object(n);
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    stack.push_key(s);
    return true;
  }
  bool on_number_part(boost::json::string_view s, boost::system::error_code&) {
    number.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, boost::json::string_view, boost::system::error_code&) {
    number.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, boost::json::string_view, boost::system::error_code&) {
    number.clear();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double, boost::json::string_view s, boost::system::error_code& ec) {
    number.append(s.data(), s.size());
    double d = 0;
    auto res = std::from_chars(number.data(), number.data() + number.size(), d);
    number.clear();
    if (res.ec != std::errc() || !std::isfinite(d)) {
      ec = boost::json::error::exponent_overflow;
      return false;
    }
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, boost::system::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(boost::system::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }
};

}  // namespace

Result<boost::json::value> ParseJson(std::string_view text) {
  boost::json::parse_options opts;
  opts.max_depth = kMaxCanonicalJsonDepth;
  boost::json::basic_parser<PreciseHandler> parser(opts);
  parser.handler().stack.reset();
  boost::system::error_code ec;
  size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used != text.size()) ec = boost::json::error::extra_data;
  if (ec) return InvalidArgument("json: " + ec.message());
  return parser.handler().stack.release();
}

Result<std::string> CanonicalizeJsonText(std::string_view text) {
  WRIT_ASSIGN_OR_RETURN(boost::json::value v, ParseJson(text));
  return CanonicalJson(v);
}

}  // namespace writ
