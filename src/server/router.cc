#include "server/router.h"

#include <algorithm>

namespace writ::server {
namespace {

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsParamName(std::string_view name) {
  if (name.empty()) return false;
  if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
        name[0] == '_')) {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// Calls fn(segment) for each '/'-separated segment after the leading '/'; "/" has none.
template <typename Fn>
bool ForEachSegment(std::string_view path, Fn fn) {
  if (path.empty() || path.front() != '/') return false;
  path.remove_prefix(1);
  if (path.empty()) return true;
  while (true) {
    size_t slash = path.find('/');
    if (!fn(path.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

Status Router::Handle(std::string_view method, std::string_view pattern, Handler handler,
                      Access access, RouteOptions options) {
  if (frozen_) return FailedPrecondition("router: routes must be added before the server starts");
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsTokenChar)) {
    return InvalidArgument("router: invalid method `" + std::string(method) + "`");
  }
  if (!handler) return InvalidArgument("router: a route needs a handler");
  Compiled compiled{nullptr, {}};
  std::string error;
  bool ok = ForEachSegment(pattern, [&](std::string_view seg) {
    if (seg.empty()) {
      error = "an empty segment";
      return false;
    }
    Segment s;
    if (seg.front() == '{' && seg.back() == '}' && seg.size() >= 2) {
      std::string_view name = seg.substr(1, seg.size() - 2);
      if (!IsParamName(name)) {
        error = "a parameter name that is not [A-Za-z_][A-Za-z0-9_]*";
        return false;
      }
      for (const Segment& other : compiled.segments) {
        if (other.is_param && other.text == name) {
          error = "the parameter `" + std::string(name) + "` twice";
          return false;
        }
      }
      s.is_param = true;
      s.text = name;
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos) {
        error = "a brace outside a whole-segment parameter";
        return false;
      }
      s.text = seg;
    }
    compiled.segments.push_back(std::move(s));
    return true;
  });
  if (!ok) {
    if (error.empty()) error = "no leading '/'";
    return InvalidArgument("router: the pattern `" + std::string(pattern) + "` has " + error);
  }
  for (const Compiled& c : compiled_) {
    if (c.route->method != method || c.segments.size() != compiled.segments.size()) continue;
    bool same = true;
    for (size_t i = 0; i < c.segments.size() && same; ++i) {
      const Segment& a = c.segments[i];
      const Segment& b = compiled.segments[i];
      same = a.is_param == b.is_param && (a.is_param || a.text == b.text);
    }
    if (same) {
      return Status(StatusCode::kAlreadyExists, "router: `" + std::string(method) + " " +
                                                    std::string(pattern) + "` overlaps `" +
                                                    c.route->label + "`");
    }
  }
  auto route = std::make_unique<Route>();
  route->index = routes_.size();
  route->method = method;
  route->pattern = pattern;
  route->label = route->method + " " + route->pattern;
  route->handler = std::move(handler);
  route->access = access;
  route->options = options;
  compiled.route = route.get();
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(compiled));
  std::stable_sort(compiled_.begin(), compiled_.end(), [](const Compiled& a, const Compiled& b) {
    size_t n = std::min(a.segments.size(), b.segments.size());
    for (size_t i = 0; i < n; ++i) {
      if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
    }
    return false;
  });
  return Status::Ok();
}

bool Router::MatchSegments(const Compiled& c, std::string_view path,
                           std::vector<RawParam>* params) const {
  size_t i = 0;
  if (params) params->clear();
  bool ok = ForEachSegment(path, [&](std::string_view seg) {
    if (i >= c.segments.size()) return false;
    const Segment& s = c.segments[i++];
    if (s.is_param) {
      if (seg.empty()) return false;
      if (params) params->emplace_back(s.text, seg);
      return true;
    }
    return seg == s.text;
  });
  return ok && i == c.segments.size();
}

RouteMatch Router::Match(std::string_view method, std::string_view path,
                         std::vector<RawParam>* params) const {
  RouteMatch m;
  const Compiled* head_fallback = nullptr;
  bool path_known = false;
  for (const Compiled& c : compiled_) {
    if (!MatchSegments(c, path, nullptr)) continue;
    path_known = true;
    if (c.route->method == method) {
      MatchSegments(c, path, params);
      m.outcome = MatchOutcome::kFound;
      m.route = c.route;
      return m;
    }
    if (method == "HEAD" && c.route->method == "GET" && head_fallback == nullptr) {
      head_fallback = &c;
    }
  }
  if (head_fallback != nullptr) {
    MatchSegments(*head_fallback, path, params);
    m.outcome = MatchOutcome::kFound;
    m.route = head_fallback->route;
    return m;
  }
  if (!path_known) return m;
  m.outcome = MatchOutcome::kMethodNotAllowed;
  std::vector<std::string_view> methods;
  for (const Compiled& c : compiled_) {
    if (!MatchSegments(c, path, nullptr)) continue;
    methods.push_back(c.route->method);
    if (c.route->method == "GET") methods.push_back("HEAD");
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  for (std::string_view mth : methods) {
    if (!m.allowed_methods.empty()) m.allowed_methods += ", ";
    m.allowed_methods += mth;
  }
  return m;
}

}  // namespace writ::server
