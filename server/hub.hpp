// The hub owns the call engine, the registry of connections the engine knows (ConnId ->
// Connection*, non-owning: a session leaves before it dies) and the one timer that serves
// the engine's next deadline. It runs the engine's actions in order. Asio but no Beast.
// Single-threaded: use only on the server's io_context thread.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "protocol/engine.hpp"
#include "server/clock.hpp"
#include "server/connection.hpp"
#include "server/random_id_generator.hpp"

namespace switchboard::server {

class Hub {
 public:
  Hub(boost::asio::any_io_executor executor, EngineConfig config);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  struct Opened {
    ConnId conn = 0;
    // As announced in `welcome`: the device may be generated (none asked for) or the resumed
    // session's; `resumed` is false when a resume request could not be honoured.
    std::string device_id;
    std::string session_id;
    bool resumed = false;
  };
  // Registers an authenticated connection with the engine (which greets it with `welcome`,
  // after which it replays what a resumed session missed).
  Opened open(Connection& connection, std::string user_id, std::string device_id,
              std::optional<ResumeRequest> resume);
  // A command from a connection, already decoded by its dialect (native protocol v1 or
  // Supabase Realtime). Ignored when the connection is no longer registered.
  void command(ConnId conn, Command command);
  // A command from `user` as a whole, not from a connection (the Realtime REST API). Returns
  // the engine's answer: an Ack or an Error.
  Response user_command(std::string user, Command command);
  // The connection is gone or going: forget it and tell the engine. `clean` only when the
  // client sent a close frame (its session ends); anything else detaches the session for
  // resume. Idempotent (the first call decides), and a no-op for connections the engine
  // already closed itself.
  void leave(ConnId conn, bool clean);

  // Server teardown: drops the timer (it must die before the io_context) and makes later
  // leave() calls only forget connections, without running the engine.
  void shutdown();

  std::size_t connection_count() const { return connections_.size(); }
  Engine::Stats stats() const { return engine_.stats(); }

 private:
  struct Entry {
    Connection* connection = nullptr;
    std::string device_id;
    std::string session_id;
    bool resumed = false;
  };

  void feed(Input input);
  void drain();
  void execute(Actions actions);
  void execute_one(Deliver& deliver);
  void execute_one(Reply& reply);
  void execute_one(Close& close);
  void execute_one(CallStateChanged& change);
  Connection* find(ConnId conn) const;
  void rearm();
  void on_timer();

  MonotonicClock clock_;
  RandomIdGenerator ids_;
  Engine engine_;
  std::optional<boost::asio::steady_timer> timer_;
  std::optional<TimePoint> armed_for_;
  std::unordered_map<ConnId, Entry> connections_;
  ConnId last_conn_ = 0;
  // Inputs that arrive while actions are being carried out (a send that trips the slow
  // consumer limit leaves the hub at once) wait here, so actions always run in engine order.
  std::deque<Input> pending_;
  bool draining_ = false;
  std::optional<Response> user_reply_;  // the answer to the user_command() being run
  bool shut_down_ = false;
};

}  // namespace switchboard::server
