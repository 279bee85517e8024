// The analyse stage's transport-only mode, which the perf gate compares the whole pipeline with:
// every batch is answered at once, with an empty result, and nothing is decoded.
#include <doctest/doctest.h>
#include <simdjson.h>

#include "core/commands/benchmark_run.h"
#include "core/challenger/challenger_host.h"
#include "io/golden_dataset.h"
#include "tests/test_support.h"

using namespace lpbf;

TEST_CASE("a transport-only run answers every batch of golden/small with an empty result") {
  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  ChallengerHost host(ds, "127.0.0.1", 0, 1);
  RunOptions o;
  o.url = host.url();
  o.threads = 2;
  o.transport_only = true;
  const RunResult r = run_benchmark(o);
  CHECK(r.ledger.answered == ds->batches.size());
  CHECK(r.ledger.failures.empty());
  CHECK(r.decode_ns == 0);  // nothing was decoded or analysed
  CHECK(r.analyse_ns == 0);
  // The challenger saw every result, and scored the ones with clusters or saturation wrong.
  simdjson::dom::parser p;
  const simdjson::dom::element verdict = p.parse(r.end_reply);
  CHECK(int64_t(verdict["results"]) == int64_t(ds->batches.size()));
  size_t nonempty = 0;
  for (const TileResult& e : ds->expected) nonempty += e.saturated > 0 || !e.centroids.empty();
  CHECK(nonempty > 0);
  CHECK(int64_t(verdict["wrong"]) == int64_t(nonempty));
}
