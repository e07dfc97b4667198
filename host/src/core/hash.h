// Hashing with OpenSSL EVP: MD5, SHA-1 and SHA-256 computed together in one pass over the data.
//
// MultiHasher is not thread-safe; one per stream. Digests are lowercase hex.
#ifndef INTERDICT_CORE_HASH_H_
#define INTERDICT_CORE_HASH_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace interdict {

enum class HashAlgorithm { kMd5, kSha1, kSha256 };

std::string_view HashAlgorithmName(HashAlgorithm algorithm);  // "md5", "sha1", "sha256"
// Parses "md5", "sha1", "sha-1", "sha256", "sha-256" (case-insensitive).
Result<HashAlgorithm> ParseHashAlgorithm(std::string_view name);
// Parses a comma-separated list such as "md5,sha1,sha256".
Result<std::vector<HashAlgorithm>> ParseHashAlgorithmList(std::string_view list);

struct Digests {
  std::string md5;     // empty if not computed
  std::string sha1;    // empty if not computed
  std::string sha256;  // empty if not computed
  const std::string& Get(HashAlgorithm algorithm) const;
};

class MultiHasher {
 public:
  explicit MultiHasher(std::vector<HashAlgorithm> algorithms = {HashAlgorithm::kMd5, HashAlgorithm::kSha1,
                                                                HashAlgorithm::kSha256});
  ~MultiHasher();
  MultiHasher(const MultiHasher&) = delete;
  MultiHasher& operator=(const MultiHasher&) = delete;
  MultiHasher(MultiHasher&&) noexcept;
  MultiHasher& operator=(MultiHasher&&) noexcept;

  void Update(const void* data, size_t length);
  // Finishes and returns the digests; the hasher is reset for reuse.
  Digests Finish();
  uint64_t bytes_hashed() const { return bytes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_ = 0;
};

std::string ToHex(const void* data, size_t length);
Result<std::vector<uint8_t>> FromHex(std::string_view hex);

std::string Sha256Hex(const void* data, size_t length);
std::string Sha256Hex(std::string_view data);
// Streams a file through the hashers in 1 MiB blocks.
Result<Digests> HashFile(const std::filesystem::path& path,
                         std::vector<HashAlgorithm> algorithms = {HashAlgorithm::kSha256});
Result<std::string> Sha256File(const std::filesystem::path& path);

}  // namespace interdict

#endif  // INTERDICT_CORE_HASH_H_
