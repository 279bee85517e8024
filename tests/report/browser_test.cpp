// The HTML report as a person sees it: headless Chromium (Debian's, installed by `make deps`)
// loads the page from disk with every host unresolvable, and each chart must have drawn marks
// with a size. The screenshot is kept in the build folder (tests/report/report-screenshot.png, in README.md, comes from
// here).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "core/commands/benchmark_run.h"
#include "core/challenger/challenger_host.h"
#include "core/report/report_file.h"
#include "io/golden_dataset.h"
#include "tests/report/headless_chromium.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

TEST_CASE("the HTML report in headless Chromium: every chart draws, with no network") {
  REQUIRE_MESSAGE(fs::exists(test::kChromium), "Chromium is missing: `make deps` installs it (package chromium)");
  SyntheticSpec spec;
  spec.layers = 30;  // 480 batches: long enough for the over-time charts to show a shape
  spec.tile = 250;
  auto ds = std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, "raw"));
  ChallengerHost host(ds, "127.0.0.1", 0, 1);
  RunOptions o;
  o.url = host.url();
  o.threads = 2;
  // Offered at 1500 a second, the run lasts at least 0.32 s however fast this machine is: long
  // enough for the charts sampled every 100 ms to have points (a faster run would, rightly, show
  // "shorter than one 100 ms sample" instead of a chart).
  o.rate = 1500;
  o.command_line = "lpbf-bench --layers 30 --tile 250 --layout raw --rate 1500 --report report.html";
  const fs::path page = fs::path(LPBF_BUILD_DIR) / "report-browser-test.html";
  const fs::path shot = fs::path(LPBF_BUILD_DIR) / "report-screenshot.png";
  const fs::path profile = fs::path(LPBF_BUILD_DIR) / "chromium-profile";
  write_report_file(page, run_report_json(make_run_report(o, run_benchmark(o))));

  fs::remove_all(profile);
  const auto dom = test::chromium_dom(page, profile);
  INFO(dom.output.substr(0, 2000));
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.output.find("data-charts-drawn=\"10\"") != std::string::npos);
  const std::vector<int> marks = test::drawn_marks(dom.output);
  CHECK(marks.size() == 10);
  CHECK(std::all_of(marks.begin(), marks.end(),
                    [](int m) { return m > 0; }));  // 9 of every run, and the open model's (--rate)

  fs::remove(shot);
  const auto png =
      test::run_chromium("--window-size=1150,3300 --screenshot=" + shot.string() + " file://" + page.string(), profile);
  CHECK(png.exit_code == 0);
  REQUIRE(fs::exists(shot));
  CHECK(fs::file_size(shot) > 50000);
  fs::remove_all(profile);
}

TEST_CASE("the page of a --repeat run in headless Chromium: every chart draws, the repetitions' too") {
  REQUIRE_MESSAGE(fs::exists(test::kChromium), "Chromium is missing: `make deps` installs it (package chromium)");
  const fs::path page = fs::path(LPBF_BUILD_DIR) / "report-repeat-browser-test.html";
  const fs::path profile = fs::path(LPBF_BUILD_DIR) / "chromium-profile-repeat";
  const auto run =
      test::run_command(test::binary() +
                        " --repeat 3 --warmup 50 --layers 30 --tile 250 --layout raw --threads 2 --rate 1500 --quiet "
                        "--report " +
                        page.string());
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  fs::remove_all(profile);
  const auto dom = test::chromium_dom(page, profile);
  INFO(dom.output.substr(0, 2000));
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.output.find("<h2>Repetitions</h2>") != std::string::npos);
  CHECK(dom.output.find("Throughput of each repetition") != std::string::npos);
  // The 10 charts of one run at --rate, and throughput and p99 of each repetition.
  CHECK(dom.output.find("data-charts-drawn=\"12\"") != std::string::npos);
  const std::vector<int> marks = test::drawn_marks(dom.output);
  CHECK(marks.size() == 12);
  CHECK(std::all_of(marks.begin(), marks.end(), [](int m) { return m > 0; }));
  fs::remove_all(profile);
  fs::remove(page);
}
