#include "cedar/error.h"

namespace cedar {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kParse:
      return "parse_error";
    case ErrorCode::kJson:
      return "json_error";
    case ErrorCode::kEntity:
      return "entity_error";
    case ErrorCode::kSchema:
      return "schema_error";
    case ErrorCode::kRequest:
      return "request_error";
    case ErrorCode::kEvaluation:
      return "evaluation_error";
    case ErrorCode::kLink:
      return "link_error";
    case ErrorCode::kValidation:
      return "validation_error";
    case ErrorCode::kPolicySet:
      return "policy_set_error";
    case ErrorCode::kIo:
      return "io_error";
  }
  return "error";
}

std::string Error::ToString() const {
  if (pos.line == 0) return message;
  return std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": " + message;
}

}  // namespace cedar
