#pragma once
// The run trace in the JSON report, compact: column names once, then one array per batch (a
// 3 600-batch run is a few hundred KB). Times are milliseconds since the run started, -1 where the
// batch never got there.
#include <chrono>
#include <string>
#include <vector>

#include "core/pipeline/run_trace.h"
#include "core/report/run_report.h"

namespace lpbf {

// A run's live trace as the report's rows (times in ms since `start`, to the microsecond).
std::vector<TracedBatch> traced_batches(const RunTrace& trace, std::chrono::steady_clock::time_point start);
std::vector<DepthSample> depth_samples(const RunTrace& trace, std::chrono::steady_clock::time_point start);
std::vector<ClusterPoint> cluster_points(const RunTrace& trace);  // the answered batches' clusters

// {"columns": [...], "rows": [[...], ...]} for the batches, and the same for the samples; the
// clusters as [[batch_id, x, y, count], ...].
std::string trace_json(const std::vector<TracedBatch>& trace);
std::string samples_json(const std::vector<DepthSample>& samples);
std::string clusters_json(const std::vector<ClusterPoint>& clusters);

}  // namespace lpbf
