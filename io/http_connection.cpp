#include "io/http_connection.h"

#include "io/close_on_exec.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <stdexcept>

namespace lpbf {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpConnection::TlsStream {
  TlsStream(net::io_context& io, net::ssl::context& ctx) : stream(io, ctx) {}
  beast::ssl_stream<beast::tcp_stream> stream;
};

HttpConnection::HttpConnection(net::io_context& io, std::string host, std::string port,
                               std::chrono::milliseconds timeout, std::shared_ptr<TlsContext> tls)
    : io_(io),
      resolver_(io),
      stream_(io),
      tls_(std::move(tls)),
      host_(std::move(host)),
      port_(std::move(port)),
      timeout_(timeout) {
  if (tls_) verify_host_ = SSL_CTX_get_verify_mode(tls_->native_handle()) != SSL_VERIFY_NONE;
  // Beast reads into the buffer's spare capacity, at least 512 bytes. The parser drains the buffer
  // after each read, so without room a 500 KB batch arrives in ~1000 reads of ~512 bytes, each a
  // syscall and a timer re-arm (profiled: the io thread was the bottleneck). Leave room for whole
  // socket-buffer loads.
  buffer_.reserve(kReadBufferBytes);
}

HttpConnection::~HttpConnection() = default;

beast::tcp_stream& HttpConnection::tcp_layer() {
  return tls_stream_ ? beast::get_lowest_layer(tls_stream_->stream) : stream_;
}

template <class F>
void HttpConnection::with_stream(F&& f) {
  if (tls_stream_) f(tls_stream_->stream);
  else f(stream_);
}

void HttpConnection::close_socket() {
  beast::error_code ignored;
  tcp_layer().socket().close(ignored);
  connected_ = false;
}

// A new TCP connection (and, over TLS, a new TLS stream: one cannot be reused after its connection).
// The handshake shares the connect's timeout, so a peer that never answers it is bounded alike.
void HttpConnection::connect() {
  if (tls_) {
    tls_stream_ = std::make_unique<TlsStream>(io_, *tls_);
    prepare_tls_client(tls_stream_->stream.native_handle(), host_, verify_host_);
  }
  tcp_layer().expires_after(timeout_);
  tcp_layer().async_connect(endpoints_, beast::bind_front_handler(&HttpConnection::on_connect, shared_from_this()));
}

void HttpConnection::request(http::verb method, std::string target, std::string body, std::string content_type,
                             HttpCallback done) {
  done_ = std::move(done);
  req_ = {};
  req_.method(method);
  req_.target(target);
  req_.version(11);
  req_.set(http::field::host, host_);
  req_.set(http::field::user_agent, "lpbf-bench");
  req_.keep_alive(true);
  if (!content_type.empty()) req_.set(http::field::content_type, content_type);
  req_.body() = std::move(body);
  req_.prepare_payload();
  retried_stale_ = false;
  if (connected_) return do_write();
  if (!endpoints_.empty()) return connect();
  resolver_.async_resolve(host_, port_, beast::bind_front_handler(&HttpConnection::on_resolve, shared_from_this()));
}

void HttpConnection::on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
  if (ec) return finish("resolve", ec);
  endpoints_ = results;
  connect();
}

void HttpConnection::on_connect(beast::error_code ec, tcp::endpoint) {
  if (ec) return finish("connect", ec);
  set_close_on_exec(tcp_layer().socket().native_handle());
  beast::error_code ignored;
  tcp_layer().socket().set_option(tcp::no_delay(true), ignored);
  if (!tls_stream_) {
    connected_ = true;
    return do_write();
  }
  tcp_layer().expires_after(timeout_);
  tls_stream_->stream.async_handshake(net::ssl::stream_base::client,
                                      beast::bind_front_handler(&HttpConnection::on_handshake, shared_from_this()));
}

void HttpConnection::on_handshake(beast::error_code ec) {
  if (ec == beast::error::timeout || ec == net::error::operation_aborted)
    return finish(
        "tls", ec,
        "TLS: handshake with " + host_ + ":" + port_ + " timed out after " + std::to_string(timeout_.count()) + " ms");
  if (ec)
    return finish("tls", ec, describe_tls_handshake_failure(ec, tls_stream_->stream.native_handle(), host_, port_));
  connected_ = true;
  do_write();
}

void HttpConnection::do_write() {
  tcp_layer().expires_after(timeout_);
  with_stream([this](auto& stream) {
    http::async_write(stream, req_, beast::bind_front_handler(&HttpConnection::on_write, shared_from_this()));
  });
}

// The response is read in two steps, so that a batch's body is copied once, not twice: the header
// (with at most kHeaderReadBytes from the socket), then, for a Content-Length body, the rest of it
// straight from the stream into the buffer the batch keeps. Beast's own body read would copy every
// byte from its read buffer into the body (~6 % of the runner's CPU). A chunked body, or one that
// ends when the connection does, is read by Beast as before. The request's deadline (set before the
// write) bounds every step.
void HttpConnection::on_write(beast::error_code ec, std::size_t) {
  if (ec) return finish("write", ec);
  parser_.emplace();
  parser_->body_limit(kMaxResponseBody);
  buffer_.max_size(buffer_.size() + kHeaderReadBytes);
  with_stream([this](auto& stream) {
    http::async_read_header(stream, buffer_, *parser_,
                            beast::bind_front_handler(&HttpConnection::on_header, shared_from_this()));
  });
}

bool HttpConnection::handled_read_failure(beast::error_code ec) {
  // A kept-alive connection the server has closed meanwhile fails at once on first use: reconnect
  // and send again, once. (Any other failure is the caller's to retry or report.) Over TLS a server
  // closing without close_notify reads as a truncated stream.
  // A TLS alert instead is the server refusing this client (TLS 1.3 refuses a missing client
  // certificate only after the handshake): a set-up error, not retried.
  if (tls_stream_ && is_tls_error(ec)) {
    const std::string refused = describe_tls_refusal(ec, host_);
    if (!refused.empty()) {
      finish("tls", ec, refused);
      return true;
    }
  }
  if ((ec == http::error::end_of_stream || ec == net::error::connection_reset ||
       ec == net::ssl::error::stream_truncated) &&
      !retried_stale_ && parser_ && !parser_->got_some()) {
    retried_stale_ = true;
    close_socket();
    buffer_.clear();
    connect();
    return true;
  }
  return false;
}

void HttpConnection::on_header(beast::error_code ec, std::size_t) {
  buffer_.max_size(std::numeric_limits<std::size_t>::max());
  if (ec && handled_read_failure(ec)) return;
  if (ec) return finish("read", ec);
  auto& response = parser_->get();
  if (parser_->is_done()) return complete({response.result_int(), {}, retried_stale_});
  const auto length = parser_->content_length();
  if (!length || parser_->chunked()) {  // Beast reads the rest, checking the body limit as it goes
    with_stream([this](auto& stream) {
      http::async_read(stream, buffer_, *parser_,
                       beast::bind_front_handler(&HttpConnection::on_read, shared_from_this()));
    });
    return;
  }
  // Beast refuses a Content-Length over the body limit while parsing the header; checked again
  // here because the size is about to be allocated.
  if (*length > kMaxResponseBody) return finish("read", http::error::body_limit);
  body_ = ByteBuffer();
  // One byte spare: room for the fetch stage to move a batch's TIFF to an even address in place.
  body_.reserve(static_cast<size_t>(*length) + 1);
  body_.resize(static_cast<size_t>(*length));  // not zero-filled
  const size_t have = std::min(body_.size(), buffer_.size());
  net::buffer_copy(net::buffer(body_.data(), have), buffer_.data());
  buffer_.consume(have);
  if (have == body_.size()) return on_body({}, 0);
  // Each read takes what the socket holds, not asio's default 64 KB at most.
  const auto all = [](const beast::error_code& e, std::size_t) -> std::size_t {
    return e ? 0 : std::numeric_limits<std::size_t>::max();
  };
  with_stream([this, have, all](auto& stream) {
    net::async_read(stream, net::buffer(body_.data() + have, body_.size() - have), all,
                    beast::bind_front_handler(&HttpConnection::on_body, shared_from_this()));
  });
}

void HttpConnection::on_body(beast::error_code ec, std::size_t) {
  if (tls_stream_ && is_tls_error(ec)) {
    const std::string refused = describe_tls_refusal(ec, host_);
    if (!refused.empty()) return finish("tls", ec, refused);
  }
  // A body cut short: the connection ended before Content-Length bytes came.
  if (ec == net::error::eof || ec == net::ssl::error::stream_truncated) ec = http::error::partial_message;
  if (ec) return finish("read", ec);
  complete({parser_->get().result_int(), std::move(body_), retried_stale_});
}

void HttpConnection::on_read(beast::error_code ec, std::size_t) {
  if (ec && handled_read_failure(ec)) return;
  if (ec) return finish("read", ec);
  complete({parser_->get().result_int(), std::move(parser_->get().body()), retried_stale_});
}

void HttpConnection::complete(HttpResponse&& response) {
  if (!parser_->get().keep_alive()) {
    beast::error_code ignored;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    close_socket();
  }
  auto done = std::move(done_);
  done({}, std::move(response));
}

void HttpConnection::finish(const char* stage, beast::error_code ec, std::string detail) {
  close_socket();
  buffer_.clear();
  body_ = ByteBuffer();
  auto done = std::move(done_);
  done(HttpError{stage, ec, std::move(detail)}, {});
}

HttpUrl parse_http_url(const std::string& url) {
  std::string rest = url;
  HttpUrl out;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.rfind("https://", 0) == 0) rest = rest.substr(8), out.tls = true;
  else if (rest.find("://") != std::string::npos)
    throw std::invalid_argument("only http:// and https:// URLs are supported, not '" + url + "'");
  const std::string default_port = out.tls ? "443" : "80";
  rest = rest.substr(0, rest.find('/'));
  if (rest.empty()) throw std::invalid_argument("URL '" + url + "' has no host");
  if (rest.front() == '[') {  // [::1]:8866
    const auto close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument("URL '" + url + "' has an unclosed IPv6 address");
    out.host = rest.substr(1, close - 1);
    out.port = close + 1 < rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : default_port;
  } else {
    const auto colon = rest.rfind(':');
    out.host = rest.substr(0, colon);
    out.port = colon == std::string::npos ? default_port : rest.substr(colon + 1);
  }
  if (out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("URL '" + url + "' has an invalid port");
  return out;
}

}  // namespace lpbf
