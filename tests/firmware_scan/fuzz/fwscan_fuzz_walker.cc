// Fuzz target: the whole walk (identify, unpack recursively, carve, scan) on arbitrary bytes with a small
// built-in rule, so the recursion, the limits and the record writer see hostile nesting.
#include <memory>

#include "layer_scanner.h"
#include "layer_walker.h"
#include "libewf_lsan.h"
#include "rule_set.h"

namespace {
constexpr char kFuzzRule[] = "rule fuzz_marker { strings: $a = \"interdict\" condition: $a }";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace interdict::fwscan;
  static std::shared_ptr<const RuleSet> rules = [] {
    auto compiled = CompileRuleText(kFuzzRule, "fuzz");
    return compiled.ok() ? *compiled : nullptr;
  }();
  if (!rules) return 0;
  auto scanner = LayerScanner::Create(rules, ScanOptions{});
  if (!scanner.ok()) return 0;
  WalkOptions options;
  options.limits.max_member_bytes = 8ull << 20;
  options.limits.max_files_per_container = 256;
  options.limits.wall_time = std::chrono::seconds(20);
  (void)WalkInput("fuzz.bin", MakeMemorySource(std::vector<uint8_t>(data, data + size)), **scanner, options,
                  [](const nlohmann::json&) { return interdict::Status::Ok(); });
  return 0;
}
