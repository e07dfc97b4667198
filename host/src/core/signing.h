// Ed25519 signing with OpenSSL: one mechanism for rule packs, template packs and the audit chain head.
//
// Keys are stored as PEM (private key file mode 0600). Public keys travel as 64 hex characters (the raw
// 32-byte key) so they can sit in manifests and reports; signatures are 128 hex characters.
// Thread-safe: every call is independent.
#ifndef INTERDICT_CORE_SIGNING_H_
#define INTERDICT_CORE_SIGNING_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.h"

namespace interdict {

class SigningKey {
 public:
  // Generates a new key pair.
  static Result<SigningKey> Generate();
  // Loads a PEM private key written by Save.
  static Result<SigningKey> Load(const std::filesystem::path& private_key_pem);
  // Writes the private key (mode 0600) and, beside it, "<name>.pub" with the public key in hex.
  Status Save(const std::filesystem::path& private_key_pem) const;

  const std::string& public_key_hex() const { return public_key_hex_; }
  // Signs the bytes; returns the signature in hex.
  Result<std::string> Sign(std::string_view message) const;

 private:
  std::string private_pem_;
  std::string public_key_hex_;
};

// Verifies an Ed25519 signature. Returns kVerificationFailed if the signature does not match.
Status VerifySignature(std::string_view public_key_hex, std::string_view message, std::string_view signature_hex);

}  // namespace interdict

#endif  // INTERDICT_CORE_SIGNING_H_
