// `lpbf-bench report RUN [--baseline BASE] [--max-regression LIMITS] [--markdown FILE] [--html OUT]`:
// draws a saved run report as an HTML page, or two of them overlaid, so a change can be compared
// without running again; with limits, the regression verdict for CI (exit 1 on a regression).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "core/commands/commands.h"
#include "core/report/baseline_verdict.h"
#include "core/report/report_file.h"
#include "io/golden_dataset.h"

namespace lpbf {
namespace {

bool write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  if (file.flush()) return true;
  std::fprintf(stderr, "lpbf-bench: cannot write %s\n", path.string().c_str());
  return false;
}

}  // namespace

int report_command(const ReportArgs& args) {
  const std::filesystem::path run_path = args.run;
  const std::filesystem::path out = !args.html.empty() ? std::filesystem::path(args.html)
                                                       : std::filesystem::path(run_path).replace_extension(".html");
  if (std::filesystem::exists(out) && std::filesystem::equivalent(out, run_path))
    throw UsageError("--html " + out.string() + " would overwrite the report it draws; name another file");

  const RunReport run = read_report_file(run_path);
  std::optional<RunReport> baseline;
  if (!args.baseline.empty()) baseline = read_report_file(args.baseline);
  std::optional<BaselineVerdict> verdict;
  if (baseline && !args.max_regression.empty())
    verdict = compare_with_baseline(run, *baseline, parse_regression_limits(args.max_regression));

  if (!write_text(out, html_report_page(run, baseline ? &*baseline : nullptr, verdict ? &*verdict : nullptr)))
    return kExitSetupError;
  if (verdict && !args.markdown.empty() && !write_text(args.markdown, verdict_markdown(*verdict, run, *baseline)))
    return kExitSetupError;
  if (verdict) std::fputs(verdict_text(*verdict).c_str(), stdout);
  std::printf("%s\n", out.string().c_str());
  return verdict && !verdict->pass() ? kExitBatchesFailed : kExitOk;
}

}  // namespace lpbf
