// Helpers shared by the decision service's handlers (api_*.cc): who is calling, reading JSON
// fields with clear errors, OAuth error answers, trace context.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authz/decision.h"
#include "identity/token_service.h"
#include "server/api_error.h"
#include "server/request.h"
#include "server/response.h"

namespace writ::service::api {

// The verified token of an agent caller; null for API keys and anonymous callers.
std::shared_ptr<const identity::VerifiedToken> AgentToken(const server::Request& request);
// The credential of `Authorization: Bearer <credential>` (empty when none).
std::string_view BearerCredential(const server::Request& request);
// How the ledger names the caller: "apikey:<name>" for API keys, the SPIFFE ID for agents.
std::string CallerLabel(const server::Request& request);
// The decision's trace context from the request's (W3C traceparent accepted from the caller).
authz::TraceContext TraceOf(const server::Request& request);

// Field readers: nullopt when fine, else the 400 invalid_field error naming the field. A
// missing optional field leaves `out` untouched.
std::optional<server::ApiError> ReadString(const boost::json::object& o, std::string_view key,
                                           bool required, std::string* out,
                                           size_t max_bytes = 4096);
std::optional<server::ApiError> ReadInt(const boost::json::object& o, std::string_view key,
                                        int64_t min, int64_t max, std::optional<int64_t>* out);
std::optional<server::ApiError> ReadStrings(const boost::json::object& o, std::string_view key,
                                            std::vector<std::string>* out, size_t max_items = 64);
std::optional<server::ApiError> ReadObject(const boost::json::object& o, std::string_view key,
                                           bool required, boost::json::object* out);

server::ApiError InvalidField(std::string_view key, std::string_view what);

// An RFC 6749 §5.2 error answer: {"error", "error_description"} plus Writ's own code in
// "writ_code" when given, with Cache-Control: no-store. 401 answers carry WWW-Authenticate.
server::Response OAuthError(int status, std::string_view error, std::string_view description,
                            std::string_view writ_code = {});

// The machine code of a refusal Status ("token_expired: ..." gives token_expired), else the
// StatusCode's name.
std::string CodeOf(const Status& status);

// JSON of a string list.
boost::json::array JsonStrings(const std::vector<std::string>& items);

// A query parameter as an unsigned number; nullopt when absent, an error when malformed.
std::optional<server::ApiError> QueryUint(const server::Request& request, std::string_view name,
                                          uint64_t max, std::optional<uint64_t>* out);

}  // namespace writ::service::api
