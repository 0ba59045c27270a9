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
};

// ---- inputs ------------------------------------------------------------------------------

struct ConnectionOpened {
  ConnId conn = 0;
  std::string user_id;    // authenticated; already valid per is_valid_id()
  std::string device_id;  // empty: the engine makes one up
};

struct ConnectionClosed {
  ConnId conn = 0;
};

struct CommandReceived {
  ConnId conn = 0;
  Command command;
};

using Input = std::variant<ConnectionOpened, ConnectionClosed, CommandReceived>;

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

enum class CallState { ringing, active, ended };
std::string_view to_string(CallState s);

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

  std::size_t connection_count() const;
  std::size_t call_count() const;  // including ended calls still retained

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace switchboard
