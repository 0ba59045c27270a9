// Typed protocol v1 messages (PROTOCOL.md): client commands, server events, and the
// ack/error/pong responses. Plain values; `data` fields are opaque JSON objects that the
// server passes on without looking inside (OpaqueJson: serialised once, shared by copies).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/opaque_json.hpp"
#include "protocol/types.hpp"

namespace switchboard {

// ---- client -> server ------------------------------------------------------------------

inline constexpr std::int64_t kMinCallTimeoutMs = 5'000;
inline constexpr std::int64_t kMaxCallTimeoutMs = 120'000;
inline constexpr std::size_t kMaxCallDataBytes = std::size_t{8} * 1024;
inline constexpr std::size_t kMaxSignalDataBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kMaxCommandIdLength = 64;

// The `data` limits the codec applies (PROTOCOL.md "Limits"); the server takes them from its
// configuration (--max-call-data-bytes, --max-signal-data-bytes), the defaults are these.
struct CodecLimits {
  std::size_t call_data_bytes = kMaxCallDataBytes;      // `call` and `answer`
  std::size_t signal_data_bytes = kMaxSignalDataBytes;  // `signal`
};
inline constexpr std::size_t kMaxHangupReasonLength = 64;
// A JWT is a few hundred bytes; this leaves room for fat claims and still bounds the HMAC work.
inline constexpr std::size_t kMaxAuthTokenBytes = std::size_t{16} * 1024;

struct CallCommand {
  std::string to;
  Media media = Media::audio;
  std::optional<std::string> call_id;
  std::optional<std::string> room_name;
  std::optional<std::int64_t> timeout_ms;  // already checked to lie in [5000, 120000]
  OpaqueJson data;
};

struct RingingCommand {
  std::string call_id;
};

struct AnswerCommand {
  std::string call_id;
  OpaqueJson data;
};

enum class RejectReason { declined, busy };

struct RejectCommand {
  std::string call_id;
  RejectReason reason = RejectReason::declined;
};

struct HangupCommand {
  std::string call_id;
  std::optional<std::string> reason;  // free text, passed on in `ended`
};

struct SignalCommand {
  std::string call_id;
  OpaqueJson data;
};

struct PingCommand {};

// A fresher token for the connection's own user, so that it is not closed when its current
// token expires (PROTOCOL.md "Token expiry"). The connection handles it itself: it knows the
// Authenticator and its own deadline, the engine knows neither and answers it `unsupported`.
struct AuthCommand {
  std::string token;
};

// New alternatives go last: tests and fuzz drivers name the types by index.
using CommandBody = std::variant<CallCommand, RingingCommand, AnswerCommand, RejectCommand,
                                 HangupCommand, SignalCommand, PingCommand, AuthCommand>;

struct Command {
  std::optional<std::string> id;  // echoed in the ack or error
  CommandBody body;
};

// ---- server -> client events (each carries a per-session `seq`) -----------------------

// Who a call is between, and its room. Protocol v1 does not encode it (a native client knows
// its calls), but the Supabase Realtime dialect names both parties and the room in every
// `call-signal` (PROTOCOL.md "Supabase Realtime"), so events about a call carry it along.
struct CallRef {
  std::string caller;
  std::string callee;
  std::string room_name;
};

// One non-ended call of the connecting user, so a client that could not resume can rebuild
// its screen (PROTOCOL.md "Resume").
struct CallSnapshot {
  std::string call_id;
  CallState state = CallState::ringing;
  Role role = Role::caller;
  std::string peer;  // the other user
  Media media = Media::audio;
  std::string room_name;
  std::optional<std::int64_t> expires_at;   // ringing calls, ms since the Unix epoch
  std::optional<std::int64_t> answered_at;  // active calls, ms since the Unix epoch
  std::optional<std::string> device_id;     // this user's device holding the call, if any
};

// `seq` of a welcome is 1 for a new session and the client's lastSeq for a resumed one: the
// next event always carries welcome.seq + 1. `replayed` events from the buffer follow it.
struct WelcomeEvent {
  std::string user_id;
  std::string device_id;
  std::string session_id;
  std::int64_t heartbeat_ms = 0;
  bool resumed = false;
  std::int64_t resume_window_ms = 0;
  std::vector<CallSnapshot> calls;
  std::int64_t replayed = 0;  // buffered events that follow (resumed sessions only)
};

struct CallEvent {
  std::string call_id;
  std::string from;
  std::string to;
  Media media = Media::audio;
  std::string room_name;
  OpaqueJson data;
  std::int64_t expires_at = 0;  // ms since the Unix epoch
  std::int64_t expires_in_ms = 0;
};

struct RingingEvent {
  std::string call_id;
  std::string from;  // the callee
  CallRef call{};
};

struct AnswerEvent {
  std::string call_id;
  std::string from;  // the callee
  std::string device_id;
  OpaqueJson data;
  CallRef call{};
};

struct SignalEvent {
  std::string call_id;
  std::string from;
  std::string from_device;
  OpaqueJson data;
  CallRef call{};
};

// The other party of an active call lost its connection, or got it back.
struct PeerEvent {
  std::string call_id;
  std::string user_id;
  PeerState state = PeerState::reconnecting;
  CallRef call{};
};

struct EndedEvent {
  std::string call_id;
  EndReason reason = EndReason::completed;
  std::optional<std::string> by;            // the user who caused the end, when one did
  std::optional<std::int64_t> duration_ms;  // answered calls only
  std::optional<std::string> message;       // a hangup's free-text reason, passed on
  CallRef call{};
};

using Event = std::variant<WelcomeEvent, CallEvent, RingingEvent, AnswerEvent, SignalEvent,
                           EndedEvent, PeerEvent>;

// ---- server -> client responses (no `seq`) -------------------------------------------------

struct Ack {
  std::optional<std::string> id;
  std::optional<std::string> call_id;  // for `call`
};

struct Error {
  std::optional<std::string> id;
  ErrorCode code = ErrorCode::bad_message;
  std::string message;
};

struct Pong {
  std::optional<std::string> id;
};

using Response = std::variant<Ack, Error, Pong>;

}  // namespace switchboard
