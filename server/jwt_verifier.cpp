// Form, algorithm and signature of a JWT (RFC 7519 over RFC 7515 compact JWS). Why libjwt and
// OpenSSL, and why the algorithm is pinned before libjwt sees the token: auth.cpp's header.
//
// libjwt 1.10 offers one entry point, jwt_decode(), which verifies with whatever algorithm
// the token's own header names (it would check an HS256 token against the PEM text of our
// RSA public key used as an HMAC secret). So we read the header first, with our own strict
// base64url decoder, and call jwt_decode() only when its `alg` is one the configured key
// allows. Our decoding also tells a malformed token (401 malformed_token) from one whose
// signature does not verify (bad_signature), which jwt_decode()'s EINVAL does not.
#include "server/jwt_verifier.hpp"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>

namespace switchboard::server {
namespace {

// Supabase access tokens are about 1 KB; anything far bigger is not a token we issued.
constexpr std::size_t kMaxTokenBytes = std::size_t{16} * 1024;
// NIST SP 800-131A: RSA keys under 2048 bits are no longer acceptable for signatures.
constexpr int kMinRsaBits = 2048;

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

JwtError malformed(std::string message) {
  return JwtError{"malformed_token", std::move(message)};
}

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// RFC 7515 section 2: base64url without padding. Strict (no padding, no whitespace, unused
// bits zero), so that each token has one spelling.
std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (const char c : text) {
    const int value = base64url_value(c);
    if (value < 0) return std::nullopt;
    bits = (bits << 6U) | static_cast<std::uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> static_cast<unsigned>(bit_count)) & 0xFFU));
      bits &= (1U << static_cast<unsigned>(bit_count)) - 1U;
    }
  }
  if (bits != 0) return std::nullopt;
  return out;
}

std::optional<nlohmann::json> decode_json_object(std::string_view part) {
  const auto text = base64url_decode(part);
  if (!text) return std::nullopt;
  auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  return json;
}

// The libjwt algorithm for a header `alg` the key allows, or nothing. Exact, case-sensitive
// names (RFC 7515 section 4.1.1); libjwt's own jwt_str_alg() would also take "hs256".
std::optional<jwt_alg_t> pinned_alg(JwtKeyType type, const std::string& alg) {
  switch (type) {
    case JwtKeyType::hmac_secret:
      if (alg == "HS256") return JWT_ALG_HS256;
      if (alg == "HS384") return JWT_ALG_HS384;
      if (alg == "HS512") return JWT_ALG_HS512;
      return std::nullopt;
    case JwtKeyType::rsa_public:
      return alg == "RS256" ? std::optional(JWT_ALG_RS256) : std::nullopt;
    case JwtKeyType::ec_p256_public:
      return alg == "ES256" ? std::optional(JWT_ALG_ES256) : std::nullopt;
  }
  return std::nullopt;
}

JwtError wrong_algorithm(JwtKeyType type) {
  switch (type) {
    case JwtKeyType::hmac_secret:
      return {"wrong_algorithm", "token alg must be HS256, HS384 or HS512 (shared secret)"};
    case JwtKeyType::rsa_public:
      return {"wrong_algorithm", "token alg must be RS256 (the server has an RSA public key)"};
    case JwtKeyType::ec_p256_public:
      break;
  }
  return {"wrong_algorithm", "token alg must be ES256 (the server has an EC P-256 public key)"};
}

}  // namespace

std::variant<JwtKeyType, std::string> inspect_public_key(std::string_view pem) {
  if (pem.size() > static_cast<std::size_t>(INT_MAX)) return std::string("file too large");
  const std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  const std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  // OpenSSL's error queue is per thread and read by the TLS code: leave nothing behind.
  ERR_clear_error();
  if (!key) return std::string("not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA: {
      const int bits = EVP_PKEY_get_bits(key.get());
      if (bits < kMinRsaBits) {
        return "an RSA key of " + std::to_string(bits) + " bits; at least " +
               std::to_string(kMinRsaBits) + " are required";
      }
      return JwtKeyType::rsa_public;
    }
    case EVP_PKEY_EC: {
      std::array<char, 80> curve{};
      std::size_t length = 0;
      const bool named = EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                                        curve.data(), curve.size(), &length) == 1;
      ERR_clear_error();
      if (!named || std::string_view(curve.data(), length) != SN_X9_62_prime256v1) {
        return "an EC key on " + (named ? std::string(curve.data(), length) : "an unnamed curve") +
               "; only P-256 (prime256v1, for ES256) is supported";
      }
      return JwtKeyType::ec_p256_public;
    }
    default:
      return std::string("neither an RSA nor an EC key (RS256 and ES256 are supported)");
  }
}

JwtVerifier JwtVerifier::with_secret(std::string secret) {
  // libjwt takes an empty key as "do not verify".
  if (secret.empty()) throw std::invalid_argument("JWT secret must not be empty");
  return JwtVerifier(JwtKeyType::hmac_secret, std::move(secret));
}

JwtVerifier JwtVerifier::with_public_key(std::string pem) {
  auto type = inspect_public_key(pem);
  if (auto* why = std::get_if<std::string>(&type)) {
    throw std::invalid_argument("JWT public key: " + *why);
  }
  return JwtVerifier(std::get<JwtKeyType>(type), std::move(pem));
}

std::variant<nlohmann::json, JwtError> JwtVerifier::verify(const std::string& token) const {
  if (token.size() > kMaxTokenBytes) return malformed("token is longer than 16 KiB");
  const auto first_dot = token.find('.');
  const auto second_dot =
      first_dot == std::string::npos ? std::string::npos : token.find('.', first_dot + 1);
  if (second_dot == std::string::npos || token.find('.', second_dot + 1) != std::string::npos) {
    return malformed("token is not a JWT (header.claims.signature)");
  }
  const std::string_view view(token);
  const auto header = decode_json_object(view.substr(0, first_dot));
  if (!header) return malformed("token header is not a base64url JSON object");
  auto claims = decode_json_object(view.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!claims) return malformed("token claims are not a base64url JSON object");
  if (!base64url_decode(view.substr(second_dot + 1))) {
    return malformed("token signature is not base64url");
  }
  // RFC 7515 section 4.1.11: a token that needs extensions we do not know must be refused.
  if (header->contains("crit")) return malformed("token has a crit header (not supported)");

  const auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return malformed("token header has no alg");
  const auto expected = pinned_alg(type_, alg->get<std::string>());
  if (!expected) return wrong_algorithm(type_);

  const JwtError bad_signature{"bad_signature",
                               "token signature does not verify with the server's key"};
  if (key_.size() > static_cast<std::size_t>(INT_MAX)) return bad_signature;
  jwt_t* raw = nullptr;
  const int rc =
      jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key_.data()),
                 static_cast<int>(key_.size()));
  const std::unique_ptr<jwt_t, JwtDeleter> jwt(raw);
  ERR_clear_error();  // a failed RSA/ECDSA verification leaves entries on the queue
  if (rc != 0 || !jwt) return bad_signature;
  // libjwt parsed the same header bytes; this only guards against the two parsers disagreeing.
  if (jwt_get_alg(jwt.get()) != *expected) return wrong_algorithm(type_);
  // The signature covers the base64url text we decoded, so these claims are the signed ones.
  return std::move(*claims);
}

}  // namespace switchboard::server
