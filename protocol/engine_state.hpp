// Internal to the engine (engine*.cpp): the data model behind Engine. Same contract as Engine:
// single-threaded, owned by one Engine.
//
// Calls refer to sessions, not connections: a session outlives a dropped connection (for the
// resume window), so a phone that blinks off Wi-Fi keeps its place in its calls.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "protocol/engine.hpp"
#include "protocol/fifo.hpp"

namespace switchboard {

using SessionId = std::string;

// What an event counts against EngineConfig::resume_buffer_bytes.
std::size_t replay_bytes(const Event& event);

struct BufferedEvent {
  Seq seq = 0;
  std::shared_ptr<const Event> event;
  TimePoint at{};
  std::size_t bytes = 0;  // what it counts against resume_buffer_bytes
};

struct Session {
  SessionId id;
  std::string user;
  std::string device;
  ConnId conn = 0;  // 0 while detached
  Seq last_seq = 0;
  Fifo<BufferedEvent> buffer;            // replay buffer, oldest first
  std::size_t buffer_bytes = 0;          // sum of its events' `bytes`
  std::optional<TimePoint> detached_at;  // set while detached
  std::optional<TimePoint> deadline;     // expiry while detached
  std::set<std::string> calls;           // ids of non-ended calls this session holds
  // Recent command ids and their answers, for idempotent retries; `reply_order` ages them out.
  std::unordered_map<std::string, Response> replies;
  Fifo<std::pair<TimePoint, std::string>> reply_order;
};

// A call's two sides are its legs: the caller's is `caller_session`, the callee's is the
// ringing sessions until one answers, then `answered_session`. A leg left empty is deviceless
// (the call was placed or answered by a UserCommandReceived): it stands for every session of
// that side's user, so their events go to all of them and any of them may act for that side.
struct Call {
  std::string id;
  std::string caller;
  std::string callee;
  SessionId caller_session;  // empty: deviceless
  Media media = Media::audio;
  std::string room_name;
  OpaqueJson data;  // the caller's `data`, shared with every `call` event

  CallState state = CallState::ringing;
  bool ringing_sent = false;    // the caller got its one `ringing` event
  std::set<SessionId> ringing;  // callee sessions that got `call` and have not ended it
  SessionId answered_session;   // empty until answered (and after a deviceless answer)
  TimePoint expires_at{};       // ring timeout
  std::optional<TimePoint> answered_at;
  std::optional<TimePoint> ended_at;
  std::optional<TimePoint> deadline;            // the earliest of this call's timers, as scheduled
  EndReason end_reason = EndReason::completed;  // valid once ended (the caller's view)
};

// How a call ends. Every session holding the call gets exactly one `ended`: `reason` by
// default, `ringing_reason` for callee sessions still ringing (e.g. declined_elsewhere).
struct EndSpec {
  EndReason reason = EndReason::completed;
  std::optional<EndReason> ringing_reason;
  std::optional<std::string> by;
  std::optional<std::string> message;
  SessionId actor;  // the session that caused it; gets `reason` even if it never rang
};

enum class TimerKind { call, session };

struct Engine::State {
  State(EngineConfig c, IdGenerator& g) : config(c), ids(g) {}

  EngineConfig config;
  IdGenerator& ids;
  TimePoint now{};
  Actions out;  // actions of the input being handled

  std::unordered_map<ConnId, SessionId> conns;
  std::unordered_map<SessionId, Session> sessions;
  std::unordered_map<std::string, std::map<std::string, SessionId>> devices;  // user->device->
  std::unordered_map<std::string, Call> calls;
  std::unordered_map<std::string, std::unordered_set<std::string>> live_calls_of;  // non-ended
  std::unordered_map<std::string, std::string> active_call_of;  // user -> their active call
  // user -> how many of the calls they placed still ring (EngineConfig::max_ringing_per_user);
  // kept as a count so the check is O(1). Users with none have no entry.
  std::unordered_map<std::string, std::size_t> ringing_placed;
  std::set<std::tuple<TimePoint, TimerKind, std::string>> deadlines;

  // engine_sessions.cpp: connections, sessions, resume, replay
  void open(const ConnectionOpened& in);
  void close(ConnId conn, bool clean);
  Session* resumable(const ConnectionOpened& in);
  void resume(Session& s, ConnId conn, Seq last_seq);
  std::string wanted_device(const ConnectionOpened& in);
  Session& start_session(const ConnectionOpened& in, std::string device);
  void attach(Session& s, ConnId conn);
  void detach(Session& s);
  void end_session(const SessionId& id);
  void returned(Session& s);
  void redeliver_ringing(Session& s);
  std::vector<CallSnapshot> snapshot(const std::string& user) const;
  WelcomeEvent welcome(const Session& s, bool resumed) const;
  Session* session_of(ConnId conn);
  Session* find_session(const SessionId& id);

  // engine_limits.cpp: per-user abuse limits (EngineConfig::max_*_per_user)
  bool refuse_device(const ConnectionOpened& in, const std::string& device);
  bool refuse_call(const Session& me, const Command& cmd);
  void started_ringing(const Call& call);
  void stopped_ringing(const Call& call);

  // engine.cpp: delivery, endings, timers
  void deliver(Event event, const std::vector<SessionId>& to);
  void trim_buffer(Session& s) const;
  void send_direct(Event event, ConnId conn, Seq seq);
  void reply(ConnId conn, Response response);
  void error(ConnId conn, const Command& cmd, ErrorCode code, std::string message);
  void ack(ConnId conn, const Command& cmd, std::optional<std::string> call_id = std::nullopt);
  void end_call(Call& call, const EndSpec& spec);
  void refresh_deadline(Call& call);
  void schedule(std::optional<TimePoint>& slot, std::optional<TimePoint> when, TimerKind kind,
                const std::string& id);
  void fire_due();
  void call_due(Call& call);
  void state_changed(const Call& call, std::optional<std::string> by = std::nullopt);
  void hold(const SessionId& s, const std::string& call_id);
  void release(const SessionId& s, const std::string& call_id);
  std::optional<TimePoint> detached_since(const SessionId& s) const;
  CallEvent call_event(const Call& call) const;

  // engine.cpp: call legs (see Call)
  std::vector<SessionId> leg_sessions(const SessionId& leg, const std::string& user) const;
  static bool on_leg(const Session& me, const SessionId& leg, const std::string& user);
  static CallRef ref(const Call& call);
  void end_deviceless_legs(const std::string& user);

  // engine_dispatch.cpp: command entry, idempotent retries, shared checks
  void command(ConnId conn, const Command& cmd);
  void command_as_user(const std::string& user, const Command& cmd);
  void remember_reply(ConnId conn, const std::string& command_id, std::size_t first);
  void forget_old_replies(Session& s) const;
  void dispatch(Session& me, const Command& cmd);

  // engine_commands.cpp: one handler per client command
  void on_call(Session& me, const Command& cmd, const CallCommand& c);
  void on_ringing(Session& me, const Command& cmd, Call& call);
  void on_answer(Session& me, const Command& cmd, Call& call, const AnswerCommand& c);
  void on_reject(Session& me, const Command& cmd, Call& call, RejectReason reason);
  void on_hangup(Session& me, const Command& cmd, Call& call, const HangupCommand& c);
  void on_signal(Session& me, const Command& cmd, Call& call, const SignalCommand& c);
};

}  // namespace switchboard
