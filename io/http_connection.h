#pragma once
// One client connection to an HTTP/1.1 server on Boost.Beast, kept alive across requests.
// A request's life reads top to bottom: request -> (resolve -> connect) -> write -> read -> done.
// One request at a time per connection; a broken connection is reopened by the next request.
// Given a TLS context (an https URL), the same session runs over TLS: connect -> handshake -> write.
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "io/batch.h"
#include "io/tls.h"

namespace lpbf {

struct HttpResponse {
  unsigned status = 0;
  ByteBuffer body;  // not zero-filled as it grows: a batch body is 500 KB
  // The request was sent twice: a kept-alive connection failed on first use and was reopened. The
  // server may have received the first one (a POST counted twice, on some servers).
  bool resent = false;
  // The body as one line of text: without the trailing newline servers add to plain replies.
  std::string text() const {
    std::string t(body.begin(), body.end());
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    return t;
  }
};

// Where a request failed, for messages: "connect: Connection refused".
// A "tls" failure (the handshake, the certificate, the server refusing this client) is a set-up
// error: trying again cannot help, and `detail` says what failed in one line.
struct HttpError {
  std::string stage;  // "resolve", "connect", "tls", "write", "read"
  boost::beast::error_code code;
  std::string detail;  // set for "tls": the whole message
  explicit operator bool() const { return bool(code); }
  bool tls() const { return stage == "tls"; }
  std::string message() const {
    if (!code) return {};
    return detail.empty() ? stage + ": " + code.message() : detail;
  }
};

using HttpCallback = std::function<void(const HttpError&, HttpResponse&&)>;

// Why a request did not succeed, for messages: "connect: Connection refused" or "HTTP 500: reason".
inline std::string describe_failure(const HttpError& error, const HttpResponse& response) {
  return error ? error.message() : "HTTP " + std::to_string(response.status) + ": " + response.text();
}

// Bodies of responses above this size are refused before any of it is read: a batch holds one
// TIFF, and SPEC's largest (8192 x 8192 16-bit, 128 MiB uncompressed) fits twice over.
inline constexpr uint64_t kMaxResponseBody = uint64_t(256) << 20;
// Spare room kept in a connection's read buffer, so that one read can take what the socket holds.
inline constexpr size_t kReadBufferBytes = size_t(1) << 20;

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  // `tls`: speak TLS with this context (make_tls_client_context); null: plain HTTP.
  HttpConnection(boost::asio::io_context& io, std::string host, std::string port, std::chrono::milliseconds timeout,
                 std::shared_ptr<TlsContext> tls = nullptr);
  ~HttpConnection();

  // Sends one request; `done` runs on the io_context's thread. Call again only after `done`.
  void request(boost::beast::http::verb method, std::string target, std::string body, std::string content_type,
               HttpCallback done);

 private:
  void on_resolve(boost::beast::error_code ec, boost::asio::ip::tcp::resolver::results_type results);
  void connect();
  void on_connect(boost::beast::error_code ec, boost::asio::ip::tcp::endpoint);
  void on_handshake(boost::beast::error_code ec);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t);
  void on_read(boost::beast::error_code ec, std::size_t);
  void finish(const char* stage, boost::beast::error_code ec, std::string detail = {});
  // The TCP stream under whichever stream is in use; `f` called with the stream to read and write.
  boost::beast::tcp_stream& tcp_layer();
  template <class F>
  void with_stream(F&& f);
  void close_socket();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::beast::tcp_stream stream_;  // plain HTTP
  struct TlsStream;                  // beast::ssl_stream over its own TCP stream, new for each connection
  std::shared_ptr<TlsContext> tls_;
  std::unique_ptr<TlsStream> tls_stream_;
  bool verify_host_ = true;
  boost::beast::flat_buffer buffer_;
  std::string host_, port_;
  std::chrono::milliseconds timeout_;
  boost::asio::ip::tcp::resolver::results_type endpoints_;
  bool connected_ = false;
  bool retried_stale_ = false;
  boost::beast::http::request<boost::beast::http::string_body> req_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::vector_body<uint8_t, UninitAllocator<uint8_t>>>>
      parser_;
  HttpCallback done_;
};

// Splits "http://host:port" or "https://host:port" (a path, if any, is ignored; the port defaults
// to 80 and 443). Throws std::invalid_argument.
struct HttpUrl {
  std::string host, port;
  bool tls = false;  // https
};
HttpUrl parse_http_url(const std::string& url);

}  // namespace lpbf
