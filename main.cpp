// lpbf-bench: the DEBS 2025 Grand Challenge (L-PBF defect monitoring) solution and benchmark runner.
// main() only picks the subcommand; each lives in core/commands/*_command.cpp.
#include <malloc.h>

#include <cstdio>
#include <exception>
#include <string>

#include "core/commands/commands.h"

namespace {

constexpr const char* kUsage = R"(usage: lpbf-bench [--url URL --bench-name NAME ...]   run the benchmark
       lpbf-bench replay DIR [--out FILE] [--check]     compute a recorded dataset offline
       lpbf-bench challenger [--dataset DIR | --synthetic]   serve the challenger API
       lpbf-bench worker --kafka BROKERS                analyse batches from Kafka
       lpbf-bench kafka-mock                            host a mock Kafka cluster
       lpbf-bench report RUN.json [BASE.json] [--html OUT]   draw a saved run report

`lpbf-bench COMMAND --help` describes a command.
)";

}  // namespace

int main(int argc, char** argv) {
  // Every batch allocates and frees tile-sized buffers (~0.5-1 MB). By default glibc hands such
  // blocks back to the kernel at once and faults them in again for the next batch (profiled: ~20%
  // of a run's CPU). Keep freed memory in the process instead.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "replay") {
      lpbf::CommandLine args(argc, argv, 2);
      return lpbf::replay_command(args);
    }
 if (command == "challenger") {
      lpbf::CommandLine args(argc, argv, 2);
      return lpbf::challenger_command(args);
    }
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(kUsage, stdout);
      std::fputs("\n", stdout);
      char help_flag[] = "--help";  // the run's own options follow
      char* help_argv[] = {argv[0], help_flag};
      lpbf::CommandLine args(2, help_argv, 1);
      return lpbf::run_command(args);
    }
    if (command == "worker") {
      lpbf::CommandLine args(argc, argv, 2);
      return lpbf::worker_command(args);
    }
    if (command == "report") {
      lpbf::CommandLine args(argc, argv, 2);
      return lpbf::report_command(args);
    }
    if (command == "kafka-mock") {
      lpbf::CommandLine args(argc, argv, 2);
      return lpbf::kafka_mock_command(args);
    }
    // Anything else is the benchmark run and its options.
    lpbf::CommandLine args(argc, argv, 1);
    return lpbf::run_command(args);
  } catch (const lpbf::UsageError& e) {
    std::fprintf(stderr, "lpbf-bench: %s\n", e.what());
    return lpbf::kExitSetupError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lpbf-bench: error: %s\n", e.what());
    return lpbf::kExitSetupError;
  }
}
