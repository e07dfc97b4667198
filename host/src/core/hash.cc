#include "core/hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <fstream>

namespace interdict {
namespace {

constexpr size_t kFileHashBlockSize = 1 << 20;

const EVP_MD* Md(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kMd5: return EVP_md5();
    case HashAlgorithm::kSha1: return EVP_sha1();
    case HashAlgorithm::kSha256: return EVP_sha256();
  }
  return nullptr;
}

}  // namespace

std::string_view HashAlgorithmName(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kMd5: return "md5";
    case HashAlgorithm::kSha1: return "sha1";
    case HashAlgorithm::kSha256: return "sha256";
  }
  return "unknown";
}

Result<HashAlgorithm> ParseHashAlgorithm(std::string_view name) {
  std::string lower;
  for (char c : name) {
    if (c != '-') lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (lower == "md5") return HashAlgorithm::kMd5;
  if (lower == "sha1") return HashAlgorithm::kSha1;
  if (lower == "sha256") return HashAlgorithm::kSha256;
  return Status::InvalidArgument("unknown hash algorithm '" + std::string(name) + "' (use md5, sha1, sha256)");
}

Result<std::vector<HashAlgorithm>> ParseHashAlgorithmList(std::string_view list) {
  std::vector<HashAlgorithm> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string_view item = list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!item.empty()) {
      INTERDICT_ASSIGN_OR_RETURN(HashAlgorithm algorithm, ParseHashAlgorithm(item));
      if (std::find(out.begin(), out.end(), algorithm) == out.end()) out.push_back(algorithm);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (out.empty()) return Status::InvalidArgument("no hash algorithm given");
  return out;
}

const std::string& Digests::Get(HashAlgorithm algorithm) const {
  switch (algorithm) {
    case HashAlgorithm::kMd5: return md5;
    case HashAlgorithm::kSha1: return sha1;
    case HashAlgorithm::kSha256: return sha256;
  }
  return sha256;
}

// Owns its contexts, so a moved-into MultiHasher frees the contexts it replaces (the defaulted move
// assignment destroys the old Impl).
struct MultiHasher::Impl {
  std::vector<HashAlgorithm> algorithms;
  std::vector<EVP_MD_CTX*> contexts;
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    for (EVP_MD_CTX* ctx : contexts) EVP_MD_CTX_free(ctx);
  }
  void Reset() {
    for (size_t i = 0; i < algorithms.size(); ++i) EVP_DigestInit_ex(contexts[i], Md(algorithms[i]), nullptr);
  }
};

MultiHasher::MultiHasher(std::vector<HashAlgorithm> algorithms) : impl_(std::make_unique<Impl>()) {
  impl_->algorithms = std::move(algorithms);
  for (size_t i = 0; i < impl_->algorithms.size(); ++i) impl_->contexts.push_back(EVP_MD_CTX_new());
  impl_->Reset();
}

MultiHasher::~MultiHasher() = default;

MultiHasher::MultiHasher(MultiHasher&&) noexcept = default;
MultiHasher& MultiHasher::operator=(MultiHasher&&) noexcept = default;

void MultiHasher::Update(const void* data, size_t length) {
  for (EVP_MD_CTX* ctx : impl_->contexts) EVP_DigestUpdate(ctx, data, length);
  bytes_ += length;
}

Digests MultiHasher::Finish() {
  Digests out;
  for (size_t i = 0; i < impl_->algorithms.size(); ++i) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(impl_->contexts[i], digest, &length);
    std::string hex = ToHex(digest, length);
    switch (impl_->algorithms[i]) {
      case HashAlgorithm::kMd5: out.md5 = hex; break;
      case HashAlgorithm::kSha1: out.sha1 = hex; break;
      case HashAlgorithm::kSha256: out.sha256 = hex; break;
    }
  }
  impl_->Reset();
  bytes_ = 0;
  return out;
}

std::string ToHex(const void* data, size_t length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::string out(length * 2, '0');
  for (size_t i = 0; i < length; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

Result<std::vector<uint8_t>> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Status::InvalidArgument("hex string has odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("not a hex string");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string Sha256Hex(const void* data, size_t length) {
  MultiHasher hasher({HashAlgorithm::kSha256});
  hasher.Update(data, length);
  return hasher.Finish().sha256;
}

std::string Sha256Hex(std::string_view data) { return Sha256Hex(data.data(), data.size()); }

Result<Digests> HashFile(const std::filesystem::path& path, std::vector<HashAlgorithm> algorithms) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path.string());
  MultiHasher hasher(std::move(algorithms));
  std::vector<char> buffer(kFileHashBlockSize);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize got = in.gcount();
    if (got > 0) hasher.Update(buffer.data(), static_cast<size_t>(got));
  }
  if (in.bad()) return Status::IoError("read error in " + path.string());
  return hasher.Finish();
}

Result<std::string> Sha256File(const std::filesystem::path& path) {
  INTERDICT_ASSIGN_OR_RETURN(Digests digests, HashFile(path, {HashAlgorithm::kSha256}));
  return digests.sha256;
}

}  // namespace interdict
