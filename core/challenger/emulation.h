#pragma once
// Which server the challenger behaves like on the wire (`lpbf-bench challenger --emulate`):
// today's scoring server of SPEC §1 (the default), or one of the two the DEBS organisers run, so
// that a client can rehearse against either offline.
//  - evaluation: "Challenger 2.0", the evaluation server (strict create, one active bench per
//    token, 412 before start, an empty 404 at the stream's end, an empty reply to end, ended
//    benches forgotten, no verdict on the wire).
//  - local: the "Micro Challenger" Docker image handed to participants (lenient create,
//    max_batches honoured, end answers {"0": {count, missing, throughput, latency_* as Go
//    durations}}, /api/get_result, /api/plot, /api/history, /dash).
// Either way every result is still scored: the verdict stays reachable in-process
// (Challenger::verdict) and one line per ended bench goes to the log.
#include <cstdio>
#include <filesystem>
#include <string>

namespace lpbf {

enum class Emulation { none, evaluation, local };

inline const char* emulation_name(Emulation e) {
  return e == Emulation::evaluation ? "evaluation" : e == Emulation::local ? "local" : "none";
}

struct EmulationOptions {
  Emulation mode = Emulation::none;
  std::FILE* log = nullptr;  // one line per ended bench (emulations only); null: none
  // evaluation only: where the benches started and not yet ended are remembered across restarts,
  // as the real server keeps them in its database; empty: in memory only.
  std::filesystem::path state_file;
};

}  // namespace lpbf
