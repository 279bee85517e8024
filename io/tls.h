#pragma once
// TLS for the HTTP client and server (OpenSSL through Boost.Asio): the contexts the options make,
// and the one-line messages a failed handshake gets. The streams themselves live in
// io/http_connection.cpp and io/http_server.cpp; this header does not pull OpenSSL in.
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace lpbf {

using TlsContext = boost::asio::ssl::context;

// The client's side: `--cacert`, `--client-cert/--client-key`, `--insecure`. Used only for https URLs.
struct TlsClientOptions {
  std::string cacert;       // "": the system's CA store
  std::string client_cert;  // with client_key: present this certificate (mutual TLS)
  std::string client_key;
  bool insecure = false;  // accept any certificate and host name (a warning in the summary and the report)
};

// The server's side: `--tls-cert/--tls-key` (serve HTTPS), `--tls-client-ca` (require a client
// certificate issued by that CA).
struct TlsServerOptions {
  std::string cert, key, client_ca;
  bool enabled() const { return !cert.empty(); }
};

// Contexts for every connection of a client or a server. A file that cannot be read, or a key
// that does not match its certificate, throws std::runtime_error naming the option and the file.
std::shared_ptr<TlsContext> make_tls_client_context(const TlsClientOptions& options);
std::shared_ptr<TlsContext> make_tls_server_context(const TlsServerOptions& options);

// Prepares one client connection's OpenSSL handle (an SSL*): SNI for a host name, and the name or
// IP address its certificate must hold (unless the context is insecure).
void prepare_tls_client(void* ssl, const std::string& host, bool verify_host);

// One line naming what failed in a handshake (`ec`) with `host`, given the OpenSSL handle's
// verification result: "TLS: certificate for 127.0.0.1 is not trusted (unable to get local issuer
// certificate): pass --cacert FILE".
std::string describe_tls_handshake_failure(const boost::system::error_code& ec, void* ssl, const std::string& host,
                                           const std::string& port);
// A TLS error after the handshake, where the server refused this client (TLS 1.3 sends its refusal
// of a missing client certificate only then); "" when `ec` is no such alert.
std::string describe_tls_refusal(const boost::system::error_code& ec, const std::string& host);

// Whether `ec` is an OpenSSL error (as opposed to the socket's), other than a peer closing without
// close_notify.
bool is_tls_error(const boost::system::error_code& ec);

}  // namespace lpbf
