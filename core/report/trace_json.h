#pragma once
// The run trace in the JSON report, compact: column names once, then one array per batch (a
// 3 600-batch run is a few hundred KB). Times are milliseconds since the run started, -1 where the
// batch never got there.
#include <chrono>
#include <string>

#include "core/pipeline/run_trace.h"

namespace lpbf {

// {"columns": [...], "rows": [[...], ...]} for the batches, and the same for the samples; the
// answered batches' clusters as [[batch_id, x, y, count], ...].
std::string trace_json(const RunTrace& trace, std::chrono::steady_clock::time_point start);
std::string samples_json(const RunTrace& trace, std::chrono::steady_clock::time_point start);
std::string clusters_json(const RunTrace& trace);

}  // namespace lpbf
