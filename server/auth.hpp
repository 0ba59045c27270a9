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
};

struct AuthFailure {
  unsigned status = 401;  // 401 missing/invalid credentials, 400 malformed ids
  std::string message;
};

using AuthResult = std::variant<Identity, AuthFailure>;

// What a verified token says (signature, algorithm and expiry already checked).
struct TokenClaims {
  std::optional<std::string> sub;  // absent in Supabase's anon and service keys
  double exp = 0;                  // seconds since the Unix epoch
};
using TokenResult = std::variant<TokenClaims, AuthFailure>;

class Authenticator {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  // An empty secret means dev mode: `user` is trusted as is. `now` is injectable for tests.
  explicit Authenticator(std::string jwt_secret, WallClock now = &std::chrono::system_clock::now);
  explicit Authenticator(const Config& config) : Authenticator(config.jwt_secret) {}

  bool dev_mode() const { return secret_.empty(); }
  AuthResult authenticate(const AuthQuery& query) const;
  // Verifies a token without asking for a user in it (a Supabase apikey has none). Not for
  // dev mode, which has no key to verify with.
  TokenResult verify(const std::string& token) const;
  // verify(), then a `sub` that is a valid user id: the user the token speaks for.
  std::variant<std::string, AuthFailure> user_of(const std::string& token) const;

  std::string secret_;
  WallClock now_;
};

}  // namespace switchboard::server
