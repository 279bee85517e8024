// The sweep's report: where the knee is, the JSON written and read back, the page's charts.
#include <doctest/doctest.h>

#include "core/report/sweep_report.h"
#include "io/golden_dataset.h"
#include "tests/test_support.h"

using namespace lpbf;

namespace {

SweepPoint point(double offered, double achieved, double p99) {
  SweepPoint p;
  p.offered = offered, p.achieved = achieved, p.throughput = achieved;
  p.served.p50 = p.corrected.p50 = p99 / 2;
  p.served.p99 = p99, p.corrected.p99 = p99;
  p.results = 100, p.batches = 100;
  return p;
}

}  // namespace

TEST_CASE("sweep knee: the first point that falls behind, lowest offered rate first") {
  CHECK(find_knee({}) == -1);
  CHECK(find_knee({point(100, 100, 3), point(200, 199, 3), point(400, 396, 4)}) == -1);
  CHECK(find_knee({point(100, 100, 3), point(200, 189, 3), point(400, 200, 900)}) == 1);  // 94.5 %
  CHECK(find_knee({point(100, 100, 3), point(200, 190, 3)}) == -1);                       // 95 %: still following
  // Given out of order: the rates are taken in increasing order; `max` (0) is never the knee.
  CHECK(find_knee({point(0, 300, 2), point(400, 250, 50), point(100, 100, 3), point(200, 200, 3)}) == 1);
}

TEST_CASE("sweep knee: a jump of the corrected p99, even when the rate is followed") {
  CHECK(find_knee({point(100, 100, 3), point(200, 200, 80)}) == 1);    // 27x and +77 ms
  CHECK(find_knee({point(100, 100, 3), point(200, 200, 11)}) == -1);   // 3.7x but +8 ms: noise
  CHECK(find_knee({point(100, 100, 6), point(200, 200, 25)}) == -1);   // 4x but +19 ms: a late timer
  CHECK(find_knee({point(100, 100, 20), point(200, 200, 45)}) == -1);  // +25 ms but 2.25x
}

TEST_CASE("sweep report: JSON read back, terminal table, and a page with both charts") {
  SweepReport r;
  r.url = "http://127.0.0.1:1", r.command = "lpbf-bench sweep --rates 100,200,400,max", r.version = "test";
  r.point_seconds = 2;
  r.points = {point(100, 100, 3), point(200, 200, 3.5), point(400, 250, 300), point(0, 260, 4)};
  r.points[2].corrected.p99 = 900, r.points[2].max_backlog = 120, r.points[2].max_lateness_ms = 450;
  r.points[3].bench_id = "b<4>";
  r.knee = find_knee(r.points);
  REQUIRE(r.knee == 2);
  const SweepReport back = parse_sweep_report(sweep_json(r), "test");
  CHECK(back.points == r.points);
  CHECK(back.knee == 2);
  CHECK(back.url == r.url);
  CHECK(back.point_seconds == 2);
  CHECK_THROWS_WITH_AS(parse_sweep_report("{\"throughput\": 1}", "run.json"),
                       doctest::Contains("run.json: not a sweep report"), std::runtime_error);

  const std::string text = sweep_summary_text(r);
  CHECK(text.find("<- knee") != std::string::npos);
  CHECK(text.find("knee at 400 batches/s offered") != std::string::npos);

  const std::string page = render_sweep_html(r);
  CHECK(test::count_occurrences(page, "<svg class=\"chart\"") == 2);
  CHECK(page.find("Knee at 400") != std::string::npos);
  CHECK(page.find("b&lt;4&gt;") != std::string::npos);
  CHECK(page.find(knee_definition().substr(4, 40)) != std::string::npos);
  CHECK(page.find("max (closed model)") != std::string::npos);
}
