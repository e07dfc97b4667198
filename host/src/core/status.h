// Status and Result<T>: value-type errors for core code (LevelDB's Status, TSK's TSK_ERR/TSK_COR split).
//
// A Status is either OK or carries a code and a message. The codes keep two families apart:
//  - evidence problems (kCorrupt, kLimitExceeded, kTimeout, kUnreadable): the input is malformed, hostile or
//    too big; record it as a finding and carry on with the rest of the evidence;
//  - tool problems (kInternal, kIoError on our own files, kInvalidArgument from a caller): stop and report.
// Statuses are cheap to copy when OK. Not thread-safe to mutate; safe to share const.
#ifndef INTERDICT_CORE_STATUS_H_
#define INTERDICT_CORE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace interdict {

enum class StatusCode {
  kOk = 0,
  kCorrupt,           // evidence is malformed (record and continue)
  kUnreadable,        // evidence could not be read (bad sector, device error)
  kLimitExceeded,     // a configured size/depth/count limit was hit
  kTimeout,           // a time limit was hit
  kCancelled,         // the user or the host asked to stop
  kDisconnected,      // the device went away
  kNotFound,          // a named thing does not exist
  kInvalidArgument,   // the caller passed something wrong (usage error)
  kUnsupported,       // valid, but not something we handle
  kPermissionDenied,  // refused by policy (e.g. a write-class command) or by the OS
  kVerificationFailed,// a hash, signature or chain did not verify
  kIoError,           // our own I/O failed (disk full, cannot write the case)
  kInternal,          // a bug or an impossible state: the tool is broken
};

std::string_view StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Corrupt(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
  static Status Unreadable(std::string m) { return {StatusCode::kUnreadable, std::move(m)}; }
  static Status LimitExceeded(std::string m) { return {StatusCode::kLimitExceeded, std::move(m)}; }
  static Status Timeout(std::string m) { return {StatusCode::kTimeout, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Disconnected(std::string m) { return {StatusCode::kDisconnected, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status VerificationFailed(std::string m) { return {StatusCode::kVerificationFailed, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // True for problems with the evidence rather than with the tool.
  bool IsEvidenceProblem() const;
  // "corrupt: bad GPT header at LBA 1" or "ok".
  std::string ToString() const;
  // Returns a copy whose message is prefixed with context ("reading partition 3: ...").
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(state_).ok() && "Result built from an OK status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(state_);
  }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace interdict

// Early-return helpers in the libyara FAIL_ON_ERROR spirit.
#define INTERDICT_RETURN_IF_ERROR(expr)        \
  do {                                         \
    ::interdict::Status _status = (expr);      \
    if (!_status.ok()) return _status;         \
  } while (0)

#define INTERDICT_CONCAT_INNER(a, b) a##b
#define INTERDICT_CONCAT(a, b) INTERDICT_CONCAT_INNER(a, b)
#define INTERDICT_ASSIGN_OR_RETURN(lhs, expr) \
  INTERDICT_ASSIGN_OR_RETURN_IMPL(INTERDICT_CONCAT(_result_, __LINE__), lhs, expr)
#define INTERDICT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()

#endif  // INTERDICT_CORE_STATUS_H_
