#include "engine_checker.hpp"

#include <algorithm>
#include <set>
#include <type_traits>
#include <variant>

#include "fuzz_support.hpp"

namespace switchboard::fuzz {
namespace {

// Who an event about a call says the call is between: every such event carries it (a `call`
// event as from/to, the others as a CallRef).
struct About {
  std::string call_id;
  std::string caller;
  std::string callee;
};

std::optional<About> about(const Event& event) {
  return std::visit(
      [](const auto& e) -> std::optional<About> {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, WelcomeEvent>) {
          return std::nullopt;
        } else if constexpr (std::is_same_v<T, CallEvent>) {
          return About{e.call_id, e.from, e.to};
        } else {
          return About{e.call_id, e.call.caller, e.call.callee};
        }
      },
      event);
}

const std::optional<std::string>& id_of(const Response& response) {
  return std::visit([](const auto& r) -> const std::optional<std::string>& { return r.id; },
                    response);
}

}  // namespace

void EngineChecker::before(const Input& input) {
  expected_ = {};
  if (const auto* open = std::get_if<ConnectionOpened>(&input)) {
    // The program never reuses an id, as the server never does.
    check(!conns_.contains(open->conn), "program reused a connection id");
    conns_[open->conn] = Conn{open->user_id, open->device_id, open->resume, {}, false, 0, 0};
    expected_.opened = open->conn;
  } else if (const auto* closed = std::get_if<ConnectionClosed>(&input)) {
    conns_.erase(closed->conn);  // the engine ignores ones it does not know
  } else if (const auto* cmd = std::get_if<CommandReceived>(&input)) {
    expected_ = {true, cmd->conn, conns_.contains(cmd->conn), cmd->command.id, 0, {}};
  } else if (const auto* user_cmd = std::get_if<UserCommandReceived>(&input)) {
    expected_ = {true, 0, true, user_cmd->command.id, 0, {}};
  }
}

void EngineChecker::after(const Actions& actions, TimePoint now) {
  for (const Action& action : actions) {
    if (const auto* deliver = std::get_if<Deliver>(&action)) {
      on_deliver(*deliver);
    } else if (const auto* reply = std::get_if<Reply>(&action)) {
      on_reply(*reply);
    } else if (const auto* close = std::get_if<Close>(&action)) {
      // The engine forgets a connection as it closes it: no event may follow.
      check(conns_.erase(close->conn) == 1, "Close of connection ", close->conn, ", not open");
    } else if (const auto* change = std::get_if<CallStateChanged>(&action)) {
      on_state(*change, now);
    }
  }
  // With an id, exactly one answer; without, at most one (errors are always answered).
  if (expected_.command && expected_.answerable && expected_.id) {
    check(expected_.replies == 1, "a command with an id got no answer");
  }
  if (expected_.opened && conns_.contains(*expected_.opened)) {
    check(conns_.at(*expected_.opened).welcomed, "a new connection got no welcome");
  }
  for (auto& [conn, c] : conns_) {
    check(c.seq >= c.replay_until, "a resume replayed fewer events than its welcome said");
    c.replay_until = 0;
  }
  check_counts();
  expected_ = {};
}

void EngineChecker::after_timeout(const Actions& actions, TimePoint now) {
  expected_ = {};
  after(actions, now);
  const auto deadline = engine_.next_deadline();
  check(!deadline || *deadline > now, "a deadline at or before now survived handle_timeout");
}

void EngineChecker::on_deliver(const Deliver& deliver) {
  check(deliver.event != nullptr && !deliver.to.empty(), "empty Deliver");
  for (const Recipient& r : deliver.to) {
    auto it = conns_.find(r.conn);
    check(it != conns_.end(), "Deliver to connection ", r.conn, ", which is not open");
    if (const auto* welcome = std::get_if<WelcomeEvent>(deliver.event.get())) {
      on_welcome(r.conn, it->second, r.seq, *welcome);
    } else {
      on_event(r.conn, it->second, r.seq, *deliver.event);
    }
  }
}

void EngineChecker::on_welcome(ConnId conn, Conn& c, Seq seq, const WelcomeEvent& welcome) {
  check(!c.welcomed, "connection ", conn, " got a second welcome");
  check(welcome.user_id == c.user, "connection ", conn, " welcomed as another user");
  check(c.device.empty() || welcome.device_id == c.device, "connection ", conn,
        " welcomed as another device");
  check(is_valid_id(welcome.device_id) && is_valid_id(welcome.session_id), "welcome ids");
  if (welcome.resumed) {
    check(c.resume && welcome.session_id == c.resume->session_id && seq == c.resume->last_seq,
          "connection ", conn, " resumed something it did not ask for");
    check(welcome.replayed >= 0, "negative replayed");
    c.replay_until = seq + static_cast<Seq>(welcome.replayed);
  } else {
    check(seq == 1 && welcome.replayed == 0, "connection ", conn, ": a new session starts at 1");
  }
  c.welcomed = true;
  c.session = welcome.session_id;
  c.seq = seq;
  seen_session(c);
  sessions_[session_index_.at(c.session)].device = welcome.device_id;
  check_snapshot(c.user, welcome);
}

void EngineChecker::on_event(ConnId conn, Conn& c, Seq seq, const Event& event) {
  check(c.welcomed, "connection ", conn, " got an event before its welcome");
  check(seq == c.seq + 1, "connection ", conn, " got seq ", seq, " after ", c.seq,
        " (a gap or a repeat)");
  c.seq = seq;
  seen_session(c);

  const std::optional<About> a = about(event);
  check(a.has_value(), "an event about no call");
  auto call = calls_.find(a->call_id);
  check(call != calls_.end(), "connection ", conn, " got an event about unknown call ", a->call_id);
  check(call->second.caller == a->caller && call->second.callee == a->callee,
        "event names the wrong parties of call ", a->call_id);
  check(c.user == a->caller || c.user == a->callee, "connection ", conn, " of ", c.user,
        " got an event about call ", a->call_id, " of others");
  if (std::holds_alternative<CallEvent>(event)) {
    check(c.user == a->callee, "an invitation to the caller");
  } else if (const auto* r = std::get_if<RingingEvent>(&event)) {
    check(c.user == a->caller && r->from == a->callee, "ringing not from callee to caller");
  } else if (const auto* answer = std::get_if<AnswerEvent>(&event)) {
    check(c.user == a->caller && answer->from == a->callee, "answer not from callee to caller");
  } else if (const auto* signal = std::get_if<SignalEvent>(&event)) {
    check(signal->from != c.user && (signal->from == a->caller || signal->from == a->callee),
          "signal not between the parties");
  } else if (const auto* peer = std::get_if<PeerEvent>(&event)) {
    check(peer->user_id != c.user && (peer->user_id == a->caller || peer->user_id == a->callee),
          "peer event about the recipient itself");
  } else if (std::holds_alternative<EndedEvent>(event)) {
    const auto [it, first] = ended_seq_.try_emplace({c.session, a->call_id}, seq);
    check(first || it->second == seq, "session ", c.session, " got a second ended for call ",
          a->call_id);
  }
}

void EngineChecker::on_reply(const Reply& reply) {
  check(expected_.command, "a Reply to something that was not a command");
  check(reply.conn == expected_.conn, "a Reply to connection ", reply.conn, ", not the sender");
  check(expected_.answerable && (reply.conn == 0 || conns_.contains(reply.conn)),
        "a Reply to a closed connection");
  check(id_of(reply.response) == expected_.id, "a Reply that does not echo the command id");
  check(++expected_.replies == 1, "a command answered twice");
}

void EngineChecker::on_state(const CallStateChanged& change, TimePoint now) {
  const std::string& id = change.call_id;
  check(change.caller != change.callee, "a call to oneself: ", id);
  auto it = calls_.find(id);
  if (change.state == CallState::ringing) {
    check(it == calls_.end(), "call ", id, " started twice");
    calls_.emplace(id, Call{change.caller, change.callee, CallState::ringing, {}});
    call_ids_.push_back(id);
    return;
  }
  check(it != calls_.end(), "call ", id, " changed state without ringing first");
  Call& call = it->second;
  check(call.caller == change.caller && call.callee == change.callee, "call parties changed");
  check(call.state != CallState::ended, "call ", id, " changed state after it ended");
  if (change.state == CallState::active) {
    check(call.state == CallState::ringing, "call ", id, " answered twice");
  } else {
    check(change.reason.has_value(), "call ", id, " ended without a reason");
    call.ended_at = now;
  }
  call.state = change.state;
}

// `welcome.calls` lists exactly the user's calls that have not ended, as they stand.
void EngineChecker::check_snapshot(const std::string& user, const WelcomeEvent& welcome) const {
  std::set<std::string> listed;
  for (const CallSnapshot& snap : welcome.calls) {
    check(listed.insert(snap.call_id).second, "a call listed twice in a welcome");
    auto it = calls_.find(snap.call_id);
    check(it != calls_.end(), "welcome lists unknown call ", snap.call_id);
    const Call& call = it->second;
    check(snap.state == call.state && call.state != CallState::ended, "welcome shows call ",
          snap.call_id, " in another state");
    const bool caller = call.caller == user;
    check(caller || call.callee == user, "welcome lists a call of others");
    check(snap.role == (caller ? Role::caller : Role::callee), "welcome role");
    check(snap.peer == (caller ? call.callee : call.caller), "welcome peer");
  }
  for (const auto& [id, call] : calls_) {
    const bool mine = call.caller == user || call.callee == user;
    check(!mine || call.state == CallState::ended || listed.contains(id),
          "welcome leaves out live call ", id);
  }
}

void EngineChecker::check_counts() const {
  std::size_t ringing = 0;
  std::size_t active = 0;
  for (const auto& [id, call] : calls_) {
    ringing += call.state == CallState::ringing ? 1 : 0;
    active += call.state == CallState::active ? 1 : 0;
  }
  const Engine::Stats st = engine_.stats();
  check(st.ringing_calls == ringing && st.active_calls == active,
        "stats disagree with the calls' reported states");
  check(st.ringing_calls + st.active_calls + st.ended_calls == engine_.call_count(),
        "stats do not add up to call_count()");
  check(st.connections == engine_.connection_count() && st.connections == conns_.size(),
        "connection count ", st.connections, ", model has ", conns_.size());
  check(st.sessions >= st.connections && st.detached_sessions == st.sessions - st.connections,
        "session counts");
}

void EngineChecker::check_drained() const {
  for (const auto& [id, call] : calls_) {
    check(call.state == CallState::ended, "call ", id, " never ended");
  }
  const Engine::Stats st = engine_.stats();
  check(engine_.call_count() == 0 && engine_.connection_count() == 0 && st.sessions == 0,
        "the engine kept state after everything expired");
  check(!engine_.next_deadline(), "a deadline left with nothing to time");
}

void EngineChecker::seen_session(const Conn& c) {
  auto [it, added] = session_index_.try_emplace(c.session, sessions_.size());
  if (added) sessions_.push_back({c.session, c.user, {}, 0});
  SessionSeen& s = sessions_[it->second];
  s.last_seq = std::max(s.last_seq, c.seq);
}

std::vector<ConnId> EngineChecker::open_connections() const {
  std::vector<ConnId> out;
  for (const auto& [conn, c] : conns_)
    out.push_back(conn);
  return out;
}

std::vector<std::pair<std::string, std::string>> EngineChecker::live_calls() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [id, call] : calls_) {
    if (call.state != CallState::ended) out.emplace_back(id, call.caller);
  }
  return out;
}

bool EngineChecker::call_remembered(const std::string& id, TimePoint now) const {
  auto it = calls_.find(id);
  return it != calls_.end() &&
         (it->second.state != CallState::ended || now < it->second.ended_at + ended_retention_);
}

}  // namespace switchboard::fuzz
