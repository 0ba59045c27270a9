// Engine lifecycle: connections, event delivery, how calls end, and timers.
// Command handling lives in engine_commands.cpp.
#include "protocol/engine.hpp"

#include <algorithm>

#include "protocol/engine_state.hpp"

namespace switchboard {

std::string_view to_string(CallState s) {
  switch (s) {
    case CallState::ringing:
      return "ringing";
    case CallState::active:
      return "active";
    case CallState::ended:
      return "ended";
  }
  return "unknown";
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
          s.close(in.conn);
        } else {
          s.command(in.conn, in.command);
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
  return state_->deadlines.begin()->first;
}

std::size_t Engine::connection_count() const {
  return state_->conns.size();
}
std::size_t Engine::call_count() const {
  return state_->calls.size();
}

// ---- connections ---------------------------------------------------------------------------

void Engine::State::open(const ConnectionOpened& in) {
  if (conns.contains(in.conn)) return;  // a driver bug; ignoring keeps the model consistent
  std::string device = in.device_id.empty() ? ids.next_id() : in.device_id;

  // Same user and device again: the newer connection wins (the old socket is usually a
  // half-dead one the phone left behind when it switched networks).
  auto& user_devices = devices[in.user_id];
  if (auto it = user_devices.find(device); it != user_devices.end()) {
    const ConnId old = it->second;
    out.emplace_back(Close{old, CloseCode::replaced, "replaced by a newer connection"});
    close(old);
  }

  conns.emplace(in.conn, Connection{in.user_id, device, 1, {}});
  devices[in.user_id][device] = in.conn;
  deliver(WelcomeEvent{in.user_id, device, ids.next_id(), config.heartbeat_ms}, {in.conn});
}

void Engine::State::close(ConnId conn) {
  auto it = conns.find(conn);
  if (it == conns.end()) return;
  Connection gone = std::move(it->second);
  conns.erase(it);
  if (auto d = devices.find(gone.user); d != devices.end()) {
    d->second.erase(gone.device);
    if (d->second.empty()) devices.erase(d);
  }

  for (const std::string& call_id : gone.calls) {
    auto c = calls.find(call_id);
    if (c == calls.end() || c->second.state == CallState::ended) continue;
    Call& call = c->second;
    if (call.caller_conn == conn) {
      // The caller vanished: a ringing call is abandoned, an active one lost.
      call.caller_conn = 0;
      end_call(call,
               {call.state == CallState::ringing ? EndReason::canceled : EndReason::connection_lost,
                std::nullopt, call.caller, std::nullopt, 0});
    } else if (call.answered_conn == conn) {
      call.answered_conn = 0;
      end_call(call, {EndReason::connection_lost, std::nullopt, call.callee, std::nullopt, 0});
    } else {
      // One callee device stopped ringing; the others (and later devices) still can answer.
      call.ringing.erase(conn);
    }
  }
}

// ---- output --------------------------------------------------------------------------------

void Engine::State::deliver(const Event& event, const std::vector<ConnId>& to) {
  Deliver d{std::make_shared<const Event>(event), {}};
  d.to.reserve(to.size());
  for (ConnId id : to) {
    auto it = conns.find(id);
    if (it != conns.end()) d.to.push_back({id, it->second.next_seq++});
  }
  if (!d.to.empty()) out.emplace_back(std::move(d));
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

void Engine::State::hold(ConnId conn, const std::string& call_id) {
  if (auto it = conns.find(conn); it != conns.end()) it->second.calls.insert(call_id);
}

void Engine::State::release(ConnId conn, const std::string& call_id) {
  if (auto it = conns.find(conn); it != conns.end()) it->second.calls.erase(call_id);
}

// ---- endings -------------------------------------------------------------------------------

void Engine::State::end_call(Call& call, const EndSpec& spec) {
  if (call.state == CallState::ended) return;  // ended exactly once
  if (call.state == CallState::active) {
    active_call_of.erase(call.caller);
    active_call_of.erase(call.callee);
  }

  // Group recipients by the reason they see, so each distinct event is built once.
  std::vector<ConnId> main_view;
  std::vector<ConnId> ringing_view;
  auto add = [&main_view](ConnId c) {
    if (c != 0 && std::find(main_view.begin(), main_view.end(), c) == main_view.end()) {
      main_view.push_back(c);
    }
  };
  add(call.caller_conn);
  add(call.answered_conn);
  add(spec.actor);
  for (ConnId c : call.ringing) {
    if (std::find(main_view.begin(), main_view.end(), c) != main_view.end()) continue;
    (spec.ringing_reason ? ringing_view : main_view).push_back(c);
  }

  EndedEvent ended{call.id, spec.reason, spec.by, std::nullopt, spec.message};
  if (call.answered_at) ended.duration_ms = (now - *call.answered_at).count();
  deliver(ended, main_view);
  if (!ringing_view.empty()) {
    ended.reason = *spec.ringing_reason;
    deliver(ended, ringing_view);
  }

  for (ConnId c : main_view)
    release(c, call.id);
  for (ConnId c : ringing_view)
    release(c, call.id);
  call.ringing.clear();
  call.state = CallState::ended;
  call.end_reason = spec.reason;
  // Keep the ended call a while so late commands get a precise error, not not_found.
  set_deadline(call, now + config.ended_retention);
  state_changed(call, spec.by);
}

// ---- timers --------------------------------------------------------------------------------

void Engine::State::set_deadline(Call& call, std::optional<TimePoint> when) {
  if (call.deadline) deadlines.erase({*call.deadline, call.id});
  call.deadline = when;
  if (when) deadlines.emplace(*when, call.id);
}

void Engine::State::fire_due() {
  while (!deadlines.empty() && deadlines.begin()->first <= now) {
    const std::string id = deadlines.begin()->second;
    deadlines.erase(deadlines.begin());
    auto it = calls.find(id);
    if (it == calls.end()) continue;
    Call& call = it->second;
    call.deadline.reset();
    if (call.state == CallState::ringing) {
      end_call(call, {EndReason::no_answer, std::nullopt, std::nullopt, std::nullopt, 0});
    } else if (call.state == CallState::ended) {
      calls.erase(it);
    }
  }
}

}  // namespace switchboard
