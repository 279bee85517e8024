// TLS end to end: a CA and certificates made at test time with the `openssl` CLI, the challenger
// serving HTTPS (in-process, and `lpbf-bench challenger --tls-cert`), and the real binary running
// over https: a good certificate, each refused one with its one-line reason, mutual TLS, --insecure,
// and peers that stall a handshake.
#include <doctest/doctest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/challenger/challenger_host.h"
#include "core/pipeline/challenger_client.h"
#include "io/http_connection.h"
#include "io/http_server.h"
#include "io/tls.h"
#include "tests/served_golden.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

// A CA and the certificates the cases need, made once per test process in a temporary directory.
struct TestPki {
  fs::path dir;
  bool ok = false;

  TestPki() {
    dir = fs::temp_directory_path() / ("lpbf-tls-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    ok = make_ca("ca") && make_ca("other-ca") &&
         make_cert("good", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost", 2) &&
         make_cert("wrong-host", "ca", "subjectAltName=DNS:elsewhere.example", 2) &&
         make_cert("expired", "ca", "subjectAltName=IP:127.0.0.1", -1) &&
         make_cert("untrusted", "other-ca", "subjectAltName=IP:127.0.0.1", 2) &&
         make_cert("client", "ca", "extendedKeyUsage=clientAuth", 2);
  }
  ~TestPki() { fs::remove_all(dir); }

  std::string path(const std::string& name) const { return (dir / name).string(); }
  std::string pem(const std::string& name) const { return path(name + ".pem"); }
  std::string key(const std::string& name) const { return path(name + ".key"); }

  static constexpr const char* kKey = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

  bool sh(const std::string& command) const {
    const auto r = test::run_command("cd " + dir.string() + " && " + command);
    if (r.exit_code != 0) MESSAGE("openssl failed: ", command, "\n", r.output);
    return r.exit_code == 0;
  }
  bool make_ca(const std::string& name) const {
    return sh(std::string("openssl req -x509 ") + kKey + " -keyout " + name + ".key -out " + name +
              ".pem -days 2 -subj /CN=lpbf-test-" + name);
  }
  // `days` < 0: expired since yesterday.
  bool make_cert(const std::string& name, const std::string& ca, const std::string& ext, int days) const {
    std::ofstream(dir / (name + ".ext")) << ext << "\n";
    return sh(std::string("openssl req ") + kKey + " -keyout " + name + ".key -out " + name +
              ".csr -subj /CN=" + name) &&
           sh("openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca + ".key -CAcreateserial -out " +
              name + ".pem -days " + std::to_string(days) + " -extfile " + name + ".ext");
  }
};

const TestPki& pki() {
  static TestPki p;
  return p;
}

std::shared_ptr<TlsContext> server_tls(const std::string& cert, const std::string& client_ca = "") {
  return make_tls_server_context({pki().pem(cert), pki().key(cert), client_ca});
}

// A challenger serving golden/small over HTTPS with `cert`.
std::unique_ptr<ChallengerHost> https_challenger(const std::string& cert, const std::string& client_ca = "") {
  return std::make_unique<ChallengerHost>(test::served_golden("small"), "127.0.0.1", 0, 2, kDefaultApiToken,
                                          HttpServerLimits{}, EmulationOptions{}, server_tls(cert, client_ca));
}

// lpbf-bench against `url`, with `options`.
test::ProcessResult run_against(const std::string& url, const std::string& options) {
  return test::run_command(test::binary() + " --url " + url + " --connections 2 --threads 2 " + options);
}

// The run's failure: exit 2, and the line that says why, once.
void check_setup_failure(const test::ProcessResult& r, const std::string& line) {
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(test::count_occurrences(r.output, line) == 1);
  CHECK(test::count_occurrences(r.output, "\n") == 1);  // one line, nothing else
}

}  // namespace

TEST_CASE("tls: https URLs parse, with 443 as their default port") {
  const HttpUrl u = parse_http_url("https://example.org/x");
  CHECK(u.tls);
  CHECK(u.host == "example.org");
  CHECK(u.port == "443");
  CHECK(parse_http_url("https://[::1]:8443").port == "8443");
  CHECK(!parse_http_url("http://h").tls);
  CHECK(parse_http_url("http://h").port == "80");
}

TEST_CASE("tls: a run over https with the test CA is complete and exact") {
  REQUIRE(pki().ok);
  auto host = https_challenger("good");
  CHECK(host->url().rfind("https://127.0.0.1:", 0) == 0);
  const auto r = run_against(host->url(), "--cacert " + pki().pem("ca"));
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("20 answered") != std::string::npos);
  CHECK(r.output.find("challenger: 20 answered, 0 wrong, 0 missing") != std::string::npos);
  CHECK(r.output.find("--insecure") == std::string::npos);
}

TEST_CASE("tls: a run against its own embedded challenger over https") {
  REQUIRE(pki().ok);
  const auto r =
      test::run_command(test::binary() + " --layers 3 --grid 2 --tile 100 --no-cache --tls-cert " + pki().pem("good") +
                        " --tls-key " + pki().key("good") + " --cacert " + pki().pem("ca"));
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("embedded challenger at https://127.0.0.1:") != std::string::npos);
  CHECK(r.output.find("12 answered") != std::string::npos);
  CHECK(r.output.find("challenger: 12 answered, 0 wrong, 0 missing") != std::string::npos);
}

TEST_CASE("tls: a dataset served from disk goes over https byte for byte (its file read into the body)") {
  REQUIRE(pki().ok);
  const auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small", true));
  REQUIRE(ds->from_disk());
  ChallengerHost host(ds, "127.0.0.1", 0, 2, kDefaultApiToken, HttpServerLimits{}, EmulationOptions{},
                      server_tls("good"));
  net::io_context io;
  auto conn = std::make_shared<HttpConnection>(io, "127.0.0.1", std::to_string(host.port()), 5000ms,
                                               make_tls_client_context({pki().pem("ca"), "", "", false}));
  auto call = [&](http::verb verb, const std::string& target, std::string body = "") {
    HttpResponse out;
    HttpError error;
    conn->request(verb, target, std::move(body), "application/json", [&](const HttpError& e, HttpResponse&& r) {
      error = e;
      out = std::move(r);
    });
    io.restart();
    io.run();
    INFO(error.message());
    CHECK(!error);
    return out;
  };
  const std::string created =
      call(http::verb::post, "/api/create", R"({"apitoken": "polimi-deib", "name": "t", "test": true})").text();
  const std::string bench = created.substr(1, created.find('"', 1) - 1);
  REQUIRE(call(http::verb::post, "/api/start/" + bench).status == 200);
  for (size_t i = 0; i < ds->size(); ++i) {
    CAPTURE(i);
    const HttpResponse r = call(http::verb::get, "/api/next_batch/" + bench);
    REQUIRE(r.status == 200);
    auto expected = ds->batch(i);
    REQUIRE(expected.ok());
    CHECK(std::string(r.body.begin(), r.body.end()) == *expected.value());
  }
}

TEST_CASE("tls: a certificate for another host name is refused, naming the host") {
  REQUIRE(pki().ok);
  auto host = https_challenger("wrong-host");
  check_setup_failure(run_against(host->url(), "--cacert " + pki().pem("ca") + " --quiet"),
                      "TLS: certificate for 127.0.0.1 names another host (");
}

TEST_CASE("tls: an expired certificate is refused") {
  REQUIRE(pki().ok);
  auto host = https_challenger("expired");
  check_setup_failure(run_against(host->url(), "--cacert " + pki().pem("ca") + " --quiet"),
                      "TLS: certificate for 127.0.0.1 has expired (certificate has expired)");
}

TEST_CASE("tls: a certificate from an untrusted CA is refused, and --insecure accepts it with a warning") {
  REQUIRE(pki().ok);
  auto host = https_challenger("untrusted");
  check_setup_failure(run_against(host->url(), "--cacert " + pki().pem("ca") + " --quiet"),
                      "TLS: certificate for 127.0.0.1 is not trusted (");
  // The system's CA store does not know the test CA either.
  check_setup_failure(run_against(host->url(), "--quiet"), ": pass --cacert FILE");

  const fs::path report = pki().dir / "insecure.json";
  const auto r = run_against(host->url(), "--insecure --report " + report.string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("20 answered") != std::string::npos);
  CHECK(r.output.find("WARNING    --insecure: the challenger's TLS certificate and host name were not verified") !=
        std::string::npos);
  CHECK(read_file_bytes(report).find("\"tls_insecure\": true") != std::string::npos);
}

TEST_CASE("tls: mutual TLS (challenger --tls-client-ca): refused without a client certificate, served with one") {
  REQUIRE(pki().ok);
  test::Background challenger(test::binary() + " challenger --port 0 --dataset " +
                              (test::golden_dir() / "small").string() + " --tls-cert " + pki().pem("good") +
                              " --tls-key " + pki().key("good") + " --tls-client-ca " + pki().pem("ca"));
  REQUIRE(challenger.wait_for("challenger listening on https://127.0.0.1:"));
  const std::string out = challenger.output();
  const size_t at = out.find("https://");
  const std::string url = out.substr(at, out.find(',', at) - at);

  check_setup_failure(run_against(url, "--cacert " + pki().pem("ca") + " --quiet"),
                      "it wants a client certificate, pass --client-cert FILE --client-key FILE");
  const auto r = run_against(url, "--cacert " + pki().pem("ca") + " --client-cert " + pki().pem("client") +
                                      " --client-key " + pki().key("client"));
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("20 answered") != std::string::npos);
}

TEST_CASE("tls: a refused certificate ends the control call at once, not after six tries") {
  REQUIRE(pki().ok);
  auto host = https_challenger("wrong-host");
  boost::asio::io_context io;
  ChallengerClient client(io, host->url(), 5000ms, TlsClientOptions{pki().pem("ca"), "", "", false});
  const auto start = std::chrono::steady_clock::now();
  const Result<std::string> bench = client.create(kDefaultApiToken, "tls", true);
  REQUIRE(!bench);
  CHECK(bench.error().find("TLS: certificate for 127.0.0.1 names another host") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < 1500ms);  // the retries alone would wait 2.5 s
}

TEST_CASE("tls: unusable files and a plain server are named") {
  REQUIRE(pki().ok);
  CHECK_THROWS_WITH(make_tls_client_context({(pki().dir / "none.pem").string(), "", "", false}),
                    doctest::Contains("--cacert"));
  CHECK_THROWS_WITH(make_tls_server_context({pki().pem("good"), pki().key("client"), ""}),
                    doctest::Contains("client.key does not match its certificate"));
  // https to a plain HTTP challenger.
  ChallengerHost plain(test::served_golden("small"), "127.0.0.1", 0, 1);
  const std::string url = "https://127.0.0.1:" + std::to_string(plain.port());
  check_setup_failure(run_against(url, "--cacert " + pki().pem("ca") + " --quiet"), "is it serving https?");
}

TEST_CASE("tls: a peer that stalls the handshake is bounded by the same timeouts as plain HTTP") {
  REQUIRE(pki().ok);
  namespace net = boost::asio;
  using tcp = net::ip::tcp;
  net::io_context io;

  SUBCASE("the client, against a server that accepts and never answers") {
    tcp::acceptor silent(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    tcp::socket held(io);
    silent.async_accept(held, [](boost::system::error_code) {});
    auto conn = std::make_shared<HttpConnection>(io, "127.0.0.1", std::to_string(silent.local_endpoint().port()), 300ms,
                                                 make_tls_client_context({pki().pem("ca"), "", "", false}));
    HttpError error;
    bool done = false;
    const auto start = std::chrono::steady_clock::now();
    conn->request(boost::beast::http::verb::get, "/", "", "", [&](const HttpError& e, HttpResponse&&) {
      error = e;
      done = true;
    });
    while (!done && io.run_one() > 0) {}
    CHECK(done);
    CHECK(error.tls());
    CHECK(error.message().find("timed out after 300 ms") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
  }

  SUBCASE("the server, against a client that connects and never says hello") {
    HttpServerLimits limits;
    limits.header_timeout = 200ms;
    HttpServer server(
        io, "127.0.0.1", 0, [](const HttpRequest&) { return HttpReply{}; }, limits, kChallengerServerName,
        server_tls("good"));
    std::thread runner([&] { io.run_for(3s); });
    tcp::socket mute(io);
    mute.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port()));
    std::this_thread::sleep_for(50ms);
    CHECK(server.open_connections() == 1);
    const auto until = std::chrono::steady_clock::now() + 2s;
    while (server.open_connections() > 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
    CHECK(server.open_connections() == 0);
    server.stop();
    io.stop();
    runner.join();
  }
}
