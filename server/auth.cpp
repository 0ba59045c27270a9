// Why libjwt: it is a small, maintained C library packaged by Debian that does the parts of
// JWS that are easy to get subtly wrong: HMAC with a constant-time comparison, RSA PKCS#1 v1.5
// and ECDSA verification (including the raw R||S signature encoding JWS uses for ES256), over
// OpenSSL. We use OpenSSL directly only to inspect the configured public key (its type, the
// RSA size, the EC curve), which libjwt cannot tell us; no cryptography is written here.
//
// Why the algorithm is pinned: a token's header names its own algorithm, and libjwt 1.10
// verifies with whatever it names. Trusting it allows "alg":"none" and algorithm confusion:
// an HS256 token whose HMAC key is the (public!) PEM text of our RSA or EC key verifies.
// So the key decides: a secret allows exactly HS256/HS384/HS512, an RSA key exactly RS256,
// an EC P-256 key exactly ES256, and jwt_verifier.cpp refuses any other `alg` before libjwt
// is given the token (wrong_algorithm).
//
// Claims (RFC 7519 section 4.1): `exp` is required (a NumericDate, fractions allowed) and
// accepted while now < exp + leeway; `nbf`, when present, refuses while now + leeway < nbf.
// A user token must also carry --jwt-audience in `aud` (a string or an array of strings)
// and --jwt-issuer as `iss` when those are set, and name its user in --jwt-user-claim.
// Failure codes (AuthFailure::code): missing_token, malformed_token, wrong_algorithm,
// bad_signature, missing_exp, token_expired, token_not_yet_valid, wrong_audience,
// wrong_issuer, missing_user_claim, bad_user_id (400), missing_user (dev mode),
// bad_device_id (400), no_verification_key (verify() in dev mode).
#include "server/auth.hpp"

#include <chrono>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "protocol/types.hpp"

namespace switchboard::server {
namespace {

constexpr const char* kIdRule = "1-128 characters of [A-Za-z0-9._~@+-]";

AuthFailure unauthorized(std::string code, std::string message) {
  return AuthFailure{401, std::move(message), std::move(code)};
}
AuthFailure bad_request(std::string code, std::string message) {
  return AuthFailure{400, std::move(message), std::move(code)};
}

std::optional<JwtVerifier> make_verifier(const Config& config) {
  if (!config.jwt_secret.empty() && !config.jwt_public_key_pem.empty()) {
    throw std::invalid_argument("set a JWT secret or a JWT public key, not both");
  }
  if (!config.jwt_secret.empty()) return JwtVerifier::with_secret(config.jwt_secret);
  if (!config.jwt_public_key_pem.empty()) {
    return JwtVerifier::with_public_key(config.jwt_public_key_pem);
  }
  return std::nullopt;
}

// RFC 7519 section 4.1.3: `aud` is one string or an array of them.
bool has_audience(const nlohmann::json& aud, const std::string& audience) {
  if (aud.is_string()) return aud.get_ref<const std::string&>() == audience;
  if (!aud.is_array()) return false;
  for (const auto& entry : aud) {
    if (entry.is_string() && entry.get_ref<const std::string&>() == audience) return true;
  }
  return false;
}

}  // namespace

struct Authenticator::Checked {
  nlohmann::json claims;
  double exp = 0;
  std::optional<AuthFailure> not_a_user_token;  // why aud/iss refuse it, if they do
};

Authenticator::Authenticator(const Config& config, WallClock now)
    : verifier_(make_verifier(config)),
      leeway_s_(std::chrono::duration<double>(config.jwt_leeway).count()),
      audience_(config.jwt_audience),
      issuer_(config.jwt_issuer),
      user_claim_(config.jwt_user_claim.empty() ? "sub" : config.jwt_user_claim),
      now_(std::move(now)) {}

AuthResult Authenticator::authenticate(const AuthQuery& query) const {
  Identity identity;
  if (dev_mode()) {
    if (!query.user) return unauthorized("missing_user", "missing user parameter");
    if (!is_valid_id(*query.user)) {
      return bad_request("bad_user_id", std::string("malformed user id: ") + kIdRule);
    }
    identity.user_id = *query.user;
  } else {
    if (!query.token || query.token->empty()) {
      return unauthorized("missing_token", "missing token parameter");
    }
    auto result = user_in(*query.token);
    if (auto* failure = std::get_if<AuthFailure>(&result)) return std::move(*failure);
    identity = std::move(std::get<Identity>(result));
  }
  // Credentials first: an anonymous request learns nothing from a 400 about its device id.
  if (query.device && !is_valid_id(*query.device)) {
    return bad_request("bad_device_id", std::string("malformed device id: ") + kIdRule);
  }
  identity.device_id = query.device.value_or("");
  return identity;
}

std::variant<Authenticator::Checked, AuthFailure> Authenticator::check(const std::string& token,
                                                                       TokenUse use) const {
  if (!verifier_) {
    return unauthorized("no_verification_key", "no key to verify tokens with (dev mode)");
  }
  if (token.empty()) return unauthorized("missing_token", "empty token");
  auto verified = verifier_->verify(token);
  if (auto* error = std::get_if<JwtError>(&verified)) {
    return unauthorized(std::move(error->code), std::move(error->message));
  }
  Checked checked{std::move(std::get<nlohmann::json>(verified)), 0, std::nullopt};
  const auto& claims = checked.claims;
  const auto now_s = std::chrono::duration<double>(now_().time_since_epoch()).count();

  const auto exp = claims.find("exp");
  if (exp == claims.end() || !exp->is_number()) {
    return unauthorized("missing_exp", "token has no numeric exp claim");
  }
  checked.exp = exp->get<double>();
  if (now_s >= checked.exp + leeway_s_) return unauthorized("token_expired", "token expired");

  if (const auto nbf = claims.find("nbf"); nbf != claims.end()) {
    if (!nbf->is_number()) return unauthorized("malformed_token", "token nbf is not a number");
    if (now_s + leeway_s_ < nbf->get<double>()) {
      return unauthorized("token_not_yet_valid", "token not valid yet (nbf)");
    }
  }

  checked.not_a_user_token = check_user_token(claims);
  if (use == TokenUse::user && checked.not_a_user_token) return *checked.not_a_user_token;
  return checked;
}

std::optional<AuthFailure> Authenticator::check_user_token(const nlohmann::json& claims) const {
  if (!audience_.empty()) {
    const auto aud = claims.find("aud");
    if (aud == claims.end()) {
      return unauthorized("wrong_audience", "token has no aud claim (expected " + audience_ + ")");
    }
    if (!has_audience(*aud, audience_)) {
      return unauthorized("wrong_audience", "token aud does not include " + audience_);
    }
  }
  if (!issuer_.empty()) {
    const auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string() || iss->get_ref<const std::string&>() != issuer_) {
      return unauthorized("wrong_issuer", "token iss is not " + issuer_);
    }
  }
  return std::nullopt;
}

TokenResult Authenticator::verify(const std::string& token, TokenUse use) const {
  auto result = check(token, use);
  if (auto* failure = std::get_if<AuthFailure>(&result)) return std::move(*failure);
  const auto& checked = std::get<Checked>(result);
  TokenClaims claims;
  claims.exp = checked.exp;
  // A token for another audience or issuer may serve as an apikey but vouches for nobody.
  if (!checked.not_a_user_token) {
    const auto user = checked.claims.find(user_claim_);
    if (user != checked.claims.end() && user->is_string()) claims.sub = user->get<std::string>();
  }
  return claims;
}

std::variant<Identity, AuthFailure> Authenticator::user_in(const std::string& token) const {
  auto result = check(token, TokenUse::user);
  if (auto* failure = std::get_if<AuthFailure>(&result)) return std::move(*failure);
  const auto& checked = std::get<Checked>(result);
  const auto user = checked.claims.find(user_claim_);
  if (user == checked.claims.end()) {
    return unauthorized("missing_user_claim", "token has no " + user_claim_ + " claim");
  }
  if (!user->is_string()) {
    return unauthorized("missing_user_claim", "token " + user_claim_ + " claim is not a string");
  }
  // The token is authentic but names a user id the protocol cannot carry: the request is
  // malformed rather than unauthenticated.
  if (!is_valid_id(user->get_ref<const std::string&>())) {
    return bad_request("bad_user_id",
                       "malformed user id in token " + user_claim_ + " claim: " + kIdRule);
  }
  Identity identity;
  identity.user_id = user->get<std::string>();
  identity.expires_at = checked.exp;
  return identity;
}

std::chrono::system_clock::time_point Authenticator::valid_until(double exp) const {
  using Clock = std::chrono::system_clock;
  // exp is any JSON number: beyond the clock's range (about the year 2262 in nanoseconds) a
  // conversion would overflow. Half the range is still centuries past any real token.
  const double max_s = std::chrono::duration<double>(Clock::duration::max()).count() / 2;
  const double until_s = exp + leeway_s_;
  if (!(until_s < max_s)) return Clock::time_point(Clock::duration::max() / 2);
  if (until_s <= 0) return Clock::time_point{};  // long past: due at once
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(until_s)));
}

std::variant<std::string, AuthFailure> Authenticator::user_of(const std::string& token) const {
  auto result = user_in(token);
  if (auto* failure = std::get_if<AuthFailure>(&result)) return std::move(*failure);
  return std::move(std::get<Identity>(result).user_id);
}

}  // namespace switchboard::server
