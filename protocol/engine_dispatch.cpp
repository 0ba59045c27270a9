// Engine command entry: idempotent retries of command ids, commands from a user as a whole,
// and the checks every command on an existing call shares before its handler runs
// (engine_commands.cpp).
#include <string>
#include <type_traits>

#include "protocol/engine_state.hpp"

namespace switchboard {
namespace {

const std::optional<std::string>& response_id(const Response& r) {
  return std::visit([](const auto& v) -> const std::optional<std::string>& { return v.id; }, r);
}

}  // namespace

void Engine::State::command(ConnId conn, const Command& cmd) {
  Session* me = session_of(conn);
  if (me == nullptr) return;  // raced with its own close; nothing to answer
  forget_old_replies(*me);
  if (cmd.id) {
    // A command resent after a reconnect (same id) is answered again, not run again.
    if (auto seen = me->replies.find(*cmd.id); seen != me->replies.end()) {
      reply(conn, seen->second);
      return;
    }
  }
  const std::size_t first = out.size();
  dispatch(*me, cmd);
  if (!cmd.id) return;
  remember_reply(conn, *cmd.id, first);
}

// Stands in for a session of the user that no device holds: its id is empty, so it holds no
// calls, and the legs of the calls it places or answers are deviceless. Nothing is remembered
// for retries: the REST API that sends these has no session to remember them in.
void Engine::State::command_as_user(const std::string& user, const Command& cmd) {
  Session anyone;
  anyone.user = user;
  dispatch(anyone, cmd);
}

// Keeps the answer the command just got (found among the actions from `first` on).
void Engine::State::remember_reply(ConnId conn, const std::string& command_id, std::size_t first) {
  Session* me = session_of(conn);  // commands never drop their own session; be sure anyway
  if (me == nullptr) return;
  for (std::size_t i = first; i < out.size(); ++i) {
    const auto* r = std::get_if<Reply>(&out[i]);
    if (r != nullptr && r->conn == conn && response_id(r->response) == command_id) {
      if (me->replies.emplace(command_id, r->response).second) {
        me->reply_order.emplace_back(now, command_id);
      }
      break;
    }
  }
  forget_old_replies(*me);
}

// Ids are remembered for the resume window (a retry comes after a reconnect or not at all),
// and only so many per session, so a chatty client cannot grow the map without bound.
void Engine::State::forget_old_replies(Session& s) const {
  while (!s.reply_order.empty() && (s.reply_order.size() > config.remembered_commands ||
                                    s.reply_order.front().first + config.resume_window <= now)) {
    s.replies.erase(s.reply_order.front().second);
    s.reply_order.pop_front();
  }
}

void Engine::State::dispatch(Session& me, const Command& cmd) {
  if (std::holds_alternative<PingCommand>(cmd.body)) {
    reply(me.conn, Pong{cmd.id});
    return;
  }
  if (const auto* c = std::get_if<CallCommand>(&cmd.body)) {
    on_call(me, cmd, *c);
    return;
  }
  if (std::holds_alternative<AuthCommand>(cmd.body)) {
    // The connection answers `auth` itself (it holds the token's deadline); one that reaches
    // the engine was routed wrongly, and running no call logic on it is the safe answer.
    error(me.conn, cmd, ErrorCode::unsupported, "auth is handled by the connection");
    return;
  }

  // Every other command names an existing call of which the sender's user is a party.
  const std::string& call_id = std::visit(
      [](const auto& b) -> const std::string& {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, CallCommand> || std::is_same_v<T, PingCommand> ||
                      std::is_same_v<T, AuthCommand>) {
          static const std::string kNone;  // unreachable: handled above
          return kNone;
        } else {
          return b.call_id;
        }
      },
      cmd.body);
  auto it = calls.find(call_id);
  if (it == calls.end()) {
    error(me.conn, cmd, ErrorCode::not_found, "no call " + call_id);
    return;
  }
  Call& call = it->second;
  if (me.user != call.caller && me.user != call.callee) {
    error(me.conn, cmd, ErrorCode::forbidden, "not a party of call " + call_id);
    return;
  }

  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, RingingCommand>) {
          on_ringing(me, cmd, call);
        } else if constexpr (std::is_same_v<T, AnswerCommand>) {
          on_answer(me, cmd, call, b);
        } else if constexpr (std::is_same_v<T, RejectCommand>) {
          on_reject(me, cmd, call, b.reason);
        } else if constexpr (std::is_same_v<T, HangupCommand>) {
          on_hangup(me, cmd, call, b);
        } else if constexpr (std::is_same_v<T, SignalCommand>) {
          on_signal(me, cmd, call, b);
        }
      },
      cmd.body);
}

}  // namespace switchboard
