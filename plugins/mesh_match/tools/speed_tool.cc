// Speed benchmark of the mesh analyser (issue 6, part 7), driven by bench/mesh_match/run.sh:
//   interdict-mesh-speed stl OUT TRIANGLES [BODIES]   writes a binary STL of BODIES tori (a plate) holding
//                                                      about TRIANGLES triangles in all, row by row as an
//                                                      exporter writes them (never committed: made per run)
//   interdict-mesh-speed ingest FILE                   read (mmap) + weld + body split, phase by phase
//   interdict-mesh-speed describe FILE [THREADS]       AnalyseMesh (import, split, metrics, hashes, samples,
//                                                      descriptor) + one SVG thumbnail per body, as the
//                                                      plugin does; prints a digest of the output so runs
//                                                      with different thread counts can be compared
//   interdict-mesh-speed profile FILE                  the describe path of the largest body stage by stage
//   interdict-mesh-speed shortlist TEMPLATES QUERIES   a library of TEMPLATES stand-in descriptors, then
//                                                      the k-d tree shortlist and MatchBody per query
// Each command prints one line per phase: wall seconds, process CPU seconds and peak RSS so far.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

#include "bodies.h"
#include "core/files.h"
#include "core/hash.h"
#include "described_body.h"
#include "matcher.h"
#include "mesh_analysis.h"
#include "mesh_import.h"
#include "mesh_limits.h"
#include "standin_generator.h"
#include "svg_render.h"
#include "template_library.h"

namespace {

using namespace interdict;
using namespace interdict::mesh;
using Clock = std::chrono::steady_clock;

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

// Prints one phase: wall and CPU time since the previous Lap(), and the peak RSS so far.
class Stopwatch {
 public:
  Stopwatch() : wall_(Clock::now()), cpu_(CpuSeconds()), start_wall_(wall_), start_cpu_(cpu_) {}
  void Lap(const char* phase) {
    const Clock::time_point now = Clock::now();
    const double cpu = CpuSeconds();
    std::printf("%-28s wall %8.3f s  cpu %8.3f s  peak RSS %7.0f MB\n", phase,
                std::chrono::duration<double>(now - wall_).count(), cpu - cpu_, PeakRssMb());
    wall_ = now;
    cpu_ = cpu;
  }
  void Total() {
    std::printf("%-28s wall %8.3f s  cpu %8.3f s  peak RSS %7.0f MB\n", "TOTAL",
                std::chrono::duration<double>(Clock::now() - start_wall_).count(), CpuSeconds() - start_cpu_,
                PeakRssMb());
  }

 private:
  Clock::time_point wall_;
  double cpu_;
  Clock::time_point start_wall_;
  double start_cpu_;
};

// A torus sampled on a U x V grid; corners are computed from their wrapped grid index, so shared corners are
// bit-identical and weld, as in an exporter's output.
void TorusCorner(int i, int j, int u, int v, double cx, double cy, float out[3]) {
  const double a = 2 * std::numbers::pi * (i % u) / u, b = 2 * std::numbers::pi * (j % v) / v;
  const double major = 40.0, minor = 12.0;
  out[0] = static_cast<float>(cx + (major + minor * std::cos(b)) * std::cos(a));
  out[1] = static_cast<float>(cy + (major + minor * std::cos(b)) * std::sin(a));
  out[2] = static_cast<float>(minor * std::sin(b));
}

int WriteStl(const char* path, uint64_t triangles, int bodies) {
  const int v = 400;
  const int u = std::max<int>(3, static_cast<int>(triangles / (2ull * v * bodies)));
  const uint64_t total = 2ull * u * v * bodies;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  char header[80] = "interdict-mesh-speed torus plate";
  out.write(header, sizeof header);
  const uint32_t count = static_cast<uint32_t>(total);
  out.write(reinterpret_cast<const char*>(&count), sizeof count);
  std::vector<char> record(50, 0);
  auto emit = [&](const float* p, const float* q, const float* r) {
    std::memcpy(record.data() + 12, p, 12);
    std::memcpy(record.data() + 24, q, 12);
    std::memcpy(record.data() + 36, r, 12);
    out.write(record.data(), 50);
  };
  for (int body = 0; body < bodies; ++body) {
    const double cx = 120.0 * (body % 8), cy = 120.0 * (body / 8);
    for (int i = 0; i < u; ++i) {
      for (int j = 0; j < v; ++j) {
        float p00[3], p10[3], p01[3], p11[3];
        TorusCorner(i, j, u, v, cx, cy, p00);
        TorusCorner(i + 1, j, u, v, cx, cy, p10);
        TorusCorner(i, j + 1, u, v, cx, cy, p01);
        TorusCorner(i + 1, j + 1, u, v, cx, cy, p11);
        emit(p00, p10, p11);
        emit(p00, p11, p01);
      }
    }
  }
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path);
    return 1;
  }
  std::printf("%s: %llu triangles in %d bodies (%d x %d grid each)\n", path, static_cast<unsigned long long>(total),
              bodies, u, v);
  return 0;
}

// Read (mmap) + weld, then body split, each timed on `watch`. Returns false after printing the error.
bool ImportAndSplit(const char* path, Stopwatch& watch, ImportedMesh* imported, std::vector<TriangleMesh>* bodies) {
  Result<ImportedMesh> result = ImportMeshFile(path);
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %s\n", path, result.status().ToString().c_str());
    return false;
  }
  *imported = std::move(*result);
  watch.Lap("read (mmap) + weld");
  *bodies = SplitBodies(imported->mesh);
  watch.Lap("body split");
  return true;
}

int Ingest(const char* path) {
  Stopwatch watch;
  ImportedMesh imported;
  std::vector<TriangleMesh> bodies;
  if (!ImportAndSplit(path, watch, &imported, &bodies)) return 1;
  watch.Total();
  std::printf("source triangles %llu, welded vertices %zu, triangles %zu, bodies %zu, anomalies %zu\n",
              static_cast<unsigned long long>(imported.source_triangles), imported.mesh.vertices.size(),
              imported.mesh.triangles.size(), bodies.size(), imported.anomalies.size());
  return 0;
}

int Describe(const char* path, int threads) {
  Stopwatch watch;
  Result<std::string> bytes = ReadFileToString(path, kMaxMeshFileBytes);
  if (!bytes.ok()) {
    std::fprintf(stderr, "%s: %s\n", path, bytes.status().ToString().c_str());
    return 1;
  }
  watch.Lap("read file");
  Result<FileAnalysis> analysis = AnalyseMesh({reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()},
                                              path, nullptr, {}, threads);
  if (!analysis.ok()) {
    std::fprintf(stderr, "%s: %s\n", path, analysis.status().ToString().c_str());
    return 1;
  }
  watch.Lap("analyse (describe)");
  std::string thumbnails;
  for (const AnalysedBody& b : analysis->bodies) thumbnails += RenderThumbnailSvg(b.body.mesh, BodyLocation(path, b.index));
  watch.Lap("SVG thumbnails");
  watch.Total();
  std::string digest_input = DescribeAnalysis(*analysis).dump();
  for (const AnalysedBody& b : analysis->bodies) {
    digest_input.append(reinterpret_cast<const char*>(b.body.descriptor.data()), sizeof b.body.descriptor);
    for (const Eigen::Vector3d& p : b.body.samples.points) digest_input.append(reinterpret_cast<const char*>(p.data()), 24);
  }
  std::printf("bodies %zu, description+descriptors+samples sha256 %s, thumbnails sha256 %s (%zu bytes)\n",
              analysis->bodies.size(), Sha256Hex(digest_input).c_str(), Sha256Hex(thumbnails).c_str(),
              thumbnails.size());
  return 0;
}

// The describe path stage by stage on one thread, to show where the time goes.
int Profile(const char* path) {
  Stopwatch watch;
  ImportedMesh imported;
  std::vector<TriangleMesh> bodies;
  if (!ImportAndSplit(path, watch, &imported, &bodies)) return 1;
  const TriangleMesh& mesh = bodies.front();
  BodyMetrics metrics = MeasureBody(mesh);
  watch.Lap("metrics + edge census");
  const std::string exact = ExactGeometryHash(mesh);
  watch.Lap("exact hash");
  const std::string quantised = QuantisedGeometryHash(mesh);
  watch.Lap("quantised hash");
  SurfaceSamples samples = SampleSurface(mesh, kDescriptorSamples, SeedFromHex(exact));
  watch.Lap("surface samples");
  ShapeDescriptor descriptor = ComputeDescriptor(samples, metrics, SeedFromHex(exact));
  watch.Lap("descriptor (D2, D1, A3)");
  const std::string svg = RenderThumbnailSvg(mesh, path);
  watch.Lap("SVG thumbnail");
  watch.Total();
  std::printf("largest body: %zu triangles, watertight %d, %zu SVG bytes, descriptor[0] %g, quantised %s\n",
              mesh.triangles.size(), metrics.watertight ? 1 : 0, svg.size(), descriptor[0], quantised.c_str());
  return 0;
}

// Seeds 1..n of the stand-in generator, each described as a pack build would; the loader regenerates a
// template's mesh from its seed on first use, as a pack loads a reference mesh from disk.
int Shortlist(int templates, int queries) {
  Stopwatch watch;
  const TemplateLibrary::MeshLoader loader = [](const TemplateRecord& record) -> Result<TriangleMesh> {
    return GenerateStandIn(std::stoull(record.mesh_path)).mesh;
  };
  TemplateLibrary library(loader);
  std::vector<TemplateRecord> records(templates);
  const int workers = 2;
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      for (int i = w; i < templates; i += workers) {
        StandInPart part = GenerateStandIn(static_cast<uint64_t>(i + 1));
        DescribedBody body = DescribeBody(std::move(part.mesh), 1);
        records[i] = {part.id + "#" + std::to_string(i + 1), part.id, std::to_string(i + 1), body.hashes,
                      body.descriptor, body.metrics.diagonal()};
      }
    });
  }
  for (std::thread& t : pool) t.join();
  for (const TemplateRecord& r : records) library.Add(r);  // kept: the mirror self-fits are added below
  watch.Lap("describe templates (2 thr)");
  library.BuildIndex();
  watch.Lap("build k-d tree");
  // Queries: templates spread over the library, moved, scaled to inches and remeshed (subdivided once), so
  // neither hash answers and the descriptor is recomputed from a different tessellation.
  std::vector<DescribedBody> bodies;
  std::vector<size_t> truth;
  for (int q = 0; q < queries; ++q) {
    const size_t index = static_cast<size_t>(q) * templates / queries;
    TriangleMesh mesh = GenerateStandIn(index + 1).mesh;
    mesh = TransformMesh(SubdivideMidpoint(mesh, 1), RandomRigidMotion(1000 + q, 50.0), 1 / 25.4, false);
    bodies.push_back(DescribeBody(std::move(mesh), 1));
    truth.push_back(index);
  }
  watch.Lap("describe queries");
  int in_shortlist = 0;
  const double shortlist_cpu0 = CpuSeconds();
  const Clock::time_point start = Clock::now();
  for (int q = 0; q < queries; ++q) {
    for (const auto& [index, distance] : library.Shortlist(bodies[q].descriptor, kShortlistSize)) {
      in_shortlist += library.record(index).hashes.exact == library.record(truth[q]).hashes.exact ? 1 : 0;
    }
  }
  const double shortlist_s = std::chrono::duration<double>(Clock::now() - start).count();
  const double shortlist_cpu = CpuSeconds() - shortlist_cpu0;
  watch.Lap("shortlist (all queries)");
  // What `interdict templates build` stores per template besides the descriptor: its mirror self-fit. Computed
  // here only for the templates some query's shortlist holds, the only ones MatchBody reads (about 30 ms each:
  // all 10,000 would add minutes to the bench and change no timing below).
  std::vector<size_t> shortlisted;
  for (int q = 0; q < queries; ++q) {
    for (const auto& [index, distance] : library.Shortlist(bodies[q].descriptor, MatchOptions{}.shortlist)) {
      shortlisted.push_back(index);
    }
  }
  std::sort(shortlisted.begin(), shortlisted.end());
  shortlisted.erase(std::unique(shortlisted.begin(), shortlisted.end()), shortlisted.end());
  pool.clear();
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      for (size_t k = w; k < shortlisted.size(); k += workers) {
        TemplateRecord& record = records[shortlisted[k]];
        const DescribedBody body = DescribeBody(GenerateStandIn(std::stoull(record.mesh_path)).mesh, 1);
        record.mirror_self_fit = ScoreMirrorSelfFit(body, *RegistrationTarget::From(body, kTemplateSamples));
      }
    });
  }
  for (std::thread& t : pool) t.join();
  library = TemplateLibrary(loader);
  for (const TemplateRecord& r : records) library.Add(r);
  library.BuildIndex();
  std::printf("mirror self-fits of the %zu shortlisted templates (a pack build's work)\n", shortlisted.size());
  watch.Lap("mirror self-fits (2 thr)");
  // Verification: the first pass loads and describes each shortlisted template (cold), the second finds
  // them cached (warm), as in a run over many files against one library.
  double verify_s[2] = {0, 0}, verify_cpu[2] = {0, 0};
  int correct[2] = {0, 0};
  for (int pass = 0; pass < 2; ++pass) {
    const double cpu0 = CpuSeconds();
    const Clock::time_point begin = Clock::now();
    for (int q = 0; q < queries; ++q) {
      BodyMatch match = MatchBody(bodies[q], library, MatchOptions{});
      correct[pass] += match.has_template && match.tier != MatchTier::kNoMatch &&
                       library.record(match.best.template_index).hashes.exact == library.record(truth[q]).hashes.exact;
    }
    verify_s[pass] = std::chrono::duration<double>(Clock::now() - begin).count();
    verify_cpu[pass] = CpuSeconds() - cpu0;
    watch.Lap(pass == 0 ? "MatchBody, cold library" : "MatchBody, warm library");
  }
  watch.Total();
  std::printf("templates %d, queries %d (per query, wall / CPU):\n"
              "  shortlist %.3f / %.3f ms (k=%d; the true template in the shortlist %d/%d)\n"
              "  MatchBody %.1f / %.1f ms cold (templates loaded and described on first use), "
              "%.1f / %.1f ms warm; matched the true template %d/%d cold, %d/%d warm\n",
              templates, queries, 1e3 * shortlist_s / queries, 1e3 * shortlist_cpu / queries, kShortlistSize,
              in_shortlist, queries, 1e3 * verify_s[0] / queries, 1e3 * verify_cpu[0] / queries,
              1e3 * verify_s[1] / queries, 1e3 * verify_cpu[1] / queries, correct[0], queries, correct[1], queries);
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: interdict-mesh-speed stl OUT TRIANGLES [BODIES]\n"
               "       interdict-mesh-speed ingest FILE\n"
               "       interdict-mesh-speed describe FILE [THREADS]\n"
               "       interdict-mesh-speed profile FILE\n"
               "       interdict-mesh-speed shortlist TEMPLATES QUERIES\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // phases show as they finish, also when redirected to a file
  if (argc < 3) return Usage();
  const std::string command = argv[1];
  if (command == "stl" && argc >= 4) {
    return WriteStl(argv[2], std::strtoull(argv[3], nullptr, 10), argc >= 5 ? std::atoi(argv[4]) : 1);
  }
  if (command == "ingest") return Ingest(argv[2]);
  if (command == "profile") return Profile(argv[2]);
  if (command == "describe") return Describe(argv[2], argc >= 4 ? std::atoi(argv[3]) : 0);
  if (command == "shortlist" && argc >= 4) return Shortlist(std::atoi(argv[2]), std::atoi(argv[3]));
  return Usage();
}
