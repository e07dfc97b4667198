#include "cli/cli_context.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace interdict {

int CliContext::Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "interdict: %s: %s\n", what.c_str(), status.ToString().c_str());
  exit_code = ExitCodeFor(status);
  return exit_code;
}

std::filesystem::path ExecutableDir() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::filesystem::current_path();
  return self.parent_path();
}

std::filesystem::path DefaultPluginDir() {
  if (const char* env = std::getenv("INTERDICT_PLUGIN_DIR"); env != nullptr && *env != '\0') return env;
  std::filesystem::path beside = ExecutableDir().parent_path() / "plugins";
  if (std::filesystem::is_directory(beside)) return beside;
  return "/usr/lib/interdict/plugins";
}

}  // namespace interdict
