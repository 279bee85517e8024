// The reorderer: batches leave in batch_id order whatever order replies arrive in; lost ids are
// named exactly when the requests that could have carried them have all completed.
#include <doctest/doctest.h>

#include <string>

#include "core/pipeline/batch_reorderer.h"

using namespace lpbf;

namespace {
struct Log {
  std::vector<int64_t> released, lost;
  BatchReorderer<std::string> make() {
    return BatchReorderer<std::string>([this](int64_t id, std::string&&) { released.push_back(id); },
                                       [this](int64_t id) { lost.push_back(id); });
  }
};
}  // namespace

TEST_CASE("reorderer: replies arriving in reverse order are released in batch_id order") {
  Log log;
  auto r = log.make();
  std::vector<uint64_t> tickets;
  for (int i = 0; i < 4; ++i) tickets.push_back(r.request_sent());
  r.request_done(tickets[3], 3, "d");
  r.request_done(tickets[2], 2, "c");
  r.request_done(tickets[1], 1, "b");
  CHECK(log.released.empty());  // 0 may still come
  r.request_done(tickets[0], 0, "a");
  CHECK(log.released == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(log.lost.empty());
}

TEST_CASE("reorderer: an id lost with a failed request is given up once every earlier request is done") {
  Log log;
  auto r = log.make();
  const uint64_t a = r.request_sent(), b = r.request_sent(), c = r.request_sent();
  r.request_done(a, 0, "a");
  r.request_done(c, 2, "c");  // 1 went to request b
  CHECK(log.released == std::vector<int64_t>{0});
  r.request_failed(b);  // ... which failed: 1 can never come
  CHECK(log.lost == std::vector<int64_t>{1});
  CHECK(log.released == std::vector<int64_t>{0, 2});
}

TEST_CASE("reorderer: a reply does not give up ids that a request sent later may still bring") {
  Log log;
  auto r = log.make();
  const uint64_t a = r.request_sent();
  r.request_done(a, 0, "a");
  const uint64_t b = r.request_sent(), c = r.request_sent();
  r.request_done(c, 2, "c");
  r.request_failed(b);  // b was sent before c's reply: it could have carried 1, and failed
  CHECK(log.lost == std::vector<int64_t>{1});
  const uint64_t d = r.request_sent(), e = r.request_sent();
  r.request_failed(d);
  r.request_done(e, 4, "e");  // 3 went to d, which failed: every request before e's reply is done -> 3 lost
  CHECK(log.lost == std::vector<int64_t>{1, 3});
  CHECK(log.released == std::vector<int64_t>{0, 2, 4});
}

TEST_CASE("reorderer: the first id is not assumed; a first-wave request that failed is counted, not named") {
  Log log;
  auto r = log.make();
  const uint64_t a = r.request_sent(), b = r.request_sent();
  r.request_done(b, 1, "y");
  CHECK(log.released.empty());  // a may still bring 0
  r.request_failed(a);          // it carried 0, or nothing: no reply can tell
  CHECK(log.released == std::vector<int64_t>{1});
  CHECK(log.lost.empty());
  CHECK(r.first_id() == 1);
  CHECK(r.failed_before_first() == 1);
  const uint64_t c = r.request_sent(), d = r.request_sent();
  r.request_done(d, 3, "z");
  CHECK(log.released.size() == 1);
  r.finish();  // c never completes (the run is over)
  CHECK(log.lost == std::vector<int64_t>{2});
  CHECK(log.released == std::vector<int64_t>{1, 3});
  (void)c;
}

TEST_CASE("reorderer: a stream numbered from 1 is released whole, with nothing lost") {
  Log log;
  auto r = log.make();
  for (int64_t id = 1; id <= 40; ++id) {
    const uint64_t t = r.request_sent();
    CHECK(r.check_id(id).empty());
    r.request_done(t, id, "ok");
  }
  r.request_ended(r.request_sent());
  r.finish();
  CHECK(log.released.size() == 40);
  CHECK(log.released.front() == 1);
  CHECK(log.lost.empty());
  CHECK(r.failed_before_first() == 0);
}

TEST_CASE("reorderer: the first wave answered out of order from a large first id") {
  Log log;
  auto r = log.make();
  const int64_t base = 1'000'000'007;
  std::vector<uint64_t> t;
  for (int i = 0; i < 4; ++i) t.push_back(r.request_sent());
  r.request_done(t[2], base + 2, "c");                                       // first received, but not the first served
  CHECK(r.check_id(base - 1).find("out of sequence") == std::string::npos);  // 3 requests were out: could be
  CHECK(r.check_id(base - 2).find("out of sequence") != std::string::npos);  // more than the wave allows
  r.request_done(t[0], base, "a");
  r.request_done(t[3], base + 3, "d");
  CHECK(log.released.empty());
  r.request_done(t[1], base + 1, "b");
  CHECK(log.released == std::vector<int64_t>{base, base + 1, base + 2, base + 3});
  CHECK(r.first_id() == base);
  r.request_sent();  // a fifth request: one id more may come
  CHECK(r.check_id(base + 4).empty());
  CHECK(r.check_id(base + 5).find("out of sequence") != std::string::npos);  // one request more than sent
  CHECK(r.check_id(base - 1).find("came twice") != std::string::npos);
}

TEST_CASE("reorderer: ids are checked against the requests sent, so their values never size memory or work") {
  Log log;
  auto r = log.make();
  for (int i = 0; i <= 20; ++i) r.request_done(r.request_sent(), i, "ok");
  CHECK(log.released.size() == 21);
  r.request_sent();
  CHECK(r.check_id(int64_t(1) << 62) == "batch_id 4611686018427387904 is out of sequence: expected about 21");
  CHECK(r.check_id(10001).find("out of sequence") != std::string::npos);
  CHECK(r.check_id(-5) == "batch_id -5 is negative");
  CHECK(r.check_id(INT64_MAX).find("beyond any stream") != std::string::npos);
  CHECK(r.check_id(7).find("came twice") != std::string::npos);
  CHECK(r.check_id(21).empty());
  // A caller that does not check: the reply is dropped as a failed request, nothing else happens.
  const uint64_t t = r.request_sent();
  r.request_done(t, int64_t(1) << 62, "hostile");
  CHECK(log.released.size() == 21);
  CHECK(log.lost.empty());
  CHECK(r.held() == 0);
}

TEST_CASE("reorderer: a request that failed after the highest id is counted: it may have taken a later id") {
  Log log;
  auto r = log.make();
  r.request_done(r.request_sent(), 0, "a");
  r.request_failed(r.request_sent());         // a dead connection: it may have been served
  r.request_failed(r.request_sent(), false);  // a 503: the challenger said it served nothing
  r.request_ended(r.request_sent());          // 404: the end
  CHECK(r.failed_after_highest() == 1);
  CHECK(r.highest_id() == 0);
}
