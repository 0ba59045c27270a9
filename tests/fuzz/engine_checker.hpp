// Invariants of the call engine for fuzz_engine.cpp: a deliberately small model of what a
// driver can see (which connections are open, whose they are, the seqs each one got, and
// every call's state as CallStateChanged reported it), checked against every batch of actions
// and against Engine::stats(). Any violation aborts with a message (fuzz_support.hpp).
// Single-threaded; borrows the engine it watches, which must outlive it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/engine.hpp"

namespace switchboard::fuzz {

class EngineChecker {
 public:
  EngineChecker(const Engine& engine, Millis ended_retention)
      : engine_(engine), ended_retention_(ended_retention) {}

  // Call with each input before the engine sees it (it says what to expect), then after() with
  // the actions it returned.
  void before(const Input& input);
  void after(const Actions& actions, TimePoint now);
  // handle_timeout(now) fires everything due, so no deadline may be left at or before `now`.
  void after_timeout(const Actions& actions, TimePoint now);
  // After every connection has gone and every deadline has fired: nothing may be left.
  void check_drained() const;

  // What the program may refer to in later inputs.
  struct SessionSeen {
    std::string id;
    std::string user;
    std::string device;
    Seq last_seq = 0;  // the highest seq any of its connections got
  };
  const std::vector<SessionSeen>& sessions() const { return sessions_; }
  const std::vector<std::string>& call_ids() const { return call_ids_; }
  std::vector<ConnId> open_connections() const;
  const std::string& user_of(ConnId conn) const { return conns_.at(conn).user; }
  // Calls that have not ended, as (call id, caller).
  std::vector<std::pair<std::string, std::string>> live_calls() const;
  // Whether a `call` naming this id still finds the engine's call (not yet forgotten after its
  // retention), so it cannot start a second call with the same id.
  bool call_remembered(const std::string& id, TimePoint now) const;

 private:
  struct Conn {
    std::string user;
    std::string device;  // as asked; "" lets the engine choose
    std::optional<ResumeRequest> resume;
    std::string session;  // from its welcome
    bool welcomed = false;
    Seq seq = 0;           // the last seq it got
    Seq replay_until = 0;  // a resumed welcome's seq + replayed: reached in the same batch
  };
  struct Call {
    std::string caller;
    std::string callee;
    CallState state = CallState::ringing;
    TimePoint ended_at{};
  };
  // The command being handled, whose answer is a Reply to `conn` (0 for a user's command).
  struct Expected {
    bool command = false;
    ConnId conn = 0;
    bool answerable = false;  // its connection is open (always, for a user's command)
    std::optional<std::string> id;
    int replies = 0;
    std::optional<ConnId> opened;
  };

  void on_deliver(const Deliver& deliver);
  void on_welcome(ConnId conn, Conn& c, Seq seq, const WelcomeEvent& welcome);
  void on_event(ConnId conn, Conn& c, Seq seq, const Event& event);
  void on_reply(const Reply& reply);
  void on_state(const CallStateChanged& change, TimePoint now);
  void check_snapshot(const std::string& user, const WelcomeEvent& welcome) const;
  void check_counts() const;
  void seen_session(const Conn& c);

  const Engine& engine_;
  Millis ended_retention_;
  std::map<ConnId, Conn> conns_;  // open connections
  std::map<std::string, Call> calls_;
  std::vector<std::string> call_ids_;  // in the order they started
  std::vector<SessionSeen> sessions_;
  std::map<std::string, std::size_t> session_index_;
  // The seq of the `ended` each session got for each call: one per session and call, which a
  // replay after a resume repeats with the same seq.
  std::map<std::pair<std::string, std::string>, Seq> ended_seq_;
  Expected expected_;
};

}  // namespace switchboard::fuzz
