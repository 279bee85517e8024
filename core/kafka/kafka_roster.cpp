#include "core/kafka/kafka_roster.h"

#include <charconv>
#include <map>
#include <set>

#include "io/kafka.h"

namespace lpbf {

std::string encode_announcement(const Announcement& a) {
  std::string s = a.group + "\t" + a.worker + "\t";
  for (size_t i = 0; i < a.partitions.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(a.partitions[i]);
  }
  return s;
}

std::optional<Announcement> parse_announcement(std::string_view text, int partitions) {
  const size_t tab1 = text.find('\t');
  if (tab1 == std::string_view::npos) return std::nullopt;
  const size_t tab2 = text.find('\t', tab1 + 1);
  if (tab2 == std::string_view::npos) return std::nullopt;
  Announcement a{std::string(text.substr(0, tab1)), std::string(text.substr(tab1 + 1, tab2 - tab1 - 1)), {}};
  std::string_view list = text.substr(tab2 + 1);
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    int32_t p = -1;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), p);
    if (ec != std::errc() || end != item.data() + item.size() || p < 0 || p >= partitions) return std::nullopt;
    a.partitions.push_back(p);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return a;
}

Result<WorkersReady> wait_for_workers(const KafkaTopology& t, size_t min_workers, std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  const Result<int> counted = kafka_partition_count(t.kafka, t.raw_topic, std::chrono::seconds(5));
  if (!counted) return Error{counted.error()};
  const int partitions = counted.value();
  // Only announcements made from now on: older ones may come from workers long gone.
  const Result<std::map<int32_t, int64_t>> from =
      kafka_end_offsets(t.kafka, t.roster_topic(), 1, std::chrono::seconds(5));
  if (!from) return Error{from.error()};
  KafkaConsumer roster(t.kafka, KafkaConsumer::AssignAll{}, t.roster_topic(), from.value(), std::chrono::seconds(5));
  struct Heard {
    std::vector<int32_t> partitions;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Heard> workers;
  std::set<int32_t> held;
  size_t holders = 0;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    held.clear();
    holders = 0;
    for (const auto& [worker, heard] : workers) {
      if (now - heard.at > kAnnouncementLife || heard.partitions.empty()) continue;
      held.insert(heard.partitions.begin(), heard.partitions.end());
      ++holders;
    }
    if (int(held.size()) == partitions && holders >= std::min<size_t>(min_workers, size_t(partitions))) break;
    if (now - start > timeout) {
      std::string missing;
      int listed = 0;
      for (int32_t p = 0; p < partitions; ++p)
        if (!held.count(p) && listed++ < 16) {
          if (!missing.empty()) missing += ',';
          missing += std::to_string(p);
        }
      return Error{
          "no worker of consumer group " + t.group + " took " +
          (held.empty() ? std::string("any partition") : "partition(s) " + missing + (listed > 16 ? ",..." : "")) +
          " of Kafka topic " + t.raw_topic + " at " + t.kafka.brokers + " within " +
          std::to_string(timeout.count() / 1000) + " s (" + std::to_string(holders) +
          " worker(s) heard from; start `lpbf-bench worker --kafka " + t.kafka.brokers + " --group " + t.group + "`)"};
    }
    // A failed poll is waited out like silence: librdkafka keeps trying, and the timeout above
    // reports a lasting failure as the partitions nobody was heard to take.
    const Result<std::optional<KafkaMessage>> polled = roster.poll(std::chrono::milliseconds(50));
    if (!polled || !polled.value()) continue;
    const SharedBytes& text = polled.value()->value;
    const auto a =
        parse_announcement(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), partitions);
    if (!a || a->group != t.group) continue;
    if (workers.size() >= 4096 && !workers.count(a->worker)) continue;  // names come from the topic: bounded
    workers[a->worker] = Heard{a->partitions, std::chrono::steady_clock::now()};
  }
  return WorkersReady{std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

}  // namespace lpbf
