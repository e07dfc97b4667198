// AdbKey: the lab's RSA-2048 key for ADB authentication (OpenSSL). It is created once and kept (PEM, mode
// 0600) so a handset that was told "always allow from this computer" recognises the lab next time.
//
// Sign(): PKCS#1 v1.5 with a SHA-1 DigestInfo over the raw 20-byte token (the token is not hashed again),
// which is what adbd verifies (RSA_verify(NID_sha1, token, ...)). AndroidPublicKey(): the 524-byte
// {n_words=64, n0inv, n (LE), rr (LE), e} structure, base64, then " user@host\0", as AUTH(RSAPUBLICKEY)
// carries it. Fingerprint(): what the examiner compares with the handset's "Allow USB debugging?" prompt.
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_ADB_AUTH_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_ADB_AUTH_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace interdict::usb {

inline constexpr int kAdbRsaBits = 2048;
inline constexpr size_t kAndroidPublicKeyBytes = 524;
inline constexpr char kAdbKeyComment[] = "interdict@lab";

class AdbKey {
 public:
  // Loads the PEM private key at `path`, or creates one there (0600) when the file does not exist.
  static Result<AdbKey> LoadOrCreate(const std::filesystem::path& path);
  AdbKey(AdbKey&&) noexcept;
  AdbKey& operator=(AdbKey&&) noexcept;
  ~AdbKey();

  Result<std::vector<uint8_t>> Sign(std::span<const uint8_t> token) const;
  // The AUTH(RSAPUBLICKEY) payload, NUL-terminated.
  Result<std::string> AndroidPublicKey() const;
  // The 524-byte structure.
  Result<std::vector<uint8_t>> AndroidPublicKeyBlob() const;
  // MD5 of the 524-byte structure, as "AB:CD:..." (the form Android's prompt shows).
  Result<std::string> Fingerprint() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  AdbKey() = default;
  struct Key;
  std::unique_ptr<Key> key_;
  std::filesystem::path path_;
};

// Verifies `signature` of `token` against a 524-byte Android public key structure (base64, optionally
// followed by " comment"). For the simulator (and tests): OK, kVerificationFailed, or kCorrupt for a
// malformed key.
Status VerifyAdbSignature(std::string_view android_public_key, std::span<const uint8_t> token,
                          std::span<const uint8_t> signature);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_ADB_AUTH_H_
