#pragma once
// The floor under the HTTP path: a batch's bytes streamed over a plain TCP socket on loopback,
// with no HTTP, no msgpack and no event loop. It shares the HTTP path's bottleneck (syscalls, the
// kernel's socket copies), so the gate can judge the HTTP path against it on any host: one whose
// kernel is slower at syscalls and copies slows both alike.
#include <cstddef>

namespace lpbf::perf {

// Seconds per `batch_bytes` when a server thread streams `batches` of them back to back to a
// reading client thread; the best of a few rounds.
double loopback_seconds_per_batch(size_t batch_bytes, int batches);

}  // namespace lpbf::perf
