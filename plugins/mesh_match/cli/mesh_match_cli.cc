// The mesh commands. Evidence is never parsed in this process by default: each file is one job of the
// plugin_mesh_match plugin run by RunJob in a sandboxed worker (or in this process with --in-process).
// Builds without the sandbox layer fall back to the library path and say so on stderr.
#include "mesh_match_cli.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/files.h"
#include "core/progress.h"
#include "core/signing.h"
#include "mesh_analysis.h"
#include "mesh_import.h"
#include "mesh_limits.h"
#include "template_pack.h"

#ifdef INTERDICT_HAVE_SANDBOX
#include "sandbox/job_runner.h"
#endif
#ifdef INTERDICT_HAVE_CASE
#include "case/case_job.h"
#include "case/case_store.h"
#endif

namespace interdict {
namespace {

namespace fs = std::filesystem;
using namespace interdict::mesh;

constexpr char kPluginFolder[] = "plugin_mesh_match";

struct MeshArgs {
  std::vector<std::string> inputs;
  std::string templates;
  std::string trusted_keys;
  std::string case_dir;
  bool allow_unsigned = false;
  size_t shortlist = kShortlistSize;
};

struct FileResult {
  std::string name;
  std::vector<nlohmann::json> findings;
  Status status;
};

Result<std::vector<std::string>> TrustedKeys(const MeshArgs& args) {
  return LoadTrustedPackKeys(args.trusted_keys.empty() ? DefaultTemplateTrustedKeysDir() : fs::path(args.trusted_keys));
}

nlohmann::json PluginConfig(const MeshArgs& args, const std::vector<std::string>& keys) {
  nlohmann::json config = {{"shortlist", args.shortlist}, {"allow_unsigned", args.allow_unsigned}, {"trusted_keys", keys}};
  if (!args.templates.empty()) config["templates"] = fs::absolute(args.templates).string();
  return config;
}

#ifdef INTERDICT_HAVE_SANDBOX
JobSpec MakeSpec(const CliContext& context, const nlohmann::json& config, const std::string& mode, const fs::path& input) {
  JobSpec spec;
  spec.plugin_manifest = context.plugin_dir / kPluginFolder / "plugin.json";
  spec.input_path = input;
  spec.input_name = input.filename().string();
  spec.plugin_config = config;
  spec.params = {{"mode", mode}};
  spec.in_process = context.in_process;
  return spec;
}
#endif

#ifndef INTERDICT_HAVE_SANDBOX
// Library path: used when the build has no sandbox layer.
FileResult AnalyseInProcess(const fs::path& input, TemplateLibrary* library, const PackIdentity& pack, bool describe,
                            const MatchOptions& options) {
  FileResult r;
  r.name = input.filename().string();
  Result<std::string> bytes = ReadFileToString(input, kMaxMeshFileBytes);
  if (!bytes.ok()) {
    r.status = bytes.status();
    return r;
  }
  Result<FileAnalysis> analysis = AnalyseMesh({reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()}, r.name,
                                              describe ? nullptr : library, options);
  if (!analysis.ok()) {
    r.findings.push_back(ImportFailureFinding(analysis.status(), r.name));
    return r;
  }
  if (describe) {
    r.findings.push_back({{"kind", "mesh-description"}, {"severity", "info"}, {"location", r.name},
                          {"summary", "model description"}, {"description", DescribeAnalysis(*analysis)}});
  }
  for (nlohmann::json& f : AnalysisFindings(*analysis, r.name, pack, library)) r.findings.push_back(std::move(f));
  return r;
}
#endif

void PrintFinding(const CliContext& context, const nlohmann::json& f) {
  if (context.json) {
    std::printf("%s\n", f.dump().c_str());
    return;
  }
  std::printf("[%s] %s: %s: %s\n", f.value("severity", "?").c_str(), f.value("kind", "?").c_str(),
              f.value("location", "").c_str(), f.value("summary", "").c_str());
  if (f.contains("description")) std::printf("%s\n", f["description"].dump(2).c_str());
}

int ExitCodeFor(const std::vector<FileResult>& results) {
  bool matched = false, incomplete = false;
  for (const FileResult& r : results) {
    if (!r.status.ok()) incomplete = true;
    for (const nlohmann::json& f : r.findings) {
      const std::string kind = f.value("kind", "");
      if (kind == "mesh-match") matched = true;
      if (kind == "corruption" || kind == "limit-exceeded" || kind == "timeout" || kind == "scan-error") incomplete = true;
    }
  }
  return incomplete ? kExitIncomplete : matched ? kExitFindings : kExitOk;
}

#ifdef INTERDICT_HAVE_CASE
Status RunIntoCase(const CliContext& context, const fs::path& case_dir, const nlohmann::json& config,
                   const std::string& pack_name, const std::string& pack_digest, const std::vector<fs::path>& inputs,
                   std::vector<FileResult>* results) {
  INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<CaseStore> store, CaseStore::Open(case_dir));
  for (const fs::path& input : inputs) {
    FileResult r;
    r.name = input.filename().string();
    INTERDICT_ASSIGN_OR_RETURN(ArtifactRecord artifact,
                               store->StoreArtifactFile(input, "application/octet-stream", false, CurrentUserActor()));
    CaseJobContext job_context;
    job_context.input_sha256 = artifact.sha256;
    job_context.input_location = r.name;
    if (!pack_name.empty()) job_context.pack_digests[pack_name] = pack_digest;
    JobSpec spec = MakeSpec(context, config, "match", store->ArtifactPath(artifact.sha256));
    spec.input_name = r.name;
    spec.input_sha256 = artifact.sha256;
    JobEvents events;
    events.on_finding = [&r](const nlohmann::json& f) {
      r.findings.push_back(f);
      return Status::Ok();
    };
    INTERDICT_ASSIGN_OR_RETURN(RecordedJob job, RecordJobIntoCase(*store, spec, job_context, events));
    if (job.outcome != "completed") r.status = Status::Internal(r.name + ": job " + job.outcome + ": " + job.message);
    results->push_back(std::move(r));
  }
  return Status::Ok();
}
#endif

int RunMesh(CliContext& context, const MeshArgs& args, bool describe) {
  Result<std::vector<std::string>> keys = TrustedKeys(args);
  if (!keys.ok()) return context.Fail("trusted keys", keys.status());
  // Verify the pack here too, so a refused pack is a clear exit code and not a failed job per file.
  std::optional<TemplatePack> pack;
  if (!describe) {
    Result<TemplatePack> loaded = LoadTemplatePack(args.templates);
    if (!loaded.ok()) return context.Fail("template pack " + args.templates, loaded.status());
    Status verified = VerifyTemplatePack(*loaded, {*keys, args.allow_unsigned});
    if (!verified.ok()) return context.Fail("template pack " + args.templates, verified);
    pack = std::move(*loaded);
  }
  const nlohmann::json config = PluginConfig(args, *keys);
  std::vector<fs::path> inputs(args.inputs.begin(), args.inputs.end());
  std::vector<FileResult> results;
  if (!args.case_dir.empty()) {
#ifdef INTERDICT_HAVE_CASE
    Status s = RunIntoCase(context, args.case_dir, config, pack ? pack->name : "", pack ? pack->digest : "", inputs, &results);
    if (!s.ok()) return context.Fail("recording into case " + args.case_dir, s);
#else
    return context.Fail("mesh --case", Status::Unsupported("this build has no case store"));
#endif
  } else {
#ifdef INTERDICT_HAVE_SANDBOX
    for (const fs::path& input : inputs) {
      FileResult r;
      r.name = input.filename().string();
      JobEvents events;
      events.on_finding = [&r](const nlohmann::json& f) {
        r.findings.push_back(f);
        return Status::Ok();
      };
      events.on_artifact = [](ProducedArtifact&) { return Status::Ok(); };  // without a case, nothing keeps them
      Result<JobOutcome> outcome = RunJob(MakeSpec(context, config, describe ? "describe" : "match", input), events);
      if (!outcome.ok()) {
        r.status = outcome.status();
      } else if (outcome->termination != JobTermination::kCompleted || outcome->plugin_status != 0) {
        r.status = Status::Internal("job ended " + std::string(JobTerminationName(outcome->termination)) +
                                    (outcome->message.empty() ? "" : ": " + outcome->message));
      }
      results.push_back(std::move(r));
    }
#else
    std::fprintf(stderr, "interdict: this build has no sandbox layer; analysing in this process\n");
    std::optional<TemplateLibrary> library;
    PackIdentity identity;
    if (pack) {
      Result<TemplateLibrary> opened = OpenTemplateLibrary(*pack);
      if (!opened.ok()) return context.Fail("template pack", opened.status());
      library.emplace(std::move(*opened));
      identity = {pack->name, pack->version, pack->digest};
    }
    MatchOptions options;
    options.shortlist = args.shortlist;
    for (const fs::path& input : inputs) {
      results.push_back(AnalyseInProcess(input, library ? &*library : nullptr, identity, describe, options));
    }
#endif
  }
  for (const FileResult& r : results) {
    for (const nlohmann::json& f : r.findings) PrintFinding(context, f);
    if (!r.status.ok()) std::fprintf(stderr, "interdict: mesh %s: %s\n", r.name.c_str(), r.status.ToString().c_str());
  }
  std::fflush(stdout);
  context.exit_code = ExitCodeFor(results);
  return context.exit_code;
}

void RegisterTemplateCommands(CLI::App& app, CliContext& context) {
  CLI::App* templates = app.add_subcommand("templates", "Build, test, sign and verify mesh template packs");
  templates->require_subcommand(1);
  auto pack = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  auto trusted = std::make_shared<std::string>();
  auto allow_unsigned = std::make_shared<bool>(false);

  CLI::App* build = templates->add_subcommand("build", "Describe every template mesh into descriptors.json");
  build->add_option("pack", *pack, "Pack folder")->required()->check(CLI::ExistingDirectory);
  build->callback([&context, pack] {
    ProgressReporter progress("templates build", 0, context.quiet, "templates");
    std::atomic<size_t> built{0}, templates{0};  // callbacks come from two threads
    Status s = BuildTemplateDescriptors(*pack, [&](size_t done, size_t total) {
      templates = total;
      progress.SetTotal(total);
      progress.Update(done);
      built = done;
    });
    progress.Finish(s.ok() ? templates.load() : built.load(), s.ok() ? "" : "stopped");
    if (!s.ok()) return static_cast<void>(context.Fail("templates build", s));
    std::printf("descriptors written to %s\n", (fs::path(*pack) / kTemplatePackDescriptors).c_str());
    context.exit_code = kExitOk;
  });

  CLI::App* sign = templates->add_subcommand("sign", "Pin every file of the pack in pack.json and sign it");
  sign->add_option("pack", *pack, "Pack folder")->required()->check(CLI::ExistingDirectory);
  sign->add_option("--key", *key, "Ed25519 private key (PEM); created with its .pub if it does not exist")->required();
  sign->callback([&context, pack, key] {
    Result<SigningKey> signing = fs::exists(*key) ? SigningKey::Load(*key) : SigningKey::Generate();
    if (!signing.ok()) return static_cast<void>(context.Fail("signing key", signing.status()));
    if (!fs::exists(*key)) {
      Status saved = signing->Save(*key);
      if (!saved.ok()) return static_cast<void>(context.Fail("saving the new key", saved));
    }
    Status s = SignTemplatePack(*pack, *signing);
    if (!s.ok()) return static_cast<void>(context.Fail("templates sign", s));
    std::printf("signed %s with key %s\n", pack->c_str(), signing->public_key_hex().c_str());
    context.exit_code = kExitOk;
  });

  auto verify_pack = [&context, trusted, allow_unsigned](const std::string& dir) -> Result<TemplatePack> {
    INTERDICT_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                               LoadTrustedPackKeys(trusted->empty() ? DefaultTemplateTrustedKeysDir() : fs::path(*trusted)));
    INTERDICT_ASSIGN_OR_RETURN(TemplatePack p, LoadTemplatePack(dir));
    INTERDICT_RETURN_IF_ERROR(VerifyTemplatePack(p, {keys, *allow_unsigned}));
    (void)context;
    return p;
  };
  CLI::App* verify = templates->add_subcommand("verify", "Check the pack's signature and every file hash");
  verify->add_option("pack", *pack, "Pack folder")->required()->check(CLI::ExistingDirectory);
  CLI::App* test = templates->add_subcommand("test", "Verify the pack, check its descriptors and run its fixtures");
  test->add_option("pack", *pack, "Pack folder")->required()->check(CLI::ExistingDirectory);
  for (CLI::App* sub : {verify, test}) {
    sub->add_option("--trusted-keys", *trusted, "Folder of trusted pack-signing public keys (*.pub)");
    sub->add_flag("--allow-unsigned", *allow_unsigned, "Accept a pack without a signature (authoring only)");
  }
  verify->callback([&context, pack, verify_pack] {
    Result<TemplatePack> p = verify_pack(*pack);
    if (!p.ok()) return static_cast<void>(context.Fail("templates verify " + *pack, p.status()));
    std::printf("%s %s: %zu templates, %zu files, signed by %s, digest %s\n", p->name.c_str(), p->version.c_str(),
                p->templates.size(), p->files.size(), p->signer_key.empty() ? "(unsigned, allowed)" : p->signer_key.c_str(),
                p->digest.c_str());
    context.exit_code = kExitOk;
  });
  test->callback([&context, pack, verify_pack] {
    Result<TemplatePack> p = verify_pack(*pack);
    if (!p.ok()) return static_cast<void>(context.Fail("templates test " + *pack, p.status()));
    ProgressReporter progress("templates test", p->templates.size(), context.quiet, "templates");
    Result<FixtureReport> report = TestTemplatePack(*p, [&progress](size_t done, size_t) { progress.Update(done); });
    progress.Finish(p->templates.size(), report.ok() ? "" : "stopped");
    if (!report.ok()) return static_cast<void>(context.Fail("templates test " + *pack, report.status()));
    for (const std::string& f : report->failures) std::printf("FAIL %s\n", f.c_str());
    std::printf("%d checks, %zu failed\n", report->checked, report->failures.size());
    context.exit_code = report->failures.empty() ? kExitOk : kExitVerificationFailed;
  });
}

}  // namespace

void RegisterMeshMatchCommands(CLI::App& app, CliContext& context) {
  CLI::App* mesh = app.add_subcommand("mesh", "Match 3D-printing files against template packs");
  mesh->require_subcommand(1);
  auto args = std::make_shared<MeshArgs>();
  CLI::App* match = mesh->add_subcommand("match", "Match every body of each model file against a template pack");
  match->add_option("inputs", args->inputs, "STL, OBJ, 3MF or PLY files")->required()->check(CLI::ExistingFile);
  match->add_option("--templates", args->templates, "Template pack folder (signatures/meshes/<pack>)")
      ->required()
      ->check(CLI::ExistingDirectory);
  match->add_option("--trusted-keys", args->trusted_keys, "Folder of trusted pack-signing public keys (*.pub)");
  match->add_flag("--allow-unsigned", args->allow_unsigned, "Accept a pack without a signature (never for casework)");
  match->add_option("--case", args->case_dir, "Record the jobs, findings and pictures into this case");
  match->add_option("--shortlist", args->shortlist, "Candidates verified by registration per body")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  match->callback([&context, args] { RunMesh(context, *args, false); });

  auto describe_args = std::make_shared<MeshArgs>();
  CLI::App* describe = mesh->add_subcommand("describe", "Format, anomalies, bodies and their measurements");
  describe->add_option("inputs", describe_args->inputs, "Model files")->required()->check(CLI::ExistingFile);
  describe->callback([&context, describe_args] { RunMesh(context, *describe_args, true); });

  RegisterTemplateCommands(app, context);
}

}  // namespace interdict
