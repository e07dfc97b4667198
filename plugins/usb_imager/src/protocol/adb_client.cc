#include "protocol/adb_client.h"

#include <algorithm>

namespace interdict::usb {
namespace {

constexpr char kHostBanner[] = "host::";
constexpr size_t kMaxListEntriesHardLimit = 1u << 20;

std::string RefusedAuthMessage(const AdbKey& key) {
  auto fingerprint = key.Fingerprint();
  return "the handset did not accept this lab's ADB key. On the handset: unlock the screen, make sure USB "
         "debugging is enabled, and accept the \"Allow USB debugging?\" prompt for RSA key fingerprint " +
         (fingerprint.ok() ? *fingerprint : std::string("(unavailable)")) +
         " (tick \"Always allow from this computer\"); then run the acquisition again";
}

}  // namespace

AdbConnection::AdbConnection(std::unique_ptr<UsbTransport> transport)
    : transport_(std::move(transport)), allowlist_(MakeAdbServiceAllowlist()) {}

Result<std::unique_ptr<AdbConnection>> AdbConnection::Connect(std::unique_ptr<UsbTransport> transport,
                                                              const AdbKey& key,
                                                              std::chrono::milliseconds auth_prompt_wait) {
  std::unique_ptr<AdbConnection> connection(new AdbConnection(std::move(transport)));
  INTERDICT_RETURN_IF_ERROR(connection->Authenticate(key, auth_prompt_wait));
  return connection;
}

Status AdbConnection::Send(uint32_t command, uint32_t arg0, uint32_t arg1, std::span<const uint8_t> data) {
  AdbMessage message{command, arg0, arg1, std::vector<uint8_t>(data.begin(), data.end())};
  const bool checksum = version_ < kAdbVersion;
  const std::vector<uint8_t> header = EncodeAdbHeader(message, checksum);
  TransferResult sent = transport_->BulkOut(header, kAdbTimeout);
  if (!sent.ok()) return sent.ToStatus("ADB " + AdbCommandName(command));
  if (!data.empty()) {
    sent = transport_->BulkOut(data, kAdbTimeout);
    if (!sent.ok()) return sent.ToStatus("ADB " + AdbCommandName(command) + " payload");
  }
  ++stats_.messages_sent;
  return Status::Ok();
}

Result<AdbMessage> AdbConnection::Receive(std::chrono::milliseconds timeout) {
  std::vector<uint8_t> header_bytes(kAdbHeaderBytes);
  TransferResult got = transport_->BulkIn(header_bytes, timeout);
  if (!got.ok()) return got.ToStatus("waiting for an ADB message");
  header_bytes.resize(got.transferred);
  // Before CNXN the limit is what we offered; after it, what was negotiated.
  INTERDICT_ASSIGN_OR_RETURN(AdbHeader header, ParseAdbHeader(header_bytes, std::max(max_payload_, kAdbMaxPayload)));
  AdbMessage message{header.command, header.arg0, header.arg1, {}};
  message.data.resize(header.data_length);
  size_t done = 0;
  while (done < message.data.size()) {
    TransferResult part = transport_->BulkIn(std::span<uint8_t>(message.data).subspan(done), kAdbTimeout);
    done += part.transferred;
    if (!part.ok()) return part.ToStatus("ADB " + AdbCommandName(header.command) + " payload");
    if (part.transferred == 0) return Status::Corrupt("ADB payload ended early");
  }
  INTERDICT_RETURN_IF_ERROR(CheckAdbPayload(header, message.data, version_ < kAdbVersion && header.data_check != 0));
  ++stats_.messages_received;
  stats_.bytes_received += message.data.size();
  return message;
}

Status AdbConnection::Authenticate(const AdbKey& key, std::chrono::milliseconds auth_prompt_wait) {
  const std::string banner(kHostBanner, sizeof(kHostBanner));  // with its NUL
  INTERDICT_RETURN_IF_ERROR(Send(kAdbCnxn, kAdbVersion, kAdbMaxPayload,
                                 std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(banner.data()), banner.size())));
  bool signature_sent = false;
  while (true) {
    auto message = Receive(stats_.key_offered ? auth_prompt_wait : kAdbTimeout);
    if (!message.ok()) {
      if (stats_.key_offered && message.status().code() == StatusCode::kTimeout) {
        return Status::PermissionDenied(RefusedAuthMessage(key) + " (no answer from the handset)");
      }
      return message.status();
    }
    if (message->command == kAdbCnxn) {
      if (message->arg0 < kAdbVersionMin) return Status::Unsupported("ADB protocol version too old");
      version_ = std::min(message->arg0, kAdbVersion);
      max_payload_ = std::clamp(message->arg1, kAdbMinPayload, kAdbMaxPayload);
      INTERDICT_ASSIGN_OR_RETURN(banner_, ParseAdbBanner(message->data));
      return Status::Ok();
    }
    if (message->command != kAdbAuth || message->arg0 != kAdbAuthToken) {
      return Status::Corrupt("unexpected ADB " + AdbCommandName(message->command) + " during authentication");
    }
    if (!signature_sent) {
      INTERDICT_ASSIGN_OR_RETURN(std::vector<uint8_t> signature, key.Sign(message->data));
      INTERDICT_RETURN_IF_ERROR(Send(kAdbAuth, kAdbAuthSignature, 0, signature));
      signature_sent = true;
    } else if (!stats_.key_offered) {
      INTERDICT_ASSIGN_OR_RETURN(std::string public_key, key.AndroidPublicKey());
      INTERDICT_RETURN_IF_ERROR(Send(kAdbAuth, kAdbAuthRsaPublicKey, 0,
                                     std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(public_key.data()),
                                                              public_key.size())));
      stats_.key_offered = true;
    } else {
      return Status::PermissionDenied(RefusedAuthMessage(key));
    }
  }
}

Result<AdbMessage> AdbConnection::ReceiveFor(uint32_t local_id) {
  for (int stray = 0; stray < kMaxAdbStrayMessages; ++stray) {
    INTERDICT_ASSIGN_OR_RETURN(AdbMessage message, Receive());
    if (message.arg1 == local_id) return message;
  }
  return Status::Corrupt("ADB device keeps sending messages for other streams");
}

Result<uint32_t> AdbConnection::OpenStream(std::string_view service) {
  Status allowed = allowlist_.Check(AdbServiceKey(service));
  if (!allowed.ok()) return allowed.WithContext("service '" + std::string(service.substr(0, kMaxAdbServiceBytes)) + "'");
  const uint32_t local = next_local_id_++;
  std::string payload(service);
  payload.push_back('\0');
  INTERDICT_RETURN_IF_ERROR(
      Send(kAdbOpen, local, 0, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size())));
  INTERDICT_ASSIGN_OR_RETURN(AdbMessage reply, ReceiveFor(local));
  if (reply.command == kAdbClse) return Status::Unsupported("the handset refused service '" + std::string(service) + "'");
  if (reply.command != kAdbOkay || reply.arg0 == 0) return Status::Corrupt("ADB OPEN answered with " + AdbCommandName(reply.command));
  remote_ids_[local] = reply.arg0;
  ++stats_.streams_opened;
  return local;
}

Status AdbConnection::Write(uint32_t local_id, std::span<const uint8_t> data) {
  auto remote = remote_ids_.find(local_id);
  if (remote == remote_ids_.end()) return Status::InvalidArgument("ADB stream not open");
  if (data.size() > max_payload_) return Status::InvalidArgument("ADB write larger than the negotiated payload");
  INTERDICT_RETURN_IF_ERROR(Send(kAdbWrte, local_id, remote->second, data));
  INTERDICT_ASSIGN_OR_RETURN(AdbMessage reply, ReceiveFor(local_id));
  if (reply.command == kAdbClse) {
    remote_ids_.erase(local_id);
    return Status::Unreadable("the handset closed the ADB stream");
  }
  if (reply.command != kAdbOkay) return Status::Corrupt("ADB WRTE answered with " + AdbCommandName(reply.command));
  return Status::Ok();
}

Result<std::optional<std::vector<uint8_t>>> AdbConnection::Read(uint32_t local_id) {
  auto remote = remote_ids_.find(local_id);
  if (remote == remote_ids_.end()) return std::optional<std::vector<uint8_t>>();
  INTERDICT_ASSIGN_OR_RETURN(AdbMessage message, ReceiveFor(local_id));
  if (message.command == kAdbClse) {
    remote_ids_.erase(local_id);
    return std::optional<std::vector<uint8_t>>();
  }
  if (message.command != kAdbWrte) return Status::Corrupt("ADB stream got " + AdbCommandName(message.command));
  INTERDICT_RETURN_IF_ERROR(Send(kAdbOkay, local_id, remote->second));
  return std::optional<std::vector<uint8_t>>(std::move(message.data));
}

Status AdbConnection::Close(uint32_t local_id) {
  auto remote = remote_ids_.find(local_id);
  if (remote == remote_ids_.end()) return Status::Ok();
  const uint32_t remote_id = remote->second;
  remote_ids_.erase(remote);
  return Send(kAdbClse, local_id, remote_id);
}

Result<std::unique_ptr<AdbSyncClient>> AdbSyncClient::Open(AdbConnection& connection) {
  INTERDICT_ASSIGN_OR_RETURN(uint32_t stream, connection.OpenStream("sync:"));
  return std::unique_ptr<AdbSyncClient>(new AdbSyncClient(connection, stream));
}

Status AdbSyncClient::Request(uint32_t id, std::string_view path) {
  Status allowed = allowlist_.Check(AdbSyncRequestKey(id));
  if (!allowed.ok()) return allowed;
  if (path.size() > kMaxSyncPathBytes) return Status::InvalidArgument("sync path longer than 1024 bytes");
  return connection_.Write(stream_, EncodeSyncRequest(id, path));
}

Result<SyncReply> AdbSyncClient::NextReply(SyncExpect expect) {
  while (true) {
    INTERDICT_ASSIGN_OR_RETURN(std::optional<SyncReply> reply, reader_.Next(expect));
    if (reply) return std::move(*reply);
    INTERDICT_ASSIGN_OR_RETURN(auto bytes, connection_.Read(stream_));
    if (!bytes) return Status::Unreadable("the handset closed the sync stream");
    reader_.Feed(*bytes);
  }
}

Result<SyncEntry> AdbSyncClient::Stat(std::string_view path) {
  INTERDICT_RETURN_IF_ERROR(Request(kSyncStat, path));
  INTERDICT_ASSIGN_OR_RETURN(SyncReply reply, NextReply(SyncExpect::kStat));
  if (reply.id == kSyncFail) return Status::Unreadable("sync STAT " + std::string(path) + ": " + reply.name);
  return SyncEntry{std::string(path), reply.mode, reply.size, reply.mtime};
}

Result<std::vector<SyncEntry>> AdbSyncClient::List(std::string_view path, size_t max_entries) {
  INTERDICT_RETURN_IF_ERROR(Request(kSyncList, path));
  std::vector<SyncEntry> entries;
  const size_t limit = std::min(max_entries, kMaxListEntriesHardLimit);
  while (true) {
    INTERDICT_ASSIGN_OR_RETURN(SyncReply reply, NextReply(SyncExpect::kList));
    if (reply.id == kSyncFail) return Status::Unreadable("sync LIST " + std::string(path) + ": " + reply.name);
    if (reply.id == kSyncDone) return entries;
    if (reply.name == "." || reply.name == "..") continue;
    if (entries.size() >= limit) return Status::LimitExceeded("more than " + std::to_string(limit) + " entries in " + std::string(path));
    entries.push_back({reply.name, reply.mode, reply.size, reply.mtime});
  }
}

Status AdbSyncClient::Recv(std::string_view path, const std::function<Status(std::span<const uint8_t>)>& sink) {
  INTERDICT_RETURN_IF_ERROR(Request(kSyncRecv, path));
  while (true) {
    INTERDICT_ASSIGN_OR_RETURN(SyncReply reply, NextReply(SyncExpect::kRecv));
    if (reply.id == kSyncFail) return Status::Unreadable("sync RECV " + std::string(path) + ": " + reply.name);
    if (reply.id == kSyncDone) return Status::Ok();
    INTERDICT_RETURN_IF_ERROR(sink(reply.data));
  }
}

Status AdbSyncClient::Quit() {
  INTERDICT_RETURN_IF_ERROR(Request(kSyncQuit, ""));
  return connection_.Close(stream_);
}

}  // namespace interdict::usb
