#include "io/http_connection.h"

#include "io/close_on_exec.h"

#include <boost/asio/connect.hpp>
#include <stdexcept>

namespace lpbf {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

HttpConnection::HttpConnection(net::io_context& io, std::string host, std::string port,
                               std::chrono::milliseconds timeout)
    : resolver_(io), stream_(io), host_(std::move(host)), port_(std::move(port)), timeout_(timeout) {
  // Beast reads into the buffer's spare capacity, at least 512 bytes. The parser drains the buffer
  // after each read, so without room a 500 KB batch arrives in ~1000 reads of ~512 bytes, each a
  // syscall and a timer re-arm (profiled: the io thread was the bottleneck). Leave room for whole
  // socket-buffer loads.
  buffer_.reserve(kReadBufferBytes);
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
  if (!endpoints_.empty()) {
    stream_.expires_after(timeout_);
    return stream_.async_connect(endpoints_,
                                 beast::bind_front_handler(&HttpConnection::on_connect, shared_from_this()));
  }
  resolver_.async_resolve(host_, port_, beast::bind_front_handler(&HttpConnection::on_resolve, shared_from_this()));
}

void HttpConnection::on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
  if (ec) return finish("resolve", ec);
  endpoints_ = results;
  stream_.expires_after(timeout_);
  stream_.async_connect(endpoints_, beast::bind_front_handler(&HttpConnection::on_connect, shared_from_this()));
}

void HttpConnection::on_connect(beast::error_code ec, tcp::endpoint) {
  if (ec) return finish("connect", ec);
  connected_ = true;
  set_close_on_exec(stream_.socket().native_handle());
  beast::error_code ignored;
  stream_.socket().set_option(tcp::no_delay(true), ignored);
  do_write();
}

void HttpConnection::do_write() {
  stream_.expires_after(timeout_);
  http::async_write(stream_, req_, beast::bind_front_handler(&HttpConnection::on_write, shared_from_this()));
}

void HttpConnection::on_write(beast::error_code ec, std::size_t) {
  if (ec) return finish("write", ec);
  parser_.emplace();
  parser_->body_limit(kMaxResponseBody);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpConnection::on_read, shared_from_this()));
}

void HttpConnection::on_read(beast::error_code ec, std::size_t) {
  // A kept-alive connection the server has closed meanwhile fails at once on first use: reconnect
  // and send again, once. (Any other failure is the caller's to retry or report.)
  if ((ec == http::error::end_of_stream || ec == net::error::connection_reset) && !retried_stale_ && parser_ &&
      !parser_->got_some()) {
    retried_stale_ = true;
    beast::error_code ignored;
    stream_.socket().close(ignored);
    connected_ = false;
    buffer_.clear();
    stream_.expires_after(timeout_);
    return stream_.async_connect(endpoints_,
                                 beast::bind_front_handler(&HttpConnection::on_connect, shared_from_this()));
  }
  if (ec) return finish("read", ec);
  HttpResponse response{parser_->get().result_int(), std::move(parser_->get().body()), retried_stale_};
  if (!parser_->get().keep_alive()) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    connected_ = false;
  }
  auto done = std::move(done_);
  done({}, std::move(response));
}

void HttpConnection::finish(const char* stage, beast::error_code ec) {
  beast::error_code ignored;
  stream_.socket().close(ignored);
  connected_ = false;
  buffer_.clear();
  auto done = std::move(done_);
  done(HttpError{stage, ec}, {});
}

HttpUrl parse_http_url(const std::string& url) {
  std::string rest = url;
  const std::string scheme = "http://";
  if (rest.rfind(scheme, 0) == 0) rest = rest.substr(scheme.size());
  else if (rest.find("://") != std::string::npos)
    throw std::invalid_argument("only http:// URLs are supported, not '" + url + "'");
  rest = rest.substr(0, rest.find('/'));
  if (rest.empty()) throw std::invalid_argument("URL '" + url + "' has no host");
  HttpUrl out;
  if (rest.front() == '[') {  // [::1]:8866
    const auto close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument("URL '" + url + "' has an unclosed IPv6 address");
    out.host = rest.substr(1, close - 1);
    out.port = close + 1 < rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : "80";
  } else {
    const auto colon = rest.rfind(':');
    out.host = rest.substr(0, colon);
    out.port = colon == std::string::npos ? "80" : rest.substr(colon + 1);
  }
  if (out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("URL '" + url + "' has an invalid port");
  return out;
}

}  // namespace lpbf
