#pragma once
// A blocking HTTP client for tests, on the project's own HttpConnection.
#include <boost/asio/io_context.hpp>

#include "io/http_connection.h"

namespace lpbf::test {

class HttpTestClient {
 public:
  explicit HttpTestClient(const std::string& url) {
    const HttpUrl u = parse_http_url(url);
    conn_ = std::make_shared<HttpConnection>(io_, u.host, u.port, std::chrono::milliseconds(5000));
  }
  HttpResponse call(boost::beast::http::verb verb, const std::string& target, std::string body = "",
                    const std::string& content_type = "") {
    HttpResponse out;
    conn_->request(verb, target, std::move(body), content_type, [&](const HttpError& e, HttpResponse&& r) {
      error = e;
      out = std::move(r);
    });
    io_.restart();
    io_.run();
    return out;
  }
  HttpError error;

 private:
  boost::asio::io_context io_;
  std::shared_ptr<HttpConnection> conn_;
};

}  // namespace lpbf::test
