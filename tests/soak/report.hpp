// What the soak run saw: counters, latency samples and every contract violation, printed as
// one summary at the end. Owned by the driver; touched only from the client loop's thread.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace switchboard::soak {

struct Counters {
  std::uint64_t connects = 0;           // WebSocket handshakes completed
  std::uint64_t kills = 0;              // connections closed abruptly by the chaos driver
  std::uint64_t kills_reset = 0;        //   of which with a TCP reset (else a FIN)
  std::uint64_t kills_handshaking = 0;  //   of which before the welcome arrived
  std::uint64_t kills_after_send = 0;   //   of which right after sending a command
  std::uint64_t resumes_ok = 0;
  std::uint64_t resumes_refused = 0;
  std::uint64_t fresh_sessions = 0;
  std::uint64_t clean_closes = 0;
  std::uint64_t commands_sent = 0;     // first sends
  std::uint64_t commands_resent = 0;   // unanswered commands sent again after a resume
  std::uint64_t commands_dropped = 0;  // unanswered when the session was lost (not resent)
  std::uint64_t duplicate_probes = 0;  // answered commands sent again to test idempotency
  std::uint64_t acks = 0;
  std::uint64_t pongs = 0;
  std::uint64_t errors = 0;
  std::uint64_t events = 0;          // events whose seq was checked
  std::uint64_t calls_placed = 0;    // `call` commands acknowledged
  std::uint64_t calls_answered = 0;  // `answer` commands acknowledged
  std::uint64_t signals_received = 0;
  std::uint64_t calls_checked = 0;  // calls verified to end exactly once at the end
  std::map<std::string, std::uint64_t> ended_by_reason;  // as the caller's device saw it
  std::map<std::string, std::uint64_t> errors_by_code;
  std::uint64_t peak_sessions = 0;
  std::uint64_t peak_calls = 0;
};

class Report {
 public:
  Counters& counters() { return counters_; }
  void violation(std::string text);
  // A violation that explains the others (e.g. the server died): listed first.
  void fatal(std::string text);
  void latency_us(std::int64_t us) { latencies_us_.push_back(us); }
  void note(std::string text) { notes_.push_back(std::move(text)); }
  bool ok() const { return violations_.empty(); }
  std::size_t violation_count() const { return violations_.size(); }

  void print(std::ostream& out) const;

 private:
  Counters counters_;
  std::vector<std::string> violations_;
  std::vector<std::string> notes_;
  std::vector<std::int64_t> latencies_us_;
};

}  // namespace switchboard::soak
