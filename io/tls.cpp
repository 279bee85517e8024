#include "io/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <fstream>
#include <stdexcept>

namespace lpbf {

namespace net = boost::asio;
namespace ssl = net::ssl;

namespace {

// A file an option names must be readable; the message names the option.
void check_readable(const std::string& option, const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(option + " " + file + ": cannot read the file");
}

// What OpenSSL said last, for a message ("no start line", "key values mismatch").
std::string openssl_reason(const boost::system::system_error& e) {
  const unsigned long code = ERR_get_error();
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  return reason ? reason : e.code().message();
}

template <class F>
void load(const std::string& option, const std::string& file, F&& f) {
  check_readable(option, file);
  try {
    f();
  } catch (const boost::system::system_error& e) {
    const std::string reason = openssl_reason(e);
    if (reason == "key values mismatch")  // a key checked against the certificate loaded before it
      throw std::runtime_error(option + " " + file + " does not match its certificate (" + reason + ")");
    throw std::runtime_error(option + " " + file + ": not usable (" + reason + ")");
  }
}

std::string reason_of(const boost::system::error_code& ec) {
  if (ec.category() == net::error::get_ssl_category()) {
    if (const char* r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) return r;
  }
  return ec.message();
}

}  // namespace

std::shared_ptr<TlsContext> make_tls_client_context(const TlsClientOptions& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (o.insecure) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    if (o.cacert.empty()) ctx->set_default_verify_paths();
    else load("--cacert", o.cacert, [&] { ctx->load_verify_file(o.cacert); });
  }
  if (o.client_cert.empty() != o.client_key.empty())
    throw std::runtime_error("--client-cert and --client-key go together");
  if (!o.client_cert.empty()) {
    load("--client-cert", o.client_cert, [&] { ctx->use_certificate_chain_file(o.client_cert); });
    load("--client-key", o.client_key, [&] { ctx->use_private_key_file(o.client_key, ssl::context::pem); });
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
      throw std::runtime_error("--client-key " + o.client_key + " does not match --client-cert " + o.client_cert);
  }
  return ctx;
}

std::shared_ptr<TlsContext> make_tls_server_context(const TlsServerOptions& o) {
  if (o.cert.empty() || o.key.empty()) throw std::runtime_error("--tls-cert and --tls-key go together");
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  load("--tls-cert", o.cert, [&] { ctx->use_certificate_chain_file(o.cert); });
  load("--tls-key", o.key, [&] { ctx->use_private_key_file(o.key, ssl::context::pem); });
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    throw std::runtime_error("--tls-key " + o.key + " does not match --tls-cert " + o.cert);
  static const unsigned char kSessionContext[] = "lpbf-bench";
  SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionContext, sizeof(kSessionContext) - 1);
  if (!o.client_ca.empty()) {
    load("--tls-client-ca", o.client_ca, [&] { ctx->load_verify_file(o.client_ca); });
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca.c_str()))
      SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

void prepare_tls_client(void* handle, const std::string& host, bool verify_host) {
  SSL* ssl = static_cast<SSL*>(handle);
  boost::system::error_code not_ip;
  (void)net::ip::make_address(host, not_ip);
  if (not_ip) {
    SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI carries names only, never an address
    if (verify_host) SSL_set1_host(ssl, host.c_str());
  } else if (verify_host) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  }
}

std::string describe_tls_handshake_failure(const boost::system::error_code& ec, void* handle, const std::string& host,
                                           const std::string& port) {
  SSL* ssl = static_cast<SSL*>(handle);
  const long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
  const std::string cert = "TLS: certificate for " + host;
  if (verify != X509_V_OK) {
    const std::string why = std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    switch (verify) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return cert + " names another host" + why + ": connect by a name the certificate holds";
      case X509_V_ERR_CERT_HAS_EXPIRED: return cert + " has expired" + why;
      case X509_V_ERR_CERT_NOT_YET_VALID: return cert + " is not valid yet" + why;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return cert + " is not trusted" + why + ": pass --cacert FILE";
      default: return cert + " was refused" + why;
    }
  }
  // A plain HTTP server reads the ClientHello as a bad request and closes the connection.
  const bool closed = ec == ssl::error::stream_truncated || ec == net::error::eof || ec == net::error::connection_reset;
  const std::string reason = closed ? "the server closed the connection" : reason_of(ec);
  std::string line = "TLS: handshake with " + host + ":" + port + " failed (" + reason + ")";
  if (closed || reason.find("wrong version number") != std::string::npos ||
      reason.find("packet length") != std::string::npos)
    line += ": is it serving https?";
  else if (const std::string refused = describe_tls_refusal(ec, host); !refused.empty()) line = refused;
  return line;
}

std::string describe_tls_refusal(const boost::system::error_code& ec, const std::string& host) {
  if (ec.category() != net::error::get_ssl_category()) return "";
  const std::string reason = reason_of(ec);
  if (reason.find("alert") == std::string::npos) return "";
  if (reason.find("certificate required") != std::string::npos || reason.find("handshake failure") != std::string::npos)
    return "TLS: " + host + " refused the connection (" + reason +
           "): it wants a client certificate, pass --client-cert FILE --client-key FILE";
  if (reason.find("unknown ca") != std::string::npos || reason.find("bad certificate") != std::string::npos ||
      reason.find("certificate") != std::string::npos)
    return "TLS: " + host + " refused this client's certificate (" + reason + ")";
  return "TLS: " + host + " refused the connection (" + reason + ")";
}

bool is_tls_error(const boost::system::error_code& ec) { return ec.category() == net::error::get_ssl_category(); }

}  // namespace lpbf
