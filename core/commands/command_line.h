#pragma once
// Minimal argument reader: `--name value`, `--name=value`, bare `--flag`, positionals. Every
// mistake is a UsageError whose message says which argument and why; main() turns it into exit 2.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/challenger/dataset_options.h"
#include "core/kafka/kafka_options.h"

namespace lpbf {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class CommandLine {
 public:
  CommandLine(int argc, char** argv, int first);

  std::optional<std::string> value(const std::string& name);
  std::string value_or(const std::string& name, const std::string& fallback);
  int64_t int_or(const std::string& name, int64_t fallback, int64_t min, int64_t max);
  double double_or(const std::string& name, double fallback, double min, double max);
  bool flag(const std::string& name);
  bool help() { return flag("--help") || flag("-h"); }
  // The arguments no option took; call after all options, then finish().
  std::vector<std::string> positionals();
  // Throws for any argument nobody asked for.
  void finish() const;
  // The whole command line, as typed (for reports).
  const std::string& text() const { return text_; }

 private:
  std::vector<std::string> args_;
  std::vector<bool> used_;
  std::string text_;
};

inline constexpr const char* kDatasetOptionsHelp =
    R"(  --dataset DIR     serve a recorded stream (manifest.json, bNNNNNN.tif, expected.json)
  --synthetic       serve a synthetic stream (the default), shaped by:
    --layers N      layers per print (default 12)
    --grid G        G x G tiles per layer (default 4: 16 tiles, as the real stream)
    --tile T        tile side in pixels (default 500, as the real stream)
    --prints P      prints, interleaved (default 1)
    --seed S        any number; same seed, same bytes (default 1)
    --layout NAME   one TIFF layout for all batches: raw, tiff_deflate, tiff_lzw, packbits,
                    tf_big_endian, tf_tiled_zlib, tf_strips_raw (default: rotate through all)
  --no-cache        prepare the synthetic stream anew; by default a prepared stream is kept in
                    $LPBF_CACHE_DIR (else $XDG_CACHE_HOME/lpbf-bench, else ~/.cache/lpbf-bench;
                    8 GiB at most, oldest removed first) and the next run loads it at once
)";

inline constexpr const char* kKafkaOptionsHelp =
    R"(  --kafka BROKERS   Kafka bootstrap servers (host:port,...), or `mock` / `mock:N` for librdkafka's
                    built-in mock cluster with N brokers (default 3), started in this process
  --group G         the analysis workers' consumer group (default lpbf-workers)
  --raw-topic T     topic of fetched batches (default raw-batch)
  --results-topic T topic of outcomes (default results)
  --partitions N    partitions of topics created here (default 8)
  --kafka-timeout S a batch with no outcome after S seconds fails (default 30)
  --kafka-ready-timeout S  the runner waits at most S seconds for workers to hold every raw-topic
                    partition before it creates the bench (default 30)
  --kafka-partition-bytes B  unanswered batch bytes in one raw partition, at most (default 4 MiB:
                    librdkafka's mock cluster keeps only 5 MB a partition; raise on a real cluster)
  --session-timeout-ms MS  consumer-group session timeout: a worker silent this long loses its
                    partitions to the others (default 6000)
)";

// Reads and checks the dataset flags of a challenger; prepares nothing. Throws UsageError.
DatasetOptions read_dataset_options(CommandLine& args);

// Reads and checks the Kafka flags; starts nothing. Throws UsageError.
KafkaSetup read_kafka_options(CommandLine& args);

}  // namespace lpbf
