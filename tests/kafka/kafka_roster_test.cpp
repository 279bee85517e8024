// The workers' roster (core/kafka/kafka_roster.h): announcements on the wire, and the readiness
// rule on constructed histories, no Kafka needed. Issue 23: an outside worker already in the
// group must not make the group "ready" before the run's own workers are assigned.
#include <doctest/doctest.h>

#include "core/kafka/kafka_roster.h"

using namespace lpbf;
using namespace std::chrono_literals;

namespace {

using Clock = GroupRoster::Clock;

Announcement said(const std::string& worker, std::vector<int32_t> partitions, int32_t generation) {
  return Announcement{"g", worker, std::move(partitions), generation};
}

}  // namespace

TEST_CASE("roster: announcements carry the generation, 'joining' before the first assignment") {
  for (const Announcement& a : {said("h/1/0", {0, 3}, 7), said("h/1/1", {}, kGenerationJoining),
                                said("h/1/2", {1}, kGenerationUnknown), said("h/1/3", {}, 0)}) {
    const auto back = parse_announcement(encode_announcement(a), 4);
    REQUIRE(back);
    CHECK(back->group == a.group);
    CHECK(back->worker == a.worker);
    CHECK(back->partitions == a.partitions);
    CHECK(back->generation == a.generation);
  }
  CHECK(encode_announcement(said("w", {0, 1}, 5)) == "g\tw\t0,1\t5");
  CHECK(encode_announcement(said("w", {}, kGenerationJoining)) == "g\tw\t\tjoining");
  // An older worker's announcement (no generation) still reads, generation unknown.
  const auto old = parse_announcement("g\tw\t0,1", 2);
  REQUIRE(old);
  CHECK(old->generation == kGenerationUnknown);
  CHECK(!parse_announcement("g\tw\t0,1\t-3", 2));
  CHECK(!parse_announcement("g\tw\t0,1\tseven", 2));
  CHECK(!parse_announcement("g\tw\t0,9\t1", 2));  // partition out of range
  CHECK(!parse_announcement("g\tw", 2));
}

TEST_CASE("roster: an outside worker holding every partition is not ready until the run's own worker is assigned") {
  const std::string me = "host/100/";
  GroupRoster roster("g", 4, me, 1);
  auto t = Clock::now();
  // The outside worker has held everything for a while, at generation 5.
  roster.heard(said("host/7/0", {0, 1, 2, 3}, 5), t);
  roster.heard(said(me + "0", {}, kGenerationJoining), t);
  for (int i = 0; i < 10; ++i, t += 250ms) {
    roster.heard(said("host/7/0", {0, 1, 2, 3}, 5), t);
    CHECK(!roster.ready(t));  // before issue 23's fix: ready here
  }
  CHECK(roster.why_not(t).find("1 of the 1 worker(s) this run started not assigned") != std::string::npos);
  // The rebalance: our worker is assigned at generation 6 before the outside one re-announces.
  roster.heard(said(me + "0", {0, 1}, 6), t);
  CHECK(!roster.ready(t + 1s));
  CHECK(roster.why_not(t).find("host/7/0 still holding partitions of an older generation") != std::string::npos);
  // The outside worker revoked (holding nothing, old generation): partitions 2, 3 held by nobody.
  t += 10ms;
  roster.heard(said("host/7/0", {}, 5), t);
  CHECK(!roster.ready(t));
  CHECK(roster.why_not(t).find("took partition(s) 2,3") != std::string::npos);
  // Both at generation 6, every partition held: ready only after the settle time.
  t += 10ms;
  roster.heard(said("host/7/0", {2, 3}, 6), t);
  CHECK(!roster.ready(t));
  CHECK(!roster.ready(t + kSettle - 1ms));
  const auto ready = roster.ready(t + kSettle);
  REQUIRE(ready);
  CHECK(ready->generation == 6);
  REQUIRE(ready->members.size() == 2);
  CHECK(ready->members[0].describe() == "host/100/0 [0,1] (this run)");  // own first
  CHECK(ready->members[1].describe() == "host/7/0 [2,3]");
}

TEST_CASE("roster: a new generation during the settle time starts the settle time again") {
  GroupRoster roster("g", 2, "host/1/", 1);
  auto t = Clock::now();
  roster.heard(said("host/1/0", {0, 1}, 1), t);
  CHECK(!roster.ready(t));
  t += 300ms;
  // Another member joins: generation 2, everything held again at once.
  roster.heard(said("host/1/0", {0}, 2), t);
  roster.heard(said("host/9/0", {1}, 2), t);
  CHECK(!roster.ready(t));
  CHECK(!roster.ready(t + kSettle - 1ms));  // not counted from the first generation's start
  CHECK(roster.ready(t + kSettle));
}

TEST_CASE("roster: gone and departed members, other groups, and own workers with nothing to hold") {
  auto t = Clock::now();
  SUBCASE("a member silent past the announcement life no longer counts, nor blocks") {
    GroupRoster roster("g", 2, "host/1/", 1);
    roster.heard(said("host/5/0", {0, 1}, 3), t);  // died at generation 3
    t += kAnnouncementLife + 1ms;
    roster.heard(said("host/1/0", {0, 1}, 4), t);
    CHECK(!roster.ready(t));
    CHECK(roster.ready(t + kSettle));
  }
  SUBCASE("a member that left announces nothing held: the new generation's members must hold everything") {
    GroupRoster roster("g", 2, "host/1/", 1);
    roster.heard(said("host/5/0", {}, 3), t);  // left
    roster.heard(said("host/1/0", {0}, 4), t);
    CHECK(!roster.ready(t + kSettle));
    roster.heard(said("host/1/0", {0, 1}, 4), t + kSettle);
    CHECK(!roster.ready(t + kSettle));
    CHECK(roster.ready(t + 2 * kSettle));
  }
  SUBCASE("another group's announcements are not this group's members") {
    GroupRoster roster("g", 1, "host/1/", 1);
    roster.heard(Announcement{"other", "host/1/0", {0}, 9}, t);
    CHECK(!roster.ready(t + kSettle));
    CHECK(roster.live_members(t) == 0);
  }
  SUBCASE("more own workers than partitions: one is assigned nothing, and counts once assigned") {
    GroupRoster roster("g", 1, "host/1/", 2);
    roster.heard(said("host/1/0", {0}, 2), t);
    roster.heard(said("host/1/1", {}, kGenerationJoining), t);
    CHECK(!roster.ready(t + kSettle));
    roster.heard(said("host/1/1", {}, 2), t + kSettle);
    CHECK(!roster.ready(t + kSettle));
    const auto ready = roster.ready(t + 2 * kSettle);
    REQUIRE(ready);
    CHECK(ready->members.size() == 2);
  }
  SUBCASE("workers of an older build (no generation) count as at every generation") {
    GroupRoster roster("g", 2, "host/1/", 1);
    roster.heard(said("host/1/0", {0}, 4), t);
    roster.heard(said("host/8/0", {1}, kGenerationUnknown), t);
    CHECK(!roster.ready(t));
    CHECK(roster.ready(t + kSettle));
  }
}

TEST_CASE("roster: another member still joining is a rebalance to come: not ready until it is assigned") {
  GroupRoster roster("g", 2, "host/1/", 1);
  auto t = Clock::now();
  roster.heard(said("host/1/0", {0, 1}, 1), t);
  roster.heard(said("host/3/0", {}, kGenerationJoining), t);
  CHECK(!roster.ready(t + kSettle));
  CHECK(roster.why_not(t).find("host/3/0 still joining the group") != std::string::npos);
  t += kSettle;
  roster.heard(said("host/1/0", {0}, 2), t);
  roster.heard(said("host/3/0", {1}, 2), t);
  CHECK(!roster.ready(t));
  CHECK(roster.ready(t + kSettle));
}
