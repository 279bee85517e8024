#pragma once
// `lpbf-bench sweep`: one bench per offered rate against the same challenger, and the
// latency-throughput curve they draw. A SweepReport is written as one JSON document (sweep_json)
// and read back (parse_sweep_report); its HTML page (render_sweep_html) draws p50 and p99, served
// and corrected, against the offered load, and the achieved rate against the offered one, with
// the knee marked.
#include <string>
#include <string_view>
#include <vector>

#include "core/pipeline/latency_stats.h"
#include "core/report/run_report.h"

namespace lpbf {

// One bench of the sweep.
struct SweepPoint {
  double offered = 0;     // batches/s; 0: `max`, the closed model (no schedule, as fast as the pipeline goes)
  double achieved = 0;    // next_batch requests sent per second (open model); the closed model: its throughput
  double throughput = 0;  // results acknowledged per second, first fetch to last result
  int64_t batches = 0, results = 0, failed = 0;
  double wall_seconds = 0;
  LatencySummary served;     // ms, next_batch reply to result acknowledged
  LatencySummary corrected;  // ms, scheduled send to result acknowledged (the closed model: served)
  int64_t max_backlog = 0;
  double max_lateness_ms = 0;
  std::string bench_id;
  bool operator==(const SweepPoint&) const = default;
};

// The figures of one finished bench (its run report) as a point of the sweep.
SweepPoint sweep_point(const RunReport& run);

// A point falls behind when it sent less than kKneeShare of its offered rate.
inline constexpr double kKneeShare = 0.95;
// The corrected p99 jumps when it is more than kKneeJump times the previous point's and more than
// kKneeJumpMs above it. 50 ms: a loaded machine's timers alone wake tens of milliseconds late (a
// 40-batch point's p99 is its worst batch), which must not read as a knee.
inline constexpr double kKneeJump = 3.0;
inline constexpr double kKneeJumpMs = 50.0;

// The knee: among the open-model points in increasing offered rate, the first that falls behind
// (achieved < 95 % of offered) or whose corrected p99 jumps (above); its index in `points`, -1 for
// none. The closed-model point (`max`) is never the knee.
int find_knee(const std::vector<SweepPoint>& points);

// What a sweep says in words about its knee (for the terminal, the page and the docs).
std::string knee_definition();

struct SweepReport {
  std::string url, command, machine, version;
  double point_seconds = 0;        // each open-model point offered its rate this long (fewer if the stream ended)
  std::vector<SweepPoint> points;  // in the order they ran
  int knee = -1;                   // index into points; -1: none found
};

std::string sweep_json(const SweepReport& report);
// Throws std::runtime_error naming `origin` and what is wrong.
SweepReport parse_sweep_report(std::string_view json, const std::string& origin);

// The page: the curve, the table of points, the knee and its definition. Self-contained, like
// the run's page (inline SVG; the one script counts drawn marks for the browser test).
std::string render_sweep_html(const SweepReport& report);

// The terminal's table of points, one line each, and the knee.
std::string sweep_summary_text(const SweepReport& report);

}  // namespace lpbf
