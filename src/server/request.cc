#include "server/request.h"

#include "server/json_body.h"

namespace writ::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const JsonLimits kDefaultJsonLimits{};

}  // namespace

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

Request::Pair& Request::NextSlot(std::vector<Pair>& list, size_t& count) {
  if (count == list.size()) list.emplace_back();
  return list[count++];
}

void Request::Reset() {
  method_.clear();
  target_.clear();
  path_.clear();
  raw_query_.clear();
  route_ = {};
  version_ = 11;
  path_param_count_ = 0;
  query_count_ = 0;
  header_count_ = 0;
  body_.clear();
  remote_address_.clear();
  trace_.trace_id.clear();
  trace_.parent_id.clear();
  trace_.span_id.clear();
  trace_.tracestate.clear();
  trace_.flags = 0;
  trace_.from_caller = false;
  caller_.kind = CallerKind::kAnonymous;
  caller_.id.clear();
  caller_.name.clear();
  caller_.role = Role::kViewer;
  caller_.credential.reset();
}

Status Request::set_target(std::string_view target) {
  target_.assign(target);
  path_.clear();
  raw_query_.clear();
  query_count_ = 0;
  std::string_view rest = target;
  if (rest == "*") {
    path_.assign(rest);
    return Status::Ok();
  }
  // absolute-form (RFC 9112 §3.2.2): keep the path and query.
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (rest.size() >= scheme.size() && EqualsIgnoreCase(rest.substr(0, scheme.size()), scheme)) {
      rest.remove_prefix(scheme.size());
      size_t slash = rest.find_first_of("/?");
      rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
      if (!rest.empty() && rest.front() == '?') {
        path_.assign("/");
      }
      break;
    }
  }
  if (rest.empty() || (rest.front() != '/' && rest.front() != '?')) {
    return InvalidArgument("the request target must be a path starting with '/'");
  }
  size_t q = rest.find('?');
  if (path_.empty()) path_.assign(rest.substr(0, q));
  if (q == std::string_view::npos) return Status::Ok();
  raw_query_.assign(rest.substr(q + 1));
  // Query parameters, form-decoded.
  std::string_view query = raw_query_;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    Pair& slot = NextSlot(query_params_, query_count_);
    if (!PercentDecode(item.substr(0, eq), true, &slot.first) ||
        !PercentDecode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1),
                       true, &slot.second)) {
      query_count_ = 0;
      return InvalidArgument("the query has a malformed percent-escape");
    }
    if (!IsValidUtf8(slot.first) || !IsValidUtf8(slot.second)) {
      query_count_ = 0;
      return InvalidArgument("the query decodes to invalid UTF-8");
    }
  }
  return Status::Ok();
}

void Request::AddHeader(std::string_view name, std::string_view value) {
  Pair& slot = NextSlot(headers_, header_count_);
  slot.first.assign(name);
  slot.second.assign(value);
}

Status Request::AddPathParam(std::string_view name, std::string_view raw_value) {
  Pair& slot = NextSlot(path_params_, path_param_count_);
  slot.first.assign(name);
  if (!PercentDecode(raw_value, false, &slot.second)) {
    --path_param_count_;
    return InvalidArgument("the path has a malformed percent-escape");
  }
  if (!IsValidUtf8(slot.second)) {
    --path_param_count_;
    return InvalidArgument("the path decodes to invalid UTF-8");
  }
  return Status::Ok();
}

std::optional<std::string_view> Request::path_param(std::string_view name) const {
  for (size_t i = 0; i < path_param_count_; ++i) {
    if (path_params_[i].first == name) return std::string_view(path_params_[i].second);
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  for (size_t i = 0; i < query_count_; ++i) {
    if (query_params_[i].first == name) return std::string_view(query_params_[i].second);
  }
  return std::nullopt;
}

std::string_view Request::header(std::string_view name) const {
  for (size_t i = 0; i < header_count_; ++i) {
    if (EqualsIgnoreCase(headers_[i].first, name)) return headers_[i].second;
  }
  return {};
}

bool Request::has_header(std::string_view name) const {
  for (size_t i = 0; i < header_count_; ++i) {
    if (EqualsIgnoreCase(headers_[i].first, name)) return true;
  }
  return false;
}

const JsonLimits& Request::json_limits() const {
  return json_limits_ != nullptr ? *json_limits_ : kDefaultJsonLimits;
}

}  // namespace writ::server
