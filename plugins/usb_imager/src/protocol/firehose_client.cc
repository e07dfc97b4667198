#include "protocol/firehose_client.h"

#include <algorithm>
#include <cstring>

namespace interdict::usb {
namespace {

constexpr char kAck[] = "ACK";

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "; ") + line;
  return out;
}

FirehoseElement RangeElement(const char* tag, uint32_t lun, uint64_t start, uint64_t count, uint32_t sector_size) {
  FirehoseElement element;
  element.tag = tag;
  element.Set("SECTOR_SIZE_IN_BYTES", std::to_string(sector_size))
      .Set("num_partition_sectors", std::to_string(count))
      .Set("physical_partition_number", std::to_string(lun))
      .Set("start_sector", std::to_string(start));
  return element;
}

}  // namespace

nlohmann::json FirehoseStatistics::ToJson() const {
  return {{"commands_sent", commands_sent}, {"reads_sent", reads_sent}, {"naks", naks},
          {"zero_length_packets", zero_length_packets}, {"digests_requested", digests_requested},
          {"max_payload_to_target", payload_to_target}, {"max_payload_from_target", payload_from_target}};
}

FirehoseClient::FirehoseClient(UsbTransport& transport)
    : transport_(transport), allowlist_(MakeFirehoseReadOnlyAllowlist()) {}

Status FirehoseClient::Send(const FirehoseElement& element) {
  Status allowed = allowlist_.Check(FirehoseTagKey(element.tag));
  if (!allowed.ok()) return allowed.WithContext("<" + element.tag + ">");
  const std::string document = EncodeFirehoseCommand(element);
  TransferResult sent =
      transport_.BulkOut(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(document.data()), document.size()),
                         kFirehoseTimeout, ZeroLengthPacket::kIfMultipleOfPacketSize);
  ++stats_.commands_sent;
  if (!sent.ok()) return sent.ToStatus("Firehose <" + element.tag + ">");
  return Status::Ok();
}

Result<std::string> FirehoseClient::ReadDocument() {
  int empty_reads = 0;
  while (true) {
    std::string_view buffered(reinterpret_cast<const char*>(pending_.data()), pending_.size());
    const size_t end = FirehoseDocumentEnd(buffered);
    if (end != std::string_view::npos) {
      std::string document(buffered.substr(0, end));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(end));
      return document;
    }
    if (pending_.size() > kMaxFirehoseDocumentBytes) {
      return Status::Corrupt("Firehose answer exceeds " + std::to_string(kMaxFirehoseDocumentBytes) +
                             " bytes without </data>");
    }
    std::vector<uint8_t> chunk(kMaxFirehoseDocumentBytes);
    TransferResult got = transport_.BulkIn(chunk, kFirehoseTimeout);
    if (!got.ok()) return got.ToStatus("waiting for a Firehose answer");
    if (got.transferred == 0) {
      ++stats_.zero_length_packets;
      if (++empty_reads > kMaxFirehoseEmptyReads) return Status::Timeout("Firehose device sends only empty packets");
      continue;
    }
    empty_reads = 0;
    pending_.insert(pending_.end(), chunk.begin(), chunk.begin() + static_cast<ptrdiff_t>(got.transferred));
  }
}

Result<FirehoseResponse> FirehoseClient::ReadResponse() {
  FirehoseResponse response;
  for (int documents = 0; documents < kMaxFirehoseDocumentsPerCommand; ++documents) {
    INTERDICT_ASSIGN_OR_RETURN(std::string text, ReadDocument());
    INTERDICT_ASSIGN_OR_RETURN(FirehoseDocument document, ParseFirehoseXml(text));
    bool answered = false;
    for (auto& element : document.elements) {
      if (element.tag == "log") {
        if (auto value = element.Get("value")) response.logs.push_back(*value);
      } else if (element.tag == "response") {
        response.ack = element.Get("value") == std::optional<std::string>(kAck);
        response.raw_mode = element.Get("rawmode") == std::optional<std::string>("true");
        response.response = std::move(element);
        answered = true;
      }
    }
    if (answered) {
      if (!response.ack) ++stats_.naks;
      recent_logs_ = response.logs;
      return response;
    }
  }
  return Status::Corrupt("Firehose device sent " + std::to_string(kMaxFirehoseDocumentsPerCommand) +
                         " documents without a <response>");
}

Result<FirehoseResponse> FirehoseClient::Command(const FirehoseElement& element) {
  INTERDICT_RETURN_IF_ERROR(Send(element));
  return ReadResponse();
}

Status FirehoseClient::Configure(const std::string& memory_name) {
  uint64_t payload = kFirehosePreferredPayloadBytes;
  for (int attempt = 0; attempt < 2; ++attempt) {
    FirehoseElement configure;
    configure.tag = "configure";
    configure.Set("MemoryName", memory_name)
        .Set("MaxPayloadSizeToTargetInBytes", std::to_string(payload))
        .Set("verbose", "0")
        .Set("ZLPAwareHost", "1")
        .Set("SkipStorageInit", "0");
    INTERDICT_ASSIGN_OR_RETURN(FirehoseResponse response, Command(configure));
    if (response.ack) {
      auto to_target = response.response.GetNumber("MaxPayloadSizeToTargetInBytes", kFirehosePreferredPayloadBytes);
      stats_.payload_to_target = to_target.ok() ? *to_target : payload;
      auto from_target = response.response.GetNumber("MaxPayloadSizeFromTargetInBytes", kFirehosePreferredPayloadBytes);
      stats_.payload_from_target = from_target.ok() ? *from_target : 0;
      return Status::Ok();
    }
    auto supported = response.response.GetNumber("MaxPayloadSizeToTargetInBytesSupported", payload);
    if (!supported.ok() || *supported >= payload || *supported < kFirehoseMinPayloadBytes) {
      return Status::Unsupported("Firehose configure refused: " + Join(response.logs));
    }
    payload = *supported;
  }
  return Status::Unsupported("Firehose configure refused twice");
}

Result<FirehoseStorageInfo> FirehoseClient::GetStorageInfo(uint32_t lun) {
  FirehoseElement element;
  element.tag = "getstorageinfo";
  element.Set("physical_partition_number", std::to_string(lun));
  INTERDICT_ASSIGN_OR_RETURN(FirehoseResponse response, Command(element));
  if (!response.ack) return Status::NotFound("Firehose getstorageinfo of LUN " + std::to_string(lun) + ": NAK");
  return ParseFirehoseStorageInfo(response.logs);
}

Status FirehoseClient::ReadRaw(std::span<uint8_t> out) {
  size_t done = 0;
  const size_t from_pending = std::min(out.size(), pending_.size());
  std::memcpy(out.data(), pending_.data(), from_pending);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(from_pending));
  done = from_pending;
  int empty_reads = 0;
  while (done < out.size()) {
    const size_t want = std::min(out.size() - done, kFirehoseMaxTransferBytes);
    TransferResult got = transport_.BulkIn(out.subspan(done, want), kFirehoseTimeout);
    done += got.transferred;  // a timed-out transfer can still have moved data
    if (!got.ok()) return got.ToStatus("Firehose raw data");
    if (got.transferred == 0) {
      ++stats_.zero_length_packets;
      if (++empty_reads > kMaxFirehoseEmptyReads) return Status::Timeout("Firehose raw data stopped");
    } else {
      empty_reads = 0;
    }
  }
  return Status::Ok();
}

Status FirehoseClient::Read(uint32_t lun, uint64_t start, uint64_t count, uint32_t sector_size,
                            std::span<uint8_t> out) {
  if (count == 0 || count > kMaxFirehoseSectorsPerRead || sector_size == 0 || out.size() != count * sector_size) {
    return Status::InvalidArgument("Firehose read of " + std::to_string(count) + " sectors into " +
                                   std::to_string(out.size()) + " bytes");
  }
  ++stats_.reads_sent;
  INTERDICT_ASSIGN_OR_RETURN(FirehoseResponse first, Command(RangeElement("read", lun, start, count, sector_size)));
  if (!first.ack || !first.raw_mode) {
    return Status::Unreadable("Firehose read LUN " + std::to_string(lun) + " sectors " + std::to_string(start) + "+" +
                              std::to_string(count) + " refused: " + Join(first.logs));
  }
  INTERDICT_RETURN_IF_ERROR(ReadRaw(out));
  INTERDICT_ASSIGN_OR_RETURN(FirehoseResponse last, ReadResponse());
  if (!last.ack) {
    return Status::Unreadable("Firehose read LUN " + std::to_string(lun) + " sectors " + std::to_string(start) + "+" +
                              std::to_string(count) + " failed after the data: " + Join(last.logs));
  }
  return Status::Ok();
}

Result<std::string> FirehoseClient::GetSha256Digest(uint32_t lun, uint64_t start, uint64_t count,
                                                    uint32_t sector_size) {
  ++stats_.digests_requested;
  INTERDICT_ASSIGN_OR_RETURN(FirehoseResponse response,
                             Command(RangeElement("getsha256digest", lun, start, count, sector_size)));
  if (!response.ack) return Status::Unsupported("Firehose getsha256digest: NAK " + Join(response.logs));
  return ParseFirehoseSha256Digest(response.logs);
}

}  // namespace interdict::usb
