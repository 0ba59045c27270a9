// Why libjwt: it is a small, maintained C library packaged by Debian that does the parts that
// are easy to get subtly wrong (base64url, constant-time HMAC comparison, JSON parsing of the
// header and claims). We still pin the algorithm ourselves: a token is only accepted when its
// header says exactly HS256, so "alg":"none" and algorithm-confusion tricks are refused even
// if the library would verify them.
#include "server/auth.hpp"

#include <jwt.h>

#include <climits>
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "protocol/types.hpp"

namespace switchboard::server {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

struct FreeDeleter {
  void operator()(char* s) const { std::free(s); }
};

AuthFailure unauthorized(std::string message) {
  return AuthFailure{401, std::move(message)};
}
AuthFailure bad_request(std::string message) {
  return AuthFailure{400, std::move(message)};
}

// The claim as a number of seconds since the epoch (RFC 7519 NumericDate may be fractional).
std::optional<double> numeric_claim(jwt_t* jwt, const char* name) {
  std::unique_ptr<char, FreeDeleter> text(jwt_get_grants_json(jwt, name));
  if (!text) return std::nullopt;
  auto value = nlohmann::json::parse(text.get(), nullptr, /*allow_exceptions=*/false);
  if (!value.is_number()) return std::nullopt;
  return value.get<double>();
}

}  // namespace

Authenticator::Authenticator(std::string jwt_secret, WallClock now)
    : secret_(std::move(jwt_secret)), now_(std::move(now)) {}

AuthResult Authenticator::authenticate(const AuthQuery& query) const {
  std::string user;
  if (dev_mode()) {
    if (!query.user) return unauthorized("missing user parameter");
    if (!is_valid_id(*query.user)) {
      return bad_request("malformed user id: 1-128 characters of [A-Za-z0-9._~@+-]");
    }
    user = *query.user;
  } else {
    if (!query.token || query.token->empty()) return unauthorized("missing token parameter");
    auto result = user_of(*query.token);
    if (auto* failure = std::get_if<AuthFailure>(&result)) return std::move(*failure);
    user = std::move(std::get<std::string>(result));
  }
  // Credentials first: an anonymous request learns nothing from a 400 about its device id.
  if (query.device && !is_valid_id(*query.device)) {
    return bad_request("malformed device id: 1-128 characters of [A-Za-z0-9._~@+-]");
  }
  return Identity{std::move(user), query.device.value_or("")};
}

TokenResult Authenticator::verify(const std::string& token) const {
  if (dev_mode()) return unauthorized("no key to verify tokens with (dev mode)");
  if (secret_.size() > static_cast<std::size_t>(INT_MAX)) return unauthorized("invalid token");
  jwt_t* raw = nullptr;
  const int rc =
      jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                 static_cast<int>(secret_.size()));
  JwtPtr jwt(raw);
  if (rc != 0 || !jwt) return unauthorized("invalid token");
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return unauthorized("token must use HS256");

  const auto exp = numeric_claim(jwt.get(), "exp");
  if (!exp) return unauthorized("token has no exp claim");
  const auto now_s = std::chrono::duration<double>(now_().time_since_epoch()).count();
  if (*exp <= now_s) return unauthorized("token expired");

  TokenClaims claims;
  claims.exp = *exp;
  if (const char* sub = jwt_get_grant(jwt.get(), "sub")) claims.sub = sub;
  return claims;
}

std::variant<std::string, AuthFailure> Authenticator::user_of(const std::string& token) const {
  auto verified = verify(token);
  if (auto* failure = std::get_if<AuthFailure>(&verified)) return std::move(*failure);
  auto& sub = std::get<TokenClaims>(verified).sub;
  if (!sub) return unauthorized("token has no sub claim");
  // The token is authentic but names a user id the protocol cannot carry: the request is
  // malformed rather than unauthenticated.
  if (!is_valid_id(*sub)) {
    return bad_request("malformed user id in token sub: 1-128 characters of [A-Za-z0-9._~@+-]");
  }
  return std::move(*sub);
}

}  // namespace switchboard::server
