#include "core/status.h"

namespace interdict {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kCorrupt: return "corrupt";
    case StatusCode::kUnreadable: return "unreadable";
    case StatusCode::kLimitExceeded: return "limit-exceeded";
    case StatusCode::kTimeout: return "timeout";
    case StatusCode::kCancelled: return "cancelled";
    case StatusCode::kDisconnected: return "disconnected";
    case StatusCode::kNotFound: return "not-found";
    case StatusCode::kInvalidArgument: return "invalid-argument";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kPermissionDenied: return "permission-denied";
    case StatusCode::kVerificationFailed: return "verification-failed";
    case StatusCode::kIoError: return "io-error";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

bool Status::IsEvidenceProblem() const {
  switch (code_) {
    case StatusCode::kCorrupt:
    case StatusCode::kUnreadable:
    case StatusCode::kLimitExceeded:
    case StatusCode::kTimeout:
    case StatusCode::kUnsupported:
      return true;
    default:
      return false;
  }
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(StatusCodeName(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

}  // namespace interdict
