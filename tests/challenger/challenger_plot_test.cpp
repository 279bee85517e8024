// The challenger's pictures: GET /api/plot/{bench} (SVG of latency and throughput) and the status
// page that shows every bench with its plot.
#include <doctest/doctest.h>
#include <simdjson.h>

#include "core/commands/benchmark_run.h"
#include "core/challenger/challenger.h"
#include "core/challenger/challenger_host.h"
#include "io/golden_dataset.h"
#include "tests/test_support.h"

using namespace lpbf;

TEST_CASE("GET /api/plot/{bench}: an SVG of the bench's latency and throughput; the status page shows it") {
  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  ChallengerHost host(ds, "127.0.0.1", 0, 1);
  Challenger& c = host.challenger();

  // Before any result: a plot that says it has no data yet, and a page that does not refresh.
  const HttpReply created =
      c.handle({"POST", "/api/create", R"({"apitoken": "polimi-deib", "name": "idle", "test": true})"});
  REQUIRE(created.status == 200);
  simdjson::dom::parser p;
  const std::string idle = std::string(std::string_view(p.parse(created.body).get_string()));
  const HttpReply empty = c.handle({"GET", "/api/plot/" + idle, ""});
  CHECK(empty.status == 200);
  CHECK(empty.content_type == "image/svg+xml");
  CHECK(test::count_occurrences(empty.body, "no data") == 2);
  CHECK(c.handle({"GET", "/", ""}).body.find("http-equiv=\"refresh\"") == std::string::npos);

  RunOptions o;
  o.url = host.url();
  o.threads = 2;
  const RunResult r = run_benchmark(o);
  REQUIRE(r.ledger.answered == 20);
  const HttpReply plot = c.handle({"GET", "/api/plot/" + r.bench_id, ""});
  CHECK(plot.status == 200);
  CHECK(plot.content_type == "image/svg+xml");
  CHECK(plot.body.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(test::count_occurrences(plot.body, "class=\"chart\"") == 2);
  CHECK(test::count_occurrences(plot.body, "class=\"mark\"") >= 2);
  CHECK(plot.body.find("no data") == std::string::npos);

  const std::string page = c.handle({"GET", "/", ""}).body;
  CHECK(page.find("<img src=\"/api/plot/" + r.bench_id + "\"") != std::string::npos);
  CHECK(page.find("<img src=\"/api/plot/" + idle + "\"") != std::string::npos);
  CHECK(page.find("href=\"/api/history\"") != std::string::npos);

  CHECK(c.handle({"GET", "/api/plot/nope", ""}).status == 404);
  CHECK(c.handle({"POST", "/api/plot/" + r.bench_id, ""}).status == 405);
}
