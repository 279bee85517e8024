// `lpbf-bench replay DIR`: computes a recorded stream offline, optionally checking it.
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>

#include "core/commands/commands.h"
#include "core/pipeline/replay.h"
#include "io/json_text.h"

namespace lpbf {
int replay_command(const ReplayArgs& args) {
  const bool check = args.check;
  const int threads = args.threads > 0 ? args.threads : omp_get_max_threads();
  const GoldenDataset dataset = load_golden_dataset(args.dir);
  if (check && dataset.expected.empty())
    throw UsageError("--check needs " + (dataset.dir / "expected.json").string() + " (or, in a recording, " +
                     std::string(kRecordedResultsFile) + "), which is missing or empty");
  if (check && dataset.expected_from_recording())
    std::fprintf(stderr,
                 "replay %s: no expected.json; checking against %s, the recorded run's answers (%zu of %zu batches)\n",
                 dataset.dir.c_str(), std::string(kRecordedResultsFile).c_str(), dataset.expected.size(),
                 dataset.manifest.size());

  const auto start = std::chrono::steady_clock::now();
  const ReplayOutput output = replay_dataset(dataset, threads);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<TileResult> answered;
  for (const auto& r : output.results)
    if (r) answered.push_back(*r);
  const std::string json = results_to_json(answered);
  if (!args.out.empty()) {
    std::ofstream out(args.out, std::ios::binary);
    if (!out || !out.write(json.data(), std::streamsize(json.size())))
      throw std::runtime_error("cannot write " + args.out);
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
  if (check)
    std::fprintf(stderr, ", %zu of %zu expected results (%s) wrong or missing", wrong, dataset.expected.size(),
                 dataset.expected_file.c_str());
  std::fprintf(stderr, " (%.3f s, %d threads)\n", seconds, threads);
  return (output.failed.empty() && wrong == 0) ? kExitOk : kExitBatchesFailed;
}

}  // namespace lpbf
