// Checks a JWT's form, algorithm and signature against the one key the server is configured
// with (an HMAC secret or a PEM public key) and hands its claims to the Authenticator, which
// judges them (exp, nbf, aud, iss, user). Immutable after construction; safe to call from any
// thread.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace switchboard::server {

// What the configured key is, which pins the algorithms a token may use: HS256/384/512 for a
// shared secret, exactly RS256 for an RSA public key, exactly ES256 for an EC P-256 one.
enum class JwtKeyType { hmac_secret, rsa_public, ec_p256_public };

// The type of a PEM public key ("-----BEGIN PUBLIC KEY-----", as `openssl pkey -pubout`
// writes it), or why it cannot verify tokens here: not a PEM public key, an RSA key under
// 2048 bits, an EC key on a curve other than P-256, or another kind of key.
std::variant<JwtKeyType, std::string> inspect_public_key(std::string_view pem);

struct JwtError {
  std::string code;     // becomes AuthFailure::code
  std::string message;  // never quotes the token or anything taken from it
};

class JwtVerifier {
 public:
  // Both throw std::invalid_argument for an unusable key (an empty secret, a PEM that
  // inspect_public_key() refuses): start-up only, after parse_config() refused such keys.
  static JwtVerifier with_secret(std::string secret);
  static JwtVerifier with_public_key(std::string pem);

  JwtKeyType key_type() const { return type_; }

  // The claims (a JSON object) of a token that is three base64url parts with a JSON header
  // and payload, an allowed `alg` and a signature the key verifies. The claims themselves
  // are not looked at.
  std::variant<nlohmann::json, JwtError> verify(const std::string& token) const;

 private:
  JwtVerifier(JwtKeyType type, std::string key) : type_(type), key_(std::move(key)) {}

  JwtKeyType type_;
  std::string key_;  // the secret's bytes or the PEM text: what libjwt verifies with
};

}  // namespace switchboard::server
