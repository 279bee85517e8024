#include "core/commands/command_line.h"

#include <charconv>
#include <cstdlib>

#include "io/tiff_encoder.h"

namespace lpbf {

CommandLine::CommandLine(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) args_.emplace_back(argv[i]);
  used_.assign(args_.size(), false);
  for (int i = 0; i < argc; ++i) {
    if (i) text_ += ' ';
    text_ += argv[i];
  }
}

std::optional<std::string> CommandLine::value(const std::string& name) {
  for (size_t i = 0; i < args_.size(); ++i) {
    if (used_[i]) continue;
    if (args_[i] == name) {
      if (i + 1 >= args_.size()) throw UsageError(name + " needs a value");
      used_[i] = used_[i + 1] = true;
      return args_[i + 1];
    }
    if (args_[i].rfind(name + "=", 0) == 0) {
      used_[i] = true;
      return args_[i].substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

std::string CommandLine::value_or(const std::string& name, const std::string& fallback) {
  return value(name).value_or(fallback);
}

int64_t CommandLine::int_or(const std::string& name, int64_t fallback, int64_t min, int64_t max) {
  const auto text = value(name);
  if (!text) return fallback;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc{} || end != text->data() + text->size())
    throw UsageError(name + " takes a whole number, not '" + *text + "'");
  if (v < min || v > max)
    throw UsageError(name + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " + *text);
  return v;
}

double CommandLine::double_or(const std::string& name, double fallback, double min, double max) {
  const auto text = value(name);
  if (!text) return fallback;
  char* end = nullptr;
  const double v = text->empty() ? 0 : std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || !(v == v))
    throw UsageError(name + " takes a number, not '" + *text + "'");
  if (v < min || v > max)
    throw UsageError(name + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " + *text);
  return v;
}

bool CommandLine::flag(const std::string& name) {
  bool seen = false;
  for (size_t i = 0; i < args_.size(); ++i)
    if (!used_[i] && args_[i] == name) used_[i] = seen = true;
  return seen;
}

std::vector<std::string> CommandLine::positionals() {
  std::vector<std::string> out;
  for (size_t i = 0; i < args_.size(); ++i)
    if (!used_[i] && (args_[i].empty() || args_[i][0] != '-')) {
      used_[i] = true;
      out.push_back(args_[i]);
    }
  return out;
}

void CommandLine::finish() const {
  for (size_t i = 0; i < args_.size(); ++i)
    if (!used_[i]) throw UsageError("unknown argument '" + args_[i] + "'");
}

DatasetOptions read_dataset_options(CommandLine& args) {
  DatasetOptions o;
  if (const auto dir = args.value("--dataset")) o.dir = *dir;
  const bool synthetic = args.flag("--synthetic");
  o.spec.layers = int(args.int_or("--layers", o.spec.layers, 1, 100000));
  o.spec.grid = int(args.int_or("--grid", o.spec.grid, 1, 64));
  o.spec.tile = int(args.int_or("--tile", o.spec.tile, 1, 8192));
  o.spec.prints = int(args.int_or("--prints", o.spec.prints, 1, 1000));
  o.spec.seed = uint64_t(args.int_or("--seed", int64_t(o.spec.seed), 0, INT64_MAX));
  o.layout = args.value_or("--layout", "");
  o.cache = !args.flag("--no-cache");
  if (o.dir && synthetic) throw UsageError("--dataset and --synthetic exclude each other");
  if (!o.layout.empty()) {
    bool known = false;
    std::string names;
    for (const TiffLayout& l : standard_tiff_layouts()) {
      known |= l.name == o.layout;
      names += (names.empty() ? "" : ", ") + l.name;
    }
    if (!known) throw UsageError("--layout: unknown TIFF layout '" + o.layout + "' (one of " + names + ")");
  }
  if (const std::string problem = dataset_options_problem(o); !problem.empty()) throw UsageError(problem);
  return o;
}

KafkaSetup read_kafka_options(CommandLine& args) {
  KafkaSetup s;
  KafkaTopology& t = s.topology;
  const auto brokers = args.value("--kafka");
  t.group = args.value_or("--group", t.group);
  t.raw_topic = args.value_or("--raw-topic", t.raw_topic);
  t.results_topic = args.value_or("--results-topic", t.results_topic);
  t.partitions = int(args.int_or("--partitions", t.partitions, 1, 10000));
  t.outcome_timeout = std::chrono::seconds(args.int_or("--kafka-timeout", t.outcome_timeout.count(), 1, 86400));
  t.partition_window_bytes = size_t(args.int_or("--kafka-partition-bytes", int64_t(t.partition_window_bytes), 1, INT64_MAX));
  t.ready_timeout = std::chrono::seconds(args.int_or("--kafka-ready-timeout", t.ready_timeout.count(), 1, 86400));
  t.kafka.session_timeout =
      std::chrono::milliseconds(args.int_or("--session-timeout-ms", t.kafka.session_timeout.count(), 1000, 3600000));
  if (!brokers) return s;
  if (brokers->rfind("mock", 0) == 0) {
    int n = 3;
    if (brokers->size() > 4) {
      if ((*brokers)[4] != ':') throw UsageError("--kafka takes brokers or mock[:N], not '" + *brokers + "'");
      n = std::atoi(brokers->c_str() + 5);
      if (n < 1 || n > 16) throw UsageError("--kafka mock:N takes 1 to 16 brokers");
    }
    s.mock_brokers = n;
  } else {
    s.brokers = *brokers;
  }
  return s;
}

}  // namespace lpbf
