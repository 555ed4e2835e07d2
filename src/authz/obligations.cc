#include "authz/obligations.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "cedar/extensions/datetime.h"

namespace writ::authz {

namespace json = boost::json;

std::string_view ObligationKindName(ObligationKind kind) {
  switch (kind) {
    case ObligationKind::kCap:
      return "cap";
    case ObligationKind::kFloor:
      return "floor";
    case ObligationKind::kPin:
      return "pin";
    case ObligationKind::kDrop:
      return "drop";
    case ObligationKind::kMaxLength:
      return "max_length";
    case ObligationKind::kPrefix:
      return "prefix";
    case ObligationKind::kOneOf:
      return "oneof";
    case ObligationKind::kRedact:
      return "redact";
    case ObligationKind::kTtl:
      return "ttl";
    case ObligationKind::kScopes:
      return "scopes";
  }
  return "?";
}

namespace {

std::string PathText(const Obligation& o) {
  std::string s = o.on_result ? "result" : "input";
  for (const auto& p : o.path) s += "." + p;
  return s;
}

// A small recursive-descent reader for the @narrow grammar.
class ObligationReader {
 public:
  explicit ObligationReader(std::string_view text) : t_(text) {}

  Result<std::vector<Obligation>> ReadAll() {
    std::vector<Obligation> out;
    while (true) {
      SkipWs();
      if (i_ >= t_.size()) break;
      Obligation o;
      if (Status st = ReadOne(o); !st.ok()) return st;
      out.push_back(std::move(o));
      SkipWs();
      if (i_ >= t_.size()) break;
      if (t_[i_] != ';') return Fail("expected `;` between obligations");
      ++i_;
    }
    if (out.empty()) return Fail("no obligation given");
    return out;
  }

 private:
  Status Fail(std::string what) const {
    return InvalidArgument("@narrow: " + what + " at character " + std::to_string(i_ + 1));
  }
  void SkipWs() {
    while (i_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[i_]))) ++i_;
  }
  bool Eat(char c) {
    SkipWs();
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  std::string Ident() {
    SkipWs();
    size_t s = i_;
    while (i_ < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[i_])) || t_[i_] == '_'))
      ++i_;
    return std::string(t_.substr(s, i_ - s));
  }

  Status ReadString(std::string& out) {
    SkipWs();
    if (i_ >= t_.size() || (t_[i_] != '\'' && t_[i_] != '"'))
      return Fail("expected a quoted string");
    char q = t_[i_++];
    out.clear();
    while (i_ < t_.size() && t_[i_] != q) {
      if (t_[i_] == '\\' && i_ + 1 < t_.size()) ++i_;
      out += t_[i_++];
    }
    if (i_ >= t_.size()) return Fail("unterminated string");
    ++i_;
    return {};
  }

  Status ReadInteger(int64_t& out) {
    SkipWs();
    size_t s = i_;
    if (i_ < t_.size() && t_[i_] == '-') ++i_;
    while (i_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[i_]))) ++i_;
    std::string digits(t_.substr(s, i_ - s));
    if (digits.empty() || digits == "-") return Fail("expected an integer");
    try {
      size_t used = 0;
      out = std::stoll(digits, &used);
      if (used != digits.size()) return Fail("expected an integer");
    } catch (...) {
      return Fail("integer out of range");
    }
    return {};
  }

  // A scalar JSON value: integer, string, true, false.
  Status ReadScalar(json::value& out) {
    SkipWs();
    if (i_ < t_.size() && (t_[i_] == '\'' || t_[i_] == '"')) {
      std::string s;
      if (Status st = ReadString(s); !st.ok()) return st;
      out = json::string(s);
      return {};
    }
    if (i_ < t_.size() && (t_[i_] == '-' || std::isdigit(static_cast<unsigned char>(t_[i_])))) {
      int64_t n;
      if (Status st = ReadInteger(n); !st.ok()) return st;
      out = n;
      return {};
    }
    std::string word = Ident();
    if (word == "true" || word == "false") {
      out = word == "true";
      return {};
    }
    return Fail("expected a value (integer, 'string', true or false)");
  }

  Status ReadPath(Obligation& o) {
    std::string root = Ident();
    if (root != "input" && root != "result") return Fail("a path starts with `input` or `result`");
    o.on_result = root == "result";
    while (Eat('.')) {
      SkipWs();
      std::string key;
      if (i_ < t_.size() && (t_[i_] == '\'' || t_[i_] == '"')) {
        if (Status st = ReadString(key); !st.ok()) return st;
      } else {
        key = Ident();
      }
      if (key.empty()) return Fail("expected a field name after `.`");
      o.path.push_back(std::move(key));
    }
    if (o.path.empty()) return Fail("a path needs at least one field, e.g. input.limit");
    return {};
  }

  Status ReadOne(Obligation& o) {
    std::string name = Ident();
    static const std::pair<const char*, ObligationKind> kNames[] = {
        {"cap", ObligationKind::kCap},
        {"floor", ObligationKind::kFloor},
        {"pin", ObligationKind::kPin},
        {"drop", ObligationKind::kDrop},
        {"max_length", ObligationKind::kMaxLength},
        {"prefix", ObligationKind::kPrefix},
        {"oneof", ObligationKind::kOneOf},
        {"redact", ObligationKind::kRedact},
        {"ttl", ObligationKind::kTtl},
        {"scopes", ObligationKind::kScopes},
    };
    bool found = false;
    for (const auto& [n, k] : kNames) {
      if (name == n) {
        o.kind = k;
        found = true;
      }
    }
    if (!found) {
      return Fail("unknown obligation `" + name +
                  "` (expected cap, floor, pin, drop, max_length, prefix, oneof, redact, ttl or "
                  "scopes)");
    }
    if (!Eat('(')) return Fail("expected `(` after `" + name + "`");
    switch (o.kind) {
      case ObligationKind::kTtl: {
        SkipWs();
        size_t s = i_;
        while (i_ < t_.size() && std::isalnum(static_cast<unsigned char>(t_[i_]))) ++i_;
        auto d = cedar::Duration::Parse(t_.substr(s, i_ - s));
        if (!d.ok() || d->ms <= 0) return Fail("ttl takes a positive duration such as 30s or 5m");
        o.number = d->ms;
        break;
      }
      case ObligationKind::kScopes: {
        do {
          std::string s;
          if (Status st = ReadString(s); !st.ok()) return st;
          o.scopes.push_back(std::move(s));
        } while (Eat(','));
        break;
      }
      default: {
        if (Status st = ReadPath(o); !st.ok()) return st;
        bool result_ok = o.kind == ObligationKind::kRedact;
        if (o.on_result != result_ok) {
          return Fail(result_ok ? "redact applies to `result.` paths"
                                : "`" + name + "` applies to `input.` paths");
        }
        if (o.kind == ObligationKind::kDrop || o.kind == ObligationKind::kRedact) break;
        if (!Eat(',')) return Fail("expected `,` and a value after the path");
        if (o.kind == ObligationKind::kCap || o.kind == ObligationKind::kFloor ||
            o.kind == ObligationKind::kMaxLength) {
          if (Status st = ReadInteger(o.number); !st.ok()) return st;
          if (o.kind == ObligationKind::kMaxLength && o.number < 0)
            return Fail("max_length must be >= 0");
        } else if (o.kind == ObligationKind::kPrefix) {
          if (Status st = ReadString(o.text); !st.ok()) return st;
        } else if (o.kind == ObligationKind::kPin) {
          if (Status st = ReadScalar(o.value); !st.ok()) return st;
        } else if (o.kind == ObligationKind::kOneOf) {
          if (!Eat('[')) return Fail("oneof takes a list such as ['a', 'b']");
          if (!Eat(']')) {
            do {
              json::value v;
              if (Status st = ReadScalar(v); !st.ok()) return st;
              o.values.push_back(std::move(v));
            } while (Eat(','));
            if (!Eat(']')) return Fail("expected `]`");
          }
        }
      }
    }
    if (!Eat(')')) return Fail("expected `)`");
    return {};
  }

  std::string_view t_;
  size_t i_ = 0;
};

// The parent object of a path inside `root` (created when `create`), or null.
json::object* Parent(json::object& root, const std::vector<std::string>& path, bool create) {
  json::object* cur = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    json::value* next = cur->if_contains(path[i]);
    if (next == nullptr) {
      if (!create) return nullptr;
      next = &(*cur)[path[i]];
      *next = json::object{};
    }
    if (!next->is_object()) return nullptr;
    cur = &next->get_object();
  }
  return cur;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string Utf8Prefix(std::string_view s, size_t chars) {
  size_t n = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == chars) break;
      ++n;
    }
  }
  return std::string(s.substr(0, i));
}

}  // namespace

json::object Obligation::ToJson() const {
  json::object o;
  o["kind"] = ObligationKindName(kind);
  switch (kind) {
    case ObligationKind::kTtl:
      o["ttl_ms"] = number;
      break;
    case ObligationKind::kScopes: {
      json::array a;
      for (const auto& s : scopes) a.push_back(json::string(s));
      o["scopes"] = std::move(a);
      break;
    }
    default:
      o["path"] = PathText(*this);
      if (kind == ObligationKind::kCap || kind == ObligationKind::kFloor ||
          kind == ObligationKind::kMaxLength) {
        o["value"] = number;
      } else if (kind == ObligationKind::kPrefix) {
        o["value"] = text;
      } else if (kind == ObligationKind::kPin) {
        o["value"] = value;
      } else if (kind == ObligationKind::kOneOf) {
        o["value"] = json::array(values.begin(), values.end());
      }
  }
  if (!policy_id.empty()) o["policy"] = policy_id;
  return o;
}

Result<std::vector<Obligation>> ParseObligations(std::string_view text) {
  return ObligationReader(text).ReadAll();
}

void ObligationSet::Add(const std::vector<Obligation>& obligations, const std::string& policy_id) {
  for (Obligation o : obligations) {
    o.policy_id = policy_id;
    if (o.kind == ObligationKind::kTtl) {
      ttl_ms = ttl_ms ? std::min(*ttl_ms, o.number) : o.number;
    } else if (o.kind == ObligationKind::kScopes) {
      if (!scopes) {
        scopes = o.scopes;
      } else {
        std::vector<std::string> keep;
        for (const auto& s : *scopes) {
          if (std::find(o.scopes.begin(), o.scopes.end(), s) != o.scopes.end()) keep.push_back(s);
        }
        scopes = std::move(keep);
      }
    } else if (o.kind == ObligationKind::kRedact) {
      redactions.push_back(o.path);
    }
    all.push_back(std::move(o));
  }
}

json::array ObligationSet::ToJson() const {
  json::array a;
  for (const auto& o : all) a.push_back(o.ToJson());
  return a;
}

NarrowingResult ApplyToInput(const ObligationSet& set, const json::object& input) {
  NarrowingResult r;
  r.input = input;
  auto fail = [&](const Obligation& o, const std::string& why) {
    r.satisfiable = false;
    r.violation = std::string(ObligationKindName(o.kind)) + "(" + PathText(o) + ") of policy `" +
                  o.policy_id + "`: " + why;
  };
  // Pins first checked for conflicts: two different values for one path cannot both hold.
  for (size_t i = 0; i < set.all.size(); ++i) {
    const Obligation& a = set.all[i];
    if (a.kind != ObligationKind::kPin) continue;
    for (size_t j = i + 1; j < set.all.size(); ++j) {
      const Obligation& b = set.all[j];
      if (b.kind == ObligationKind::kPin && b.path == a.path && b.value != a.value) {
        fail(b, "conflicts with pin(" + PathText(a) + ") of policy `" + a.policy_id + "`");
        return r;
      }
    }
  }
  auto order = [](ObligationKind k) {
    switch (k) {
      case ObligationKind::kDrop:
        return 0;
      case ObligationKind::kPin:
        return 1;
      case ObligationKind::kCap:
      case ObligationKind::kFloor:
      case ObligationKind::kMaxLength:
        return 2;
      case ObligationKind::kPrefix:
      case ObligationKind::kOneOf:
        return 3;
      default:
        return 4;
    }
  };
  for (int stage = 0; stage <= 3; ++stage) {
    for (const Obligation& o : set.all) {
      if (o.on_result || order(o.kind) != stage) continue;
      json::object* parent = Parent(r.input, o.path, o.kind == ObligationKind::kPin);
      const std::string& leaf = o.path.back();
      json::value* v = parent ? parent->if_contains(leaf) : nullptr;
      switch (o.kind) {
        case ObligationKind::kDrop:
          if (v != nullptr) {
            parent->erase(leaf);
            r.changed = true;
          }
          break;
        case ObligationKind::kPin:
          if (parent == nullptr) {
            fail(o, "the path crosses a value that is not an object");
            return r;
          }
          if (v == nullptr || *v != o.value) {
            (*parent)[leaf] = o.value;
            r.changed = true;
          }
          break;
        case ObligationKind::kCap:
        case ObligationKind::kFloor: {
          if (v == nullptr) break;  // absent arguments are not invented
          if (!v->is_int64()) {
            fail(o, "the argument is not an integer");
            return r;
          }
          int64_t x = v->get_int64();
          int64_t y =
              o.kind == ObligationKind::kCap ? std::min(x, o.number) : std::max(x, o.number);
          if (y != x) {
            *v = y;
            r.changed = true;
          }
          break;
        }
        case ObligationKind::kMaxLength: {
          if (v == nullptr) break;
          if (!v->is_string()) {
            fail(o, "the argument is not a string");
            return r;
          }
          std::string_view s(v->get_string().data(), v->get_string().size());
          if (Utf8Length(s) > static_cast<size_t>(o.number)) {
            *v = json::string(Utf8Prefix(s, static_cast<size_t>(o.number)));
            r.changed = true;
          }
          break;
        }
        case ObligationKind::kPrefix: {
          if (v == nullptr) {
            fail(o, "the argument is missing");
            return r;
          }
          if (!v->is_string() || !std::string_view(v->get_string()).starts_with(o.text)) {
            fail(o, "the argument must start with '" + o.text + "'");
            return r;
          }
          break;
        }
        case ObligationKind::kOneOf: {
          if (v == nullptr) {
            fail(o, "the argument is missing");
            return r;
          }
          if (std::find(o.values.begin(), o.values.end(), *v) == o.values.end()) {
            fail(o, "the argument is not one of the allowed values");
            return r;
          }
          break;
        }
        default:
          break;
      }
    }
  }
  return r;
}

namespace {

size_t RedactPath(json::value& v, const std::vector<std::string>& path, size_t depth) {
  if (depth > 64) return 0;
  size_t n = 0;
  if (v.is_array()) {
    for (auto& x : v.get_array()) n += RedactPath(x, path, depth + 1);
    return n;
  }
  if (!v.is_object()) return 0;
  json::object& o = v.get_object();
  json::value* child = o.if_contains(path[0]);
  if (child == nullptr) return 0;
  if (path.size() == 1) {
    *child = "[REDACTED]";
    return 1;
  }
  std::vector<std::string> rest(path.begin() + 1, path.end());
  return RedactPath(*child, rest, depth + 1);
}

}  // namespace

size_t ApplyRedactions(const ObligationSet& set, json::value& result) {
  size_t n = 0;
  for (const auto& path : set.redactions) n += RedactPath(result, path, 0);
  return n;
}

}  // namespace writ::authz
