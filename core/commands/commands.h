#pragma once
// The subcommands of lpbf-bench; main() picks one. Each returns the process exit status:
// 0 everything answered (and correct, where checked), 1 some batch failed or was wrong,
// 2 usage or set-up error.
#include "core/commands/command_line.h"

namespace lpbf {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBatchesFailed = 1;
inline constexpr int kExitSetupError = 2;

int replay_command(CommandLine& args);
int challenger_command(CommandLine& args);
int run_command(CommandLine& args);
int worker_command(CommandLine& args);
int kafka_mock_command(CommandLine& args);
int report_command(CommandLine& args);

}  // namespace lpbf
