#include "io/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <array>
#include <optional>

#include "io/close_on_exec.h"

namespace lpbf {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(60);

// One connection: read a request, answer it, repeat while the client keeps the connection alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<const HttpHandler> handler)
      : stream_(std::move(socket)), handler_(std::move(handler)) {}

  void run() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this())); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBody);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec == http::error::body_limit) {
      HttpReply r{413, "text/plain", "request body over " + std::to_string(kMaxRequestBody) + " bytes\n", nullptr};
      linger_ = true;  // the client is still sending its body: read it away so it can read our answer
      return send(std::move(r), /*keep_alive=*/false);
    }
    if (ec) return;  // timeout, reset or garbage: drop the connection
    auto& req = parser_->get();
    HttpRequest request{std::string(req.method_string()), std::string(req.target()), std::move(req.body())};
    HttpReply reply;
    try {
      reply = (*handler_)(request);
    } catch (const std::exception& e) {
      reply = HttpReply{500, "text/plain", std::string("internal error: ") + e.what() + "\n", nullptr};
    }
    send(std::move(reply), req.keep_alive());
  }

  void send(HttpReply reply, bool keep_alive) {
    if (reply.shared_body) {
      auto res = std::make_shared<http::response<http::span_body<const char>>>(http::status(reply.status), 11);
      res->body() = {reply.shared_body->data(), reply.shared_body->size()};
      write(std::move(res), reply, keep_alive, reply.shared_body);
    } else {
      auto res = std::make_shared<http::response<http::string_body>>(http::status(reply.status), 11);
      res->body() = std::move(reply.body);
      write(std::move(res), reply, keep_alive, nullptr);
    }
  }

  template <class Response>
  void write(std::shared_ptr<Response> res, const HttpReply& reply, bool keep_alive,
             std::shared_ptr<const std::string> pinned) {
    res->set(http::field::server, "lpbf-bench challenger");
    res->set(http::field::content_type, reply.content_type);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, pinned](beast::error_code ec, std::size_t) {
                        if (ec || !res->keep_alive()) return self->do_close();
                        self->do_read();
                      });
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (linger_) drain();
  }

  // Lingering close: discard what the client still sends (bounded in bytes and time); closing
  // with unread data would reset the connection before the client reads the answer.
  void drain() {
    if (drained_ > kMaxRequestBody * 8) return;
    stream_.expires_after(std::chrono::seconds(5));
    stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (!ec) self->drain();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const HttpHandler> handler_;
  bool linger_ = false;
  size_t drained_ = 0;
  std::array<char, 65536> scratch_{};
};

}  // namespace

struct HttpServer::Listener : std::enable_shared_from_this<HttpServer::Listener> {
  Listener(net::io_context& io, tcp::endpoint endpoint, HttpHandler handler)
      : io_(io), acceptor_(net::make_strand(io)), handler_(std::make_shared<const HttpHandler>(std::move(handler))) {
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
      std::make_shared<Session>(std::move(socket), handler_)->run();
    }
    do_accept();
  }

  net::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<const HttpHandler> handler_;
};

HttpServer::HttpServer(net::io_context& io, const std::string& address, unsigned short port, HttpHandler handler)
    : listener_(std::make_shared<Listener>(io, tcp::endpoint(net::ip::make_address(address), port), std::move(handler))) {
  listener_->do_accept();
}

HttpServer::~HttpServer() { stop(); }

unsigned short HttpServer::port() const { return listener_->acceptor_.local_endpoint().port(); }

void HttpServer::stop() {
  net::post(listener_->acceptor_.get_executor(), [l = listener_] {
    beast::error_code ec;
    l->acceptor_.close(ec);
  });
}

}  // namespace lpbf
