// Vocabulary types shared by the codec, the engine and the server: ids, time, enums.
// Plain values; no ownership or threading concerns.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard {

// The engine's notion of time: milliseconds since the Unix epoch. The server feeds it a
// monotonic clock anchored to the wall clock at start-up, so timers never jump backwards
// while `expiresAt` still reads as a wall-clock timestamp for clients.
using Millis = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Millis>;

inline std::int64_t to_epoch_ms(TimePoint t) {
  return t.time_since_epoch().count();
}

// A connection is named by the server with an integer it never reuses.
using ConnId = std::uint64_t;
// Per-session event sequence number (PROTOCOL.md "Reconnecting").
using Seq = std::uint64_t;

enum class Media { audio, video };

// A call rings, may become active (answered), and ends.
enum class CallState { ringing, active, ended };
std::string_view to_string(CallState s);

// Which side of a call a user is on.
enum class Role { caller, callee };

// What `peer` events say about the other party of an active call.
enum class PeerState { reconnecting, reconnected };

// Why a call ended, as seen by one recipient (PROTOCOL.md "Reasons").
enum class EndReason {
  completed,
  canceled,
  declined,
  busy,
  no_answer,
  unavailable,
  answered_elsewhere,
  declined_elsewhere,
  connection_lost,
};

// Error codes sent to clients (PROTOCOL.md "Errors").
enum class ErrorCode {
  bad_json,
  bad_message,
  unknown_type,
  too_large,
  not_found,
  forbidden,
  invalid_state,
  already_answered,
  conflict,
  self_call,
  unsupported,
  rate_limited,
  unauthorized,  // a token that does not verify (the `auth` command)
};

// WebSocket close codes we send (RFC 6455 section 7.4; 4000-4999 are ours).
enum class CloseCode : std::uint16_t {
  going_away = 1001,     // server shutdown
  too_big = 1009,        // frame over read_message_max
  token_expired = 4003,  // the connection's token expired and was not refreshed
  slow_consumer = 4008,  // send queue over its limit
  replaced = 4009,       // same user and device connected again
  too_many = 4029,       // over a limit: sustained message rate, or devices per user
};

std::string_view to_string(Media m);
std::string_view to_string(Role r);
std::string_view to_string(PeerState s);
std::string_view to_string(EndReason r);
std::string_view to_string(ErrorCode c);
std::optional<Media> media_from_string(std::string_view s);

// User, device and call ids: 1-128 characters of [A-Za-z0-9._~@+-] (PROTOCOL.md "Ids").
inline constexpr std::size_t kMaxIdLength = 128;
bool is_valid_id(std::string_view id);

}  // namespace switchboard
