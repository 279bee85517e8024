// HttpConnection's body read against a raw socket peer: a Content-Length body is read straight into
// the response's buffer whatever pieces it arrives in; a chunked body, and one that ends with the
// connection, still go through Beast; a body cut short is a read failure.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "io/http_connection.h"

using namespace lpbf;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// A peer that answers each request on one connection with the next of `replies`, each written
// in pieces of `piece` bytes (one write, one TCP segment, a short pause every few).
class RawPeer {
 public:
  RawPeer(std::vector<std::string> replies, size_t piece)
      : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
        replies_(std::move(replies)),
        piece_(piece) {
    thread_ = std::thread([this] { serve(); });
  }
  ~RawPeer() { thread_.join(); }
  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }

 private:
  void serve() {
    tcp::socket s(io_);
    acceptor_.accept(s);
    s.set_option(tcp::no_delay(true));
    net::streambuf in;
    for (const std::string& reply : replies_) {
      boost::system::error_code ec;
      const size_t n = net::read_until(s, in, "\r\n\r\n", ec);
      if (ec) return;
      in.consume(n);
      for (size_t at = 0, k = 0; at < reply.size(); at += piece_, ++k) {
        net::write(s, net::buffer(reply.data() + at, std::min(piece_, reply.size() - at)), ec);
        if (ec) return;
        if (k % 16 == 15) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
  }

  net::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::string> replies_;
  size_t piece_;
  std::thread thread_;
};

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char((i * 131 + seed * 7 + (i >> 9)) & 0xff);
  return s;
}

std::string with_length(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/msgpack\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

std::string chunked(const std::string& body, size_t chunk) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: application/msgpack\r\nTransfer-Encoding: chunked\r\n\r\n";
  char size[32];
  for (size_t at = 0; at < body.size(); at += chunk) {
    const size_t n = std::min(chunk, body.size() - at);
    std::snprintf(size, sizeof size, "%zx\r\n", n);
    out += size + body.substr(at, n) + "\r\n";
  }
  return out + "0\r\n\r\n";
}

struct Got {
  HttpError error;
  HttpResponse response;
};

// Sends one GET per reply on one kept-alive connection, in order.
std::vector<Got> fetch_all(const std::string& port, size_t requests) {
  net::io_context io;
  auto conn = std::make_shared<HttpConnection>(io, "127.0.0.1", port, std::chrono::milliseconds(5000));
  std::vector<Got> got;
  std::function<void()> next = [&] {
    if (got.size() == requests) return;
    conn->request(boost::beast::http::verb::get, "/", "", "", [&](const HttpError& e, HttpResponse&& r) {
      got.push_back({e, std::move(r)});
      if (!e) next();
    });
  };
  next();
  io.run();
  return got;
}

std::string text(const ByteBuffer& b) { return std::string(b.begin(), b.end()); }

}  // namespace

TEST_CASE("http connection: a Content-Length body split over many small writes arrives whole, request after request") {
  // A batch-sized body in 1000-byte writes, a body that fits the header's read, an empty one, and a
  // large one in 7-byte writes (the header itself split), all on one connection.
  const std::vector<std::string> bodies = {pattern(500000, 1), pattern(3000, 2), "", pattern(40000, 3)};
  for (const size_t piece : {size_t(1000), size_t(7)}) {
    CAPTURE(piece);
    std::vector<std::string> replies;
    for (const auto& b : bodies) replies.push_back(with_length(b));
    RawPeer peer(replies, piece);
    const std::vector<Got> got = fetch_all(peer.port(), bodies.size());
    REQUIRE(got.size() == bodies.size());
    for (size_t i = 0; i < bodies.size(); ++i) {
      CAPTURE(i);
      CHECK_FALSE(got[i].error);
      CHECK(got[i].response.status == 200);
      CHECK_FALSE(got[i].response.resent);
      CHECK(got[i].response.body.size() == bodies[i].size());
      CHECK(text(got[i].response.body) == bodies[i]);
    }
  }
}

TEST_CASE("http connection: chunked bodies, and a body that ends with the connection, are read by Beast") {
  const std::string a = pattern(300000, 4), b = pattern(5000, 5), c = pattern(70000, 6);
  RawPeer peer({chunked(a, 4096), chunked(b, 1), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + c}, 1500);
  const std::vector<Got> got = fetch_all(peer.port(), 3);
  REQUIRE(got.size() == 3);
  for (const Got& g : got) CHECK_FALSE(g.error);
  CHECK(text(got[0].response.body) == a);
  CHECK(text(got[1].response.body) == b);
  CHECK(text(got[2].response.body) == c);
}

TEST_CASE("http connection: a Content-Length body cut short is a read failure, not a short body") {
  const std::string body = pattern(200000, 7);
  std::string reply = with_length(body);
  reply.resize(reply.size() - 1000);
  RawPeer peer({reply}, 4096);
  const std::vector<Got> got = fetch_all(peer.port(), 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].error.stage == "read");
  CHECK(got[0].error.code == boost::beast::http::error::partial_message);
  CHECK(got[0].response.body.empty());
}
