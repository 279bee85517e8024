// The run report: the trace a run records, the JSON read back, the HTML page drawn from it, and
// `lpbf-bench report`.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/commands/benchmark_run.h"
#include "core/challenger/challenger_host.h"
#include "core/report/html_report.h"
#include "core/report/report_file.h"
#include "io/golden_dataset.h"
#include "io/json_text.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

// One real run of golden/small, its JSON report.
const std::string& small_run_json() {
  static const std::string json = [] {
    auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
    ChallengerHost host(ds, "127.0.0.1", 0, 1);
    RunOptions o;
    o.url = host.url();
    o.threads = 2;
    o.bench_name = "report </script> test";  // must not end the embedded JSON early
    o.command_line = "lpbf-bench --url " + host.url();
    return run_report_json(make_run_report(o, run_benchmark(o)));
  }();
  return json;
}

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("lpbf-report-test-" + std::to_string(::getpid()) + "-" + name);
}

}  // namespace

TEST_CASE("a run's report traces every batch through every stage, in order") {
  const RunReport r = parse_run_report(small_run_json(), "small");
  REQUIRE(r.trace.size() == 20);
  CHECK(r.results == 20);
  CHECK(r.wrong == 0);
  CHECK(r.command.find("--url") != std::string::npos);
  CHECK(!r.machine.empty());
  CHECK(!r.version.empty());
  // Each batch's saturated count and cluster count are exactly golden/small's expected ones.
  std::map<int64_t, TileResult> expected;
  for (TileResult& e : parse_results_json(read_file_bytes(test::golden_dir() / "small" / "expected.json"), "small"))
    expected[e.batch_id] = std::move(e);
  REQUIRE(expected.size() == 20);
  for (const TracedBatch& b : r.trace) {
    INFO("batch " << b.batch_id);
    REQUIRE(expected.count(b.batch_id) == 1);
    CHECK(b.print_id == expected[b.batch_id].print_id);
    CHECK(b.tile_id == expected[b.batch_id].tile_id);
    CHECK(b.outcome == "answered");
    CHECK(b.fetched >= 0);
    CHECK(b.decoded >= b.fetched);
    CHECK(b.analysed >= b.decoded);
    CHECK(b.submitted >= b.analysed);
    CHECK(b.acked >= b.submitted);
    CHECK(b.saturated == expected[b.batch_id].saturated);
    CHECK(b.clusters == int64_t(expected[b.batch_id].centroids.size()));
  }
  size_t clusters = 0;
  for (const TracedBatch& b : r.trace) clusters += size_t(b.clusters);
  CHECK(clusters == 20);  // golden/small: 4 + 1 + 1 + 1 + 3 + 1 + 1 + 1 + 3 + 1 + 2 + 1
  CHECK(r.clusters.size() == clusters);
  CHECK(r.samples.size() >= 2);  // at the start and at the end at least
  CHECK(r.samples.back().answered == 20);
}

TEST_CASE("the HTML report draws every chart with marks, and embeds its JSON") {
  const fs::path html = temp_file("run.html");
  write_report_file(html, small_run_json());
  const std::string page = read_file_bytes(html);
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("http://") == page.find("http://127.0.0.1"));  // no external resource, only the run's URL
  // 20 batches in less than 100 ms: the charts over time say so instead of drawing (6 of 9 drawn).
  CHECK(test::count_occurrences(page, "<svg class=\"chart\"") == 6);
  CHECK(test::count_occurrences(page, "<figure class=\"no-samples\">") == 3);
  CHECK(test::count_occurrences(page, "no data") == 0);
  CHECK(test::count_occurrences(page, "class=\"mark\"") > 30);
  CHECK(page.find("report &lt;/script&gt; test") != std::string::npos);
  CHECK(page.find("CPU, s (the runner") != std::string::npos);
  // Read back from the page: the same report.
  const RunReport again = read_report_file(html);
  CHECK(again.trace.size() == 20);
  CHECK(again.bench_name == "report </script> test");
  fs::remove(html);
}

TEST_CASE("a report from before traces renders, its charts saying there is no data") {
  const std::string old = R"J({"bench_id": "b1", "bench_name": "old", "url": "u", "connections": 4, "threads": 2,
    "batches": 3, "results": 2, "failed": [{"batch_id": 7, "reason": "TIFF has 8 bits per sample, need 16"}],
    "errors": [], "wall_seconds": 0.5, "throughput": 4.0, "latency_ms": {"p50": 1, "p90": 2, "p99": 3, "max": 4, "mean": 1.5},
    "stage_busy_seconds": {"fetch": 0, "decode": 0, "analyse": 0, "submit": 0}, "max_queue_depth": 1,
    "challenger_end_reply": "(end failed: HTTP 404)"})J";
  const RunReport r = parse_run_report(old, "old.json");
  CHECK(r.trace.empty());
  CHECK(r.wrong == -1);
  const std::string page = render_html_report(r);
  CHECK(test::count_occurrences(page, "no data") >= 3);
  CHECK(page.find("TIFF has 8 bits per sample") != std::string::npos);
  CHECK(page.find("Not every batch") != std::string::npos);
}

TEST_CASE("the challenger's own figures are written, read back and shown beside the run's") {
  const RunReport ours = parse_run_report(small_run_json(), "small");
  CHECK(ours.challenger.source == "lpbf-bench");  // this project's challenger scored the run
  CHECK(ours.challenger.results == 20);
  CHECK(ours.challenger.wrong == 0);
  CHECK(render_html_report(ours).find("answered (challenger: lpbf-bench)") != std::string::npos);
  // A run against the Micro Challenger: its figures, times in milliseconds from Go durations.
  const std::string micro = R"J({"bench_id": "b2", "results": 3598, "throughput": 100.0,
    "challenger_end_reply": "{}", "challenger_stats": {"source": "micro", "served": 3600, "results": 3598,
    "missing": 2, "wrong": null, "duplicates": null, "throughput": 118.5, "latency_mean_ms": 760.787542,
    "latency_min_ms": 1.0, "latency_p50_ms": null, "latency_p99_ms": 2000.0, "latency_max_ms": 67126.827129}})J";
  const RunReport r = parse_run_report(micro, "micro.json");
  CHECK(r.challenger.source == "micro");
  CHECK(r.challenger.served == 3600);
  CHECK(r.missing == 2);
  CHECK(r.wrong == -1);  // the Micro Challenger does not score
  CHECK(r.challenger.latency_p99_ms == doctest::Approx(2000.0));
  const std::string page = render_html_report(r);
  CHECK(page.find("latency p99, ms (challenger: micro)</th><td>2000.00") != std::string::npos);
  CHECK(page.find("served (challenger: micro)</th><td>3600") != std::string::npos);
}

TEST_CASE("the report shows the run's configuration as a --config file would hold it") {
  RunReport r = parse_run_report(small_run_json(), "small");
  r.config = "threads=2\nbench-name=\"a < b\"\n";
  const std::string page = render_html_report(r);
  CHECK(page.find("<th>configuration</th><td><pre>threads=2\nbench-name=&quot;a &lt; b&quot;\n</pre>") !=
        std::string::npos);
}

TEST_CASE("with Kafka, the report charts the consumer lag; without, it draws no lag chart") {
  RunReport r = parse_run_report(small_run_json(), "small");
  CHECK(render_html_report(r).find("Consumer lag") == std::string::npos);  // not a Kafka run
  for (TracedBatch& b : r.trace) b.worker = "w" + std::to_string(b.batch_id % 2);
  for (size_t i = 0; i < r.samples.size(); ++i) r.samples[i].kafka_lag = int64_t(10 * i);
  const std::string page = render_html_report(r);
  CHECK(page.find("Answered per Kafka worker") != std::string::npos);
  CHECK(page.find("Consumer lag of the workers' group") != std::string::npos);
}

TEST_CASE("two reports overlaid: the baseline's series and the change of each figure") {
  RunReport a = parse_run_report(small_run_json(), "a.json"), b = a;
  b.origin = "b.json";
  b.throughput = a.throughput / 2;
  const std::string page = render_html_report(a, &b);
  CHECK(page.find("baseline") != std::string::npos);
  CHECK(page.find("+100.0%") != std::string::npos);  // throughput doubled against the baseline
  CHECK(page.find("#e67e22") != std::string::npos);  // the baseline's colour is drawn
}

TEST_CASE("reading a report that is not one says which file and why") {
  CHECK_THROWS_WITH(parse_run_report("not json", "x.json"), doctest::Contains("x.json: not JSON"));
  CHECK_THROWS_WITH(parse_run_report("[1, 2]", "y.json"), doctest::Contains("y.json: not a run report"));
  CHECK_THROWS_WITH(parse_run_report("{\"a\": 1}", "z.json"), doctest::Contains("not a run report"));
  const fs::path page = temp_file("plain.html");
  std::ofstream(page) << "<html><body>hello</body></html>";
  CHECK_THROWS_WITH(read_report_file(page), doctest::Contains("without an embedded lpbf-bench report"));
  fs::remove(page);
  // Wrong types inside a report are left out, not trusted.
  const RunReport r = parse_run_report(
      R"({"throughput": "fast", "results": 1, "trace": {"columns": ["batch_id"], "rows": [["x"], 5, [1, 2, 3]]}, "failed": [3]})",
      "w.json");
  CHECK(r.throughput == 0);
  CHECK(r.failed.empty());
}

TEST_CASE("lpbf-bench report draws a saved report, compares two, and refuses to overwrite its input") {
  const fs::path json = temp_file("a.json"), html = temp_file("a.html"), cmp = temp_file("cmp.html");
  std::ofstream(json) << small_run_json();
  auto r = test::run_command(test::binary() + " report " + json.string());
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(html));
  r = test::run_command(test::binary() + " report " + html.string() + " " + json.string() + " --html " + cmp.string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(read_file_bytes(cmp).find("baseline") != std::string::npos);
  r = test::run_command(test::binary() + " report " + html.string() + " --html " + html.string());
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("would overwrite") != std::string::npos);
  r = test::run_command(test::binary() + " report");
  CHECK(r.exit_code == 2);
  r = test::run_command(test::binary() + " report /nonexistent.json");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("/nonexistent.json") != std::string::npos);
  for (const fs::path& p : {json, html, cmp}) fs::remove(p);
}
