#pragma once
#include "perf/harness.h"

namespace lpbf::perf {
// `--record`: what record_batch costs the fetch stage, and what the writer thread costs a core.
void run_recorder_benchmarks(Report& report);
}  // namespace lpbf::perf
