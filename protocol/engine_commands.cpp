// Engine command handlers: one per client command, applying PROTOCOL.md "Call semantics".
// Roles are checked per leg (engine_state.hpp, Call): the caller is the session that placed the
// call, the callee is a user (any of whose sessions may act) until one session answers.
// How a command reaches its handler is in engine_dispatch.cpp.
#include <string>

#include "protocol/engine_state.hpp"

namespace switchboard {
namespace {

std::string ended_message(const Call& call) {
  return "call " + call.id + " has ended (" + std::string(to_string(call.end_reason)) + ")";
}

}  // namespace

void Engine::State::on_call(Session& me, const Command& cmd, const CallCommand& c) {
  if (c.to == me.user) {
    error(me.conn, cmd, ErrorCode::self_call, "cannot call yourself");
    return;
  }
  if (c.call_id) {
    if (auto it = calls.find(*c.call_id); it != calls.end()) {
      // A retry of a call we already have (e.g. after a lost ack) is the same call.
      if (it->second.caller == me.user) {
        ack(me.conn, cmd, it->second.id);
      } else {
        error(me.conn, cmd, ErrorCode::conflict, "callId " + *c.call_id + " is taken");
      }
      return;
    }
  }
  if (auto active = active_call_of.find(me.user); active != active_call_of.end()) {
    error(me.conn, cmd, ErrorCode::invalid_state,
          "already in call " + active->second + "; hang up first");
    return;
  }
  if (refuse_call(me, cmd)) return;

  std::string id = c.call_id.value_or(std::string());
  while (id.empty() || calls.contains(id))
    id = ids.next_id();
  const Millis timeout = c.timeout_ms ? Millis(*c.timeout_ms) : config.ring_timeout;

  Call& call = calls[id];
  call.id = id;
  call.caller = me.user;
  call.callee = c.to;
  call.caller_session = me.id;
  call.media = c.media;
  call.room_name = c.room_name.value_or(id);
  call.data = c.data;  // shares the text: no copy of the payload
  call.expires_at = now + timeout;
  live_calls_of[call.caller].insert(id);
  live_calls_of[call.callee].insert(id);
  started_ringing(call);
  hold(me.id, id);
  ack(me.conn, cmd, id);  // the ack (with the callId) always comes before any `ended`
  state_changed(call, me.user);

  if (active_call_of.contains(call.callee)) {
    end_call(call, {EndReason::busy, std::nullopt, call.callee, std::nullopt, {}});
    return;
  }
  // Sessions held for resume count as devices: a phone that blinked off Wi-Fi a second ago
  // gets the invitation from its replay buffer when it comes back.
  std::vector<SessionId> targets;
  if (auto devs = devices.find(call.callee); devs != devices.end()) {
    for (const auto& [device, session] : devs->second)
      targets.push_back(session);
  }
  if (targets.empty() && !config.ring_offline) {
    end_call(call, {EndReason::unavailable, std::nullopt, std::nullopt, std::nullopt, {}});
    return;
  }
  for (const SessionId& s : targets) {
    call.ringing.insert(s);
    hold(s, id);
  }
  deliver(call_event(call), targets);
  refresh_deadline(call);
}

void Engine::State::on_ringing(Session& me, const Command& cmd, Call& call) {
  if (me.user != call.callee) {
    error(me.conn, cmd, ErrorCode::forbidden, "only the callee sends ringing");
    return;
  }
  if (call.state != CallState::ringing) {
    const bool ended = call.state == CallState::ended;
    error(me.conn, cmd, ended ? ErrorCode::invalid_state : ErrorCode::already_answered,
          ended ? ended_message(call) : "call already answered");
    return;
  }
  ack(me.conn, cmd);
  if (!call.ringing_sent) {  // the caller hears "ringing" once, however many devices ring
    call.ringing_sent = true;
    deliver(RingingEvent{call.id, call.callee, ref(call)},
            leg_sessions(call.caller_session, call.caller));
  }
}

void Engine::State::on_answer(Session& me, const Command& cmd, Call& call, const AnswerCommand& c) {
  if (me.user != call.callee) {
    error(me.conn, cmd, ErrorCode::forbidden, "only the callee can answer");
    return;
  }
  if (call.answered_at) {
    error(me.conn, cmd, ErrorCode::already_answered, "call " + call.id + " was already answered");
    return;
  }
  if (call.state == CallState::ended) {
    error(me.conn, cmd, ErrorCode::invalid_state, ended_message(call));
    return;
  }
  for (const std::string& user : {call.callee, call.caller}) {
    if (auto it = active_call_of.find(user); it != active_call_of.end()) {
      error(me.conn, cmd, ErrorCode::invalid_state, user + " is already in call " + it->second);
      return;
    }
  }

  stopped_ringing(call);
  call.state = CallState::active;
  call.answered_session = me.id;
  call.answered_at = now;
  active_call_of[call.caller] = call.id;
  active_call_of[call.callee] = call.id;
  hold(me.id, call.id);
  ack(me.conn, cmd);
  deliver(AnswerEvent{call.id, call.callee, me.device, c.data, ref(call)},
          leg_sessions(call.caller_session, call.caller));

  // First answer wins: every other ringing device stops, told why. A deviceless answer is
  // every device's: they keep the call, as the leg it now is.
  std::vector<SessionId> others;
  if (!me.id.empty()) {
    for (const SessionId& other : call.ringing) {
      if (other == me.id) continue;
      others.push_back(other);
      release(other, call.id);
    }
  }
  call.ringing.clear();
  deliver(EndedEvent{call.id, EndReason::answered_elsewhere, call.callee, std::nullopt,
                     std::nullopt, ref(call)},
          others);
  if (detached_since(call.caller_session)) {  // answered while the caller is reconnecting
    deliver(PeerEvent{call.id, call.caller, PeerState::reconnecting, ref(call)},
            leg_sessions(call.answered_session, call.callee));
  }
  refresh_deadline(call);
  state_changed(call, call.callee);
}

void Engine::State::on_reject(Session& me, const Command& cmd, Call& call, RejectReason reason) {
  if (me.user != call.callee) {
    error(me.conn, cmd, ErrorCode::forbidden, "only the callee can reject; the caller hangs up");
    return;
  }
  if (call.state != CallState::ringing) {
    error(me.conn, cmd, ErrorCode::invalid_state,
          call.state == CallState::ended ? ended_message(call)
                                         : "call is answered; use hangup to end it");
    return;
  }
  ack(me.conn, cmd);
  end_call(call, {reason == RejectReason::busy ? EndReason::busy : EndReason::declined,
                  EndReason::declined_elsewhere, call.callee, std::nullopt, me.id});
}

void Engine::State::on_hangup(Session& me, const Command& cmd, Call& call, const HangupCommand& c) {
  if (call.state == CallState::ended) {
    error(me.conn, cmd, ErrorCode::invalid_state, ended_message(call));
    return;
  }
  if (call.state == CallState::ringing) {
    if (me.user == call.callee) {  // a callee hanging up an unanswered call declines it
      on_reject(me, cmd, call, RejectReason::declined);
      return;
    }
    if (!on_leg(me, call.caller_session, call.caller)) {
      error(me.conn, cmd, ErrorCode::forbidden,
            "only the device that placed the call can cancel it");
      return;
    }
    ack(me.conn, cmd);
    end_call(call, {EndReason::canceled, std::nullopt, me.user, c.reason, me.id});
    return;
  }
  if (!on_leg(me, call.caller_session, call.caller) &&
      !on_leg(me, call.answered_session, call.callee)) {
    error(me.conn, cmd, ErrorCode::forbidden, "this device is not in call " + call.id);
    return;
  }
  ack(me.conn, cmd);
  end_call(call, {EndReason::completed, std::nullopt, me.user, c.reason, me.id});
}

void Engine::State::on_signal(Session& me, const Command& cmd, Call& call, const SignalCommand& c) {
  if (call.state == CallState::ended) {
    error(me.conn, cmd, ErrorCode::invalid_state, ended_message(call));
    return;
  }
  // Signals only flow along the call's legs: caller device <-> ringing devices before the
  // answer, caller device <-> answering device after it.
  const bool active = call.state == CallState::active;
  std::vector<SessionId> to;
  if (on_leg(me, call.caller_session, call.caller)) {
    if (active) {
      to = leg_sessions(call.answered_session, call.callee);
    } else {
      to.assign(call.ringing.begin(), call.ringing.end());
    }
  } else if (active ? on_leg(me, call.answered_session, call.callee)
                    : me.user == call.callee && (me.id.empty() || call.ringing.contains(me.id))) {
    to = leg_sessions(call.caller_session, call.caller);
  } else {
    error(me.conn, cmd, ErrorCode::forbidden, "this device is not in call " + call.id);
    return;
  }
  ack(me.conn, cmd);
  deliver(SignalEvent{call.id, me.user, me.device, c.data, ref(call)}, to);
}

}  // namespace switchboard
