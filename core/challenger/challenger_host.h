#pragma once
// A Challenger served over HTTP on its own io threads: `lpbf-bench challenger`, the embedded
// challenger of a run without --url, and the end-to-end tests all start one of these.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/challenger/challenger.h"
#include "io/http_server.h"

namespace lpbf {

class ChallengerHost {
 public:
  // Listens at once (port 0: ephemeral). Throws when the address cannot be bound. With `tls`
  // (make_tls_server_context) it serves HTTPS, and url() says https://.
  ChallengerHost(std::shared_ptr<const ServedDataset> dataset, const std::string& bind, unsigned short port,
                 int threads, const std::string& apitoken = kDefaultApiToken, HttpServerLimits limits = {},
                 EmulationOptions emulation = {}, std::shared_ptr<TlsContext> tls = nullptr);
  ~ChallengerHost();

  std::string url() const { return url_; }
  unsigned short port() const { return port_; }
  Challenger& challenger() { return challenger_; }
  // The CPU time (user + system) its io threads have run so far: all its serving and scoring.
  double cpu_seconds() const;
  void stop();

 private:
  Challenger challenger_;
  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
  unsigned short port_ = 0;
  std::string url_;
};

}  // namespace lpbf
