// A plugin built against a future plugin ABI major (2): the host must refuse it, naming both versions.
#include "interdict/plugin_abi.h"
#undef INTERDICT_ABI_MAJOR
#define INTERDICT_ABI_MAJOR 2
#include <memory>
#include <string>

#include "interdict/plugin.hpp"

namespace {

class FutureAbiPlugin {
 public:
  static std::unique_ptr<FutureAbiPlugin> Create(const interdict::sdk::Host&, std::string_view, std::string*) {
    return std::make_unique<FutureAbiPlugin>();
  }
  interdict_status Process(interdict::sdk::Job&) { return INTERDICT_OK; }
};

}  // namespace

INTERDICT_DEFINE_PLUGIN(FutureAbiPlugin, "org.interdict.test.abi-major", "1.0.0", "built for plugin ABI 2.0", "scan",
                        "application/x-interdict-test", "")
