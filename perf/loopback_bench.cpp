#include "perf/loopback_bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace lpbf::perf {
namespace {

constexpr int kRounds = 7;

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w <= 0) return false;
    p += w, n -= size_t(w);
  }
  return true;
}

bool read_all(int fd, char* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r, n -= size_t(r);
  }
  return true;
}

}  // namespace

double loopback_seconds_per_batch(size_t batch_bytes, int batches) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (listener >= 0) ::close(listener);
    throw std::runtime_error("loopback bench: cannot listen on 127.0.0.1");
  }
  // Each round: the client asks with one byte, the server streams `batches` batches.
  std::thread server([&] {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    const std::vector<char> batch(batch_bytes, 'b');
    char go;
    for (int round = 0; round < kRounds && read_all(fd, &go, 1); ++round)
      for (int i = 0; i < batches; ++i)
        if (!write_all(fd, batch.data(), batch.size())) break;
    ::close(fd);
  });
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  double best = 1e30;
  bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  std::vector<char> batch(batch_bytes);
  for (int round = 0; ok && round < kRounds; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    ok = write_all(fd, "g", 1);
    for (int i = 0; ok && i < batches; ++i) ok = read_all(fd, batch.data(), batch.size());
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / batches);
  }
  if (fd >= 0) ::close(fd);
  server.join();
  ::close(listener);
  if (!ok) throw std::runtime_error("loopback bench: the transfer on 127.0.0.1 failed");
  return best;
}

}  // namespace lpbf::perf
