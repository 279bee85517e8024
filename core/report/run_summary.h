#pragma once
// The human summary a run prints when it ends: counts, time, latency, where the time went, the
// CPU, flagged answers, the challenger's figures beside ours, errors and failures.
#include <string>

#include "core/report/run_report.h"

namespace lpbf {

std::string summary_text(const RunReport& report);

}  // namespace lpbf
