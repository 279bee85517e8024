// The server cannot be held hostage: header timeout, idle timeout, connection cap (503 beyond it).
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
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

// Whether the 1000-connection test can run (2100 descriptors, after raising the soft limit); when
// it cannot, it is skipped (doctest counts and reports it as skipped) and this says why on stderr.
bool too_few_fds_for_1000_connections() {
  raise_fd_limit();
  rlimit l{};
  getrlimit(RLIMIT_NOFILE, &l);
  if (l.rlim_cur >= 2100) return false;
  std::fprintf(stderr,
               "http_server_test: SKIPPED the 1000 half-open connections test: only %llu file descriptors "
               "allowed (it needs 2100; raise `ulimit -n`)\n",
               (unsigned long long)l.rlim_cur);
  return true;
}

// What the server sends on a socket until it closes it: a 30 s receive timeout (plain recv: asio's
// blocking read would poll again) keeps a server that never closes from hanging the test.
std::string read_until_closed(tcp::socket& s) {
  timeval tv{30, 0};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(s.native_handle(), buf, sizeof buf, 0)) != 0;) {
    if (n > 0) out.append(buf, size_t(n));
    else if (errno != EINTR) break;
  }
  return out;
}

}  // namespace

// Timing: the header timeout is a duration by definition; the normal client must be served within it.
TEST_CASE("server: 1000 half-open connections are closed within the header timeout while a normal client is served" *
          doctest::skip(too_few_fds_for_1000_connections()) * doctest::test_suite("timing")) {
  HttpServerLimits limits;
  limits.header_timeout = 2000ms;
  limits.max_connections = 2000;
  size_t open_when_served = 0;
  TestServer srv(limits);
  net::io_context client_io;
  std::vector<std::unique_ptr<tcp::socket>> half_open;
  for (int i = 0; i < 1000; ++i)
    half_open.push_back(open_raw(client_io, srv.server->port(), "GET / HTTP/1.1\r\nHost: x\r\n"));
  CHECK(TestServer::wait_for([&] { return srv.server->open_connections() >= 1000; }, 30000ms));

  // Meanwhile a normal client is served: while the half-open ones are still held open, not after.
  test::HttpTestClient client(srv.url);
  const HttpResponse r = client.call(boost::beast::http::verb::get, "/normal");
  open_when_served = srv.server->open_connections();
  CHECK(r.status == 200);
  CHECK(r.text() == "hello /normal");
  CHECK(open_when_served >= 1000);

  // Then every half-open one is closed, unanswered, by the header timeout (waiting on that event).
  CHECK(TestServer::wait_for([&] { return srv.server->open_connections() <= 1; }, 30000ms));
  for (size_t i = 0; i < half_open.size(); i += 97) CHECK(read_until_closed(*half_open[i]).empty());
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

  // A kept-alive connection with no next request is closed by the server after the idle timeout
  // (never before it: a timer does not fire early), having answered exactly its one request.
  auto idle = open_raw(client_io, srv.server->port(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto before = std::chrono::steady_clock::now();
  const std::string answered = read_until_closed(*idle);  // the reply, then the close
  const auto waited = std::chrono::steady_clock::now() - before;
  CHECK(answered.find("hello /a") != std::string::npos);
  CHECK(answered.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(answered.find("HTTP/1.1", 1) == std::string::npos);  // one reply
  CHECK(waited >= 250ms);
  CHECK(waited < 25000ms);  // closed by the server, not by the test's 30 s receive timeout
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
