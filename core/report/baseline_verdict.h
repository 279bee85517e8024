#pragma once
// The regression verdict for CI: a run's figures against a baseline's, each with its limit
// (`lpbf-bench report RUN --baseline BASE --max-regression throughput=5%,p99=10%`). With --repeat
// reports the medians are compared; a figure whose spread (max - min, over the median) is wider than
// its limit is flagged: the comparison cannot tell a change of that size from the noise.
#include <string>
#include <string_view>
#include <vector>

#include "core/report/run_report.h"

namespace lpbf {

struct RegressionLimit {
  std::string figure;   // throughput, p50, p90, p99, max or mean
  double fraction = 0;  // 0.05: a 5 % regression is allowed, more fails
};

// "throughput=5%,p99=10%" (the % may be left out). Throws std::invalid_argument saying what is
// wrong: an unknown figure, a figure twice, a limit that is not a number >= 0.
std::vector<RegressionLimit> parse_regression_limits(std::string_view spec);

struct FigureVerdict {
  std::string figure, unit;
  Spread baseline, now;  // medians (and spread) of each report's repetitions
  double change = 0;     // (now - baseline) / baseline, signed; 0 for a baseline of 0
  double limit = 0;      // the regression allowed, a fraction >= 0
  bool higher_is_better = false;
  bool pass = true;
  bool cannot_tell = false;  // a spread wider than the limit
  double spread = 0;         // the wider relative spread of the two reports
};

struct BaselineVerdict {
  std::vector<FigureVerdict> figures;
  bool pass() const;
  std::string word() const { return pass() ? "PASS" : "FAIL"; }
};

BaselineVerdict compare_with_baseline(const RunReport& run, const RunReport& baseline,
                                      const std::vector<RegressionLimit>& limits);

// One line per figure (name, baseline, now, change, limit, PASS/FAIL, and "cannot tell" when the
// spread is wider than the limit), then `verdict: PASS` or `verdict: FAIL (...)`.
std::string verdict_text(const BaselineVerdict& verdict);

// A short Markdown table for a CI job summary, naming both reports.
std::string verdict_markdown(const BaselineVerdict& verdict, const RunReport& run, const RunReport& baseline);

}  // namespace lpbf
