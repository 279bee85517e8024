// --warmup and --repeat (the statistics of each bench without its warm-up, the medians of K), the
// regression verdict of `lpbf-bench report --baseline --max-regression`, and the report at a glance.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/challenger/challenger_host.h"
#include "core/commands/benchmark_run.h"
#include "core/pipeline/latency_stats.h"
#include "core/report/baseline_verdict.h"
#include "core/report/html_report.h"
#include "core/report/report_file.h"
#include "io/golden_dataset.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("lpbf-repeat-test-" + std::to_string(::getpid()) + "-" + name);
}

// A report with just the figures the verdict compares.
std::string figures_json(double throughput, double p99, const std::string& repetitions = "[]") {
  return "{\"bench_id\": \"b\", \"results\": 100, \"throughput\": " + std::to_string(throughput) +
         ", \"latency_ms\": {\"p50\": 1, \"p90\": 2, \"p99\": " + std::to_string(p99) +
         ", \"max\": 9, \"mean\": 1.5}, \"repetitions\": " + repetitions + "}\n";
}

// The <svg> of the chart titled `title` in a page; "" if there is none.
std::string chart_titled(const std::string& page, const std::string& title) {
  const size_t at = page.find(">" + title);
  if (at == std::string::npos) return "";
  const size_t open = page.rfind("<svg", at), close = page.find("</svg>", at);
  return open == std::string::npos || close == std::string::npos ? "" : page.substr(open, close - open);
}

}  // namespace

TEST_CASE("--warmup N: the statistics count exactly the batches after the first N fetched") {
  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  ChallengerHost host(ds, "127.0.0.1", 0, 1);
  RunOptions o;
  o.url = host.url();
  o.threads = 2;
  o.warmup = 5;
  const RunResult run = run_benchmark(o);
  const RunReport r = make_run_report(o, run);
  CHECK(r.results == 20);  // the warm-up is answered (and checked) all the same
  CHECK(r.wrong == 0);
  CHECK(r.warmup == 5);
  CHECK(r.measured == 15);
  // The latencies counted are those of the 6th to 20th batch fetched, and only those.
  std::vector<double> counted;
  for (size_t i = 5; i < r.trace.size(); ++i) counted.push_back(r.trace[i].latency());
  const LatencySummary lat = summarise_latencies(counted);
  // (The trace keeps microseconds: each latency read back from it is within 1 us.)
  CHECK(std::fabs(r.max - lat.max) <= 1.5e-3);
  CHECK(std::fabs(r.p50 - lat.p50) <= 1.5e-3);
  // The measured time starts at the 6th batch's fetch.
  CHECK(r.wall_seconds == doctest::Approx(run.seconds - r.trace[5].fetched / 1e3).epsilon(1e-6));
  CHECK(r.throughput == doctest::Approx(15 / r.wall_seconds));
  // A warm-up longer than the stream leaves nothing to count.
  o.warmup = 1000;
  const RunReport none = make_run_report(o, run_benchmark(o));
  CHECK(none.measured == 0);
  CHECK(none.throughput == 0);
}

TEST_CASE("--repeat 3 --warmup 50: three benches, each without its first 50 batches, one report of medians") {
  const fs::path json = temp_file("repeat.json");
  // 6 layers of 16 tiles: 96 batches a bench.
  const auto r = test::run_command(test::binary() +
                                   " --repeat 3 --warmup 50 --layers 6 --tile 100 --layout raw --threads 2 --report " +
                                   json.string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  // The summary ends with the challenger's verdict, formatted, then the report.
  CHECK(r.output.find("repetition 3/3: bench ") != std::string::npos);
  CHECK(r.output.find("  repeat     3 benches, medians: throughput ") != std::string::npos);
  CHECK(r.output.find("challenger: 288 answered, 0 wrong, 0 missing, ") != std::string::npos);
  CHECK(r.output.find("\nreport: " + json.string() + "\n") != std::string::npos);
  CHECK(r.output.find("{\"") == std::string::npos);  // no raw JSON reply

  const RunReport rep = read_report_file(json);
  CHECK(rep.warmup == 50);
  CHECK(rep.results == 3 * 96);
  CHECK(rep.measured == 3 * 46);
  REQUIRE(rep.repetitions.size() == 3);
  std::vector<double> throughputs;
  for (const Repetition& p : rep.repetitions) {
    CHECK(p.results == 96);
    CHECK(p.measured == 46);  // exactly the warm-up left out of each
    CHECK(p.wrong == 0);
    throughputs.push_back(p.throughput);
  }
  CHECK(rep.repetitions[0].bench_id != rep.repetitions[2].bench_id);
  std::sort(throughputs.begin(), throughputs.end());
  CHECK(rep.throughput == throughputs[1]);  // the median
  const Spread t = spread_of(rep, &Repetition::throughput);
  CHECK(t.min == throughputs[0]);
  CHECK(t.max == throughputs[2]);
  // The trace is the last bench's; its counted latencies are the last repetition's figures.
  REQUIRE(rep.trace.size() == 96);
  std::vector<double> counted;
  for (size_t i = 50; i < rep.trace.size(); ++i) counted.push_back(rep.trace[i].latency());
  CHECK(std::fabs(summarise_latencies(counted).max - rep.repetitions[2].max) <= 1.5e-3);
  // --record keeps one bench: refused with --repeat, before anything runs.
  const auto both = test::run_command(test::binary() + " --repeat 2 --record /tmp/x --layers 1");
  CHECK(both.exit_code == 2);
  CHECK(both.output.find("--repeat") != std::string::npos);
  fs::remove(json);
}

TEST_CASE("regression limits are read from throughput=5%,p99=10%, and refused when wrong") {
  const auto limits = parse_regression_limits("throughput=5%,p99=10");
  REQUIRE(limits.size() == 2);
  CHECK(limits[0].figure == "throughput");
  CHECK(limits[0].fraction == doctest::Approx(0.05));
  CHECK(limits[1].figure == "p99");
  CHECK(limits[1].fraction == doctest::Approx(0.10));
  CHECK_THROWS_WITH(parse_regression_limits("speed=5%"), doctest::Contains("not 'speed'"));
  CHECK_THROWS_WITH(parse_regression_limits("p99=-1%"), doctest::Contains("percent >= 0"));
  CHECK_THROWS_WITH(parse_regression_limits("p99=ten"), doctest::Contains("percent >= 0"));
  CHECK_THROWS_WITH(parse_regression_limits("p99=1%,p99=2%"), doctest::Contains("twice"));
  CHECK_THROWS_WITH(parse_regression_limits("p99"), doctest::Contains("FIGURE=LIMIT"));
  CHECK_THROWS(parse_regression_limits(""));
}

TEST_CASE("report --baseline: a baseline 20% faster fails with the right line; an equal one passes") {
  const fs::path now = temp_file("now.json"), faster = temp_file("faster.json"), same = temp_file("same.json");
  const fs::path md = temp_file("verdict.md"), html = temp_file("now.html");
  std::ofstream(now) << figures_json(1000, 4);
  std::ofstream(faster) << figures_json(1200, 4);
  std::ofstream(same) << figures_json(1000, 4);
  const std::string report = test::binary() + " report " + now.string() + " --html " + html.string();
  const std::string limits = " --max-regression throughput=5%,p99=10%";

  auto r = test::run_command(report + " --baseline " + faster.string() + limits + " --markdown " + md.string());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find(
            "throughput  baseline 1200.0 batches/s  now 1000.0 batches/s  change -16.7%  limit -5.0%  FAIL\n") !=
        std::string::npos);
  CHECK(r.output.find("p99         baseline 4.00 ms  now 4.00 ms  change +0.0%  limit +10.0%  PASS\n") !=
        std::string::npos);
  CHECK(r.output.find("verdict: FAIL (1 of 2 figures regressed beyond the limit)\n") != std::string::npos);
  const std::string table = read_file_bytes(md);
  CHECK(table.find("### lpbf-bench against the baseline: FAIL") == 0);
  CHECK(table.find("| throughput (batches/s) | 1200.0 | 1000.0 | -16.7% | -5.0% | **FAIL** |") != std::string::npos);
  CHECK(table.find("| p99 (ms) | 4.00 | 4.00 | +0.0% | +10.0% | PASS |") != std::string::npos);
  // The page carries the verdict in its headline cards.
  const std::string page = read_file_bytes(html);
  CHECK(page.find("<div class=\"label\">vs baseline</div><div class=\"value\">FAIL</div>") != std::string::npos);

  r = test::run_command(report + " --baseline " + same.string() + limits);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("verdict: PASS\n") != std::string::npos);
  // The positional BASELINE still draws the comparison, with no verdict.
  r = test::run_command(report + " " + faster.string());
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("verdict") == std::string::npos);
  // Usage errors: no baseline to compare with, an unknown figure, --markdown without limits.
  CHECK(test::run_command(report + limits).exit_code == 2);
  CHECK(test::run_command(report + " --baseline " + same.string() + " --max-regression speed=1%").exit_code == 2);
  CHECK(test::run_command(report + " --baseline " + same.string() + " --markdown " + md.string()).exit_code == 2);
  CHECK(test::run_command(report + " --baseline /nonexistent.json" + limits).exit_code == 2);
  for (const fs::path& p : {now, faster, same, md, html}) fs::remove(p);
}

TEST_CASE("with --repeat reports the verdict compares medians, and says when the spread is wider than the limit") {
  auto rep = [](double t, double p99) {
    return "{\"bench_id\": \"x\", \"throughput\": " + std::to_string(t) +
           ", \"latency_ms\": {\"p99\": " + std::to_string(p99) + "}}";
  };
  // Medians 1000 and 4.0; throughput spread 20 % (wider than 5 %), p99 spread 5 % (within 10 %).
  const RunReport run = parse_run_report(
      figures_json(1000, 4, "[" + rep(900, 3.9) + ", " + rep(1000, 4.0) + ", " + rep(1100, 4.1) + "]"), "run.json");
  const RunReport base = parse_run_report(figures_json(1000, 4), "base.json");
  const BaselineVerdict v = compare_with_baseline(run, base, parse_regression_limits("throughput=5%,p99=10%"));
  REQUIRE(v.figures.size() == 2);
  CHECK(v.pass());
  CHECK(v.figures[0].now.median == doctest::Approx(1000));
  CHECK(v.figures[0].cannot_tell);
  CHECK_FALSE(v.figures[1].cannot_tell);
  const std::string text = verdict_text(v);
  INFO(text);
  CHECK(text.find(
            "throughput  baseline 1000.0 (1000.0-1000.0) batches/s  now 1000.0 (900.0-1100.0) batches/s  change "
            "+0.0%  limit -5.0%  PASS  (cannot tell: the spread, 20.0% of the median, is wider than the limit)\n") !=
        std::string::npos);
  CHECK(text.find("verdict: PASS; 1 figure(s) too noisy to tell") != std::string::npos);
  // A regression exactly at the limit passes; beyond it fails.
  const RunReport slower = parse_run_report(figures_json(950, 4.4), "slower.json");
  CHECK(compare_with_baseline(slower, base, parse_regression_limits("throughput=5%,p99=10%")).pass());
  CHECK_FALSE(compare_with_baseline(slower, base, parse_regression_limits("throughput=4.9%")).pass());
  CHECK_FALSE(compare_with_baseline(slower, base, parse_regression_limits("p99=9.9%")).pass());
}

TEST_CASE("the page at a glance: headline cards, the configuration folded, only the options that apply") {
  RunReport r = parse_run_report(figures_json(1000, 4), "r.json");
  r.config = "url=\"http://x\"\nthreads=2\nraw-topic=\"raw-batch\"\nworkers=1\nmetrics-bind=\"127.0.0.1\"\nwarmup=0\n";
  const std::string page = render_html_report(r);
  CHECK(page.find("<div class=\"cards\">") < page.find("<h2>Verdict</h2>"));
  for (const char* label : {"answered", "wrong", "throughput", "latency p99"})
    CHECK(page.find("<div class=\"label\">" + std::string(label) + "</div>") != std::string::npos);
  CHECK(page.find("<div class=\"value\">1000.0 batches/s</div>") != std::string::npos);
  CHECK(page.find("<details><summary>Configuration") != std::string::npos);
  CHECK(page.find("<pre>url=&quot;http://x&quot;\nthreads=2\nwarmup=0\n</pre>") != std::string::npos);  // no Kafka
  r.config += "kafka=\"mock\"\nmetrics-port=0\n";
  const std::string kafka = render_html_report(r);
  CHECK(kafka.find("raw-topic=") != std::string::npos);
  CHECK(kafka.find("metrics-bind=") != std::string::npos);
}

TEST_CASE("a chart with no samples says why, and rate and count axes start at zero") {
  // golden/small: 20 batches in far less than 100 ms.
  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  ChallengerHost host(ds, "127.0.0.1", 0, 1);
  RunOptions o;
  o.url = host.url();
  o.threads = 2;
  const RunReport small = parse_run_report(run_report_json(make_run_report(o, run_benchmark(o))), "small.json");
  REQUIRE(small.samples.size() == 2);
  const std::string page = render_html_report(small);
  CHECK(page.find("run shorter than one 100 ms sample") != std::string::npos);
  CHECK(page.find("run shorter than two intervals of 20 batches") != std::string::npos);

  // A steady rate of 400 batches/s for 1 s: the rate axis still starts at 0, as do the depths'.
  RunReport steady = small;
  steady.trace.clear();
  for (int i = 0; i < 400; ++i) {
    TracedBatch b;
    b.batch_id = i, b.outcome = "answered", b.fetched = 2.5 * i, b.acked = 2.5 * i + 2;
    b.decoded = b.analysed = b.submitted = b.fetched + 1;
    steady.trace.push_back(b);
  }
  steady.samples.clear();
  for (int i = 0; i <= 10; ++i) steady.samples.push_back({100.0 * i, 6, 2, 1, 40 * i, 0, -1});
  const std::string drawn = render_html_report(steady);
  const std::string rate = chart_titled(drawn, "Throughput over time");
  REQUIRE(!rate.empty());
  CHECK(rate.find("class=\"mark\"") != std::string::npos);
  CHECK(rate.find("text-anchor=\"end\">0</text>") != std::string::npos);
  const std::string depth = chart_titled(drawn, "In flight and queue depths");
  REQUIRE(!depth.empty());
  CHECK(depth.find("text-anchor=\"end\">0</text>") != std::string::npos);
  CHECK(drawn.find("run shorter than") == std::string::npos);
  // Charts take the page's width.
  CHECK(drawn.find("svg.chart{display:block;margin:10px 0;width:100%;height:auto}") != std::string::npos);
}
