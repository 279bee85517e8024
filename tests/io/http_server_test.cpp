// The server cannot be held hostage: header timeout, idle timeout, connection cap (503 beyond it).
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <thread>

#include "io/http_server.h"
#include "tests/http_test_client.h"

using namespace lpbf;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

struct TestServer {
  explicit TestServer(HttpServerLimits limits) {
    server = std::make_unique<HttpServer>(
        io, "127.0.0.1", 0,
        [](const HttpRequest& r) {
          return HttpReply{200, "text/plain", "hello " + r.target + "\n", nullptr};
        },
        limits);
    url = "http://127.0.0.1:" + std::to_string(server->port());
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~TestServer() {
    io.stop();
    for (auto& t : threads) t.join();
  }
  // Waits until `pred` holds, at most `limit`; returns whether it did.
  template <class Pred>
  static bool wait_for(Pred pred, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }
  net::io_context io;
  std::unique_ptr<HttpServer> server;
  std::vector<std::thread> threads;
  std::string url;
};

// A raw client socket: connects, sends what it is given, reads what comes.
std::unique_ptr<tcp::socket> open_raw(net::io_context& io, unsigned short port, const std::string& send) {
  auto s = std::make_unique<tcp::socket>(io);
  s->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  if (!send.empty()) net::write(*s, net::buffer(send));
  return s;
}

std::string read_all(tcp::socket& s) {
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  for (size_t n; (n = s.read_some(net::buffer(buf), ec)) > 0 || !ec;) out.append(buf, n);
  return out;
}

// 1000 connections and then some need file descriptors: raise the soft limit to the hard one.
void raise_fd_limit() {
  rlimit l{};
  if (getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
    l.rlim_cur = std::min<rlim_t>(l.rlim_max, 65536);
    setrlimit(RLIMIT_NOFILE, &l);
  }
}

}  // namespace

TEST_CASE("server: 1000 half-open connections are closed within the header timeout while a normal client is served" *
          doctest::test_suite("timing")) {
  raise_fd_limit();
  rlimit l{};
  getrlimit(RLIMIT_NOFILE, &l);
  if (l.rlim_cur < 2100) {
    MESSAGE("skipped: only " << l.rlim_cur << " file descriptors allowed");
    return;
  }
  HttpServerLimits limits;
  limits.header_timeout = 1000ms;
  limits.max_connections = 2000;
  TestServer srv(limits);
  net::io_context client_io;
  std::vector<std::unique_ptr<tcp::socket>> half_open;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i)
    half_open.push_back(open_raw(client_io, srv.server->port(), "GET / HTTP/1.1\r\nHost: x\r\n"));
  CHECK(TestServer::wait_for([&] { return srv.server->open_connections() >= 1000; }, 2000ms));

  // Meanwhile a normal client is served at once.
  test::HttpTestClient client(srv.url);
  const auto before = std::chrono::steady_clock::now();
  const HttpResponse r = client.call(boost::beast::http::verb::get, "/normal");
  CHECK(r.status == 200);
  CHECK(r.text() == "hello /normal");
  CHECK(std::chrono::steady_clock::now() - before < 500ms);

  // Then every half-open one is closed, soon after the header timeout.
  CHECK(TestServer::wait_for([&] { return srv.server->open_connections() <= 1; }, 3000ms));
  CHECK(std::chrono::steady_clock::now() - start < 4000ms);
  for (size_t i = 0; i < half_open.size(); i += 97) CHECK(read_all(*half_open[i]).empty());  // closed, unanswered
}

TEST_CASE("server: beyond --max-connections a connection is answered 503 and closed; a kept-alive idle one is closed") {
  HttpServerLimits limits;
  limits.max_connections = 3;
  limits.idle_timeout = 300ms;
  TestServer srv(limits);
  net::io_context client_io;
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (int i = 0; i < 3; ++i) held.push_back(open_raw(client_io, srv.server->port(), ""));
  CHECK(TestServer::wait_for([&] { return srv.server->open_connections() == 3; }, 2000ms));
  auto extra = open_raw(client_io, srv.server->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string refused = read_all(*extra);
  CHECK(refused.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(refused.find("too many connections") != std::string::npos);
  held.clear();
  CHECK(TestServer::wait_for([&] { return srv.server->open_connections() == 0; }, 2000ms));

  // A kept-alive connection with no next request is closed after the idle timeout.
  auto idle = open_raw(client_io, srv.server->port(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto before = std::chrono::steady_clock::now();
  const std::string answered = read_all(*idle);  // the reply, then the close
  CHECK(answered.find("hello /a") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - before >= 250ms);
  CHECK(std::chrono::steady_clock::now() - before < 2000ms);
}

TEST_CASE("server: one raw request in, the raw response out, without a socket") {
  const HttpHandler h = [](const HttpRequest& r) {
    return HttpReply{201, "text/plain", r.method + " " + r.target + " " + r.body, nullptr};
  };
  const std::string res = answer_raw_request("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", h);
  CHECK(res.rfind("HTTP/1.1 201", 0) == 0);
  CHECK(res.find("POST /x abc") != std::string::npos);
  CHECK(answer_raw_request("garbage", h).empty());
  CHECK(answer_raw_request("POST /x HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", h).rfind("HTTP/1.1 413", 0) == 0);
}
