#pragma once
// One self-contained HTML page of a run (or two runs overlaid, the second as a comparison):
// verdict, throughput and latency over time, latency percentiles, where the pipeline spent and
// waited, the print's defect map, and every failure. Inline SVG only: nothing is fetched when
// the page is viewed.
#include <string>

#include "core/report/baseline_verdict.h"
#include "core/report/run_report.h"

namespace lpbf {

std::string render_html_report(const RunReport& run, const RunReport* baseline = nullptr,
                               const BaselineVerdict* verdict = nullptr);

}  // namespace lpbf
