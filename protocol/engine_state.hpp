// Internal to the engine (engine.cpp, engine_commands.cpp): the data model behind Engine.
// Same contract as Engine: single-threaded, owned by one Engine.
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/engine.hpp"

namespace switchboard {

struct Connection {
  std::string user;
  std::string device;
  Seq next_seq = 1;
  std::set<std::string> calls;  // ids of non-ended calls this connection holds
};

struct Call {
  std::string id;
  std::string caller;
  std::string callee;
  ConnId caller_conn = 0;
  Media media = Media::audio;
  std::string room_name;
  Json data;

  CallState state = CallState::ringing;
  bool ringing_sent = false;  // the caller got its one `ringing` event
  std::set<ConnId> ringing;   // callee devices that got `call` and have not ended it
  ConnId answered_conn = 0;   // 0 until answered
  TimePoint expires_at{};     // ring timeout
  std::optional<TimePoint> answered_at;
  std::optional<TimePoint> deadline;            // ring timeout while ringing, forgetting once ended
  EndReason end_reason = EndReason::completed;  // valid once ended (the caller's view)
};

// How a call ends. Every connection holding the call gets exactly one `ended`: `reason`
// by default, `ringing_reason` for callee devices still ringing (e.g. declined_elsewhere).
struct EndSpec {
  EndReason reason = EndReason::completed;
  std::optional<EndReason> ringing_reason;
  std::optional<std::string> by;
  std::optional<std::string> message;
  ConnId actor = 0;  // the device that caused it; gets `reason` even if it never rang
};

struct Engine::State {
  State(EngineConfig c, IdGenerator& g) : config(c), ids(g) {}

  EngineConfig config;
  IdGenerator& ids;
  TimePoint now{};
  Actions out;  // actions of the input being handled

  std::unordered_map<ConnId, Connection> conns;
  std::unordered_map<std::string, std::map<std::string, ConnId>> devices;  // user -> device -> conn
  std::unordered_map<std::string, Call> calls;
  std::unordered_map<std::string, std::string> active_call_of;  // user -> their active call
  std::set<std::pair<TimePoint, std::string>> deadlines;        // (when, call id)

  // engine.cpp: connections, delivery, endings, timers
  void open(const ConnectionOpened& in);
  void close(ConnId conn);
  void deliver(const Event& event, const std::vector<ConnId>& to);
  void reply(ConnId conn, Response response);
  void error(ConnId conn, const Command& cmd, ErrorCode code, std::string message);
  void ack(ConnId conn, const Command& cmd, std::optional<std::string> call_id = std::nullopt);
  void end_call(Call& call, const EndSpec& spec);
  void set_deadline(Call& call, std::optional<TimePoint> when);
  void fire_due();
  void state_changed(const Call& call, std::optional<std::string> by = std::nullopt);
  void hold(ConnId conn, const std::string& call_id);
  void release(ConnId conn, const std::string& call_id);

  // engine_commands.cpp: one handler per client command
  void command(ConnId conn, const Command& cmd);
  void on_call(ConnId conn, const Command& cmd, const CallCommand& c);
  void on_ringing(ConnId conn, const Command& cmd, Call& call);
  void on_answer(ConnId conn, const Command& cmd, Call& call, const AnswerCommand& c);
  void on_reject(ConnId conn, const Command& cmd, Call& call, RejectReason reason);
  void on_hangup(ConnId conn, const Command& cmd, Call& call, const HangupCommand& c);
  void on_signal(ConnId conn, const Command& cmd, Call& call, const SignalCommand& c);
};

}  // namespace switchboard
