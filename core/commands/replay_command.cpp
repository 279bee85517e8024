#include <omp.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>

#include "core/commands/commands.h"
#include "core/pipeline/replay.h"
#include "io/json_text.h"

namespace lpbf {
namespace {

constexpr const char* kReplayHelp = R"(usage: lpbf-bench replay DIR [--out FILE] [--check] [--threads N]

Computes every batch of a recorded stream (a directory with manifest.json and bNNNNNN.tif files,
as SPEC.md section 4 describes) offline, and writes the results as a JSON array in manifest
order, the format of expected.json.

  --out FILE    write the results there instead of standard output
  --check       compare with DIR/expected.json; print each mismatch; exit 1 on any
  --threads N   OpenMP threads, one tile per thread at a time (default: all cores)

Exit status: 0 all batches answered (and correct with --check), 1 a batch failed or was wrong,
2 usage error or unreadable dataset.
)";

}  // namespace

int replay_command(CommandLine& args) {
  if (args.help()) {
    std::fputs(kReplayHelp, stdout);
    return kExitOk;
  }
  const auto out_path = args.value("--out");
  const bool check = args.flag("--check");
  const int threads = int(args.int_or("--threads", omp_get_max_threads(), 1, 1024));
  const auto dirs = args.positionals();
  args.finish();
  if (dirs.size() != 1) throw UsageError("replay takes one dataset directory (see lpbf-bench replay --help)");

  const GoldenDataset dataset = load_golden_dataset(dirs[0]);
  if (check && dataset.expected.empty())
    throw UsageError("--check needs " + (dataset.dir / "expected.json").string() + ", which is missing or empty");

  const auto start = std::chrono::steady_clock::now();
  const ReplayOutput output = replay_dataset(dataset, threads);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<TileResult> answered;
  for (const auto& r : output.results)
    if (r) answered.push_back(*r);
  const std::string json = results_to_json(answered);
  if (out_path) {
    std::ofstream out(*out_path, std::ios::binary);
    if (!out || !out.write(json.data(), std::streamsize(json.size())))
      throw std::runtime_error("cannot write " + *out_path);
  } else if (!check) {
    std::fwrite(json.data(), 1, json.size(), stdout);
  }

  for (const FailedBatch& f : output.failed)
    std::fprintf(stderr, "batch %lld failed: %s\n", (long long)f.batch_id, f.reason.c_str());

  size_t wrong = 0;
  if (check) {
    std::map<int64_t, const TileResult*> by_id;
    for (const auto& r : answered) by_id[r.batch_id] = &r;
    for (const TileResult& e : dataset.expected) {
      const auto it = by_id.find(e.batch_id);
      if (it == by_id.end()) {
        ++wrong;
        std::fprintf(stderr, "batch %lld: no result\n", (long long)e.batch_id);
        continue;
      }
      const std::string why = compare_results(e, *it->second);
      if (!why.empty()) {
        ++wrong;
        std::fprintf(stderr, "batch %lld: %s\n", (long long)e.batch_id, why.c_str());
      }
    }
  }
  std::fprintf(stderr, "replay %s: %zu batches, %zu answered, %zu failed", dataset.dir.c_str(), dataset.manifest.size(),
               answered.size(), output.failed.size());
  if (check) std::fprintf(stderr, ", %zu of %zu expected results wrong or missing", wrong, dataset.expected.size());
  std::fprintf(stderr, " (%.3f s, %d threads)\n", seconds, threads);
  return (output.failed.empty() && wrong == 0) ? kExitOk : kExitBatchesFailed;
}

}  // namespace lpbf
