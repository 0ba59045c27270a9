#include "server/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>

namespace switchboard::server {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites with forward secrecy and AEAD (TLS 1.3 suites are all of that already and
// keep OpenSSL's defaults). The order is the server's preference.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_reason(const boost::system::error_code& ec) {
  ERR_clear_error();
  return ec.message();
}

}  // namespace

std::unique_ptr<ssl::context> make_tls_context(const std::string& cert_file,
                                               const std::string& key_file) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    throw std::runtime_error("TLS: cannot configure OpenSSL's protocol versions and ciphers");
  }
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);

  boost::system::error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    throw std::runtime_error("TLS: cannot load the certificate chain " + cert_file + ": " +
                             openssl_reason(ec));
  }
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    throw std::runtime_error("TLS: cannot load the private key " + key_file + ": " +
                             openssl_reason(ec));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw std::runtime_error("TLS: the private key " + key_file +
                             " does not match the certificate in " + cert_file);
  }
  return context;
}

}  // namespace switchboard::server
