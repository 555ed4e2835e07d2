// Reading a request's JSON body within limits, with the error answer for every way it can be
// wrong. Handlers that take JSON call ParseJsonBody first and answer its ApiError as is.
//
// Checks, in order, each with its HTTP status and machine code:
//   415 unsupported_media_type   Content-Type is not application/json (or a +json type);
//                                parameters other than charset=utf-8 are refused too
//   400 empty_body               no body
//   400 invalid_utf8             the body is not valid UTF-8 (RFC 3629: no overlongs, no
//                                surrogates, nothing above U+10FFFF)
//   400 json_too_deep            arrays/objects nested deeper than JsonLimits::max_depth
//   400 malformed_json           not one JSON text (RFC 8259), e.g. a trailing comma, comments,
//                                a lone surrogate escape, or bytes after the value
//   400 json_string_too_long     a string or member name longer than max_string_bytes (in
//                                bytes, after unescaping)
//   400 duplicate_field          a member name twice in one object
//   400 not_an_object            `fields` is given and the body is not an object
//   400 unknown_field            `fields` is given and the object has a member not in it
// The body size itself is limited before the handler runs (413 body_too_large).
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

#include "server/api_error.h"
#include "server/request.h"

namespace writ::server {

struct JsonLimits {
  size_t max_depth = 32;
  size_t max_string_bytes = 64 * 1024;
};

// The fields a handler declares for an object. An empty list means "any member".
using FieldList = std::span<const std::string_view>;

// Parses `text` as JSON within `limits` (the checks above from invalid_utf8 on, without the
// content-type and field checks).
ApiResult<boost::json::value> ParseJsonText(std::string_view text, const JsonLimits& limits);

// Parses the request's body with the server's limits (Request::json_limits) after checking its
// Content-Type; when `fields` is not empty the body must be an object with no other members.
ApiResult<boost::json::value> ParseJsonBody(const Request& request, FieldList fields = {});
inline ApiResult<boost::json::value> ParseJsonBody(const Request& request,
                                                   std::initializer_list<std::string_view> fields) {
  return ParseJsonBody(request, FieldList(fields.begin(), fields.size()));
}

// unknown_field when `object` has a member outside `fields`; `where` names the object in the
// message ("the body", "`context`").
std::optional<ApiError> CheckFields(const boost::json::object& object, FieldList fields,
                                    std::string_view where);

// True when `content_type` is application/json or application/<something>+json, with at most a
// charset=utf-8 parameter (case-insensitive, as RFC 9110 media types are).
bool IsJsonContentType(std::string_view content_type);

// True when `bytes` is well-formed UTF-8 (RFC 3629).
bool IsValidUtf8(std::string_view bytes);

}  // namespace writ::server
