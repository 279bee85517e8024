#include "io/kernel_read_warmup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace lpbf {

bool read_once_in_kernel(std::span<const std::byte> bytes) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  const int sink = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  constexpr size_t kChunk = size_t(1) << 20;
  (void)::fcntl(p[1], F_SETPIPE_SZ, int(kChunk));  // a larger pipe: fewer calls; fine if refused
  const size_t chunk = size_t(std::max(4096, ::fcntl(p[1], F_GETPIPE_SZ)));
  bool ok = sink >= 0;
  for (size_t at = 0; ok && at < bytes.size();) {
    const ssize_t w = ::write(p[1], bytes.data() + at, std::min(chunk, bytes.size() - at));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      ok = false;
      break;
    }
    at += size_t(w);
    // Drain what was written without copying it out again.
    for (ssize_t left = w; left > 0;) {
      const ssize_t s = ::splice(p[0], nullptr, sink, nullptr, size_t(left), 0);
      if (s < 0 && errno == EINTR) continue;
      if (s <= 0) {
        ok = false;
        break;
      }
      left -= s;
    }
  }
  if (sink >= 0) ::close(sink);
  ::close(p[0]);
  ::close(p[1]);
  return ok;
}

}  // namespace lpbf
