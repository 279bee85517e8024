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
namespace {

constexpr const char* kReportHelp = R"(usage: lpbf-bench report RUN [BASELINE] [--html OUT]

Draws a run report saved with `lpbf-bench --report FILE.json` (or FILE.html, which carries its
JSON) as one self-contained HTML page: verdict, throughput and latency over time, latency
percentiles, the pipeline's steps and depths, the print's defect map, failures. With BASELINE,
both runs are overlaid (the baseline in orange) and the verdict shows the change of each figure.

  --html OUT    the page to write (default: RUN with the extension .html; RUN itself if it is
                HTML already is refused)

Exit status: 0 written, 2 usage error or an unreadable report.
)";

}  // namespace

int report_command(CommandLine& args) {
  if (args.help()) {
    std::fputs(kReportHelp, stdout);
    return kExitOk;
  }
  const auto out_arg = args.value("--html");
  const auto inputs = args.positionals();
  args.finish();
  if (inputs.empty() || inputs.size() > 2) throw UsageError("report takes one run report, or two to compare (see --help)");
  const std::filesystem::path run_path = inputs[0];
  const std::filesystem::path out = out_arg ? std::filesystem::path(*out_arg)
                                            : std::filesystem::path(run_path).replace_extension(".html");
  if (std::filesystem::exists(out) && std::filesystem::equivalent(out, run_path))
    throw UsageError("--html " + out.string() + " would overwrite the report it draws; name another file");

  const RunReport run = read_report_file(run_path);
  std::optional<RunReport> baseline;
  if (inputs.size() == 2) baseline = read_report_file(inputs[1]);
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
