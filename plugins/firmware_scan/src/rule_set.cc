#include "rule_set.h"

#include <sys/stat.h>
#include <yara.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/files.h"
#include "core/hash.h"
#include "scan_limits.h"

namespace interdict::fwscan {

Status EnsureYaraInitialized() {
  static std::once_flag once;
  static int result = ERROR_SUCCESS;
  std::call_once(once, [] { result = yr_initialize(); });
  return result == ERROR_SUCCESS ? Status::Ok() : Status::Internal("yr_initialize failed: " + std::to_string(result));
}

std::string YaraVersion() { return YR_VERSION; }

std::string CompileDiagnostic::ToString() const {
  return file + ":" + std::to_string(line) + ": " + (is_warning ? "warning" : "error") + ": " + message;
}

RuleSet::~RuleSet() {
  if (rules_) yr_rules_destroy(rules_);
}

std::string RuleSet::PackOfNamespace(const std::string& ns) const {
  size_t slash = ns.find('/');
  return slash == std::string::npos ? ns : ns.substr(0, slash);
}

// Builds RuleSet objects (the only code allowed to fill their private fields).
class RuleSetBuilder {
 public:
  static std::shared_ptr<const RuleSet> Make(YR_RULES* rules, std::vector<PackSummary> packs, nlohmann::json externals,
                                             std::string cache_key, bool from_cache) {
    std::shared_ptr<RuleSet> set(new RuleSet(rules));
    set->packs_ = std::move(packs);
    set->externals_ = std::move(externals);
    set->cache_key_ = std::move(cache_key);
    set->from_cache_ = from_cache;
    return set;
  }
  // Takes the YR_RULES out of a freshly compiled set (which must have no other owner) into a new set.
  static std::shared_ptr<const RuleSet> Adopt(std::shared_ptr<const RuleSet> compiled, std::vector<PackSummary> packs,
                                              nlohmann::json externals, std::string cache_key) {
    auto* mutable_set = const_cast<RuleSet*>(compiled.get());
    YR_RULES* rules = std::exchange(mutable_set->rules_, nullptr);
    return Make(rules, std::move(packs), std::move(externals), std::move(cache_key), false);
  }
};

namespace {

struct CompilerCallbackState {
  std::vector<CompileDiagnostic>* diagnostics;
  std::string current_file;
  int warnings = 0;
};

void CompilerCallback(int level, const char* file, int line, const YR_RULE* rule, const char* message, void* user) {
  auto* state = static_cast<CompilerCallbackState*>(user);
  if (level == YARA_ERROR_LEVEL_WARNING) state->warnings++;
  if (!state->diagnostics) return;
  state->diagnostics->push_back({file && *file ? file : state->current_file, line, level == YARA_ERROR_LEVEL_WARNING,
                                 rule ? rule->identifier : "", message ? message : ""});
}

struct CompilerDeleter {
  void operator()(YR_COMPILER* c) const { yr_compiler_destroy(c); }
};
using CompilerPtr = std::unique_ptr<YR_COMPILER, CompilerDeleter>;

Status DefineExternals(YR_COMPILER* compiler, const nlohmann::json& externals) {
  for (const auto& [name, value] : externals.items()) {
    int r = ERROR_SUCCESS;
    if (value.is_string()) {
      r = yr_compiler_define_string_variable(compiler, name.c_str(), value.get<std::string>().c_str());
    } else if (value.is_boolean()) {
      r = yr_compiler_define_boolean_variable(compiler, name.c_str(), value.get<bool>());
    } else if (value.is_number_integer()) {
      r = yr_compiler_define_integer_variable(compiler, name.c_str(), value.get<int64_t>());
    } else if (value.is_number_float()) {
      r = yr_compiler_define_float_variable(compiler, name.c_str(), value.get<double>());
    }
    if (r != ERROR_SUCCESS) return Status::InvalidArgument("external variable \"" + name + "\" could not be defined");
  }
  return Status::Ok();
}

Result<CompilerPtr> NewCompiler(CompilerCallbackState* state, const nlohmann::json& externals) {
  INTERDICT_RETURN_IF_ERROR(EnsureYaraInitialized());
  YR_COMPILER* raw = nullptr;
  if (yr_compiler_create(&raw) != ERROR_SUCCESS) return Status::Internal("yr_compiler_create failed");
  CompilerPtr compiler(raw);
  yr_compiler_set_callback(compiler.get(), &CompilerCallback, state);
  // Packs are self-contained: an `include` could pull in files the signature does not cover.
  yr_compiler_set_include_callback(compiler.get(), nullptr, nullptr, nullptr);
  INTERDICT_RETURN_IF_ERROR(DefineExternals(compiler.get(), externals));
  return compiler;
}

std::string CacheKey(const std::vector<RulePack>& packs, const nlohmann::json& externals) {
  std::string material = "libyara " + YaraVersion() + "\n";
  for (const RulePack& p : packs) material += p.name + " " + p.digest + "\n";
  material += externals.dump();
  return Sha256Hex(material);
}

// In-memory YR_STREAMs so that cached rules are hashed and loaded from the same bytes.
struct MemoryStream {
  std::string bytes;
  size_t position = 0;
};
size_t StreamRead(void* ptr, size_t size, size_t count, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  if (size == 0) return 0;
  size_t n = std::min(count, (s->bytes.size() - s->position) / size);
  std::memcpy(ptr, s->bytes.data() + s->position, n * size);
  s->position += n * size;
  return n;
}
size_t StreamWrite(const void* ptr, size_t size, size_t count, void* user) {
  static_cast<MemoryStream*>(user)->bytes.append(static_cast<const char*>(ptr), size * count);
  return count;
}

YR_RULES* LoadCached(const std::filesystem::path& dir, const std::string& key) {
  auto rules_path = dir / (key + ".yarc");
  Result<std::string> bytes = ReadFileToString(rules_path, 1ull << 30);
  Result<std::string> recorded = ReadFileToString(dir / (key + ".yarc.sha256"), 1024);
  if (!bytes.ok() || !recorded.ok()) return nullptr;
  std::string expected = *recorded;
  while (!expected.empty() && std::isspace(static_cast<unsigned char>(expected.back()))) expected.pop_back();
  if (Sha256Hex(*bytes) != expected) return nullptr;  // damaged or replaced: recompile
  MemoryStream stream{std::move(*bytes)};
  YR_STREAM yr_stream{&stream, &StreamRead, &StreamWrite};
  YR_RULES* rules = nullptr;
  if (yr_rules_load_stream(&yr_stream, &rules) != ERROR_SUCCESS) return nullptr;
  return rules;
}

void SaveCached(YR_RULES* rules, const std::filesystem::path& dir, const std::string& key) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return;
  ::chmod(dir.c_str(), 0700);
  MemoryStream stream;
  YR_STREAM yr_stream{&stream, &StreamRead, &StreamWrite};
  if (yr_rules_save_stream(rules, &yr_stream) != ERROR_SUCCESS) return;
  if (WriteFileAtomic(dir / (key + ".yarc"), stream.bytes, 0600).ok()) {
    (void)WriteFileAtomic(dir / (key + ".yarc.sha256"), Sha256Hex(stream.bytes) + "\n", 0600);
  }
}

}  // namespace

std::filesystem::path DefaultRuleCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "interdict/yara";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".cache/interdict/yara";
  return std::filesystem::temp_directory_path() / "interdict-yara-cache";
}

Result<std::shared_ptr<const RuleSet>> BuildRuleSet(const std::vector<RulePack>& packs, const RuleSetOptions& options,
                                                    std::vector<CompileDiagnostic>* diagnostics) {
  INTERDICT_RETURN_IF_ERROR(EnsureYaraInitialized());
  if (packs.empty()) return Status::InvalidArgument("no rule packs given");
  nlohmann::json externals = nlohmann::json::object();
  std::vector<PackSummary> summaries;
  for (const RulePack& pack : packs) {
    if (!pack.verified) return Status::PermissionDenied("rule pack \"" + pack.name + "\" was not verified");
    if (CompareVersions(YaraVersion(), pack.min_engine) < 0) {
      return Status::Unsupported("rule pack \"" + pack.name + "\" needs libyara " + pack.min_engine + ", this is " +
                                 YaraVersion());
    }
    for (const auto& [name, value] : pack.externals.items()) {
      if (externals.contains(name) && externals[name] != value) {
        return Status::InvalidArgument("packs disagree on the default of external \"" + name + "\"");
      }
      externals[name] = value;
    }
    summaries.push_back({pack.name, pack.version, pack.digest, pack.signer_key});
  }
  std::string key = CacheKey(packs, externals);
  if (options.cache_dir && !options.warnings_are_errors) {
    if (YR_RULES* cached = LoadCached(*options.cache_dir, key)) {
      return RuleSetBuilder::Make(cached, std::move(summaries), std::move(externals), key, true);
    }
  }
  std::vector<RuleSource> sources;
  for (const RulePack& pack : packs) {
    for (const PackFile& file : pack.files) {
      INTERDICT_ASSIGN_OR_RETURN(std::string text, ReadPackFile(pack, file));
      sources.push_back({pack.name + "/" + std::filesystem::path(file.path).filename().string(),
                         (pack.dir / file.path).string(), std::move(text)});
    }
  }
  std::vector<CompileDiagnostic> local;
  INTERDICT_ASSIGN_OR_RETURN(std::shared_ptr<const RuleSet> compiled,
                             CompileRuleSources(sources, externals, diagnostics ? diagnostics : &local,
                                                options.warnings_are_errors));
  YR_RULES* rules = compiled->rules();
  if (options.cache_dir) SaveCached(rules, *options.cache_dir, key);
  // Re-wrap with the pack summaries; the compiled object hands over its YR_RULES.
  return RuleSetBuilder::Adopt(compiled, std::move(summaries), std::move(externals), key);
}

Result<std::shared_ptr<const RuleSet>> CompileRuleSources(const std::vector<RuleSource>& sources,
                                                          const nlohmann::json& externals,
                                                          std::vector<CompileDiagnostic>* diagnostics,
                                                          bool warnings_are_errors) {
  CompilerCallbackState state{diagnostics, ""};
  INTERDICT_ASSIGN_OR_RETURN(CompilerPtr compiler, NewCompiler(&state, externals));
  for (const RuleSource& source : sources) {
    state.current_file = source.file;
    if (yr_compiler_add_string(compiler.get(), source.text.c_str(), source.ns.c_str()) != 0) {
      std::string first;
      if (diagnostics && !diagnostics->empty()) first = ": " + diagnostics->back().ToString();
      return Status::InvalidArgument(source.file + " does not compile" + first);
    }
  }
  if (warnings_are_errors && state.warnings > 0) {
    return Status::InvalidArgument(std::to_string(state.warnings) + " compiler warning(s), treated as errors");
  }
  YR_RULES* rules = nullptr;
  if (yr_compiler_get_rules(compiler.get(), &rules) != ERROR_SUCCESS) return Status::Internal("yr_compiler_get_rules failed");
  return RuleSetBuilder::Make(rules, {}, externals, "", false);
}

Result<std::shared_ptr<const RuleSet>> CompileRuleText(const std::string& text, const std::string& ns,
                                                       std::vector<CompileDiagnostic>* diagnostics,
                                                       const nlohmann::json& externals) {
  return CompileRuleSources({{ns, ns, text}}, externals, diagnostics);
}

}  // namespace interdict::fwscan
