// Reads the query string of a `GET /v1/ws` upgrade: the credentials for the Authenticator and
// the optional resume request (`session` + `lastSeq`, PROTOCOL.md "Connecting"). Pure
// functions without Beast, so they are unit-tested directly; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/engine.hpp"
#include "server/auth.hpp"

namespace switchboard::server {

// The parameters we know, percent-decoded; the first occurrence of each wins.
struct UpgradeQuery {
  AuthQuery auth;
  std::optional<std::string> session;
  std::optional<std::string> last_seq;
  // Supabase Realtime upgrades (`.../realtime/v1/websocket?apikey=...&vsn=2.0.0`).
  std::optional<std::string> apikey;
  std::optional<std::string> vsn;
};

// `target` is the request target in origin form ("/v1/ws?user=alice"), percent-encoded ('+'
// stays a plus: it is legal in ids, and spaces never are). Unknown and value-less parameters
// are ignored. nullopt when it is not a valid origin-form target (RFC 9112 section 3.2.1).
std::optional<UpgradeQuery> parse_upgrade_query(std::string_view target);

// The client's mistake, answered with HTTP 400 before any WebSocket exists.
struct BadQuery {
  std::string message;
};

// Clients keep seq in a JavaScript number: anything above 2^53 cannot be one they saw.
inline constexpr Seq kMaxLastSeq = Seq{1} << 53;

// No `session` and no `lastSeq`: a fresh session (nullopt). Both, well-formed: a resume
// request. Only one of them, an invalid session id, or a `lastSeq` that is not a plain
// decimal integer in [0, 2^53]: BadQuery.
std::variant<std::optional<ResumeRequest>, BadQuery> resume_request(const UpgradeQuery& query);

}  // namespace switchboard::server
