// The open model's schedule (--rate) on a fake clock: slots at start + i/R, the backlog and the
// lateness of late sends, the achieved rate.
#include <doctest/doctest.h>

#include "core/pipeline/send_schedule.h"

using namespace lpbf;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {
const SendSchedule::Time t0 = SendSchedule::Time{} + std::chrono::hours(1);
}

TEST_CASE("send schedule: slot i is due at start + i/R, without drift") {
  SendSchedule s(1000);
  s.start(t0);
  CHECK(s.slot(0) == t0);
  CHECK(s.slot(1) == t0 + milliseconds(1));
  CHECK(s.slot(1000000) == t0 + std::chrono::seconds(1000));
  SendSchedule third(3);  // 1/3 s is not a whole number of nanoseconds: no error accumulates
  third.start(t0);
  CHECK(std::chrono::abs(third.slot(3000) - (t0 + std::chrono::seconds(1000))) < microseconds(1));
  CHECK(s.slots_due(t0 - milliseconds(1)) == 0);
  CHECK(s.slots_due(t0) == 1);
  CHECK(s.slots_due(t0 + microseconds(999)) == 1);
  CHECK(s.slots_due(t0 + milliseconds(1)) == 2);
  CHECK(s.slots_due(t0 + milliseconds(10) + microseconds(500)) == 11);
}

TEST_CASE("send schedule: sends on time have no backlog and achieve the offered rate") {
  SendSchedule s(200);
  s.start(t0);
  for (int i = 0; i < 400; ++i) {
    const auto due = s.due();
    CHECK(s.take(due) == due);  // the fake clock is exactly on time
  }
  const SendSchedule::Stats st = s.stats();
  CHECK(st.sends == 400);
  CHECK(st.offered_rate == 200);
  CHECK(st.achieved_rate == doctest::Approx(200).epsilon(1e-9));
  CHECK(st.max_backlog == 1);  // the send itself
  CHECK(st.max_lateness_ms == 0);
  CHECK(st.end_backlog == 1);
  CHECK(st.end_lateness_ms == 0);
}

TEST_CASE("send schedule: a stalled sender builds a backlog, and its sends keep their slots") {
  SendSchedule s(1000);  // one a millisecond
  s.start(t0);
  auto now = t0;
  // The sender can only go every 2 ms: half the offered rate.
  for (int i = 0; i < 100; ++i) {
    CHECK(s.take(now) == t0 + milliseconds(i));  // the slot, not the moment it left
    now += milliseconds(2);
  }
  const SendSchedule::Stats st = s.stats();
  CHECK(st.achieved_rate == doctest::Approx(99.0 / 0.198).epsilon(1e-6));  // 99 intervals in 198 ms
  CHECK(st.achieved_rate < 0.95 * st.offered_rate);
  // The last send left at 198 ms for the slot of 99 ms: 99 ms late, slots 99..198 due.
  CHECK(st.end_lateness_ms == doctest::Approx(99));
  CHECK(st.end_backlog == 100);
  CHECK(st.max_lateness_ms == doctest::Approx(99));
  CHECK(st.max_backlog == 100);
}

TEST_CASE("send schedule: a burst of late sends catches up, the backlog shrinking to nothing") {
  SendSchedule s(1000);
  s.start(t0);
  const auto late = t0 + milliseconds(10);  // a 10 ms stall: slots 0..10 are due
  CHECK(s.take(late) == t0);
  CHECK(s.stats().max_backlog == 11);
  for (int i = 1; i <= 10; ++i) s.take(late);  // caught up at once
  CHECK(s.due() == t0 + milliseconds(11));
  CHECK(s.stats().end_backlog == 1);
  CHECK(s.stats().end_lateness_ms == 0);
  CHECK(s.stats().max_lateness_ms == doctest::Approx(10));
}
