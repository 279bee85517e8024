#pragma once
#include "perf/harness.h"

namespace lpbf::perf {

// The run a user makes: a fresh `lpbf-bench --layers 100 --layout raw --threads 2` process
// against its embedded challenger (its first and only bench), beside the same stream served
// warm (benches 2-4 of one challenger in this process, the median).
void run_one_shot_benchmarks(Report& report);

}  // namespace lpbf::perf
