#include "core/signing.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <memory>

#include "core/files.h"
#include "core/hash.h"

namespace interdict {
namespace {

constexpr size_t kEd25519KeyBytes = 32;
constexpr size_t kEd25519SignatureBytes = 64;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

Result<PkeyPtr> PrivateFromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument("not an Ed25519 private key in PEM form");
  }
  return key;
}

Result<std::string> PublicHex(EVP_PKEY* key) {
  unsigned char raw[kEd25519KeyBytes];
  size_t length = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(key, raw, &length) != 1 || length != kEd25519KeyBytes) {
    return Status::Internal("cannot extract Ed25519 public key");
  }
  return ToHex(raw, length);
}

}  // namespace

Result<SigningKey> SigningKey::Generate() {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr),
                                                                 &EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return Status::Internal("Ed25519 key generation failed");
  }
  PkeyPtr key(raw);
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status::Internal("cannot encode private key");
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  SigningKey out;
  out.private_pem_.assign(data, static_cast<size_t>(length));
  INTERDICT_ASSIGN_OR_RETURN(out.public_key_hex_, PublicHex(key.get()));
  return out;
}

Result<SigningKey> SigningKey::Load(const std::filesystem::path& private_key_pem) {
  INTERDICT_ASSIGN_OR_RETURN(std::string pem, ReadFileToString(private_key_pem, kMaxKeyFileBytes));
  INTERDICT_ASSIGN_OR_RETURN(PkeyPtr key, PrivateFromPem(pem));
  SigningKey out;
  out.private_pem_ = std::move(pem);
  INTERDICT_ASSIGN_OR_RETURN(out.public_key_hex_, PublicHex(key.get()));
  return out;
}

Status SigningKey::Save(const std::filesystem::path& private_key_pem) const {
  INTERDICT_RETURN_IF_ERROR(WriteFileAtomic(private_key_pem, private_pem_, 0600));
  std::filesystem::path pub = private_key_pem;
  pub += ".pub";
  return WriteFileAtomic(pub, public_key_hex_ + "\n", 0644);
}

Result<std::string> SigningKey::Sign(std::string_view message) const {
  INTERDICT_ASSIGN_OR_RETURN(PkeyPtr key, PrivateFromPem(private_pem_));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char signature[kEd25519SignatureBytes];
  size_t length = sizeof(signature);
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &length, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return Status::Internal("Ed25519 signing failed");
  }
  return ToHex(signature, length);
}

Status VerifySignature(std::string_view public_key_hex, std::string_view message, std::string_view signature_hex) {
  auto public_key = FromHex(public_key_hex);
  if (!public_key.ok() || public_key->size() != kEd25519KeyBytes) {
    return Status::VerificationFailed("public key is not 32 bytes of hex");
  }
  auto signature = FromHex(signature_hex);
  if (!signature.ok() || signature->size() != kEd25519SignatureBytes) {
    return Status::VerificationFailed("signature is not 64 bytes of hex");
  }
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key->data(), public_key->size()));
  if (!key) return Status::VerificationFailed("invalid Ed25519 public key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return Status::Internal("cannot initialise Ed25519 verification");
  }
  int rc = EVP_DigestVerify(ctx.get(), signature->data(), signature->size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (rc != 1) return Status::VerificationFailed("Ed25519 signature does not match");
  return Status::Ok();
}

}  // namespace interdict
