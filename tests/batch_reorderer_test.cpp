// The reorderer: batches leave in batch_id order whatever order replies arrive in; lost ids are
// named exactly when the requests that could have carried them have all completed.
#include <doctest/doctest.h>

#include <string>

#include "core/batch_reorderer.h"

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
  r.request_done(c, 2, "c");   // 1 went to request b
  CHECK(log.released == std::vector<int64_t>{0});
  r.request_failed(b);         // ... which failed: 1 can never come
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
  const uint64_t d = r.request_sent();
  r.request_done(d, 4, "e");  // 3 is with no request in flight... but d's barrier: all done -> 3 lost
  CHECK(log.lost == std::vector<int64_t>{1, 3});
  CHECK(log.released == std::vector<int64_t>{0, 2, 4});
}

TEST_CASE("reorderer: a stream need not start at 0, and finish() releases what is held") {
  Log log;
  auto r = log.make();
  const uint64_t a = r.request_sent(), b = r.request_sent();
  r.request_done(b, 101, "y");
  r.request_done(a, 100, "x");
  CHECK(log.released == std::vector<int64_t>{100, 101});
  CHECK(log.lost.empty());
  const uint64_t c = r.request_sent(), d = r.request_sent();
  r.request_done(d, 103, "z");
  CHECK(log.released.size() == 2);
  r.finish();  // c never completes (the run is over)
  CHECK(log.lost == std::vector<int64_t>{102});
  CHECK(log.released == std::vector<int64_t>{100, 101, 103});
  (void)c;
}
