#include "server/api_error.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "server/json_body.h"

namespace writ::server {
namespace {

// The "word" of a message "word: rest" when word is snake_case; empty otherwise.
std::string_view LeadingCode(std::string_view message) {
  size_t colon = message.find(": ");
  if (colon == std::string_view::npos || colon == 0 || colon > 64) return {};
  std::string_view word = message.substr(0, colon);
  if (word.front() < 'a' || word.front() > 'z') return {};
  for (char c : word) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return {};
  }
  // Context prefixes ("store: ...") are single words; codes have at least one '_'.
  return word.find('_') == std::string_view::npos ? std::string_view() : word;
}

}  // namespace

ApiError ApiErrorFromStatus(const Status& status) {
  ApiError e;
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      e.status = 400;
      break;
    case StatusCode::kPermissionDenied:
      e.status = 403;
      break;
    case StatusCode::kNotFound:
      e.status = 404;
      break;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      e.status = 409;
      break;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
      e.status = 503;
      break;
    case StatusCode::kUnimplemented:
      e.status = 501;
      break;
    default:
      e.status = 500;
      break;
  }
  std::string_view code = LeadingCode(status.message());
  e.code = code.empty() ? std::string(StatusCodeName(status.code())) : std::string(code);
  if (e.status == 500) {
    // An internal failure's detail is for the operator's log, not for the caller.
    e.message = "internal error";
  } else {
    e.message = status.message();
  }
  return e;
}

std::string ErrorBody(std::string_view code, std::string_view message) {
  // Messages may quote what the caller sent; keep the body valid JSON whatever it was.
  std::string clean;
  if (!IsValidUtf8(message)) {
    clean.assign(message);
    for (char& c : clean) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
    message = clean;
  }
  std::string out = "{\"error\":{\"code\":";
  out += boost::json::serialize(boost::json::string(code));
  out += ",\"message\":";
  out += boost::json::serialize(boost::json::string(message));
  out += "}}";
  return out;
}

}  // namespace writ::server
