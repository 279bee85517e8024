#pragma once
// An asynchronous HTTP/1.1 server on Boost.Beast: one listener, one session object per connection
// (keep-alive), requests answered by a synchronous handler that must be thread-safe.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

namespace lpbf {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string body;
};

struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain";
  std::string body;
  // Set instead of `body` for large immutable payloads (a batch): sent without a copy. The owner
  // must keep the bytes alive as long as the server runs.
  std::shared_ptr<const std::string> shared_body;
};

using HttpHandler = std::function<HttpReply(const HttpRequest&)>;

// Request bodies above this size are refused with 413.
inline constexpr size_t kMaxRequestBody = size_t(16) << 20;

class HttpServer {
 public:
  // Binds and listens at once (port 0: an ephemeral port), so that port() is known on return.
  // Throws boost::system::system_error when the address cannot be bound.
  HttpServer(boost::asio::io_context& io, const std::string& address, unsigned short port, HttpHandler handler);
  ~HttpServer();
  unsigned short port() const;
  void stop();

 private:
  struct Listener;
  std::shared_ptr<Listener> listener_;
};

}  // namespace lpbf
