#pragma once
#include "perf/harness.h"

namespace lpbf::perf {
void run_kernel_benchmarks(Report& report);
}
