// The call engine: a deterministic, sans-I/O state machine for protocol v1 call semantics
// (PROTOCOL.md "Call semantics"). Inputs and the current time go in; actions come out, in the
// order the server must carry them out. No sockets, clocks, threads or randomness inside.
//
// Threading/ownership: not thread-safe; one owner (the server's hub) calls it from a single
// executor. It borrows the IdGenerator, which must outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/id_generator.hpp"
#include "protocol/messages.hpp"
#include "protocol/types.hpp"

namespace switchboard {

struct EngineConfig {
  Millis ring_timeout{30'000};         // default for calls without `timeoutMs`
  Millis ended_retention{60'000};      // how long ended calls answer late commands precisely
  std::int64_t heartbeat_ms = 20'000;  // advertised in `welcome`
  Millis resume_window{120'000};       // how long a dropped session can be resumed
  std::size_t resume_buffer = 300;     // events kept per session for replay
  std::size_t resume_buffer_bytes = std::size_t{256} * 1024;  // and at most this many bytes of them
  Millis reconnect_grace{30'000};           // an active call waits this long for a dropped party
  Millis caller_grace{15'000};              // a ringing call waits this long for a dropped caller
  bool ring_offline = false;                // ring users with no device instead of `unavailable`
  std::size_t remembered_commands = 1'000;  // command ids kept per session for idempotency
  // Abuse limits (README "Security"): a user's sessions (held, attached or not) beyond this
  // close the newest connection with 4029; ringing calls a user has placed beyond this are
  // refused with `rate_limited`.
  std::size_t max_devices_per_user = 10;
  std::size_t max_ringing_per_user = 5;
};

// ---- inputs ------------------------------------------------------------------------------

// `?session=…&lastSeq=…`: the client asks to continue a session after a drop.
struct ResumeRequest {
  std::string session_id;
  Seq last_seq = 0;  // the highest seq the client processed
};

struct ConnectionOpened {
  ConnId conn = 0;
  std::string user_id;    // authenticated; already valid per is_valid_id()
  std::string device_id;  // empty: the engine makes one up (or, on resume, the session's)
  std::optional<ResumeRequest> resume;
};

struct ConnectionClosed {
  ConnId conn = 0;
  // The client sent a close frame: it is leaving, so its session ends now. Anything else
  // (reset, EOF, missed heartbeats, a close we forced) is a drop: the session is held for the
  // resume window and its calls get their grace periods.
  bool clean = false;
};

struct CommandReceived {
  ConnId conn = 0;
  Command command;
};

// A command from a user rather than from one of their connections (the Supabase Realtime
// REST API, PROTOCOL.md "Supabase Realtime"). It acts for the user as a whole: a call it places
// or answers has no device on that side, so that side's events go to every device of the user,
// and any of them may act on it. Its answer is a Reply to connection 0.
struct UserCommandReceived {
  std::string user_id;  // authenticated; already valid per is_valid_id()
  Command command;
};

using Input =
    std::variant<ConnectionOpened, ConnectionClosed, CommandReceived, UserCommandReceived>;

// ---- actions -----------------------------------------------------------------------------

struct Recipient {
  ConnId conn = 0;
  Seq seq = 0;
};

// Send one event to several connections, each with its own seq. The event is shared so the
// server can encode it once.
struct Deliver {
  std::shared_ptr<const Event> event;
  std::vector<Recipient> to;
};

struct Reply {
  ConnId conn = 0;
  Response response;
};

// Close a connection. The engine has already forgotten it: no ConnectionClosed is needed
// (one that arrives anyway is ignored).
struct Close {
  ConnId conn = 0;
  CloseCode code = CloseCode::going_away;
  std::string reason;
};

// For logs and metrics: a call changed state. For `ended`, `reason` is the caller's view.
struct CallStateChanged {
  std::string call_id;
  std::string caller;
  std::string callee;
  CallState state = CallState::ringing;
  std::optional<EndReason> reason;
  std::optional<std::string> by;
};

using Action = std::variant<Deliver, Reply, Close, CallStateChanged>;
using Actions = std::vector<Action>;

class Engine {
 public:
  Engine(EngineConfig config, IdGenerator& ids);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // `now` must never go backwards between calls.
  Actions handle(Input input, TimePoint now);
  // Fires every deadline at or before `now` (ring timeouts, expiry of ended calls).
  Actions handle_timeout(TimePoint now);
  // The earliest pending deadline, if any; the driver arms one timer for it.
  std::optional<TimePoint> next_deadline() const;

  struct Stats {
    std::size_t connections = 0;
    std::size_t sessions = 0;           // held, attached or not
    std::size_t detached_sessions = 0;  // held for resume, no connection
    std::size_t ringing_calls = 0;
    std::size_t active_calls = 0;
    std::size_t ended_calls = 0;  // retained for late commands
  };
  Stats stats() const;
  std::size_t connection_count() const;
  std::size_t call_count() const;  // including ended calls still retained

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace switchboard
