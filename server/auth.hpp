// Turns the credentials of a WebSocket upgrade request (its query parameters) into an
// authenticated user and device, or into the HTTP refusal to send (PROTOCOL.md "Upgrade
// refusals"). Immutable after construction; safe to call from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "server/config.hpp"
#include "server/jwt_verifier.hpp"

namespace switchboard::server {

// The query parameters that matter for authentication, already percent-decoded.
struct AuthQuery {
  std::optional<std::string> user;
  std::optional<std::string> token;
  std::optional<std::string> device;
};

struct Identity {
  std::string user_id;
  std::string device_id;  // empty: let the engine generate one
  // The token's exp in seconds since the Unix epoch, so that the connection can be closed
  // when its credentials lapse; absent in dev mode.
  std::optional<double> expires_at;
};

struct AuthFailure {
  unsigned status = 401;  // 401 missing/invalid credentials, 400 malformed ids
  std::string message;    // for people; never contains the token
  std::string code;       // for programs: "token_expired", "bad_signature", ... (auth.cpp)
};

using AuthResult = std::variant<Identity, AuthFailure>;

// What a token is presented as. A user token speaks for a user and must also carry the
// configured audience and issuer; an apikey (Supabase's anon or service_role key) has no
// user, no `aud` and its own `iss`, so only its signature and lifetime are checked.
enum class TokenUse { user, apikey };

// What a verified token says (algorithm, signature, exp and nbf already checked).
struct TokenClaims {
  // The user the token vouches for: its --jwt-user-claim (default `sub`) when that is a
  // string and the token also passes the user-token checks (aud, iss), whatever `use` was.
  // Absent in Supabase's anon and service keys.
  std::optional<std::string> sub;
  double exp = 0;  // seconds since the Unix epoch
};
using TokenResult = std::variant<TokenClaims, AuthFailure>;

class Authenticator {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  // With neither config.jwt_secret nor config.jwt_public_key_pem, dev mode: `user` is trusted
  // as is. Throws std::invalid_argument when both are set or the PEM is unusable (start-up
  // only; parse_config() refuses both already). `now` is injectable for tests.
  explicit Authenticator(const Config& config, WallClock now = &std::chrono::system_clock::now);

  bool dev_mode() const { return !verifier_; }
  AuthResult authenticate(const AuthQuery& query) const;
  // Verifies a token without asking for a user in it (an apikey has none). Not for dev mode,
  // which has no key to verify with.
  TokenResult verify(const std::string& token, TokenUse use) const;
  // A user token's user (its --jwt-user-claim, a valid user id): the user it speaks for.
  std::variant<std::string, AuthFailure> user_of(const std::string& token) const;
  // user_of() with the token's exp (Identity::expires_at; device_id stays empty): what a
  // connection needs to know when its credentials lapse.
  std::variant<Identity, AuthFailure> user_in(const std::string& token) const;
  // The last moment a token with this exp is accepted (exp + --jwt-leeway): when a connection
  // it authenticated must stop speaking for its user. Clamped far below the clock's range.
  std::chrono::system_clock::time_point valid_until(double exp) const;

 private:
  struct Checked;  // a verified token's claims and exp, and whether it is a user token
  std::variant<Checked, AuthFailure> check(const std::string& token, TokenUse use) const;
  std::optional<AuthFailure> check_user_token(const nlohmann::json& claims) const;

  std::optional<JwtVerifier> verifier_;
  double leeway_s_;
  std::string audience_;    // empty: any
  std::string issuer_;      // empty: any
  std::string user_claim_;  // e.g. "sub"
  WallClock now_;
};

}  // namespace switchboard::server
