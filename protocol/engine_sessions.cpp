// Engine sessions: opening, resuming, dropping and expiring them, and what calls do about it
// (PROTOCOL.md "Reconnecting").
#include <algorithm>
#include <utility>

#include "protocol/engine_state.hpp"

namespace switchboard {

Session* Engine::State::find_session(const SessionId& id) {
  auto it = sessions.find(id);
  return it == sessions.end() ? nullptr : &it->second;
}

Session* Engine::State::session_of(ConnId conn) {
  auto it = conns.find(conn);
  return it == conns.end() ? nullptr : find_session(it->second);
}

void Engine::State::open(const ConnectionOpened& in) {
  if (conns.contains(in.conn)) return;  // a driver bug; ignoring keeps the model consistent
  if (Session* s = resumable(in)) {
    resume(*s, in.conn, in.resume->last_seq);
    return;
  }
  std::string device = wanted_device(in);
  if (refuse_device(in, device)) return;
  Session& s = start_session(in, std::move(device));
  send_direct(welcome(s, false), s.conn, s.last_seq);
  redeliver_ringing(s);
}

// A resume needs the same user (and device, if named) and every event after lastSeq still in
// the buffer; anything less gets a fresh session and a snapshot instead.
Session* Engine::State::resumable(const ConnectionOpened& in) {
  if (!in.resume) return nullptr;
  Session* s = find_session(in.resume->session_id);
  if (s == nullptr || s->user != in.user_id) return nullptr;
  if (!in.device_id.empty() && in.device_id != s->device) return nullptr;
  trim_buffer(*s);
  const Seq n = in.resume->last_seq;
  if (n == 0 || n > s->last_seq) return nullptr;
  const Seq first_kept = s->buffer.empty() ? s->last_seq + 1 : s->buffer.front().seq;
  return n + 1 >= first_kept ? s : nullptr;
}

void Engine::State::resume(Session& s, ConnId conn, Seq last_seq) {
  attach(s, conn);
  WelcomeEvent hello = welcome(s, true);
  // resumable() checked that the buffer holds every one of them.
  hello.replayed = static_cast<std::int64_t>(s.last_seq - last_seq);
  send_direct(std::move(hello), conn, last_seq);
  for (const BufferedEvent& e : s.buffer) {
    if (e.seq <= last_seq) continue;
    // A replayed invitation tells the time left now, not the time left when it was first sent.
    const auto* call = std::get_if<CallEvent>(e.event.get());
    auto it = call != nullptr ? calls.find(call->call_id) : calls.end();
    if (it != calls.end() && it->second.state == CallState::ringing) {
      CallEvent fresh = *call;
      fresh.expires_in_ms = call_event(it->second).expires_in_ms;
      send_direct(std::move(fresh), conn, e.seq);
    } else {
      out.emplace_back(Deliver{e.event, {{conn, e.seq}}});
    }
  }
  returned(s);
}

// The device a fresh session is for: the one named, else (a failed resume keeps the device it
// asked for) the old session's; empty when the engine is to make one up.
std::string Engine::State::wanted_device(const ConnectionOpened& in) {
  if (!in.device_id.empty() || !in.resume) return in.device_id;
  Session* old = find_session(in.resume->session_id);
  return old != nullptr && old->user == in.user_id ? old->device : std::string();
}

Session& Engine::State::start_session(const ConnectionOpened& in, std::string device) {
  if (device.empty()) device = ids.next_id();

  SessionId id = ids.next_id();
  while (sessions.contains(id))
    id = ids.next_id();
  Session& s = sessions[id];
  s.id = id;
  s.user = in.user_id;
  s.device = device;
  s.last_seq = 1;  // the welcome

  // Same user and device again: the new session takes the old one's place in its calls (it
  // is the same phone), and the old connection, usually a half-dead socket, is closed.
  auto& by_device = devices[in.user_id];
  if (auto it = by_device.find(device); it != by_device.end()) {
    Session old = std::move(sessions.at(it->second));
    sessions.erase(it->second);
    schedule(old.deadline, std::nullopt, TimerKind::session, old.id);
    if (old.conn != 0) {
      conns.erase(old.conn);
      out.emplace_back(Close{old.conn, CloseCode::replaced, "replaced by a newer connection"});
    }
    for (const std::string& call_id : old.calls) {
      Call& call = calls.at(call_id);
      if (call.caller_session == old.id) call.caller_session = id;
      if (call.answered_session == old.id) call.answered_session = id;
      if (call.ringing.erase(old.id) > 0) call.ringing.insert(id);
    }
    s.calls = std::move(old.calls);
    s.detached_at = old.detached_at;  // so returned() ends the old session's grace periods
  }
  by_device[device] = id;
  attach(s, in.conn);
  returned(s);
  return s;
}

void Engine::State::attach(Session& s, ConnId conn) {
  if (s.conn != 0) {  // resumed from a second socket while the first still looks alive
    conns.erase(s.conn);
    out.emplace_back(Close{s.conn, CloseCode::replaced, "replaced by a newer connection"});
  }
  s.conn = conn;
  conns[conn] = s.id;
  schedule(s.deadline, std::nullopt, TimerKind::session, s.id);
}

// The session has a connection again: end its grace periods and reassure the other parties.
void Engine::State::returned(Session& s) {
  const bool was_detached = s.detached_at.has_value();
  s.detached_at.reset();
  if (!was_detached) return;
  for (const std::string& call_id : s.calls) {
    Call& call = calls.at(call_id);
    if (call.state == CallState::active) {
      const bool is_caller = call.caller_session == s.id;
      if (is_caller || call.answered_session == s.id) {
        deliver(PeerEvent{call.id, s.user, PeerState::reconnected, ref(call)},
                is_caller ? leg_sessions(call.answered_session, call.callee)
                          : leg_sessions(call.caller_session, call.caller));
      }
    }
    refresh_deadline(call);
  }
}

void Engine::State::close(ConnId conn, bool clean) {
  auto it = conns.find(conn);
  if (it == conns.end()) return;
  const SessionId id = it->second;
  conns.erase(it);
  Session& s = sessions.at(id);
  s.conn = 0;
  if (clean) {
    end_session(id);  // the client said goodbye: nothing to wait for
  } else {
    detach(s);
  }
}

void Engine::State::detach(Session& s) {
  s.detached_at = now;
  schedule(s.deadline, now + config.resume_window, TimerKind::session, s.id);
  for (const std::string& call_id : s.calls) {
    Call& call = calls.at(call_id);
    if (call.state == CallState::active) {
      const bool is_caller = call.caller_session == s.id;
      if (is_caller || call.answered_session == s.id) {
        deliver(PeerEvent{call.id, s.user, PeerState::reconnecting, ref(call)},
                is_caller ? leg_sessions(call.answered_session, call.callee)
                          : leg_sessions(call.caller_session, call.caller));
      }
    }
    refresh_deadline(call);  // grace periods start now
  }
}

// The session is gone for good (clean close, or its resume window passed): its calls go on
// without it where they can.
void Engine::State::end_session(const SessionId& id) {
  auto it = sessions.find(id);
  if (it == sessions.end()) return;
  Session gone = std::move(it->second);
  sessions.erase(it);
  schedule(gone.deadline, std::nullopt, TimerKind::session, id);
  if (gone.conn != 0) conns.erase(gone.conn);
  if (auto d = devices.find(gone.user); d != devices.end()) {
    if (auto dev = d->second.find(gone.device); dev != d->second.end() && dev->second == id) {
      d->second.erase(dev);
    }
    if (d->second.empty()) devices.erase(d);
  }

  for (const std::string& call_id : gone.calls) {
    auto c = calls.find(call_id);
    if (c == calls.end() || c->second.state == CallState::ended) continue;
    Call& call = c->second;
    if (call.caller_session == id) {
      // The caller left: a ringing call is abandoned, an active one lost.
      end_call(call,
               {call.state == CallState::ringing ? EndReason::canceled : EndReason::connection_lost,
                std::nullopt,
                call.caller,
                std::nullopt,
                {}});
    } else if (call.answered_session == id) {
      end_call(call, {EndReason::connection_lost, std::nullopt, call.callee, std::nullopt, {}});
    } else {
      // One callee device stopped ringing; the others (and later devices) still can answer.
      call.ringing.erase(id);
    }
  }
  if (!devices.contains(gone.user)) end_deviceless_legs(gone.user);
}

// A device that connects while a call to its user rings hears it ring, with the time left:
// the fix for "the app was in the background and never heard the invite".
void Engine::State::redeliver_ringing(Session& s) {
  auto it = live_calls_of.find(s.user);
  if (it == live_calls_of.end()) return;
  std::vector<std::string> ringing_ids(it->second.begin(), it->second.end());
  std::sort(ringing_ids.begin(), ringing_ids.end());  // deterministic order
  for (const std::string& call_id : ringing_ids) {
    Call& call = calls.at(call_id);
    if (call.state != CallState::ringing || call.callee != s.user) continue;
    call.ringing.insert(s.id);
    hold(s.id, call.id);
    deliver(call_event(call), {s.id});
  }
}

std::vector<CallSnapshot> Engine::State::snapshot(const std::string& user) const {
  std::vector<CallSnapshot> out_calls;
  auto it = live_calls_of.find(user);
  if (it == live_calls_of.end()) return out_calls;
  for (const std::string& call_id : it->second) {
    const Call& call = calls.at(call_id);
    const bool caller = call.caller == user;
    CallSnapshot snap{call.id,
                      call.state,
                      caller ? Role::caller : Role::callee,
                      caller ? call.callee : call.caller,
                      call.media,
                      call.room_name,
                      std::nullopt,
                      std::nullopt,
                      std::nullopt};
    if (call.state == CallState::ringing) snap.expires_at = to_epoch_ms(call.expires_at);
    if (call.answered_at) snap.answered_at = to_epoch_ms(*call.answered_at);
    const SessionId& holder = caller ? call.caller_session : call.answered_session;
    if (auto h = sessions.find(holder); h != sessions.end()) snap.device_id = h->second.device;
    out_calls.push_back(std::move(snap));
  }
  std::sort(out_calls.begin(), out_calls.end(),
            [](const CallSnapshot& a, const CallSnapshot& b) { return a.call_id < b.call_id; });
  return out_calls;
}

WelcomeEvent Engine::State::welcome(const Session& s, bool resumed) const {
  return WelcomeEvent{
      s.user,          s.device, s.id, config.heartbeat_ms, resumed, config.resume_window.count(),
      snapshot(s.user)};
}

}  // namespace switchboard
