#include "protocol/adb_auth.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace interdict::usb {
namespace {

constexpr uint32_t kModulusWords = kAdbRsaBits / 32;
constexpr size_t kModulusBytes = kAdbRsaBits / 8;
constexpr size_t kTokenBytes = 20;  // a SHA-1-sized token, signed as a digest
constexpr size_t kMaxEncodedKeyBytes = 2048;
constexpr mode_t kKeyFileMode = 0600;

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;
struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

void PutLe32(std::vector<uint8_t>& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

Status SslError(const std::string& what) { return Status::Internal("OpenSSL: " + what + " failed"); }

// PKCS#1 v1.5 + SHA-1 DigestInfo over the token as given.
Result<PkeyCtx> SignatureContext(EVP_PKEY* key, bool sign) {
  PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx) return SslError("EVP_PKEY_CTX_new");
  if ((sign ? EVP_PKEY_sign_init(ctx.get()) : EVP_PKEY_verify_init(ctx.get())) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha1()) <= 0) {
    return SslError("signature context");
  }
  return ctx;
}

}  // namespace

struct AdbKey::Key {
  Pkey pkey;
};

AdbKey::AdbKey(AdbKey&&) noexcept = default;
AdbKey& AdbKey::operator=(AdbKey&&) noexcept = default;
AdbKey::~AdbKey() = default;

Result<AdbKey> AdbKey::LoadOrCreate(const std::filesystem::path& path) {
  AdbKey key;
  key.path_ = path;
  key.key_ = std::make_unique<Key>();
  if (FILE* in = std::fopen(path.c_str(), "rb")) {
    key.key_->pkey.reset(PEM_read_PrivateKey(in, nullptr, nullptr, nullptr));
    std::fclose(in);
    if (!key.key_->pkey || EVP_PKEY_get_base_id(key.key_->pkey.get()) != EVP_PKEY_RSA ||
        EVP_PKEY_get_bits(key.key_->pkey.get()) != kAdbRsaBits) {
      return Status::InvalidArgument(path.string() + " is not an RSA-2048 PEM private key");
    }
    return key;
  }
  key.key_->pkey.reset(EVP_RSA_gen(kAdbRsaBits));
  if (!key.key_->pkey) return SslError("RSA key generation");
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kKeyFileMode);
  if (fd < 0) return Status::IoError("creating the ADB key " + path.string());
  FILE* out = ::fdopen(fd, "wb");
  if (out == nullptr) {
    ::close(fd);
    return Status::IoError("creating the ADB key " + path.string());
  }
  const bool written = PEM_write_PrivateKey(out, key.key_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  const bool closed = std::fclose(out) == 0;
  if (!written || !closed) return Status::IoError("writing the ADB key " + path.string());
  return key;
}

Result<std::vector<uint8_t>> AdbKey::Sign(std::span<const uint8_t> token) const {
  if (token.size() != kTokenBytes) {
    return Status::Corrupt("ADB AUTH token of " + std::to_string(token.size()) + " bytes, expected 20");
  }
  INTERDICT_ASSIGN_OR_RETURN(PkeyCtx ctx, SignatureContext(key_->pkey.get(), true));
  size_t length = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &length, token.data(), token.size()) <= 0) return SslError("EVP_PKEY_sign");
  std::vector<uint8_t> signature(length);
  if (EVP_PKEY_sign(ctx.get(), signature.data(), &length, token.data(), token.size()) <= 0) {
    return SslError("EVP_PKEY_sign");
  }
  signature.resize(length);
  return signature;
}

Result<std::vector<uint8_t>> AdbKey::AndroidPublicKeyBlob() const {
  BIGNUM* raw_n = nullptr;
  BIGNUM* raw_e = nullptr;
  if (EVP_PKEY_get_bn_param(key_->pkey.get(), OSSL_PKEY_PARAM_RSA_N, &raw_n) != 1 ||
      EVP_PKEY_get_bn_param(key_->pkey.get(), OSSL_PKEY_PARAM_RSA_E, &raw_e) != 1) {
    BN_free(raw_n);
    BN_free(raw_e);
    return SslError("reading the RSA modulus");
  }
  Bn n(raw_n), e(raw_e), r32(BN_new()), low(BN_new()), inverse(BN_new()), n0inv(BN_new()), rr(BN_new());
  std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_new(), BN_CTX_free);
  if (!r32 || !low || !inverse || !n0inv || !rr || !ctx) return SslError("BN_new");
  // n0inv = -1 / n[0] mod 2^32; rr = (2^2048)^2 mod n: what adbd's Montgomery verifier wants.
  if (BN_set_bit(r32.get(), 32) != 1 || BN_nnmod(low.get(), n.get(), r32.get(), ctx.get()) != 1 ||
      BN_mod_inverse(inverse.get(), low.get(), r32.get(), ctx.get()) == nullptr ||
      BN_sub(n0inv.get(), r32.get(), inverse.get()) != 1 || BN_set_bit(rr.get(), kAdbRsaBits * 2) != 1 ||
      BN_nnmod(rr.get(), rr.get(), n.get(), ctx.get()) != 1) {
    return SslError("Montgomery constants");
  }
  std::vector<uint8_t> blob(kAndroidPublicKeyBytes, 0);
  PutLe32(blob, 0, kModulusWords);
  PutLe32(blob, 4, static_cast<uint32_t>(BN_get_word(n0inv.get())));
  if (BN_bn2lebinpad(n.get(), blob.data() + 8, kModulusBytes) < 0 ||
      BN_bn2lebinpad(rr.get(), blob.data() + 8 + kModulusBytes, kModulusBytes) < 0) {
    return SslError("BN_bn2lebinpad");
  }
  PutLe32(blob, 8 + 2 * kModulusBytes, static_cast<uint32_t>(BN_get_word(e.get())));
  return blob;
}

Result<std::string> AdbKey::AndroidPublicKey() const {
  INTERDICT_ASSIGN_OR_RETURN(std::vector<uint8_t> blob, AndroidPublicKeyBlob());
  std::string encoded(4 * ((blob.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), blob.data(),
                                     static_cast<int>(blob.size()));
  encoded.resize(static_cast<size_t>(length));
  return encoded + " " + kAdbKeyComment + std::string(1, '\0');
}

Result<std::string> AdbKey::Fingerprint() const {
  INTERDICT_ASSIGN_OR_RETURN(std::vector<uint8_t> blob, AndroidPublicKeyBlob());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(blob.data(), blob.size(), digest, &length, EVP_md5(), nullptr) != 1) return SslError("MD5");
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof(hex), "%02X", digest[i]);
    out += (i ? ":" : "") + std::string(hex);
  }
  return out;
}

Status VerifyAdbSignature(std::string_view android_public_key, std::span<const uint8_t> token,
                          std::span<const uint8_t> signature) {
  std::string_view encoded = android_public_key.substr(0, android_public_key.find_first_of(" \0", 0, 2));
  if (encoded.empty() || encoded.size() > kMaxEncodedKeyBytes || encoded.size() % 4 != 0) {
    return Status::Corrupt("ADB public key is not base64");
  }
  std::vector<uint8_t> blob(encoded.size() / 4 * 3);
  const int decoded = EVP_DecodeBlock(blob.data(), reinterpret_cast<const unsigned char*>(encoded.data()),
                                      static_cast<int>(encoded.size()));
  if (decoded < static_cast<int>(kAndroidPublicKeyBytes)) return Status::Corrupt("ADB public key too short");
  std::span<const uint8_t> b(blob.data(), kAndroidPublicKeyBytes);
  const uint32_t words = static_cast<uint32_t>(b[0] | b[1] << 8 | b[2] << 16 | static_cast<uint32_t>(b[3]) << 24);
  if (words != kModulusWords) return Status::Corrupt("ADB public key is not RSA-2048");
  Bn n(BN_lebin2bn(b.data() + 8, kModulusBytes, nullptr));
  const size_t e_at = 8 + 2 * kModulusBytes;
  Bn e(BN_new());
  if (!n || !e || BN_set_word(e.get(), static_cast<BN_ULONG>(b[e_at] | b[e_at + 1] << 8 | b[e_at + 2] << 16 |
                                                           static_cast<uint32_t>(b[e_at + 3]) << 24)) != 1) {
    return SslError("BIGNUM");
  }
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> builder(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return SslError("OSSL_PARAM_BLD");
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(builder.get()),
                                                                 OSSL_PARAM_free);
  PkeyCtx from(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!params || !from || EVP_PKEY_fromdata_init(from.get()) != 1 ||
      EVP_PKEY_fromdata(from.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Status::Corrupt("ADB public key is not a usable RSA key");
  }
  Pkey key(raw_key);
  INTERDICT_ASSIGN_OR_RETURN(PkeyCtx ctx, SignatureContext(key.get(), false));
  if (EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), token.data(), token.size()) != 1) {
    return Status::VerificationFailed("ADB signature does not verify");
  }
  return Status::Ok();
}

}  // namespace interdict::usb
