// Router: which handler answers a method and a path.
//
// A route is a method and a pattern of '/'-separated segments, each literal ("v1") or a
// parameter ("{id}", matching one non-empty segment). When several routes match a path, the
// most specific wins: at the first segment where they differ, a literal beats a parameter.
// A path that matches only routes of other methods is answered 405 (with Allow); HEAD uses the
// GET route when no HEAD route exists.
//
// Routes are registered before the server starts; after that the Router is only read, from
// any number of threads, without locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/caller.h"
#include "server/request.h"
#include "server/response.h"

namespace writ::server {

// Answers one request (see response.h for the contract of the Responder).
using Handler = std::function<void(const Request&, Responder)>;

struct RouteOptions {
  // How long the handler may take to answer; zero: the server's default.
  std::chrono::milliseconds timeout{0};
  // The largest body this route accepts; zero: the server's default.
  size_t max_body_bytes = 0;
};

struct Route {
  size_t index = 0;     // registration order; the server keeps per-route data by it
  std::string method;   // "GET", "POST", ...
  std::string pattern;  // "/v1/items/{id}"
  std::string label;    // "GET /v1/items/{id}": the route's name in metrics and logs
  Handler handler;
  Access access;
  RouteOptions options;
};

enum class MatchOutcome : uint8_t { kFound, kNotFound, kMethodNotAllowed };

struct RouteMatch {
  MatchOutcome outcome = MatchOutcome::kNotFound;
  const Route* route = nullptr;  // kFound
  // kMethodNotAllowed: the methods the path has routes for ("GET, POST").
  std::string allowed_methods;
};

// A parameter as matched: its name in the pattern and its raw text in the path.
using RawParam = std::pair<std::string_view, std::string_view>;

class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers a route. invalid_argument when the method is not a token, the pattern does not
  // start with '/', has an empty or malformed segment ("{", "a{b}", "{}"), or names a
  // parameter twice; already_exists when the same method has a route with the same shape.
  // failed_precondition once the router is frozen.
  Status Handle(std::string_view method, std::string_view pattern, Handler handler, Access access,
                RouteOptions options = {});

  // Matches `path` (the raw path, without query). On kFound, `params` holds the route's
  // parameters (views into the route's pattern and into `path`).
  RouteMatch Match(std::string_view method, std::string_view path,
                   std::vector<RawParam>* params) const;

  // Every route, in registration order.
  size_t size() const { return routes_.size(); }
  const Route& route(size_t i) const { return *routes_[i]; }

  // Called by the server when it starts; Handle fails afterwards.
  void Freeze() { frozen_ = true; }

 private:
  struct Segment {
    bool is_param = false;
    std::string text;  // literal text, or the parameter's name
  };
  struct Compiled {
    const Route* route;
    std::vector<Segment> segments;
  };

  bool MatchSegments(const Compiled& c, std::string_view path, std::vector<RawParam>* params) const;

  std::vector<std::unique_ptr<Route>> routes_;
  std::vector<Compiled> compiled_;  // most specific first
  bool frozen_ = false;
};

}  // namespace writ::server
