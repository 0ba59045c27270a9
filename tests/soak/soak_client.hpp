// One simulated device: its connection, its session (id, last processed seq, unanswered
// commands), what it knows about its calls, its random life and chaos, and every contract
// check on what the server sends it. All SoakClients share one Loop and run on its thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "bench/loadkit/transport.hpp"
#include "tests/soak/call_view.hpp"
#include "tests/soak/common.hpp"
#include "tests/soak/report.hpp"

namespace switchboard::soak {

using loadkit::Loop;
using loadkit::WsCallbacks;
using loadkit::WsConnection;
using loadkit::WsEnd;

// The server's timings, as the soak started it.
struct SoakTimings {
  Millis resume_window{5'000};
  Millis reconnect_grace{2'000};
  Millis caller_grace{1'000};
  Millis ring_timeout{5'000};
};

// Shared by every client; owned by the scenario, touched on the loop thread only.
struct SoakContext {
  Loop& loop;
  Report& report;
  std::uint16_t port = 0;
  SoakTimings timings;
  std::size_t users = 0;        // user ids are u0 … u<users-1>
  std::string call_prefix;      // keeps our own callIds unique per run
  Clock::time_point started{};  // for timestamps in violations
  double chaos_mean_s = 6.0;    // mean time between chaos actions per device
  bool chaos = true;            // kills and reconnects allowed
  bool quiesce = false;         // end phase: no new calls, signals or probes
};

class SoakClient {
 public:
  SoakClient(SoakContext& ctx, std::string user, std::string device, std::uint64_t seed);
  SoakClient(const SoakClient&) = delete;
  SoakClient& operator=(const SoakClient&) = delete;

  void start(Millis delay);
  // End phase: once online with nothing pending, hang up or reject every call still live.
  void settle_step();
  bool settled() const;
  // Sends a close frame; the session ends on the server at once.
  void final_close();
  bool closed() const { return phase_ == Phase::closed; }
  std::string describe() const;  // for end-phase violations

 private:
  // A resume this much inside (outside) the window must be accepted (refused).
  static constexpr Millis kResumeMargin{1'000};

  enum class Phase { offline, connecting, online, closing, closed };
  enum class Expect { none, ok, refused, unsure };

  struct Pending {
    std::string text;  // exactly what was sent: a resend is byte-identical
    std::string type;
    std::string call_id;
    Clock::time_point first_sent{};
    std::optional<Json> expected;  // duplicate probe: the reply the original got
  };
  struct Answered {
    std::uint64_t key = 0;
    Pending command;
    Json reply;
    Clock::time_point at{};
  };

  // soak_client.cpp: connection lifecycle, chaos
  void connect(bool resume);
  void on_open(std::uint64_t gen);
  void on_end(std::uint64_t gen, const WsEnd& end);
  void kill(bool reset, bool handshaking);
  void reconnect_after(Millis delay, bool resume);
  void schedule_chaos();
  void chaos_action();

  // soak_client_session.cpp: welcome, resume, snapshot
  void on_welcome(const Json& m);
  void adopt_snapshot(const Json& calls, bool after_clean_close);
  void check_outage_snapshot(const Json& calls);
  void resend_pending();
  void drop_pending();

  // soak_client_events.cpp: events and their checks
  void on_text(std::uint64_t gen, std::string&& text);
  void on_event(const std::string& type, const Json& m);
  void on_call_event(const Json& m, const std::string& call_id);
  void on_signal_event(CallView& v, const Json& m);
  void on_ended_event(CallView& v, const Json& m);
  void on_peer_event(CallView& v, const Json& m);
  void periodic_checks();
  void check_redelivery(const char* before);
  void check_grace(const CallView& v, const Json& ended);
  bool live_now() const;

  // soak_client_replies.cpp: ack, error, pong
  void on_reply(const std::string& type, const Json& m);
  void on_outcome(const Pending& p, const std::string& type, const Json& m);
  void on_error_outcome(const Pending& p, const Json& m);

  // soak_client_commands.cpp: sending commands and the device's random life
  std::string send_command(const std::string& type, Json body, const std::string& call_id);
  void tick();
  void place_call();
  void send_signal(CallView& v);
  void duplicate_probe();
  void respond_later(const std::string& call_id);
  void decide_later(const std::string& call_id);
  void hangup_later(const std::string& call_id, Millis delay);
  CallView* find_call(const std::string& call_id);
  bool has_active_call() const;
  bool has_ringing_outgoing() const;

  void violation(const std::string& what);
  void note(const std::string& what);  // history kept for violation context
  double seconds_since_start() const;

  SoakContext& ctx_;
  Report& report_;
  const std::string user_;
  const std::string device_;
  Rng rng_;

  std::shared_ptr<WsConnection> conn_;
  std::uint64_t gen_ = 0;  // bumped per connection: stale callbacks are ignored
  Phase phase_ = Phase::offline;
  bool final_ = false;              // closing for good
  bool closed_cleanly_ = false;     // the previous session ended with our close frame
  bool kill_after_send_ = false;    // chaos armed for the next command
  bool kill_in_handshake_ = false;  // chaos armed for the next connect
  bool kill_on_open_ = false;       //   variant: right after the upgrade, before welcome
  bool resume_requested_ = false;   // this connection asked to resume
  bool resume_uncertain_ = false;   // a killed handshake may have moved the server's state
  Expect expect_ = Expect::none;    // what the resume should get
  Clock::time_point dropped_at_{};  // when the session last lost its connection
  bool away_ = false;               // lost its connection, not welcomed back yet
  // A handshake died during the outage: the server may have re-attached meanwhile, which
  // restarts its grace periods.
  bool outage_uncertain_ = false;
  Millis last_outage_{0};  // from drop to welcome, the latest (0: none)
  bool last_outage_certain_ = false;
  Clock::time_point welcomed_at_{};
  bool welcome_resumed_ = false;

  std::string session_id_;
  std::int64_t last_seq_ = 0;  // highest seq processed in this session
  std::uint64_t next_key_ = 0;
  std::map<std::uint64_t, Pending> pending_;  // by command id: resends go in send order
  std::deque<Answered> answered_;             // recent replies, for duplicate probes
  std::map<std::string, CallView> calls_;     // this session's calls
  std::map<std::string, SignalSend> sent_;    // per call, across sessions
  std::set<std::string> hung_up_;             // calls this device sent a hangup for
  std::uint64_t next_call_ = 0;
  std::deque<std::string> history_;
};

}  // namespace switchboard::soak
