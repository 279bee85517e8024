// lpbf-bench: the DEBS 2025 Grand Challenge (L-PBF defect monitoring) solution and benchmark runner.
// main() only reads the command line (core/commands/command_line.h) and calls the chosen command
// (core/commands/*_command.cpp).
#include <malloc.h>

#include <cstdio>
#include <exception>
#include <iostream>

#include "core/commands/command_line.h"

int main(int argc, char** argv) {
  // Every batch allocates and frees tile-sized buffers (~0.5-1 MB). By default glibc hands such
  // blocks back to the kernel at once and faults them in again for the next batch (profiled: ~20%
  // of a run's CPU). Keep freed memory in the process instead.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);

  lpbf::CommandLine command_line;
  // Everything is checked before anything is done: --help and usage errors end here.
  if (const auto exit_status = command_line.parse(argc, argv, std::cout, std::cerr)) return *exit_status;
  try {
    switch (command_line.command()) {
      case lpbf::Command::run: return lpbf::run_command(command_line.run());
      case lpbf::Command::sweep: return lpbf::sweep_command(command_line.sweep());
      case lpbf::Command::replay: return lpbf::replay_command(command_line.replay());
      case lpbf::Command::challenger: return lpbf::challenger_command(command_line.challenger());
      case lpbf::Command::worker: return lpbf::worker_command(command_line.worker());
      case lpbf::Command::kafka_mock: return lpbf::kafka_mock_command(command_line.kafka_mock());
      case lpbf::Command::report: return lpbf::report_command(command_line.report());
      case lpbf::Command::end: return lpbf::end_command(command_line.end());
    }
  } catch (const lpbf::UsageError& e) {
    std::fprintf(stderr, "lpbf-bench: %s\n%s\n", e.what(), command_line.usage_hint().c_str());
    return lpbf::kExitSetupError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lpbf-bench: error: %s\n", e.what());
    return lpbf::kExitSetupError;
  }
  return lpbf::kExitSetupError;
}
