#pragma once
// An asynchronous HTTP/1.1 server on Boost.Beast: one listener, one session object per connection
// (keep-alive), requests answered by a synchronous handler that must be thread-safe.
// A peer cannot hold it hostage: a request's header must arrive within a timeout, a kept-alive
// connection is closed after an idle time, and connections beyond a cap are answered 503. Over
// TLS (HTTPS) the handshake must finish within the header timeout too.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "io/file_tail.h"
#include "io/result.h"
#include "io/tls.h"

namespace lpbf {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string body;
};

// How a reply leaves. Anything but `normal` misbehaves on purpose: fault injection
// (`challenger --faults`) and the tests' hostile challengers.
enum class ReplyDelivery {
  normal,
  drop,      // close the connection without answering
  cut_body,  // send the header (full Content-Length) and half the body, then close
  raw,       // `body` is the whole response, bytes as they are (status, headers and all); then close
};

struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain";  // "": the reply has no Content-Type header
  std::string body;
  // Set instead of `body` for large immutable payloads (a batch): sent without a copy. The owner
  // must keep the bytes alive as long as the server runs.
  std::shared_ptr<const std::string> shared_body;
  ReplyDelivery delivery = ReplyDelivery::normal;
  std::chrono::milliseconds delay{0};  // wait this long before sending (a slow reply)
  // The payload's last bytes, from a file opened when the reply was made (a batch served from
  // disk): sent after `body` or `shared_body`, Content-Length covering both. Over plain TCP with
  // `normal` delivery they go out with sendfile(2), no copy in user space; over TLS, or when the
  // reply misbehaves on purpose, the file is read into the body first (reply_payload), as before.
  std::shared_ptr<const FileTail> file_tail = nullptr;
};

// The whole payload of `reply` in memory: its body (or shared body) and its file tail, if any. An
// Error names the file when the tail cannot be read whole.
Result<std::string> reply_payload(const HttpReply& reply);

using HttpHandler = std::function<HttpReply(const HttpRequest&)>;

// What the `Server` header of every reply names: each server of lpbf-bench says which it is.
inline constexpr const char* kChallengerServerName = "lpbf-bench challenger";
inline constexpr const char* kRunnerServerName = "lpbf-bench runner";
inline constexpr const char* kWorkerServerName = "lpbf-bench worker";

// Request bodies above this size are refused with 413.
inline constexpr size_t kMaxRequestBody = size_t(16) << 20;

// What a peer may cost the server. Defaults suit a challenger on a LAN with a few clients.
struct HttpServerLimits {
  std::chrono::milliseconds header_timeout{10000};  // connect (or a request's first byte) to its header's end
  std::chrono::milliseconds idle_timeout{30000};    // a kept-alive connection with no request; also a body's read
  size_t max_connections = 1024;                    // open at once; more are answered 503 and closed
};

// One request as raw bytes in, the response's raw bytes out, with no socket: what a session
// does for one request (parse, handle, serialise). For fuzzing and tests; `normal` delivery only.
std::string answer_raw_request(std::string_view request, const HttpHandler& handler,
                               const std::string& server_name = kChallengerServerName);

class HttpServer {
 public:
  // Binds and listens at once (port 0: an ephemeral port), so that port() is known on return.
  // Throws boost::system::system_error when the address cannot be bound. `server_name`: the
  // `Server` header of every reply. `tls`: serve HTTPS with this context (make_tls_server_context).
  HttpServer(boost::asio::io_context& io, const std::string& address, unsigned short port, HttpHandler handler,
             HttpServerLimits limits = {}, std::string server_name = kChallengerServerName,
             std::shared_ptr<TlsContext> tls = nullptr);
  ~HttpServer();
  unsigned short port() const;
  size_t open_connections() const;
  void stop();

 private:
  struct Listener;
  std::shared_ptr<Listener> listener_;
};

}  // namespace lpbf
