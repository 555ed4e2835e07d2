// JSON-RPC 2.0 as MCP uses it: one message per HTTP body or stdio line (batches are not part
// of MCP since 2025-06-18 and are refused), classified as a request, a notification or a
// response, and the error answers the gateway gives.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace writ::gateway {

// JSON-RPC's own error codes, and the gateway's (in the range JSON-RPC leaves to servers).
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kDenied = -32001;           // policy denied the call (data: decision)
inline constexpr int kApprovalTimeout = -32002;  // no approver decided in time
inline constexpr int kUpstreamError = -32003;    // the upstream server failed or went away
inline constexpr int kRecordingFailed = -32004;  // the ledger could not record (fail closed)

enum class MessageKind : uint8_t { kRequest, kNotification, kResponse };

struct Message {
  MessageKind kind = MessageKind::kRequest;
  boost::json::value id;      // requests and responses: a string or an integer
  std::string method;         // requests and notifications
  boost::json::value params;  // null when absent
  boost::json::object body;   // the whole message
};

// Parses one message. invalid_argument ("parse error: ..." or "invalid request: ...") when the
// text is not JSON, is a batch, or is not a JSON-RPC 2.0 request, notification or response.
// `max_depth` bounds nesting.
Result<Message> ParseMessage(std::string_view text, size_t max_depth = 64);

// {"jsonrpc":"2.0","id":id,"result":result}
boost::json::object ResultMessage(const boost::json::value& id, boost::json::value result);
// {"jsonrpc":"2.0","id":id,"error":{"code","message","data"?}}
boost::json::object ErrorMessage(const boost::json::value& id, int code, std::string_view message,
                                 boost::json::value data = nullptr);
// {"jsonrpc":"2.0","id":id,"method":method,"params":params?}
boost::json::object RequestMessage(const boost::json::value& id, std::string_view method,
                                   const boost::json::value& params);
// {"jsonrpc":"2.0","method":method,"params":params?}
boost::json::object NotificationMessage(std::string_view method, const boost::json::value& params);

// Progress tokens across a shared upstream session (MCP "Progress"): a client's
// `params._meta.progressToken` is replaced by one the upstream makes unique before the request
// goes upstream, and put back on the server's `notifications/progress` before they reach the
// client. SwapProgressToken replaces the token in `params` (when it has one) by `token` and
// returns the client's (null when there is none); ProgressToken is the token of a
// `notifications/progress` message (null for anything else).
boost::json::value SwapProgressToken(boost::json::value& params, const boost::json::value& token);
boost::json::value ProgressToken(const boost::json::object& message);
// The client's token back on a progress notification (a copy of `message`).
boost::json::object WithProgressToken(boost::json::object message, const boost::json::value& token);

}  // namespace writ::gateway
