#pragma once
#include "perf/harness.h"

namespace lpbf::perf {

// The runner and the challenger in two processes, as against the organisers' server: a
// `lpbf-bench challenger` serving 100 layers of uncompressed 500x500 tiles, and fresh
// `lpbf-bench --url` processes against it, one bench each. Reports the runner's own CPU a batch
// (issue 22's target: <= 300 us), the challenger's serving and scoring CPU a batch, measured on
// its process alone, and the runner's throughput.
void run_runner_alone_benchmarks(Report& report);

}  // namespace lpbf::perf
