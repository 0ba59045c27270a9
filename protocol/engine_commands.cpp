// Engine command handlers: one per client command, applying PROTOCOL.md "Call semantics".
#include <string>
#include <type_traits>

#include "protocol/engine_state.hpp"

namespace switchboard {
namespace {

std::string ended_message(const Call& call) {
  return "call " + call.id + " has ended (" + std::string(to_string(call.end_reason)) + ")";
}

}  // namespace

void Engine::State::command(ConnId conn, const Command& cmd) {
  if (!conns.contains(conn)) return;  // raced with its own close; nothing to answer
  if (std::holds_alternative<PingCommand>(cmd.body)) {
    reply(conn, Pong{cmd.id});
    return;
  }
  if (const auto* c = std::get_if<CallCommand>(&cmd.body)) {
    on_call(conn, cmd, *c);
    return;
  }

  // Every other command names an existing call of which the sender's user is a party.
  const std::string& call_id = std::visit(
      [](const auto& b) -> const std::string& {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, CallCommand> || std::is_same_v<T, PingCommand>) {
          static const std::string kNone;  // unreachable: handled above
          return kNone;
        } else {
          return b.call_id;
        }
      },
      cmd.body);
  auto it = calls.find(call_id);
  if (it == calls.end()) {
    error(conn, cmd, ErrorCode::not_found, "no call " + call_id);
    return;
  }
  Call& call = it->second;
  const std::string& user = conns.at(conn).user;
  if (user != call.caller && user != call.callee) {
    error(conn, cmd, ErrorCode::forbidden, "not a party of call " + call_id);
    return;
  }

  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, RingingCommand>) {
          on_ringing(conn, cmd, call);
        } else if constexpr (std::is_same_v<T, AnswerCommand>) {
          on_answer(conn, cmd, call, b);
        } else if constexpr (std::is_same_v<T, RejectCommand>) {
          on_reject(conn, cmd, call, b.reason);
        } else if constexpr (std::is_same_v<T, HangupCommand>) {
          on_hangup(conn, cmd, call, b);
        } else if constexpr (std::is_same_v<T, SignalCommand>) {
          on_signal(conn, cmd, call, b);
        }
      },
      cmd.body);
}

void Engine::State::on_call(ConnId conn, const Command& cmd, const CallCommand& c) {
  const Connection& caller = conns.at(conn);
  if (c.to == caller.user) {
    error(conn, cmd, ErrorCode::self_call, "cannot call yourself");
    return;
  }
  if (c.call_id) {
    if (auto it = calls.find(*c.call_id); it != calls.end()) {
      // A retry of a call we already have (e.g. after a lost ack) is the same call.
      if (it->second.caller == caller.user) {
        ack(conn, cmd, it->second.id);
      } else {
        error(conn, cmd, ErrorCode::conflict, "callId " + *c.call_id + " is taken");
      }
      return;
    }
  }
  if (active_call_of.contains(caller.user)) {
    error(conn, cmd, ErrorCode::invalid_state,
          "already in call " + active_call_of.at(caller.user) + "; hang up first");
    return;
  }

  std::string id = c.call_id.value_or(std::string());
  while (id.empty() || calls.contains(id))
    id = ids.next_id();
  const Millis timeout = c.timeout_ms ? Millis(*c.timeout_ms) : config.ring_timeout;

  Call& call = calls[id];
  call.id = id;
  call.caller = caller.user;
  call.callee = c.to;
  call.caller_conn = conn;
  call.media = c.media;
  call.room_name = c.room_name.value_or(id);
  call.data = c.data;
  call.expires_at = now + timeout;
  hold(conn, id);
  ack(conn, cmd, id);  // the ack (with the callId) always comes before any `ended`
  state_changed(call, caller.user);

  if (active_call_of.contains(call.callee)) {
    end_call(call, {EndReason::busy, std::nullopt, call.callee, std::nullopt, 0});
    return;
  }
  auto callee_devices = devices.find(call.callee);
  if (callee_devices == devices.end()) {
    end_call(call, {EndReason::unavailable, std::nullopt, std::nullopt, std::nullopt, 0});
    return;
  }

  std::vector<ConnId> targets;
  for (const auto& [device, callee_conn] : callee_devices->second) {
    targets.push_back(callee_conn);
    call.ringing.insert(callee_conn);
    hold(callee_conn, id);
  }
  deliver(CallEvent{id, call.caller, call.callee, call.media, call.room_name, call.data,
                    to_epoch_ms(call.expires_at), timeout.count()},
          targets);
  set_deadline(call, call.expires_at);
}

void Engine::State::on_ringing(ConnId conn, const Command& cmd, Call& call) {
  const Connection& from = conns.at(conn);
  if (from.user != call.callee) {
    error(conn, cmd, ErrorCode::forbidden, "only the callee sends ringing");
    return;
  }
  if (call.state != CallState::ringing) {
    error(conn, cmd,
          call.state == CallState::ended ? ErrorCode::invalid_state : ErrorCode::already_answered,
          call.state == CallState::ended ? ended_message(call) : "call already answered");
    return;
  }
  ack(conn, cmd);
  if (!call.ringing_sent) {  // the caller hears "ringing" once, however many devices ring
    call.ringing_sent = true;
    deliver(RingingEvent{call.id, call.callee}, {call.caller_conn});
  }
}

void Engine::State::on_answer(ConnId conn, const Command& cmd, Call& call, const AnswerCommand& c) {
  const Connection& from = conns.at(conn);
  if (from.user != call.callee) {
    error(conn, cmd, ErrorCode::forbidden, "only the callee can answer");
    return;
  }
  if (call.answered_at) {
    error(conn, cmd, ErrorCode::already_answered, "call " + call.id + " was already answered");
    return;
  }
  if (call.state == CallState::ended) {
    error(conn, cmd, ErrorCode::invalid_state, ended_message(call));
    return;
  }
  for (const std::string& user : {call.callee, call.caller}) {
    if (auto it = active_call_of.find(user); it != active_call_of.end()) {
      error(conn, cmd, ErrorCode::invalid_state, user + " is already in call " + it->second);
      return;
    }
  }

  call.state = CallState::active;
  call.answered_conn = conn;
  call.answered_at = now;
  set_deadline(call, std::nullopt);
  active_call_of[call.caller] = call.id;
  active_call_of[call.callee] = call.id;
  hold(conn, call.id);
  ack(conn, cmd);
  deliver(AnswerEvent{call.id, call.callee, from.device, c.data}, {call.caller_conn});

  // First answer wins: every other ringing device stops, told why.
  std::vector<ConnId> others;
  for (ConnId other : call.ringing) {
    if (other == conn) continue;
    others.push_back(other);
    release(other, call.id);
  }
  call.ringing.clear();
  deliver(
      EndedEvent{call.id, EndReason::answered_elsewhere, call.callee, std::nullopt, std::nullopt},
      others);
  state_changed(call, call.callee);
}

void Engine::State::on_reject(ConnId conn, const Command& cmd, Call& call, RejectReason reason) {
  if (conns.at(conn).user != call.callee) {
    error(conn, cmd, ErrorCode::forbidden, "only the callee can reject; the caller hangs up");
    return;
  }
  if (call.state != CallState::ringing) {
    error(conn, cmd, ErrorCode::invalid_state,
          call.state == CallState::ended ? ended_message(call)
                                         : "call is answered; use hangup to end it");
    return;
  }
  ack(conn, cmd);
  end_call(call, {reason == RejectReason::busy ? EndReason::busy : EndReason::declined,
                  EndReason::declined_elsewhere, call.callee, std::nullopt, conn});
}

void Engine::State::on_hangup(ConnId conn, const Command& cmd, Call& call, const HangupCommand& c) {
  if (call.state == CallState::ended) {
    error(conn, cmd, ErrorCode::invalid_state, ended_message(call));
    return;
  }
  const std::string& user = conns.at(conn).user;
  if (call.state == CallState::ringing) {
    if (user == call.callee) {  // a callee hanging up an unanswered call declines it
      on_reject(conn, cmd, call, RejectReason::declined);
      return;
    }
    if (conn != call.caller_conn) {
      error(conn, cmd, ErrorCode::forbidden, "only the device that placed the call can cancel it");
      return;
    }
    ack(conn, cmd);
    end_call(call, {EndReason::canceled, std::nullopt, user, c.reason, conn});
    return;
  }
  if (conn != call.caller_conn && conn != call.answered_conn) {
    error(conn, cmd, ErrorCode::forbidden, "this device is not in call " + call.id);
    return;
  }
  ack(conn, cmd);
  end_call(call, {EndReason::completed, std::nullopt, user, c.reason, conn});
}

void Engine::State::on_signal(ConnId conn, const Command& cmd, Call& call, const SignalCommand& c) {
  if (call.state == CallState::ended) {
    error(conn, cmd, ErrorCode::invalid_state, ended_message(call));
    return;
  }
  // Signals only flow along the call's legs: caller device <-> ringing devices before the
  // answer, caller device <-> answering device after it.
  std::vector<ConnId> to;
  if (conn == call.caller_conn) {
    if (call.state == CallState::active) {
      to.push_back(call.answered_conn);
    } else {
      to.assign(call.ringing.begin(), call.ringing.end());
    }
  } else if (conn == call.answered_conn || call.ringing.contains(conn)) {
    to.push_back(call.caller_conn);
  } else {
    error(conn, cmd, ErrorCode::forbidden, "this device is not in call " + call.id);
    return;
  }
  ack(conn, cmd);
  const Connection& from = conns.at(conn);
  deliver(SignalEvent{call.id, from.user, from.device, c.data}, to);
}

}  // namespace switchboard
