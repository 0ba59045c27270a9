// The OpenSSL context for wss:// (--tls-cert, --tls-key): TLS 1.2 and 1.3 only, forward-secret
// AEAD ciphers only (Mozilla's "intermediate" profile), no compression, no renegotiation.
// Built once at start-up; afterwards only read by the io_context thread's sessions.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace switchboard::server {

// Throws std::runtime_error naming the file and OpenSSL's reason when the certificate chain
// or the key cannot be loaded, or when they do not belong together.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                            const std::string& key_file);

}  // namespace switchboard::server
