// org.interdict.example: the smallest useful plugin, and the one docs/plugin-abi.md walks through.
//
// For each input it reads every byte through the host (it never opens files itself), computes the SHA-256
// and a byte histogram, emits one "input-summary" finding with the size and SHA-256, and one artifact: the
// histogram as JSON. It reports progress as it goes and stops early when the host cancels the job.
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "interdict/plugin.hpp"

namespace {

constexpr size_t kReadBlockBytes = 1 << 20;

std::string ToHex(const unsigned char* bytes, unsigned length) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < length; ++i) {
    hex.push_back(kDigits[bytes[i] >> 4]);
    hex.push_back(kDigits[bytes[i] & 0xf]);
  }
  return hex;
}

class ExamplePlugin {
 public:
  static std::unique_ptr<ExamplePlugin> Create(const interdict::sdk::Host& /*host*/, std::string_view /*config*/,
                                               std::string* /*error*/) {
    return std::make_unique<ExamplePlugin>();
  }

  interdict_status Process(interdict::sdk::Job& job) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha256(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!sha256 || EVP_DigestInit_ex(sha256.get(), EVP_sha256(), nullptr) != 1) return INTERDICT_INTERNAL;
    std::array<uint64_t, 256> histogram{};
    std::vector<unsigned char> block(kReadBlockBytes);
    uint64_t offset = 0;
    for (;;) {
      if (job.Cancelled()) return INTERDICT_CANCELLED;
      size_t got = 0;
      interdict_status status = job.ReadAt(offset, block.data(), block.size(), &got);
      if (status != INTERDICT_OK) return status;
      if (got == 0) break;
      EVP_DigestUpdate(sha256.get(), block.data(), got);
      for (size_t i = 0; i < got; ++i) ++histogram[block[i]];
      offset += got;
      job.Progress(offset, job.input_size());
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned digest_length = 0;
    EVP_DigestFinal_ex(sha256.get(), digest, &digest_length);
    std::string sha256_hex = ToHex(digest, digest_length);

    std::string location(job.input_name());
    nlohmann::json finding = {
        {"kind", "input-summary"}, {"severity", "info"},
        {"location", location},    {"summary", std::to_string(offset) + " bytes, SHA-256 " + sha256_hex},
        {"size", offset},          {"sha256", sha256_hex}};
    interdict_status emitted = job.EmitFinding(finding.dump());
    if (emitted != INTERDICT_OK) return emitted;

    std::string histogram_json = nlohmann::json(histogram).dump();
    nlohmann::json meta = {{"name", "byte-histogram.json"},
                           {"media_type", "application/json"},
                           {"location", location},
                           {"role", "summary"}};
    job.Log(INTERDICT_LOG_INFO, "read " + std::to_string(offset) + " bytes");
    return job.EmitArtifact(meta.dump(), histogram_json.data(), histogram_json.size());
  }
};

}  // namespace

INTERDICT_DEFINE_PLUGIN(ExamplePlugin, "org.interdict.example", "1.0.0",
                        "Counts the bytes of its input and reports their SHA-256 (the plugin ABI example)", "scan", "*",
                        "")
