// --rate (the open model) and `lpbf-bench sweep`, for real on loopback against the embedded
// challenger: the achieved rate follows the offered one below saturation; above it the backlog
// grows and the corrected latency with it; a sweep finds the knee of a stream made slow on
// purpose (one analysis thread, 500x500 tiles), and its page draws in headless Chromium.
// Bounds are generous: the machine is shared.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <algorithm>

#include "core/challenger/challenger_host.h"
#include "core/challenger/served_dataset.h"
#include "core/commands/benchmark_run.h"
#include "core/report/html_report.h"
#include "core/report/run_summary.h"
#include "core/report/sweep_report.h"
#include "io/golden_dataset.h"
#include "tests/report/headless_chromium.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const ServedDataset> synthetic(int layers, int grid, int tile) {
  SyntheticSpec spec;
  spec.layers = layers, spec.grid = grid, spec.tile = tile;
  return std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, "raw"));
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("lpbf-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST_CASE("--rate 200 below saturation: achieved within 2% of offered, corrected latency >= served") {
  ChallengerHost host(synthetic(25, 4, 64), "127.0.0.1", 0, 1);  // 400 small batches: 2 s at 200/s
  RunOptions o;
  o.url = host.url();
  o.threads = 2;
  o.rate = 200;
  const RunResult r = run_benchmark(o);
  const RunReport p = make_run_report(o, r);
  CHECK(p.results == 400);
  CHECK(p.failed.empty());
  CHECK(p.errors.empty());
  const OpenModelReport& m = p.open_model;
  REQUIRE(m.open());
  CHECK(m.offered_rate == 200);
  CHECK(m.achieved_rate == doctest::Approx(200).epsilon(0.02));
  CHECK(!m.fell_behind());
  CHECK(p.wall_seconds > 1.9);  // the schedule, not the pipeline, set the pace
  // Every batch's corrected latency (from its slot) is at least its served one (from its reply).
  CHECK(m.p50 >= p.p50);
  CHECK(m.p90 >= p.p90);
  CHECK(m.p99 >= p.p99);
  CHECK(m.max >= p.max);
  CHECK(m.mean >= p.mean);
  // The figures go into the JSON report and come back.
  const RunReport back = parse_run_report(run_report_json(p), "test");
  CHECK(back.open_model == m);
  // Both latencies in the summary and on the page.
  const std::string summary = summary_text(p);
  CHECK(summary.find("  rate       offered 200.0 batches/s, achieved") != std::string::npos);
  CHECK(summary.find("  corrected  p50 ") != std::string::npos);
  CHECK(summary.find("did not keep up") == std::string::npos);
  const std::string page = render_html_report(back);
  CHECK(page.find("<h2>Open model (--rate)</h2>") != std::string::npos);
  CHECK(page.find("corrected p99") != std::string::npos);
}

TEST_CASE("--rate far above saturation: the backlog grows, and the corrected latency with it") {
  // One analysis thread on 500x500 tiles cannot follow 20000 batches/s: the in-flight bound holds
  // the sends back, each later than the one before.
  ChallengerHost host(synthetic(50, 2, 500), "127.0.0.1", 0, 1);  // 200 batches
  RunOptions o;
  o.url = host.url();
  o.threads = 1;
  o.rate = 20000;
  const RunResult r = run_benchmark(o);
  const RunReport p = make_run_report(o, r);
  CHECK(p.results == 200);
  CHECK(p.failed.empty());
  const OpenModelReport& m = p.open_model;
  REQUIRE(m.open());
  CHECK(m.fell_behind());
  CHECK(m.achieved_rate < 0.5 * m.offered_rate);
  CHECK(m.max_backlog > 20);
  CHECK(m.end_backlog > 20);
  CHECK(m.end_lateness_ms > 0.5 * m.max_lateness_ms);  // still behind at the end
  CHECK(m.p99 > p.p99);
  CHECK(m.max >= m.max_lateness_ms);
  CHECK(summary_text(p).find("the pipeline did not keep up") !=
        std::string::npos);  // the latest send's wait is in its batch's corrected latency
  // Corrected latency grows along the run (the backlog does); the first quarter's against the last's.
  std::vector<double> corrected;
  for (const BatchTrace& t : r.ledger.trace.batches())
    if (t.outcome == BatchTrace::Outcome::answered) corrected.push_back(ms_between(t.scheduled, t.acked));
  REQUIRE(corrected.size() == 200);
  double first = 0, last = 0;
  for (size_t i = 0; i < 50; ++i) first += corrected[i], last += corrected[150 + i];
  CHECK(last > 2 * first);
}

TEST_CASE("without --rate: no schedule, no open-model figures (the closed model, as before)") {
  ChallengerHost host(synthetic(2, 4, 64), "127.0.0.1", 0, 1);
  RunOptions o;
  o.url = host.url();
  o.threads = 2;
  const RunReport p = make_run_report(o, run_benchmark(o));
  CHECK(p.results == 32);
  CHECK(!p.open_model.open());
  const std::string json = run_report_json(p);
  CHECK(json.find("\"open_model\": null") != std::string::npos);
  CHECK(summary_text(p).find("corrected") == std::string::npos);
  CHECK(render_html_report(p).find("Open model") == std::string::npos);
}

namespace {

// The slow stream: one analysis thread, 40 batches of 500x500 tiles.
const std::string kSlowStream = " --threads 1 --layers 10 --grid 2 --tile 500 --layout raw";

}  // namespace

TEST_CASE("sweep --rates 20,40,20000,max: four points, the knee at 20000, a page Chromium draws") {
  const fs::path dir = temp_dir("sweep");
  const auto r = test::run_command(test::binary() + " sweep --rates 20,40,20000,max --point-seconds 1" + kSlowStream +
                                   " --report " + (dir / "sweep.json").string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("<- knee") != std::string::npos);
  REQUIRE(fs::exists(dir / "sweep.json"));
  REQUIRE(fs::exists(dir / "sweep.html"));
  const SweepReport s = parse_sweep_report(read_file_bytes(dir / "sweep.json"), "sweep.json");
  REQUIRE(s.points.size() == 4);
  CHECK(s.points[0].offered == 20);
  CHECK(s.points[3].offered == 0);   // max: the closed model
  CHECK(s.points[0].results == 20);  // 1 s at 20/s
  CHECK(s.points[1].results == 40);
  CHECK(s.points[2].results == 40);  // the whole stream
  CHECK(s.points[0].achieved == doctest::Approx(20).epsilon(0.05));
  CHECK(s.points[2].achieved < 0.95 * 20000);
  CHECK(s.knee == 2);
  for (const SweepPoint& p : s.points) CHECK(p.corrected.p99 >= p.served.p99);
  CHECK(find_knee(s.points) == s.knee);

  REQUIRE_MESSAGE(fs::exists(test::kChromium), "Chromium is missing: `make deps` installs it (package chromium)");
  const fs::path profile = dir / "chromium-profile";
  const auto dom = test::chromium_dom(dir / "sweep.html", profile);
  INFO(dom.output.substr(0, 2000));
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.output.find("data-charts-drawn=\"2\"") != std::string::npos);
  const std::vector<int> marks = test::drawn_marks(dom.output);
  CHECK(marks.size() == 2);
  CHECK(std::all_of(marks.begin(), marks.end(), [](int m) { return m > 0; }));
  CHECK(dom.output.find("Knee at 20000") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("sweep --rates auto: doubles from --auto-start until the knee, which ends it") {
  const fs::path dir = temp_dir("sweep-auto");
  const auto r = test::run_command(test::binary() + " sweep --rates auto --auto-start 50 --point-seconds 0.5" +
                                   kSlowStream + " --quiet --report " + (dir / "auto.json").string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  const SweepReport s = parse_sweep_report(read_file_bytes(dir / "auto.json"), "auto.json");
  REQUIRE(!s.points.empty());
  for (size_t i = 1; i < s.points.size(); ++i) CHECK(s.points[i].offered == 2 * s.points[i - 1].offered);
  CHECK(s.points[0].offered == 50);
  // One thread on 500x500 tiles falls behind well before the 10th doubling (25600/s).
  CHECK(s.knee == int(s.points.size()) - 1);
  fs::remove_all(dir);
}
