#include "tests/soak/report.hpp"

#include <algorithm>
#include <utility>

namespace switchboard::soak {
namespace {

// Enough to diagnose; the rest are counted.
constexpr std::size_t kViolationsPrinted = 60;

std::int64_t percentile(std::vector<std::int64_t>& v, double p) {
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank), v.end());
  return v[rank];
}

}  // namespace

void Report::violation(std::string text) {
  violations_.push_back(std::move(text));
}

void Report::fatal(std::string text) {
  violations_.insert(violations_.begin(), std::move(text));
}

void Report::print(std::ostream& out) const {
  const Counters& c = counters_;
  out << "---- soak summary ----\n"
      << "connections: " << c.connects << " opened, " << c.kills << " killed (" << c.kills_reset
      << " with RST, " << c.kills_handshaking << " before welcome, " << c.kills_after_send
      << " right after a send), " << c.clean_closes << " closed cleanly\n"
      << "sessions: " << c.fresh_sessions << " fresh, " << c.resumes_ok << " resumes ok, "
      << c.resumes_refused << " resumes refused\n"
      << "commands: " << c.commands_sent << " sent, " << c.commands_resent
      << " resent after resume, " << c.commands_dropped << " dropped with a lost session, "
      << c.duplicate_probes << " duplicate probes\n"
      << "replies: " << c.acks << " ack, " << c.errors << " error, " << c.pongs << " pong\n";
  if (!c.errors_by_code.empty()) {
    out << "errors by code:";
    for (const auto& [code, n] : c.errors_by_code)
      out << " " << code << "=" << n;
    out << "\n";
  }
  out << "calls: " << c.calls_placed << " placed, " << c.calls_answered << " answered, "
      << c.calls_checked << " checked ended-exactly-once\n"
      << "ended (caller's view):";
  for (const auto& [reason, n] : c.ended_by_reason)
    out << " " << reason << "=" << n;
  out << "\n"
      << "events checked: " << c.events << " (" << c.signals_received << " signals)\n"
      << "server peaks: " << c.peak_sessions << " sessions, " << c.peak_calls << " calls\n";
  if (!latencies_us_.empty()) {
    std::vector<std::int64_t> v = latencies_us_;
    const std::int64_t p50 = percentile(v, 0.50);
    const std::int64_t p99 = percentile(v, 0.99);
    const std::int64_t max = *std::max_element(v.begin(), v.end());
    out << "live event latency (signal/call, " << v.size() << " samples): p50 "
        << static_cast<double>(p50) / 1000.0 << " ms, p99 " << static_cast<double>(p99) / 1000.0
        << " ms, max " << static_cast<double>(max) / 1000.0 << " ms\n";
  }
  for (const std::string& n : notes_)
    out << "note: " << n << "\n";
  if (violations_.empty()) {
    out << "RESULT: PASS (no violations)\n";
    return;
  }
  out << "RESULT: FAIL, " << violations_.size() << " violation(s):\n";
  const std::size_t shown = std::min(violations_.size(), kViolationsPrinted);
  for (std::size_t i = 0; i < shown; ++i)
    out << "  " << violations_[i] << "\n";
  if (shown < violations_.size()) out << "  … and " << violations_.size() - shown << " more\n";
}

}  // namespace switchboard::soak
