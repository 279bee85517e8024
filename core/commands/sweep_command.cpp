// `lpbf-bench sweep --rates 250,500,1000,max` (or `--rates auto`): one bench per offered rate
// against the same challenger (the embedded one without --url), and one report of every point:
// the latency-throughput curve with its knee (core/report/sweep_report.h).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/challenger/challenger_host.h"
#include "core/challenger/dataset_options.h"
#include "core/commands/benchmark_run.h"
#include "core/commands/commands.h"
#include "core/report/sweep_report.h"
#include "io/host_info.h"

namespace lpbf {

std::vector<double> parse_sweep_rates(const std::string& text) {
  if (text == "auto") return {};
  std::vector<double> rates;
  size_t from = 0;
  while (from <= text.size()) {
    const size_t comma = std::min(text.find(',', from), text.size());
    const std::string item = text.substr(from, comma - from);
    if (item == "max") {
      rates.push_back(0);
    } else {
      double v = 0;
      const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (item.empty() || ec != std::errc{} || end != item.data() + item.size() || !std::isfinite(v) || v <= 0)
        throw std::invalid_argument(
            "takes `auto` or rates in batches/s (positive numbers) and `max`, "
            "comma-separated, not '" +
            item + "' in '" + text + "'");
      rates.push_back(v);
    }
    from = comma + 1;
  }
  return rates;
}

namespace {

namespace fs = std::filesystem;

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

int sweep_command(SweepArgs args) {
  RunArgs& a = args.run;
  RunOptions& base = a.run;
  const bool quiet = a.quiet;
  base.timeout = std::chrono::milliseconds(a.timeout_ms);
  base.progress = false;
  base.metrics_port = -1;  // one bench after another: no endpoint lingering between them
  if (a.kafka.enabled()) {
    std::fprintf(stderr, "lpbf-bench: sweep runs the in-process pipeline only (no --kafka)\n");
    return kExitSetupError;
  }
  const fs::path json_path = a.report_path.empty() ? fs::path("sweep.json") : fs::path(a.report_path);
  fs::path html_path = json_path;
  html_path.replace_extension(".html");
  if (html_path == json_path) html_path += ".html";

  std::unique_ptr<ChallengerHost> embedded;
  if (base.url.empty()) {
    if (!quiet) std::fprintf(stderr, "no --url: starting the embedded challenger (preparing its dataset)...\n");
    try {
      const auto dataset = prepare_dataset(a.dataset, quiet ? nullptr : stderr);
      embedded = std::make_unique<ChallengerHost>(dataset, "127.0.0.1", 0, 1, base.apitoken);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "lpbf-bench: %s\n", e.what());
      return kExitSetupError;
    }
    base.url = embedded->url();
    if (!quiet) std::fprintf(stderr, "embedded challenger at %s\n", base.url.c_str());
  }

  SweepReport report;
  report.url = base.url, report.command = base.command_line;
  report.machine = describe_machine(), report.version = build_version();
  report.point_seconds = args.point_seconds;
  const bool automatic = args.rates.empty();
  std::vector<double> rates = args.rates;
  if (automatic) rates.push_back(args.auto_start);
  bool failed = false;
  int64_t largest_point = 0;  // batches of the largest open-model point, for `max`
  for (size_t i = 0; i < rates.size(); ++i) {
    RunOptions o = base;
    o.rate = rates[i];
    const std::string label = rates[i] > 0 ? std::to_string(int64_t(std::llround(rates[i]))) : "max";
    o.bench_name = base.bench_name + "-sweep-" + label;
    int64_t batches = rates[i] > 0 ? std::max<int64_t>(2, int64_t(std::ceil(rates[i] * args.point_seconds)))
                                   : (largest_point > 0 ? largest_point : base.max_batches);
    if (rates[i] > 0) largest_point = std::max(largest_point, batches);
    if (base.max_batches >= 0) batches = batches < 0 ? base.max_batches : std::min(batches, base.max_batches);
    o.max_batches = batches;
    if (!quiet)
      std::fprintf(stderr, "sweep: %s, at most %s batches...\n",
                   (rates[i] > 0 ? label + " batches/s offered" : std::string("max (the closed model)")).c_str(),
                   batches >= 0 ? std::to_string(batches).c_str() : "all");
    RunResult r;
    try {
      r = run_benchmark(o);
    } catch (const SetupError& e) {
      std::fprintf(stderr, "lpbf-bench: %s\n", e.what());
      return kExitSetupError;
    }
    const RunReport run = make_run_report(o, r);
    failed |= !r.ledger.failures.empty() || !r.ledger.errors.empty() || r.challenger.wrong > 0;
    for (const std::string& e : r.ledger.errors) std::fprintf(stderr, "lpbf-bench: %s: %s\n", label.c_str(), e.c_str());
    report.points.push_back(sweep_point(run));
    report.knee = find_knee(report.points);
    if (automatic && report.knee < 0 && int(rates.size()) < args.auto_points) rates.push_back(rates[i] * 2);
  }

  try {
    write_text(json_path, sweep_json(report));
    write_text(html_path, render_sweep_html(report));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lpbf-bench: %s\n", e.what());
    return kExitSetupError;
  }
  if (!quiet) {
    std::fputs(sweep_summary_text(report).c_str(), stdout);
    std::printf("report: %s\nreport: %s\n", json_path.string().c_str(), html_path.string().c_str());
  }
  return failed ? kExitBatchesFailed : kExitOk;
}

}  // namespace lpbf
