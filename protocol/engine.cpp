// Engine core: the public entry points, event delivery through session buffers, how calls
// end, and timers. Sessions live in engine_sessions.cpp, commands in engine_dispatch.cpp and
// engine_commands.cpp, per-user limits in engine_limits.cpp.
#include "protocol/engine.hpp"

#include <algorithm>
#include <utility>

#include "protocol/engine_state.hpp"

namespace switchboard {
namespace {

// Envelope, ids and bookkeeping of a buffered event, about: small next to a signal's data.
constexpr std::size_t kBufferedEventOverhead = 256;

}  // namespace

// What an event counts against the replay buffer's byte budget: its opaque data (the only
// part a client controls the size of) plus a fixed overhead.
std::size_t replay_bytes(const Event& event) {
  return std::visit(
      [](const auto& e) -> std::size_t {
        if constexpr (requires { e.data.size(); }) {
          return kBufferedEventOverhead + e.data.size();
        } else {
          return kBufferedEventOverhead;
        }
      },
      event);
}

Engine::Engine(EngineConfig config, IdGenerator& ids)
    : state_(std::make_unique<State>(config, ids)) {}

Engine::~Engine() = default;

Actions Engine::handle(Input input, TimePoint now) {
  State& s = *state_;
  s.now = std::max(s.now, now);
  // Deadlines due at `now` fire before the input: a ring timeout at T beats an answer at T,
  // whatever order the driver happens to notice them in.
  s.fire_due();
  std::visit(
      [&s](auto& in) {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, ConnectionOpened>) {
          s.open(in);
        } else if constexpr (std::is_same_v<T, ConnectionClosed>) {
          s.close(in.conn, in.clean);
        } else if constexpr (std::is_same_v<T, CommandReceived>) {
          s.command(in.conn, in.command);
        } else {
          s.command_as_user(in.user_id, in.command);
        }
      },
      input);
  return std::exchange(s.out, {});
}

Actions Engine::handle_timeout(TimePoint now) {
  State& s = *state_;
  s.now = std::max(s.now, now);
  s.fire_due();
  return std::exchange(s.out, {});
}

std::optional<TimePoint> Engine::next_deadline() const {
  if (state_->deadlines.empty()) return std::nullopt;
  return std::get<0>(*state_->deadlines.begin());
}

Engine::Stats Engine::stats() const {
  Stats st;
  st.connections = state_->conns.size();
  st.sessions = state_->sessions.size();
  st.detached_sessions = st.sessions - st.connections;
  for (const auto& [id, call] : state_->calls) {
    switch (call.state) {
      case CallState::ringing:
        ++st.ringing_calls;
        break;
      case CallState::active:
        ++st.active_calls;
        break;
      case CallState::ended:
        ++st.ended_calls;
        break;
    }
  }
  return st;
}

std::size_t Engine::connection_count() const {
  return state_->conns.size();
}
std::size_t Engine::call_count() const {
  return state_->calls.size();
}

// ---- output --------------------------------------------------------------------------------

// Every event goes through the recipient session's replay buffer, connected or not: frames
// in flight die with a dropped socket, and the buffer is what a resume replays.
void Engine::State::deliver(Event event, const std::vector<SessionId>& to) {
  const std::size_t bytes = replay_bytes(event);
  auto shared = std::make_shared<const Event>(std::move(event));
  Deliver d{shared, {}};
  for (const SessionId& id : to) {
    Session* s = find_session(id);
    if (s == nullptr) continue;
    const Seq seq = ++s->last_seq;
    s->buffer.push_back({seq, shared, now, bytes});
    s->buffer_bytes += bytes;
    trim_buffer(*s);
    if (s->conn != 0) d.to.push_back({s->conn, seq});
  }
  if (!d.to.empty()) out.emplace_back(std::move(d));
}

// Oldest first, events leave the buffer when there are too many, when they are too big
// together, or when they are older than the resume window. A resume that needs an event gone
// gets a fresh session and a snapshot instead.
void Engine::State::trim_buffer(Session& s) const {
  while (!s.buffer.empty() &&
         (s.buffer.size() > config.resume_buffer || s.buffer_bytes > config.resume_buffer_bytes ||
          s.buffer.front().at + config.resume_window < now)) {
    s.buffer_bytes -= s.buffer.front().bytes;
    s.buffer.pop_front();
  }
}

// Outside the session's sequence of buffered events: `welcome` and replays.
void Engine::State::send_direct(Event event, ConnId conn, Seq seq) {
  out.emplace_back(Deliver{std::make_shared<const Event>(std::move(event)), {{conn, seq}}});
}

void Engine::State::reply(ConnId conn, Response response) {
  out.emplace_back(Reply{conn, std::move(response)});
}

void Engine::State::error(ConnId conn, const Command& cmd, ErrorCode code, std::string message) {
  reply(conn, Error{cmd.id, code, std::move(message)});
}

void Engine::State::ack(ConnId conn, const Command& cmd, std::optional<std::string> call_id) {
  if (cmd.id) reply(conn, Ack{cmd.id, std::move(call_id)});
}

void Engine::State::state_changed(const Call& call, std::optional<std::string> by) {
  CallStateChanged change{call.id,    call.caller,  call.callee,
                          call.state, std::nullopt, std::move(by)};
  if (call.state == CallState::ended) change.reason = call.end_reason;
  out.emplace_back(std::move(change));
}

void Engine::State::hold(const SessionId& s, const std::string& call_id) {
  if (Session* session = find_session(s)) session->calls.insert(call_id);
}

void Engine::State::release(const SessionId& s, const std::string& call_id) {
  if (Session* session = find_session(s)) session->calls.erase(call_id);
}

std::optional<TimePoint> Engine::State::detached_since(const SessionId& s) const {
  auto it = sessions.find(s);
  if (it == sessions.end()) return std::nullopt;
  return it->second.detached_at;
}

CallEvent Engine::State::call_event(const Call& call) const {
  return CallEvent{call.id,
                   call.caller,
                   call.callee,
                   call.media,
                   call.room_name,
                   call.data,
                   to_epoch_ms(call.expires_at),
                   std::max<std::int64_t>(0, (call.expires_at - now).count())};
}

// ---- legs ----------------------------------------------------------------------------------

std::vector<SessionId> Engine::State::leg_sessions(const SessionId& leg,
                                                   const std::string& user) const {
  if (!leg.empty()) return {leg};
  std::vector<SessionId> all;
  if (auto it = devices.find(user); it != devices.end()) {
    for (const auto& [device, session] : it->second)
      all.push_back(session);
  }
  return all;
}

// Whether `me` may act for the leg: it is that leg's session, or one side of it is deviceless
// (a user-level command acts for all of its user's legs; any device acts for a deviceless leg).
bool Engine::State::on_leg(const Session& me, const SessionId& leg, const std::string& user) {
  return me.user == user && (leg.empty() || me.id.empty() || me.id == leg);
}

CallRef Engine::State::ref(const Call& call) {
  return CallRef{call.caller, call.callee, call.room_name};
}

// A deviceless leg stands for all of its user's sessions: once the last of them has ended, the
// user has left that leg's calls as surely as a device that closed its connection.
void Engine::State::end_deviceless_legs(const std::string& user) {
  auto it = live_calls_of.find(user);
  if (it == live_calls_of.end()) return;
  std::vector<std::string> call_ids(it->second.begin(), it->second.end());
  std::sort(call_ids.begin(), call_ids.end());  // deterministic order
  for (const std::string& id : call_ids) {
    Call& call = calls.at(id);
    if (call.caller == user && call.caller_session.empty()) {
      end_call(call,
               {call.state == CallState::ringing ? EndReason::canceled : EndReason::connection_lost,
                std::nullopt,
                user,
                std::nullopt,
                {}});
    } else if (call.callee == user && call.answered_at && call.answered_session.empty()) {
      end_call(call, {EndReason::connection_lost, std::nullopt, user, std::nullopt, {}});
    }
  }
}

// ---- endings -------------------------------------------------------------------------------

void Engine::State::end_call(Call& call, const EndSpec& spec) {
  if (call.state == CallState::ended) return;  // ended exactly once
  if (call.state == CallState::active) {
    active_call_of.erase(call.caller);
    active_call_of.erase(call.callee);
  } else {  // ringing: it stops counting against its caller's limit
    stopped_ringing(call);
  }
  for (const std::string& user : {call.caller, call.callee}) {
    if (auto it = live_calls_of.find(user); it != live_calls_of.end()) {
      it->second.erase(call.id);
      if (it->second.empty()) live_calls_of.erase(it);
    }
  }

  // Group recipients by the reason they see, so each distinct event is built once.
  std::vector<SessionId> main_view;
  std::vector<SessionId> ringing_view;
  auto add = [&main_view](const SessionId& s) {
    if (!s.empty() && std::find(main_view.begin(), main_view.end(), s) == main_view.end()) {
      main_view.push_back(s);
    }
  };
  for (const SessionId& s : leg_sessions(call.caller_session, call.caller))
    add(s);
  if (call.answered_at) {
    for (const SessionId& s : leg_sessions(call.answered_session, call.callee))
      add(s);
  }
  add(spec.actor);
  for (const SessionId& s : call.ringing) {
    if (std::find(main_view.begin(), main_view.end(), s) != main_view.end()) continue;
    (spec.ringing_reason ? ringing_view : main_view).push_back(s);
  }

  EndedEvent ended{call.id, spec.reason, spec.by, std::nullopt, spec.message, ref(call)};
  if (call.answered_at) ended.duration_ms = (now - *call.answered_at).count();
  deliver(ended, main_view);
  if (!ringing_view.empty()) {
    ended.reason = *spec.ringing_reason;
    deliver(std::move(ended), ringing_view);
  }

  for (const SessionId& s : main_view)
    release(s, call.id);
  for (const SessionId& s : ringing_view)
    release(s, call.id);
  call.ringing.clear();
  call.state = CallState::ended;
  call.ended_at = now;
  call.end_reason = spec.reason;
  refresh_deadline(call);  // kept a while so late commands get a precise error
  state_changed(call, spec.by);
}

// ---- timers --------------------------------------------------------------------------------

void Engine::State::schedule(std::optional<TimePoint>& slot, std::optional<TimePoint> when,
                             TimerKind kind, const std::string& id) {
  if (slot == when) return;
  if (slot) deadlines.erase({*slot, kind, id});
  slot = when;
  if (when) deadlines.emplace(*when, kind, id);
}

// A call's one deadline is derived from its state, so no transition can leave a stale timer:
// ringing -> the ring timeout or a dropped caller's grace; active -> a dropped party's grace;
// ended -> the end of its retention.
void Engine::State::refresh_deadline(Call& call) {
  std::optional<TimePoint> when;
  auto consider = [&when](std::optional<TimePoint> t) {
    if (t && (!when || *t < *when)) when = t;
  };
  switch (call.state) {
    case CallState::ringing:
      consider(call.expires_at);
      if (auto since = detached_since(call.caller_session)) consider(*since + config.caller_grace);
      break;
    case CallState::active:
      for (const SessionId& s : {call.caller_session, call.answered_session}) {
        if (auto since = detached_since(s)) consider(*since + config.reconnect_grace);
      }
      break;
    case CallState::ended:
      consider(*call.ended_at + config.ended_retention);
      break;
  }
  schedule(call.deadline, when, TimerKind::call, call.id);
}

void Engine::State::call_due(Call& call) {
  auto overdue = [this](const SessionId& s, Millis grace) {
    auto since = detached_since(s);
    return since && *since + grace <= now;
  };
  switch (call.state) {
    case CallState::ringing:
      if (overdue(call.caller_session, config.caller_grace)) {
        end_call(call, {EndReason::canceled, std::nullopt, call.caller, std::nullopt, {}});
      } else if (call.expires_at <= now) {
        end_call(call, {EndReason::no_answer, std::nullopt, std::nullopt, std::nullopt, {}});
      }
      break;
    case CallState::active:
      if (overdue(call.caller_session, config.reconnect_grace)) {
        end_call(call, {EndReason::connection_lost, std::nullopt, call.caller, std::nullopt, {}});
      } else if (overdue(call.answered_session, config.reconnect_grace)) {
        end_call(call, {EndReason::connection_lost, std::nullopt, call.callee, std::nullopt, {}});
      }
      break;
    case CallState::ended:
      if (*call.ended_at + config.ended_retention <= now) {
        const std::string id = call.id;  // erase() must not see a key that dies with it
        schedule(call.deadline, std::nullopt, TimerKind::call, id);
        calls.erase(id);
        return;
      }
      break;
  }
  refresh_deadline(call);
}

void Engine::State::fire_due() {
  while (!deadlines.empty() && std::get<0>(*deadlines.begin()) <= now) {
    const auto [when, kind, id] = *deadlines.begin();
    deadlines.erase(deadlines.begin());
    if (kind == TimerKind::call) {
      auto it = calls.find(id);
      if (it == calls.end()) continue;
      it->second.deadline.reset();
      call_due(it->second);
    } else {
      Session* s = find_session(id);
      if (s == nullptr) continue;
      s->deadline.reset();
      end_session(id);  // its resume window has passed
    }
  }
}

}  // namespace switchboard
