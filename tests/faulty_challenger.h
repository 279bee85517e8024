#pragma once
// A challenger for tests whose handler can be wrapped (to inject faults or craft hostile replies),
// and killed outright.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/challenger/challenger.h"
#include "io/http_server.h"

namespace lpbf::test {

// A challenger whose handler can be wrapped to inject faults, and killed outright.
class FaultyChallenger {
 public:
  using Wrap = std::function<HttpReply(Challenger&, const HttpRequest&)>;
  FaultyChallenger(std::shared_ptr<const ServedDataset> ds, Wrap wrap, EmulationOptions emulation = {})
      : challenger_(std::move(ds), kDefaultApiToken, std::move(emulation)), wrap_(std::move(wrap)) {
    server_ = std::make_unique<HttpServer>(*io_, "127.0.0.1", 0,
                                           [this](const HttpRequest& r) { return wrap_(challenger_, r); });
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
    thread_ = std::thread([this] { io_->run(); });
  }
  ~FaultyChallenger() { kill(); }
  // Closes the listening socket and every connection: the challenger is gone.
  void kill() {
    if (!thread_.joinable()) return;
    io_->stop();
    thread_.join();
    server_.reset();
    io_.reset();  // destroys the sessions: their sockets close
  }
  const std::string& url() const { return url_; }
  Challenger& challenger() { return challenger_; }

 private:
  Challenger challenger_;
  Wrap wrap_;
  std::unique_ptr<boost::asio::io_context> io_ = std::make_unique<boost::asio::io_context>();
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::string url_;
};

}  // namespace lpbf::test
