#include "core/exit_codes.h"

namespace interdict {

ExitCode ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kCorrupt:
    case StatusCode::kNotFound:
    case StatusCode::kUnsupported: return kExitInputError;
    case StatusCode::kUnreadable:
    case StatusCode::kLimitExceeded:
    case StatusCode::kTimeout: return kExitIncomplete;
    case StatusCode::kCancelled: return kExitInterrupted;
    case StatusCode::kDisconnected: return kExitDeviceError;
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kPermissionDenied: return kExitRefused;
    case StatusCode::kVerificationFailed: return kExitVerificationFailed;
    case StatusCode::kIoError:
    case StatusCode::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace interdict
