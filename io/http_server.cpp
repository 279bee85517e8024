#include "io/http_server.h"

#include <sys/sendfile.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <optional>
#include <sstream>

#include "io/close_on_exec.h"

namespace lpbf {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Shared by a listener and its sessions: how many connections are open.
struct ConnectionCount {
  std::atomic<size_t> open{0};
};

HttpRequest to_request(http::request<http::string_body>& req) {
  return {std::string(req.method_string()), std::string(req.target()), std::move(req.body())};
}

HttpReply call_handler(const HttpHandler& handler, const HttpRequest& request) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    return HttpReply{500, "text/plain", std::string("internal error: ") + e.what() + "\n", nullptr};
  }
}

// The reply as Beast sends it; `pinned` keeps a shared body alive while it is written.
template <class Body>
void prepare(http::response<Body>& res, const HttpReply& reply, bool keep_alive, const std::string& server_name) {
  res.set(http::field::server, server_name);
  if (!reply.content_type.empty()) res.set(http::field::content_type, reply.content_type);  // "": no Content-Type
  res.keep_alive(keep_alive);
  res.prepare_payload();
}

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection: read a request, answer it, repeat while the client keeps the connection alive.
// Over TLS the handshake comes first, bounded by the header timeout like a request's header.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

 public:
  // `tls`: the TLS context, for a TlsStream only.
  template <class... Tls>
  Session(std::shared_ptr<const HttpHandler> handler, const HttpServerLimits& limits,
          std::shared_ptr<ConnectionCount> count, std::shared_ptr<const std::string> server_name, tcp::socket&& socket,
          Tls&... tls)
      : stream_(std::move(socket), tls...),
        timer_(stream_.get_executor()),
        handler_(std::move(handler)),
        limits_(limits),
        count_(std::move(count)),
        server_name_(std::move(server_name)) {}
  ~Session() {
    if (count_) --count_->open;
  }

  void run() {
    net::dispatch(stream_.get_executor(),
                  [self = shared_from_this()] { self->handshake([self] { self->read_header(); }); });
  }

  // Over the connection cap: answer 503 at once and close, reading nothing.
  void refuse() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->handshake([self] {
        self->linger_ = true;  // let the client read the 503 before its unread request resets the connection
        self->send(HttpReply{503, "text/plain", "too many connections, try again\n", nullptr}, false);
      });
    });
  }

 private:
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  // Over TLS, the handshake (a peer that fails it, or stalls, is closed); then `next`.
  void handshake(std::function<void()> next) {
    if constexpr (!kTls) {
      next();
    } else {
      tcp_layer().expires_after(limits_.header_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = shared_from_this(), next = std::move(next)](beast::error_code ec) mutable {
                                if (ec) return self->drop();
                                next();
                              });
    }
  }

  // A request's header must arrive whole within header_timeout: a peer sending half a header and
  // waiting is closed then, not held for the idle time.
  void read_header() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBody);
    tcp_layer().expires_after(limits_.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  // Between kept-alive requests: wait up to idle_timeout for the next one's first byte.
  void wait_for_request() {
    if (buffer_.size() > 0) return read_header();  // pipelined: it is already here
    tcp_layer().expires_after(limits_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->do_close();
      self->buffer_.commit(n);
      self->read_header();
    });
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec == http::error::body_limit) return too_large();
    if (ec) return do_close();  // timeout, reset or garbage: drop the connection
    tcp_layer().expires_after(limits_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void too_large() {
    linger_ = true;  // the client is still sending its body: read it away so it can read our answer
    send(HttpReply{413, "text/plain", "request body over " + std::to_string(kMaxRequestBody) + " bytes\n", nullptr},
         false);
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) return too_large();
    if (ec) return do_close();
    auto& req = parser_->get();
    const bool keep_alive = req.keep_alive();
    HttpReply reply = call_handler(*handler_, to_request(req));
    if (reply.delay.count() > 0) {
      timer_.expires_after(reply.delay);
      timer_.async_wait([self = shared_from_this(), reply = std::move(reply), keep_alive](beast::error_code) mutable {
        self->deliver(std::move(reply), keep_alive);
      });
      return;
    }
    deliver(std::move(reply), keep_alive);
  }

  // A file tail sent as part of the body (over TLS, or for a cut body): read in now. The header is
  // not sent yet, so a file cut short since it was opened still gets a 500, not a short body.
  static void inline_file_tail(HttpReply& reply) {
    Result<std::string> payload = reply_payload(reply);
    if (!payload) {
      reply = HttpReply{500, "text/plain", "internal error: cannot send the reply: " + payload.error() + "\n", nullptr};
      return;
    }
    reply.body = std::move(payload).value();
    reply.shared_body = nullptr;
    reply.file_tail = nullptr;
  }

  void deliver(HttpReply reply, bool keep_alive) {
    if (reply.file_tail && (kTls || reply.delivery == ReplyDelivery::cut_body)) inline_file_tail(reply);
    switch (reply.delivery) {
      case ReplyDelivery::normal: return send(std::move(reply), keep_alive);
      case ReplyDelivery::drop: return drop();
      case ReplyDelivery::raw: return write_raw(std::make_shared<std::string>(std::move(reply.body)));
      case ReplyDelivery::cut_body: {
        const std::string& body = reply.shared_body ? *reply.shared_body : reply.body;
        auto bytes = std::make_shared<std::string>("HTTP/1.1 " + std::to_string(reply.status) +
                                                   " OK\r\nContent-Type: " + reply.content_type +
                                                   "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
        bytes->append(body, 0, body.size() / 2);
        return write_raw(std::move(bytes));
      }
    }
  }

  void send(HttpReply reply, bool keep_alive) {
    if constexpr (!kTls) {
      if (reply.file_tail) return send_with_file_tail(std::move(reply), keep_alive);
    }
    if (reply.shared_body) {
      auto res = std::make_shared<http::response<http::span_body<const char>>>(http::status(reply.status), 11);
      res->body() = {reply.shared_body->data(), reply.shared_body->size()};
      prepare(*res, reply, keep_alive, *server_name_);
      write(std::move(res), reply.shared_body);
    } else {
      auto res = std::make_shared<http::response<http::string_body>>(http::status(reply.status), 11);
      res->body() = std::move(reply.body);
      prepare(*res, reply, keep_alive, *server_name_);
      write(std::move(res), nullptr);
    }
  }

  template <class Response>
  void write(std::shared_ptr<Response> res, std::shared_ptr<const std::string> pinned) {
    tcp_layer().expires_after(limits_.idle_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, pinned](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) return self->do_close();
      self->wait_for_request();
    });
  }

  // A reply whose body ends with a file region: the header and the body's head from memory, then
  // the file with sendfile(2) from the page cache (no read copy, no write copy), never blocking:
  // on a full socket buffer the session waits for it to drain, bounded by the idle timeout like a
  // write, and other connections are served meanwhile. A file that ends early (cut short after it
  // was opened) or a socket error ends the connection, as a partial reply does.
  struct FileReply {
    std::string header;
    HttpReply reply;
    bool keep_alive = false;
    uint64_t sent = 0;  // of the file tail
  };

  void send_with_file_tail(HttpReply reply, bool keep_alive) {
    auto out = std::make_shared<FileReply>();
    const std::string& head = reply.shared_body ? *reply.shared_body : reply.body;
    http::response<http::empty_body> res(http::status(reply.status), 11);
    res.set(http::field::server, *server_name_);
    if (!reply.content_type.empty()) res.set(http::field::content_type, reply.content_type);
    res.keep_alive(keep_alive);
    res.content_length(head.size() + reply.file_tail->length);
    std::ostringstream header;
    header << res.base();
    out->header = std::move(header).str();
    out->reply = std::move(reply);
    out->keep_alive = keep_alive;
    const std::string& body = out->reply.shared_body ? *out->reply.shared_body : out->reply.body;
    const std::array<net::const_buffer, 2> buffers{net::buffer(out->header), net::buffer(body)};
    tcp_layer().expires_after(limits_.idle_timeout);
    net::async_write(stream_, buffers, [self = shared_from_this(), out](beast::error_code ec, std::size_t) {
      if (ec) return self->do_close();
      beast::error_code nb;
      self->tcp_layer().socket().native_non_blocking(true, nb);
      if (nb) return self->drop();
      self->send_file_tail(out);
    });
  }

  void send_file_tail(const std::shared_ptr<FileReply>& out) {
    const FileTail& tail = *out->reply.file_tail;
    const int socket = tcp_layer().socket().native_handle();
    while (out->sent < tail.length) {
      off_t offset = off_t(tail.offset + out->sent);
      const size_t chunk = size_t(std::min<uint64_t>(tail.length - out->sent, uint64_t(1) << 30));
      const ssize_t n = ::sendfile(socket, tail.fd, &offset, chunk);
      if (n > 0) {
        out->sent += uint64_t(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // A client that stops reading is closed after the idle timeout (`wait` tells this wait's
        // expiry from one already queued when the socket became writable).
        const uint64_t wait = ++file_waits_;
        timer_.expires_after(limits_.idle_timeout);
        timer_.async_wait([self = shared_from_this(), wait](beast::error_code ec) {
          if (!ec && wait == self->file_waits_) self->drop();
        });
        tcp_layer().socket().async_wait(tcp::socket::wait_write,
                                        [self = shared_from_this(), out](beast::error_code ec) {
                                          ++self->file_waits_;
                                          self->timer_.cancel();
                                          if (ec) return self->drop();
                                          self->send_file_tail(out);
                                        });
        return;
      }
      return drop();  // n == 0: the file is shorter than when it was opened; or the socket failed
    }
    if (!out->keep_alive) return do_close();
    wait_for_request();
  }

  void write_raw(std::shared_ptr<std::string> bytes) {
    tcp_layer().expires_after(limits_.idle_timeout);
    net::async_write(stream_, net::buffer(*bytes),
                     [self = shared_from_this(), bytes](beast::error_code, std::size_t) { self->drop(); });
  }

  void drop() {
    beast::error_code ec;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_layer().socket().close(ec);
  }

  void do_close() {
    beast::error_code ec;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (linger_) drain();
  }

  // Lingering close: discard what the client still sends (bounded in bytes and time); closing
  // with unread data would reset the connection before the client reads the answer.
  void drain() {
    if (drained_ > kMaxRequestBody * 8) return;
    tcp_layer().expires_after(std::chrono::seconds(2));
    stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (!ec) self->drain();
    });
  }

  Stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const HttpHandler> handler_;
  const HttpServerLimits limits_;
  std::shared_ptr<ConnectionCount> count_;
  std::shared_ptr<const std::string> server_name_;
  bool linger_ = false;
  size_t drained_ = 0;
  uint64_t file_waits_ = 0;
  std::array<char, 65536> scratch_{};
};

}  // namespace

std::string answer_raw_request(std::string_view request, const HttpHandler& handler, const std::string& server_name) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(kMaxRequestBody);
  parser.eager(true);
  beast::error_code ec;
  const size_t used = parser.put(net::buffer(request.data(), request.size()), ec);
  (void)used;
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  HttpReply reply;
  bool keep_alive = false;
  if (ec == http::error::body_limit) {
    reply = HttpReply{413, "text/plain", "request body over " + std::to_string(kMaxRequestBody) + " bytes\n", nullptr};
  } else if (ec || !parser.is_done()) {
    return {};  // a session drops such a connection without answering
  } else {
    keep_alive = parser.get().keep_alive();
    reply = call_handler(handler, to_request(parser.get()));
  }
  http::response<http::string_body> res(http::status(reply.status), 11);
  if (Result<std::string> payload = reply_payload(reply)) {
    res.body() = std::move(payload).value();
  } else {
    reply = HttpReply{500, "text/plain", "internal error: cannot send the reply: " + payload.error() + "\n", nullptr};
    res = http::response<http::string_body>(http::status(reply.status), 11);
    res.body() = reply.body;
  }
  prepare(res, reply, keep_alive, server_name);
  std::ostringstream out;
  out << res;
  return out.str();
}

Result<std::string> reply_payload(const HttpReply& reply) {
  std::string payload = reply.shared_body ? *reply.shared_body : reply.body;
  if (!reply.file_tail) return payload;
  const size_t head = payload.size();
  payload.resize(head + reply.file_tail->length);
  if (Status s = read_file_tail(*reply.file_tail, std::span(payload.data() + head, reply.file_tail->length)); !s)
    return Error{s.error()};
  return payload;
}

struct HttpServer::Listener : std::enable_shared_from_this<HttpServer::Listener> {
  Listener(net::io_context& io, tcp::endpoint endpoint, HttpHandler handler, HttpServerLimits limits,
           std::string server_name, std::shared_ptr<TlsContext> tls)
      : io_(io),
        tls_(std::move(tls)),
        acceptor_(net::make_strand(io)),
        handler_(std::make_shared<const HttpHandler>(std::move(handler))),
        limits_(limits),
        count_(std::make_shared<ConnectionCount>()),
        server_name_(std::make_shared<const std::string>(std::move(server_name))) {
    acceptor_.open(endpoint.protocol());
    set_close_on_exec(acceptor_.native_handle());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  void do_accept() {
    acceptor_.async_accept(net::make_strand(io_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      set_close_on_exec(socket.native_handle());
      socket.set_option(tcp::no_delay(true), ec);
      if (tls_) start<TlsStream>(std::move(socket));
      else start<PlainStream>(std::move(socket));
    } else if (ec == net::error::no_descriptors) {
      // Out of file descriptors: wait for sessions to close rather than spin on accept.
      retry_->expires_after(std::chrono::milliseconds(50));
      retry_->async_wait([self = shared_from_this()](beast::error_code) { self->do_accept(); });
      return;
    }
    do_accept();
  }

  template <class Stream>
  void start(tcp::socket&& socket) {
    const bool refused = count_->open.load() >= limits_.max_connections;
    if (!refused) ++count_->open;
    std::shared_ptr<Session<Stream>> session;
    if constexpr (std::is_same_v<Stream, TlsStream>)
      session = std::make_shared<Session<Stream>>(handler_, limits_, refused ? nullptr : count_, server_name_,
                                                  std::move(socket), *tls_);
    else
      session = std::make_shared<Session<Stream>>(handler_, limits_, refused ? nullptr : count_, server_name_,
                                                  std::move(socket));
    if (refused) session->refuse();
    else session->run();
  }

  net::io_context& io_;
  std::shared_ptr<TlsContext> tls_;
  tcp::acceptor acceptor_;
  std::shared_ptr<const HttpHandler> handler_;
  const HttpServerLimits limits_;
  std::shared_ptr<ConnectionCount> count_;
  std::shared_ptr<const std::string> server_name_;
  std::unique_ptr<net::steady_timer> retry_ = std::make_unique<net::steady_timer>(acceptor_.get_executor());
};

HttpServer::HttpServer(net::io_context& io, const std::string& address, unsigned short port, HttpHandler handler,
                       HttpServerLimits limits, std::string server_name, std::shared_ptr<TlsContext> tls)
    : listener_(std::make_shared<Listener>(io, tcp::endpoint(net::ip::make_address(address), port), std::move(handler),
                                           limits, std::move(server_name), std::move(tls))) {
  listener_->do_accept();
}

HttpServer::~HttpServer() { stop(); }

unsigned short HttpServer::port() const { return listener_->acceptor_.local_endpoint().port(); }

size_t HttpServer::open_connections() const { return listener_->count_->open.load(); }

void HttpServer::stop() {
  net::post(listener_->acceptor_.get_executor(), [l = listener_] {
    beast::error_code ec;
    l->acceptor_.close(ec);
  });
}

}  // namespace lpbf
