// A batch served from disk leaves with sendfile(2) (io/http_server.h HttpReply::file_tail): over a
// real loopback socket its bytes are batch(pos)'s, a file cut short after loading is a 500 and one
// cut short after it was opened ends the connection, not a short reply taken as whole; a client that
// stops reading mid-body does not hold up the server's other connections.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/challenger/challenger_host.h"
#include "io/golden_dataset.h"
#include "io/http_server.h"
#include "tests/faulty_challenger.h"
#include "tests/http_test_client.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;
namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

fs::path fresh_dir(const std::string& name) { return test::fresh_temp_dir("sendfile-test-" + name, true); }

// A writable copy of golden/small.
fs::path copy_of_small(const std::string& name) {
  const fs::path dir = fresh_dir(name);
  for (const auto& e : fs::directory_iterator(test::golden_dir() / "small")) {
    fs::copy_file(e.path(), dir / e.path().filename());
    fs::permissions(dir / e.path().filename(), fs::perms::owner_write, fs::perm_options::add);
  }
  return dir;
}

std::string start_bench(test::HttpTestClient& client) {
  const HttpResponse r = client.call(http::verb::post, "/api/create",
                                     R"({"apitoken": "polimi-deib", "name": "t", "test": true})", "application/json");
  REQUIRE(r.status == 200);
  const std::string text = r.text();
  const std::string bench = text.substr(1, text.find('"', 1) - 1);
  REQUIRE(client.call(http::verb::post, "/api/start/" + bench).status == 200);
  return bench;
}

std::string body_of(const HttpResponse& r) { return std::string(r.body.begin(), r.body.end()); }

// What the server sends on a socket until it closes it (a 20 s receive timeout bounds a hang).
std::string read_until_closed(int fd) {
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) != 0;) {
    if (n > 0) out.append(buf, size_t(n));
    else if (errno != EINTR) break;
  }
  return out;
}

// A server on one io thread (a blocking send would stall every connection) whose replies are
// "head:" and the whole of `file`, sent as a file tail; /plain answers a short body from memory.
struct FileServer {
  FileServer(fs::path file, HttpServerLimits limits = {}) : file(std::move(file)) {
    server = std::make_unique<HttpServer>(
        io, "127.0.0.1", 0,
        [this](const HttpRequest& r) {
          if (r.target == "/plain") return HttpReply{200, "text/plain", "plain\n", nullptr};
          HttpReply reply{200, "application/octet-stream", "head:", nullptr};
          auto tail = open_file_tail(this->file, fs::file_size(this->file));
          if (!tail) return HttpReply{500, "text/plain", tail.error(), nullptr};
          reply.file_tail = std::move(tail).value();
          if (r.target == "/cut-after-open") fs::resize_file(this->file, reply.file_tail->length / 2);
          return reply;
        },
        limits);
    thread = std::thread([this] { io.run(); });
  }
  ~FileServer() {
    io.stop();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }
  fs::path file;
  net::io_context io;
  std::unique_ptr<HttpServer> server;
  std::thread thread;
};

// A client with a 16 KB receive buffer that sends `request` and then reads nothing: the server's
// socket buffer fills within a large body.
tcp::socket stalled_request(net::io_context& io, unsigned short port, const std::string& request) {
  tcp::socket socket(io);
  socket.open(tcp::v4());
  const int small = 16 << 10;
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  net::write(socket, net::buffer(request));
  return socket;
}

}  // namespace

TEST_CASE("sendfile: every golden/small batch served from disk over loopback is batch(pos)'s bytes") {
  const auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small", true));
  REQUIRE(ds->from_disk());
  ChallengerHost host(ds, "127.0.0.1", 0, 2);
  test::HttpTestClient client(host.url());  // one kept-alive connection: each reply's framing is exact
  const std::string bench = start_bench(client);
  for (size_t i = 0; i < ds->size(); ++i) {
    CAPTURE(i);
    const HttpResponse r = client.call(http::verb::get, "/api/next_batch/" + bench);
    REQUIRE(r.status == 200);
    auto expected = ds->batch(i);
    REQUIRE(expected.ok());
    CHECK(body_of(r) == *expected.value());
    // The reply the handler makes: the map's head in memory, the TIFF as an open file.
    auto parts = ds->batch_parts(i);
    REQUIRE(parts.ok());
    CHECK(parts->head.size() + parts->tiff->length == expected.value()->size());
  }
  CHECK(client.call(http::verb::get, "/api/next_batch/" + bench).status == 404);
}

TEST_CASE("sendfile: a cut_body fault on a disk-served batch sends half the whole map, as from memory") {
  const auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small", true));
  test::FaultyChallenger ch(ds, [](Challenger& c, const HttpRequest& req) {
    HttpReply reply = c.handle(req);
    if (req.target.rfind("/api/next_batch/", 0) == 0 && reply.status == 200) reply.delivery = ReplyDelivery::cut_body;
    return reply;
  });
  test::HttpTestClient client(ch.url());
  const std::string bench = start_bench(client);
  net::io_context client_io;
  tcp::socket s(client_io);
  const auto colon = ch.url().rfind(':');
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), uint16_t(std::stoi(ch.url().substr(colon + 1)))));
  net::write(s, net::buffer("GET /api/next_batch/" + bench + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string got = read_until_closed(s.native_handle());
  auto whole = ds->batch(0);
  REQUIRE(whole.ok());
  const std::string& map = *whole.value();
  const size_t body_at = got.find("\r\n\r\n");
  REQUIRE(body_at != std::string::npos);
  CHECK(got.find("Content-Length: " + std::to_string(map.size())) != std::string::npos);
  CHECK(got.substr(body_at + 4) == map.substr(0, map.size() / 2));
}

TEST_CASE("sendfile: a batch file cut short after loading is a 500 naming it; after opening, the connection ends") {
  const fs::path dir = copy_of_small("cut");
  const auto ds = std::make_shared<const ServedDataset>(load_served_dataset(dir, true));
  ChallengerHost host(ds, "127.0.0.1", 0, 2);
  test::HttpTestClient client(host.url());
  const std::string bench = start_bench(client);
  fs::resize_file(ds->on_disk[0].file, ds->on_disk[0].bytes / 2);
  HttpResponse r = client.call(http::verb::get, "/api/next_batch/" + bench);
  CHECK(r.status == 500);
  CHECK(r.text().find(ds->on_disk[0].file.string()) != std::string::npos);
  CHECK(r.text().find("bytes") != std::string::npos);
  CHECK(client.call(http::verb::get, "/metrics").text().find("lpbf_challenger_batch_read_errors_total 1") !=
        std::string::npos);

  // Cut short between the reply's making and its sending: the header promised the whole file, so
  // the server closes the connection after what the file still has; the client does not take it.
  const fs::path file = dir / "big.bin";
  std::ofstream(file, std::ios::binary) << std::string(4 << 20, 'x');
  FileServer server(file);
  test::HttpTestClient raw(server.url());
  const HttpResponse cut = raw.call(http::verb::get, "/cut-after-open");
  CHECK(bool(raw.error));
  CHECK(cut.status != 200);
  fs::remove_all(dir);
}

TEST_CASE("sendfile: a client that stops reading mid-body holds up no other connection, and gets every byte later") {
  const fs::path dir = fresh_dir("stall");
  const fs::path file = dir / "big.bin";
  std::string content(24 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = char(i * 2654435761u >> 24);
  std::ofstream(file, std::ios::binary) << content;
  FileServer server(file);

  // A small receive buffer, and no reading: the server's socket buffer fills within the body.
  net::io_context client_io;
  tcp::socket stalled =
      stalled_request(client_io, server.server->port(), "GET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::this_thread::sleep_for(300ms);

  // Meanwhile others are served, on the server's one io thread.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    test::HttpTestClient other(server.url());
    const HttpResponse r = other.call(http::verb::get, "/plain");
    CHECK(r.status == 200);
    CHECK(r.text() == "plain");
  }
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);

  // The stalled client reads on: the whole body, after a header counting head and file.
  const std::string got = read_until_closed(stalled.native_handle());
  const size_t body_at = got.find("\r\n\r\n");
  REQUIRE(body_at != std::string::npos);
  CHECK(got.find("Content-Length: " + std::to_string(5 + content.size())) != std::string::npos);
  CHECK(got.size() - body_at - 4 == 5 + content.size());
  CHECK(got.compare(body_at + 4, 5, "head:") == 0);
  CHECK(got.compare(body_at + 9, std::string::npos, content) == 0);
  fs::remove_all(dir);
}

TEST_CASE("sendfile: a client that never reads on is closed after the idle timeout") {
  const fs::path dir = fresh_dir("idle");
  const fs::path file = dir / "big.bin";
  std::ofstream(file, std::ios::binary) << std::string(24 << 20, 'y');
  HttpServerLimits limits;
  limits.idle_timeout = 500ms;
  FileServer server(file, limits);
  net::io_context client_io;
  tcp::socket stalled = stalled_request(client_io, server.server->port(), "GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (server.server->open_connections() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  CHECK(server.server->open_connections() == 0);
  fs::remove_all(dir);
}

TEST_CASE("sendfile: reply_payload and a raw answer hold the file tail after the body") {
  const fs::path dir = fresh_dir("payload");
  const fs::path file = dir / "tail.bin";
  std::ofstream(file, std::ios::binary) << "0123456789";
  HttpReply reply{200, "application/octet-stream", "head:", nullptr};
  reply.file_tail = open_file_tail(file, 10).value();
  auto payload = reply_payload(reply);
  REQUIRE(payload.ok());
  CHECK(payload.value() == "head:0123456789");
  const std::string raw =
      answer_raw_request("GET / HTTP/1.1\r\nHost: x\r\n\r\n", [&](const HttpRequest&) { return reply; });
  CHECK(raw.find("Content-Length: 15\r\n") != std::string::npos);
  CHECK(raw.substr(raw.size() - 15) == "head:0123456789");
  auto wrong = open_file_tail(file, 11);
  REQUIRE(!wrong.ok());
  CHECK(wrong.error() == file.string() + " has 10 bytes, not the 11 it had when the dataset was loaded");
  fs::remove_all(dir);
}
