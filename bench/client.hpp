// One simulated user device: a WsConnection speaking Switchboard (dev-mode URL, ready on
// `welcome`) or the PeerJS server protocol (ready on OPEN, heartbeats). Counts connection
// failures, server `error`s and unexpected closes as errors in the thread's Stats. Owned by a
// scenario and used only on its Loop's thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bench/common.hpp"
#include "bench/loadkit/transport.hpp"
#include "bench/options.hpp"
#include "bench/stats.hpp"

namespace switchboard::bench {

using loadkit::Loop;
using loadkit::WsConnection;
using loadkit::WsEnd;

class Client {
 public:
  struct Handlers {
    std::function<void()> on_ready;               // welcome / OPEN received
    std::function<void(const Json&)> on_message;  // every other message, parsed
    std::function<void()> on_end;                 // the connection is over (any reason)
    // When set: `signal` / OFFER / ANSWER deliveries as raw text (bench/relay_wire.hpp).
    std::function<void(std::string_view)> on_relay;
  };

  Client(Loop& loop, const Options& options, Stats& stats, std::string id, Handlers handlers);

  void start();
  void send(const Json& message) { send_text(message.dump()); }
  void send_text(std::string text);
  void close();      // clean close; no error is counted for what follows
  void heartbeat();  // PeerJS only: the server drops peers that stay silent
  // Switchboard only: drop() closes the socket without a close frame (RST when `reset`, else
  // FIN; silently: no on_end), so the server holds the session; resume() reconnects with
  // `session` and `lastSeq`.
  void drop(bool reset);
  void resume();

  const std::string& id() const { return id_; }
  bool ready() const { return ready_; }
  bool ended() const { return ended_; }
  bool resumed() const { return resumed_; }

 private:
  void on_open();
  void on_text(std::string&& text);
  void on_end(const WsEnd& end);
  void on_welcome(const Json& welcome);
  void check_seq(std::int64_t seq);
  bool relay_fast_path(std::string_view text);

  Loop& loop_;
  const Options& options_;
  Stats& stats_;
  std::string id_;
  Handlers handlers_;
  std::shared_ptr<WsConnection> connection_;
  Clock::time_point started_;
  std::string session_;
  std::int64_t last_seq_ = 0;  // the highest event seq processed
  bool resuming_ = false;
  bool resumed_ = false;
  bool ready_ = false;
  bool closing_ = false;
  bool ended_ = false;
};

}  // namespace switchboard::bench
