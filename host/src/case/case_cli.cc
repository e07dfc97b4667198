#include "case/case_cli.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "case/case_store.h"
#include "case/lab_key.h"
#include "core/progress.h"

namespace interdict {
namespace {

struct CaseCommandOptions {
  std::filesystem::path case_dir;
  std::string case_number;
  std::string examiner;
  std::string description;
  std::vector<std::filesystem::path> files;
  std::string label;
  std::string kind = "file";
  std::string media_type = "application/octet-stream";
  std::filesystem::path key_dir;
  std::string public_key;
  bool no_rehash = false;
  bool force = false;
};

void PrintJson(const nlohmann::json& value) { std::cout << value.dump(2) << "\n"; }

std::filesystem::path KeyDirOrDefault(const std::filesystem::path& key_dir) {
  return key_dir.empty() ? DefaultKeyDir() : key_dir;
}

nlohmann::json InfoJson(const CaseInfo& info) {
  return {{"case_uuid", info.case_uuid},     {"case_number", info.case_number}, {"examiner", info.examiner},
          {"description", info.description}, {"created_utc", info.created_utc}, {"tool_version", info.tool_version}};
}

int RunInit(const CaseCommandOptions& options, CliContext& context) {
  CaseInfo info;
  info.case_number = options.case_number;
  info.examiner = options.examiner;
  info.description = options.description;
  auto store = CaseStore::Create(options.case_dir, info, CurrentUserActor());
  if (!store.ok()) return context.Fail("case init " + options.case_dir.string(), store.status());
  auto created = (*store)->Info();
  if (!created.ok()) return context.Fail("case init", created.status());
  if (context.json) {
    nlohmann::json out = InfoJson(*created);
    out["case_dir"] = options.case_dir.string();
    PrintJson(out);
  } else {
    std::cout << "created case " << created->case_number << " (" << created->case_uuid << ") in "
              << options.case_dir.string() << "\n";
  }
  return context.exit_code = kExitOk;
}

int RunInfo(const CaseCommandOptions& options, CliContext& context) {
  auto store = CaseStore::OpenReadOnly(options.case_dir);
  if (!store.ok()) return context.Fail("case info", store.status());
  CaseStore& open = **store;
  auto info = open.Info();
  auto evidence = open.ListEvidence();
  auto artifacts = open.ListArtifacts();
  auto jobs = open.ListJobs();
  auto findings = open.ListFindings();
  auto head = open.AuditHead();
  auto seals = open.ListSeals();
  for (const Status* status : {&info.status(), &evidence.status(), &artifacts.status(), &jobs.status(),
                               &findings.status(), &head.status(), &seals.status()}) {
    if (!status->ok()) return context.Fail("case info", *status);
  }
  nlohmann::json out = InfoJson(*info);
  out["case_dir"] = options.case_dir.string();
  out["counts"] = {{"evidence", evidence->size()}, {"artifacts", artifacts->size()}, {"jobs", jobs->size()},
                   {"findings", findings->size()}, {"audit_records", head->seq},     {"seals", seals->size()}};
  out["audit_head"] = {{"seq", head->seq}, {"entry_hash", head->entry_hash}};
  if (!seals->empty()) {
    const AuditSeal& last = seals->back();
    out["last_seal"] = {
        {"seq", last.seq}, {"head_hash", last.head_hash}, {"public_key", last.public_key}, {"time_utc", last.time_utc}};
  }
  nlohmann::json evidence_list = nlohmann::json::array();
  for (const EvidenceRecord& item : *evidence) {
    evidence_list.push_back({{"id", item.id},
                             {"uuid", item.uuid},
                             {"label", item.label},
                             {"kind", item.kind},
                             {"source", item.source},
                             {"sha256", item.artifact_sha256}});
  }
  out["evidence"] = evidence_list;
  if (context.json) {
    PrintJson(out);
  } else {
    std::cout << "case " << info->case_number << " (" << info->case_uuid << ")\n"
              << "  examiner:    " << info->examiner << "\n"
              << "  description: " << info->description << "\n"
              << "  created:     " << info->created_utc << " by interdict " << info->tool_version << "\n"
              << "  evidence " << evidence->size() << ", artifacts " << artifacts->size() << ", jobs " << jobs->size()
              << ", findings " << findings->size() << ", seals " << seals->size() << "\n"
              << "  audit head:  seq " << head->seq << " " << head->entry_hash << "\n";
    for (const EvidenceRecord& item : *evidence) {
      std::cout << "  evidence " << item.id << " [" << item.label << "] " << item.kind << " " << item.source << " "
                << item.artifact_sha256 << "\n";
    }
  }
  return context.exit_code = kExitOk;
}

int RunAdd(const CaseCommandOptions& options, CliContext& context) {
  auto store = CaseStore::Open(options.case_dir);
  if (!store.ok()) return context.Fail("case add", store.status());
  const std::string actor = CurrentUserActor();
  nlohmann::json added = nlohmann::json::array();
  for (size_t i = 0; i < options.files.size(); ++i) {
    const std::filesystem::path& file = options.files[i];
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(file, ec);
    // Evidence is copied, never moved: the source stays exactly as it was.
    auto artifact = (*store)->StoreArtifactFile(file, options.media_type, /*move_file=*/false, actor);
    if (!artifact.ok()) return context.Fail("case add " + file.string(), artifact.status());
    EvidenceRecord evidence;
    evidence.label = options.label.empty()       ? file.filename().string()
                     : options.files.size() == 1 ? options.label
                                                 : options.label + "-" + std::to_string(i + 1);
    evidence.kind = options.kind;
    evidence.source = "file:" + (ec ? file : absolute).string();
    evidence.artifact_sha256 = artifact->sha256;
    evidence.details = {
        {"size", artifact->size}, {"md5", artifact->md5}, {"sha1", artifact->sha1}, {"sha256", artifact->sha256}};
    auto recorded = (*store)->AddEvidence(evidence, actor);
    if (!recorded.ok()) return context.Fail("case add " + file.string(), recorded.status());
    ArtifactName name;
    name.artifact_sha256 = artifact->sha256;
    name.evidence_id = recorded->id;
    name.name = file.filename().string();
    name.location = file.filename().string();
    name.role = "evidence";
    Status named = (*store)->AddArtifactName(name);
    if (!named.ok()) return context.Fail("case add " + file.string(), named);
    added.push_back({{"evidence_id", recorded->id},
                     {"uuid", recorded->uuid},
                     {"label", recorded->label},
                     {"file", file.string()},
                     {"size", artifact->size},
                     {"md5", artifact->md5},
                     {"sha1", artifact->sha1},
                     {"sha256", artifact->sha256}});
    if (!context.json) {
      std::cout << "evidence " << recorded->id << " [" << recorded->label << "] " << file.string() << "\n"
                << "  sha256 " << artifact->sha256 << "\n  sha1   " << artifact->sha1 << "\n  md5    " << artifact->md5
                << "\n";
    }
  }
  if (context.json) PrintJson({{"added", added}});
  return context.exit_code = kExitOk;
}

int RunVerify(const CaseCommandOptions& options, CliContext& context) {
  // Verification never writes to the case it checks.
  auto store = CaseStore::OpenReadOnly(options.case_dir);
  if (!store.ok()) return context.Fail("case verify", store.status());
  VerifyOptions verify;
  verify.rehash_artifacts = !options.no_rehash;
  if (!options.public_key.empty()) {
    verify.trusted_public_key = options.public_key;
  } else if (!options.key_dir.empty()) {
    auto key = LoadLabPublicKey(options.key_dir);
    if (!key.ok()) return context.Fail("case verify", key.status());
    verify.trusted_public_key = *key;
  }
  ProgressReporter progress("verify", 0, context.quiet);
  uint64_t rehashed = 0;
  verify.on_progress = [&](uint64_t done, uint64_t total) {
    if (rehashed == 0) progress.SetTotal(total);
    rehashed = done;
    progress.Update(done);
  };
  auto report = (*store)->Verify(verify);
  progress.Finish(rehashed, "re-hashed");
  if (!report.ok()) return context.Fail("case verify", report.status());
  if (context.json) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& problem : report->problems) problems.push_back({{"where", problem.where}, {"what", problem.what}});
    nlohmann::json out = {{"ok", report->ok()},
                          {"audit_records_checked", report->audit_records_checked},
                          {"seals_checked", report->seals_checked},
                          {"artifacts_checked", report->artifacts_checked},
                          {"trusted_public_key", verify.trusted_public_key.value_or("")},
                          {"problems", problems}};
    if (!report->ok()) out["first_break"] = problems[0];
    PrintJson(out);
  } else if (report->ok()) {
    std::cout << "verified: " << report->audit_records_checked << " audit records, " << report->seals_checked
              << " seals" << (verify.trusted_public_key ? " (lab key)" : "") << ", " << report->artifacts_checked
              << " artifacts\n";
  } else {
    const auto& first = report->problems.front();
    std::cout << "VERIFICATION FAILED: first break: " << first.where << ": " << first.what << "\n";
    for (size_t i = 1; i < report->problems.size(); ++i) {
      std::cout << "  also: " << report->problems[i].where << ": " << report->problems[i].what << "\n";
    }
  }
  if (!report->ok()) {
    std::fprintf(stderr, "interdict: case verify: %s: %s\n", report->problems.front().where.c_str(),
                 report->problems.front().what.c_str());
  }
  return context.exit_code = report->ok() ? kExitOk : kExitVerificationFailed;
}

int RunSeal(const CaseCommandOptions& options, CliContext& context) {
  auto key = LoadLabKey(KeyDirOrDefault(options.key_dir));
  if (!key.ok()) return context.Fail("case seal", key.status());
  auto store = CaseStore::Open(options.case_dir);
  if (!store.ok()) return context.Fail("case seal", store.status());
  auto seal = (*store)->SealAudit(*key, CurrentUserActor());
  if (!seal.ok()) return context.Fail("case seal", seal.status());
  if (context.json) {
    PrintJson({{"seq", seal->seq},
               {"head_hash", seal->head_hash},
               {"public_key", seal->public_key},
               {"signature", seal->signature},
               {"time_utc", seal->time_utc}});
  } else {
    std::cout << "sealed audit seq " << seal->seq << " head " << seal->head_hash << "\n  key " << seal->public_key
              << "\n";
  }
  return context.exit_code = kExitOk;
}

int RunKeys(const std::string& action, const CaseCommandOptions& options, CliContext& context) {
  std::filesystem::path key_dir = KeyDirOrDefault(options.key_dir);
  std::string public_key;
  if (action == "generate") {
    auto key = GenerateLabKey(key_dir, options.force);
    if (!key.ok()) return context.Fail("keys generate", key.status());
    public_key = key->public_key_hex();
  } else if (action == "show") {
    auto key = LoadLabPublicKey(key_dir);
    if (!key.ok()) return context.Fail("keys show", key.status());
    public_key = *key;
  }
  if (context.json) {
    nlohmann::json out = {{"key_dir", key_dir.string()},
                          {"private_key", LabKeyPath(key_dir).string()},
                          {"public_key_file", LabPublicKeyPath(key_dir).string()}};
    if (!public_key.empty()) out["public_key"] = public_key;
    PrintJson(out);
  } else if (action == "path") {
    std::cout << key_dir.string() << "\n";
  } else {
    std::cout << public_key << "\n";
    if (action == "generate") std::cerr << "lab key written to " << LabKeyPath(key_dir).string() << "\n";
  }
  return context.exit_code = kExitOk;
}

}  // namespace

void RegisterCaseCommands(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<CaseCommandOptions>();
  CLI::App* case_cmd = app.add_subcommand("case", "Create, fill, inspect, seal and verify a case directory");
  case_cmd->require_subcommand(1);

  CLI::App* init = case_cmd->add_subcommand("init", "Create a new case directory");
  init->add_option("DIR", options->case_dir, "Case directory (must not hold a case yet)")->required();
  init->add_option("--case-number", options->case_number, "Case number")->required();
  init->add_option("--examiner", options->examiner, "Examiner's name")->required();
  init->add_option("--description", options->description, "Short description of the case");
  init->callback([options, &context] { RunInit(*options, context); });

  CLI::App* info = case_cmd->add_subcommand("info", "Show a case's facts, counts and audit head");
  info->add_option("DIR", options->case_dir, "Case directory")->required();
  info->callback([options, &context] { RunInfo(*options, context); });

  CLI::App* add = case_cmd->add_subcommand("add", "Add files as evidence (copied into the artifact store)");
  add->add_option("DIR", options->case_dir, "Case directory")->required();
  add->add_option("FILE", options->files, "Files to add")->required()->check(CLI::ExistingFile);
  add->add_option("--label", options->label, "Evidence label / exhibit number (numbered when several files)");
  add->add_option("--kind", options->kind, "Evidence kind: file, image-file, ...")->capture_default_str();
  add->add_option("--media-type", options->media_type, "Media type of the files")->capture_default_str();
  add->callback([options, &context] { RunAdd(*options, context); });

  CLI::App* verify = case_cmd->add_subcommand(
      "verify", "Recompute the audit chain, check every seal and re-hash every artifact (exit 4 on a break)");
  verify->add_option("DIR", options->case_dir, "Case directory")->required();
  verify->add_option("--key-dir", options->key_dir, "Require seals made with the lab key in this folder");
  verify->add_option("--public-key", options->public_key, "Require seals made with this public key (hex)");
  verify->add_flag("--no-rehash", options->no_rehash, "Skip re-hashing the artifact files");
  verify->callback([options, &context] { RunVerify(*options, context); });

  CLI::App* seal = case_cmd->add_subcommand("seal", "Sign the audit chain head with the lab key");
  seal->add_option("DIR", options->case_dir, "Case directory")->required();
  seal->add_option("--key-dir", options->key_dir, "Folder of the lab key (default: see `interdict keys path`)");
  seal->callback([options, &context] { RunSeal(*options, context); });

  CLI::App* keys = app.add_subcommand("keys", "Manage the lab's Ed25519 key that seals audit chains");
  keys->require_subcommand(1);
  keys->add_option(
      "--key-dir", options->key_dir,
      "Key folder (default $INTERDICT_KEY_DIR, $XDG_CONFIG_HOME/interdict/keys, ~/.config/interdict/keys)");
  CLI::App* generate = keys->add_subcommand("generate", "Create the lab key (private key mode 0600)");
  generate->add_flag("--force", options->force, "Replace an existing key");
  generate->callback([options, &context] { RunKeys("generate", *options, context); });
  keys->add_subcommand("show", "Print the lab's public key (hex)")->callback([options, &context] {
    RunKeys("show", *options, context);
  });
  keys->add_subcommand("path", "Print the key folder")->callback([options, &context] {
    RunKeys("path", *options, context);
  });
}

}  // namespace interdict
