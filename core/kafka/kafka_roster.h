#pragma once
// Who holds the raw topic's partitions. librdkafka 2.0.2 has no DescribeConsumerGroups, so each
// worker announces its assignment on a small topic of its own, `<raw-topic>.workers`
// (one partition): "group TAB worker TAB p,p,p", when it changes and every 250 ms. The runner
// reads the announcements made after it started waiting and starts the clock only once every
// partition of the raw topic is held by a worker heard from within the last 2 s.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/kafka/kafka_topology.h"
#include "io/result.h"

namespace lpbf {

inline constexpr std::chrono::milliseconds kAnnouncePeriod{250};
inline constexpr std::chrono::milliseconds kAnnouncementLife{2000};

struct Announcement {
  std::string group, worker;
  std::vector<int32_t> partitions;
};
std::string encode_announcement(const Announcement& a);
// nullopt for anything malformed, or naming a partition outside [0, partitions).
std::optional<Announcement> parse_announcement(std::string_view text, int partitions);

struct WorkersReady {
  double seconds = 0;  // how long the wait took
};
// Waits until every partition of the raw topic is held by a live worker of the group, and at
// least `min_workers` workers hold some (the runner's own workers, which it knows are coming).
// An error when that does not happen within `timeout`, naming the group and the partitions
// nobody took, or when the raw topic's partitions or the roster cannot be read.
Result<WorkersReady> wait_for_workers(const KafkaTopology& topology, size_t min_workers,
                                      std::chrono::milliseconds timeout);

}  // namespace lpbf
