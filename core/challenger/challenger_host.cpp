#include "core/challenger/challenger_host.h"

#include <pthread.h>
#include <time.h>

namespace lpbf {

ChallengerHost::ChallengerHost(std::shared_ptr<const ServedDataset> dataset, const std::string& bind,
                               unsigned short port, int threads, const std::string& apitoken, HttpServerLimits limits,
                               EmulationOptions emulation, std::shared_ptr<TlsContext> tls)
    : challenger_(std::move(dataset), apitoken, std::move(emulation)) {
  const bool https = tls != nullptr;
  server_ = std::make_unique<HttpServer>(
      io_, bind, port, [this](const HttpRequest& r) { return challenger_.handle(r); }, limits, kChallengerServerName,
      std::move(tls));
  port_ = server_->port();
  url_ = std::string(https ? "https://" : "http://") + (bind.find(':') != std::string::npos ? "[" + bind + "]" : bind) +
         ":" + std::to_string(port_);
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { io_.run(); });
}

ChallengerHost::~ChallengerHost() { stop(); }

double ChallengerHost::cpu_seconds() const {
  double s = 0;
  for (const std::thread& t : threads_) {
    clockid_t clock;
    timespec ts{};
    if (pthread_getcpuclockid(const_cast<std::thread&>(t).native_handle(), &clock) == 0 &&
        clock_gettime(clock, &ts) == 0)
      s += double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
  }
  return s;
}

void ChallengerHost::stop() {
  if (threads_.empty()) return;
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace lpbf
