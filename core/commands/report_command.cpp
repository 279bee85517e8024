// `lpbf-bench report RUN [BASELINE] [--html OUT]`: draws a saved run report as an HTML page, or
// two of them overlaid, so a change can be compared without running again.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "core/commands/commands.h"
#include "core/report/report_file.h"
#include "io/golden_dataset.h"

namespace lpbf {
int report_command(const ReportArgs& args) {
  const std::filesystem::path run_path = args.run;
  const std::filesystem::path out = !args.html.empty() ? std::filesystem::path(args.html)
                                                       : std::filesystem::path(run_path).replace_extension(".html");
  if (std::filesystem::exists(out) && std::filesystem::equivalent(out, run_path))
    throw UsageError("--html " + out.string() + " would overwrite the report it draws; name another file");

  const RunReport run = read_report_file(run_path);
  std::optional<RunReport> baseline;
  if (!args.baseline.empty()) baseline = read_report_file(args.baseline);
  const std::string page = html_report_page(run, baseline ? &*baseline : nullptr);
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << page;
  if (!file.flush()) {
    std::fprintf(stderr, "lpbf-bench: cannot write %s\n", out.string().c_str());
    return kExitSetupError;
  }
  std::printf("%s\n", out.string().c_str());
  return kExitOk;
}

}  // namespace lpbf
