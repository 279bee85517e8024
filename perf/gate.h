#pragma once

namespace lpbf::perf {

// `lpbf-perf --gate BASELINE.json`: the CI throughput regression gate. Returns the exit status.
int run_gate(const char* baseline_path);

}  // namespace lpbf::perf
