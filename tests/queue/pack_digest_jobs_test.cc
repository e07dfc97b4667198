// Queued firmware and mesh jobs carry the digests of the packs their plugins load: the queue keys each job by
// them and the case records {pack name: manifest SHA-256} in the job record the report's plugin table reads.
// After a pack changes, the reload a SIGHUP triggers queues the affected plugin's work again (a new
// idempotency key) and leaves the other plugin's jobs alone.
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "case/case_store.h"
#include "core/files.h"
#include "core/signed_pack.h"
#include "queue/job_queue.h"
#include "queue/plugin_job_runner.h"

namespace interdict {
namespace {

namespace fs = std::filesystem;

constexpr char kFirmwareScan[] = "org.interdict.firmware_scan";
constexpr char kMeshMatch[] = "org.interdict.mesh_match";

class QueuedPackDigestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("interdict_pack_jobs_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "plugins");
    for (const char* plugin : {"plugin_firmware_scan", "plugin_mesh_match"}) {
      fs::copy(fs::path(INTERDICT_PLUGIN_DIR) / plugin, dir_ / "plugins" / plugin, fs::copy_options::recursive);
    }
    const fs::path signatures = fs::path(INTERDICT_SOURCE_DIR) / "signatures";
    fs::create_directories(dir_ / "yara");
    fs::copy(signatures / "yara/crypto-constants", dir_ / "yara/crypto-constants", fs::copy_options::recursive);
    fs::copy(signatures / "meshes/standin-parts", dir_ / "standin-parts", fs::copy_options::recursive);
    setenv("INTERDICT_YARA_PACKS", (dir_ / "yara").c_str(), 1);
    setenv("INTERDICT_MESH_PACK", (dir_ / "standin-parts").c_str(), 1);
    setenv("XDG_CACHE_HOME", (dir_ / "cache").c_str(), 1);

    CaseInfo info;
    info.case_number = "P-1";
    info.examiner = "pack digest test";
    auto store = CaseStore::Create(dir_ / "case", info, "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto stl = ReadFileToString(signatures / "meshes/standin-parts/fixtures/mirrored-copy.stl", 1 << 20);
    ASSERT_TRUE(stl.ok());
    auto artifact = (*store)->StoreArtifactBytes(*stl, "model/stl", "test");
    ASSERT_TRUE(artifact.ok()) << artifact.status().ToString();
    EvidenceRecord evidence;
    evidence.label = "EXHIBIT-STL";
    evidence.kind = "file";
    evidence.source = "file:/mirrored-copy.stl";
    evidence.artifact_sha256 = artifact->sha256;
    ASSERT_TRUE((*store)->AddEvidence(evidence, "test").ok());

    auto queue = OpenJobQueue("sqlite:" + (dir_ / "queue.db").string());
    ASSERT_TRUE(queue.ok()) << queue.status().ToString();
    queue_ = std::move(queue).value();
  }
  void TearDown() override {
    queue_.reset();
    for (const char* name : {"INTERDICT_YARA_PACKS", "INTERDICT_MESH_PACK", "XDG_CACHE_HOME"}) unsetenv(name);
    fs::remove_all(dir_);
  }

  PluginJobRunnerOptions RunnerOptions() const {
    PluginJobRunnerOptions options;
    options.plugin_dir = dir_ / "plugins";
    options.in_process = true;  // the sandboxed path is the same RecordJobIntoCase; this test is about packs
    options.actor = "pack-digest-test";
    options.max_attempts = 1;
    return options;
  }

  // Runs every queued job to its end, as a worker would.
  void RunQueuedJobs(PluginJobRunner& runner) {
    std::atomic<bool> lost{false};
    for (;;) {
      auto leased = queue_->Lease("test:1:0", std::chrono::minutes(10));
      ASSERT_TRUE(leased.ok()) << leased.status().ToString();
      if (!leased->has_value()) return;
      JobHandlerResult result = runner.Run(**leased, lost);
      ASSERT_EQ(result.disposition, JobDisposition::kDone) << result.error;
      ASSERT_TRUE(queue_->Complete(**leased, result.result).ok());
    }
  }

  nlohmann::json Digest(const fs::path& pack) const {
    auto digest = ReadPackDigest(pack);
    EXPECT_TRUE(digest.ok());
    return digest.ok() ? nlohmann::json{{digest->name, digest->sha256}} : nlohmann::json();
  }

  std::map<std::string, JobInfo> QueuedJobsByPlugin() const {
    std::map<std::string, JobInfo> jobs;
    auto listed = queue_->List({});
    EXPECT_TRUE(listed.ok());
    if (listed.ok()) {
      for (const JobInfo& info : *listed) jobs[info.request.plugin_id + "#" + std::to_string(info.job_id)] = info;
    }
    return jobs;
  }

  fs::path dir_;
  std::unique_ptr<JobQueue> queue_;
};

TEST_F(QueuedPackDigestsTest, CaseRecordsThePacksOfQueuedFirmwareAndMeshJobs) {
  const nlohmann::json yara = Digest(dir_ / "yara/crypto-constants");
  const nlohmann::json mesh = Digest(dir_ / "standin-parts");
  PluginJobRunner runner(*queue_, RunnerOptions());
  ASSERT_TRUE(runner.ReloadPlugins().ok());
  auto queued = runner.EnqueueCaseEvidence(dir_ / "case");
  ASSERT_TRUE(queued.ok()) << queued.status().ToString();
  ASSERT_EQ(*queued, 2);  // the STL for the firmware scanner (every input) and for the mesh matcher
  for (const auto& [key, info] : QueuedJobsByPlugin()) {
    EXPECT_EQ(info.request.pack_digest, CombinedPackDigest(info.request.plugin_id == kFirmwareScan ? yara : mesh))
        << key;
    EXPECT_EQ(info.request.pack_digest.size(), 64u) << key;
  }
  RunQueuedJobs(runner);

  auto store = CaseStore::Open(dir_ / "case");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto jobs = (*store)->ListJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 2u);
  for (const JobRecord& job : *jobs) {
    EXPECT_EQ(job.outcome, "completed") << job.plugin_id << ": " << job.message;
    if (job.plugin_id == kFirmwareScan) {
      EXPECT_EQ(job.pack_digests, yara);
    } else {
      EXPECT_EQ(job.plugin_id, kMeshMatch);
      EXPECT_EQ(job.pack_digests, mesh);
    }
  }
}

TEST_F(QueuedPackDigestsTest, ChangedPackQueuesItsPluginsWorkAgainAfterReload) {
  PluginJobRunner runner(*queue_, RunnerOptions());
  ASSERT_TRUE(runner.ReloadPlugins().ok());
  auto first = runner.EnqueueCaseEvidence(dir_ / "case");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(*first, 2);
  auto unchanged = runner.EnqueueCaseEvidence(dir_ / "case");
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(*unchanged, 0);  // same packs: the same work is already on the queue

  // A new release of the rule pack (its manifest changed), then what SIGHUP does.
  const fs::path manifest = dir_ / "yara/crypto-constants" / kPackManifestFile;
  auto text = ReadFileToString(manifest, 1 << 20);
  ASSERT_TRUE(text.ok());
  ASSERT_NE(text->find("\"version\""), std::string::npos);
  std::string changed = *text;
  changed.insert(changed.find("\"version\""), "\"released\": \"again\", ");
  ASSERT_TRUE(WriteFileAtomic(manifest, changed).ok());
  ASSERT_TRUE(runner.ReloadPlugins().ok());
  auto second = runner.EnqueueCaseEvidence(dir_ / "case");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 1);

  int firmware = 0, meshes = 0;
  std::set<std::string> keys;
  for (const auto& [key, info] : QueuedJobsByPlugin()) {
    keys.insert(info.idempotency_key);
    if (info.request.plugin_id == kFirmwareScan) {
      ++firmware;
    } else {
      ++meshes;
    }
  }
  EXPECT_EQ(firmware, 2);
  EXPECT_EQ(meshes, 1);
  EXPECT_EQ(keys.size(), 3u);
  auto listed = queue_->List({});
  ASSERT_TRUE(listed.ok());
  const std::string newest = CombinedPackDigest(Digest(dir_ / "yara/crypto-constants"));
  EXPECT_EQ(std::count_if(listed->begin(), listed->end(),
                          [&](const JobInfo& info) { return info.request.pack_digest == newest; }),
            1);
}

}  // namespace
}  // namespace interdict
