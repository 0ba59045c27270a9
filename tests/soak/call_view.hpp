// What one simulated device knows about one call within its current session, and the
// per-call signal counters it sends with. Plain values owned by a SoakClient (client loop
// thread only).
#pragma once

#include <cstdint>
#include <string>

#include "tests/soak/common.hpp"

namespace switchboard::soak {

enum class CallRole { caller, callee };
enum class ViewState { ringing, active, ended };

// Receiver side of one call's signal stream from the peer device. The sender numbers its
// signals `n` = 1, 2, … and bumps the epoch `e` whenever it lost track of a signal (a command
// dropped with its session), so within one epoch the receiver must see n, n+1, … exactly.
struct SignalTrack {
  bool seen = false;
  std::int64_t epoch = 0;
  std::int64_t n = 0;
};

// Sender side, kept per device across sessions so `n` never goes backwards for a call.
struct SignalSend {
  std::int64_t n = 0;
  std::int64_t epoch = 0;
};

struct CallView {
  std::string id;
  CallRole role = CallRole::caller;
  std::string peer;  // the other user
  ViewState state = ViewState::ringing;
  // The server holds this call for this session, so exactly one `ended` must come. False only
  // for a `call` we sent whose reply has not arrived (the call may not exist).
  bool confirmed = false;
  bool mine_active = false;       // this device holds a side of the active call
  bool await_redelivery = false;  // fresh-session snapshot: its `call` event must follow
  bool ringing_seen = false;      // caller: the one `ringing` event
  bool answer_seen = false;       // caller: the `answer` event
  bool settle_sent = false;       // end phase: hangup/reject already sent
  bool responded = false;         // callee: answer/reject already sent
  bool hangup_armed = false;      // a hangup timer is pending
  bool stale_expiry = false;      // its `call` told a stale expiresInMs: only fine if ended
  std::string peer_device;        // caller: the answering device
  // The other party's connection as `peer` events told it: unknown after a snapshot.
  enum class PeerLink { unknown, present, away } peer_link = PeerLink::unknown;
  Clock::time_point peer_away_since{};
  std::string end_reason;
  SignalTrack incoming;
};

// The end reasons of a call that was answered.
inline bool answered_reason(const std::string& reason) {
  return reason == "completed" || reason == "connection_lost";
}

inline const char* to_string(ViewState s) {
  switch (s) {
    case ViewState::ringing:
      return "ringing";
    case ViewState::active:
      return "active";
    case ViewState::ended:
      return "ended";
  }
  return "?";
}

}  // namespace switchboard::soak
