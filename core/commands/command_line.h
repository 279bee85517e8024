#pragma once
// lpbf-bench's command line, read by CLI11: the subcommands run (the default: `lpbf-bench --url
// URL ...` is `lpbf-bench run --url URL ...`), sweep, replay, challenger, worker, kafka-mock, report and end,
// each with typed, range-checked options and a generated --help. Parsing checks everything and
// does nothing else: a usage error exits 2 before a dataset is prepared, a socket opened or a
// mock cluster started. The command runs afterwards, from the plain structs of commands.h.
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "core/commands/commands.h"

namespace CLI {
class App;
}

namespace lpbf {

enum class Command { run, sweep, replay, challenger, worker, kafka_mock, report, end };

class CommandLine {
 public:
  CommandLine();  // builds the CLI::App: every subcommand and option
  ~CommandLine();

  // Reads argv into args(). Returns the exit status when there is nothing to run: 0 after --help
  // (printed to `out`), 2 after a usage error (`lpbf-bench: what is wrong` and a hint to --help,
  // on `err`). nullopt: parsed; call the chosen command.
  std::optional<int> parse(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

  Command command() const;
  const std::string& command_name() const;  // "run", "replay", ...: for messages
  // The line after a usage error: where the chosen command's options are listed.
  std::string usage_hint() const;
  RunArgs& run() { return run_; }
  SweepArgs& sweep() { return sweep_; }
  const ReplayArgs& replay() const { return replay_; }
  const ChallengerArgs& challenger() const { return challenger_; }
  const WorkerArgs& worker() const { return worker_; }
  const KafkaMockArgs& kafka_mock() const { return kafka_mock_; }
  const ReportArgs& report() const { return report_; }
  const EndArgs& end() const { return end_; }

  CLI::App& app() { return *app_; }  // for tests: every subcommand and option
  // The help `lpbf-bench [SUBCOMMAND] --help` prints ("" or "run": the run's, with the list of
  // subcommands).
  std::string help(const std::string& subcommand) const;

 private:
  RunArgs run_;
  SweepArgs sweep_;
  ReplayArgs replay_;
  ChallengerArgs challenger_;
  WorkerArgs worker_;
  KafkaMockArgs kafka_mock_;
  ReportArgs report_;
  EndArgs end_;
  std::unique_ptr<CLI::App> app_;
};

}  // namespace lpbf
