#include "tests/soak/scenario.hpp"

#include <algorithm>
#include <sstream>
#include <utility>

namespace switchboard::soak {
namespace {

constexpr Millis kPollInterval{500};
constexpr Millis kSettleTick{250};
constexpr Millis kCloseDeadline{5'000};
// Unsettled devices are listed one violation each, up to this many.
constexpr std::size_t kListedUnsettled = 10;

const char* const kGauges[] = {"switchboard_connections", "switchboard_sessions",
                               R"(switchboard_calls{state="ringing"})",
                               R"(switchboard_calls{state="active"})"};

std::string gauges(const Metrics& m) {
  std::ostringstream out;
  for (const char* g : kGauges)
    out << " " << g << "=" << sample(m, g);
  out << " switchboard_sessions_detached=" << sample(m, "switchboard_sessions_detached");
  return out.str();
}

}  // namespace

Scenario::Scenario(SoakContext& ctx, ScenarioOptions options, std::function<void()> done)
    : ctx_(ctx), options_(options), done_(std::move(done)) {}

void Scenario::start() {
  Rng seeds(options_.seed);
  const std::size_t per_user = std::max<std::size_t>(1, options_.devices_per_user);
  ctx_.users = (options_.clients + per_user - 1) / per_user;
  for (std::size_t i = 0; i < options_.clients; ++i) {
    auto client = std::make_unique<SoakClient>(ctx_, "u" + std::to_string(i / per_user),
                                               "d" + std::to_string(i % per_user), seeds());
    // Spread the first handshakes over a second rather than 300 at once.
    client->start(Millis{static_cast<Millis::rep>(i * 1'000 / options_.clients)});
    clients_.push_back(std::move(client));
  }
  ctx_.loop.after(options_.chaos_time, [this] { begin_settle(); });
  poll_metrics();
}

void Scenario::poll_metrics() {
  if (!polling_ || finished_) return;
  fetch_metrics(ctx_.loop, ctx_.port, [this](std::optional<Metrics> m) {
    if (!m) {
      if (++failed_polls_ == 3) ctx_.report.violation("GET /metrics failed 3 times in a row");
    } else {
      failed_polls_ = 0;
      Counters& c = ctx_.report.counters();
      const auto sessions =
          static_cast<std::uint64_t>(std::max<std::int64_t>(0, sample(*m, "switchboard_sessions")));
      const auto calls = static_cast<std::uint64_t>(
          std::max<std::int64_t>(0, sample(*m, R"(switchboard_calls{state="ringing"})") +
                                        sample(*m, R"(switchboard_calls{state="active"})")));
      c.peak_sessions = std::max(c.peak_sessions, sessions);
      c.peak_calls = std::max(c.peak_calls, calls);
    }
    ctx_.loop.after(kPollInterval, [this] { poll_metrics(); });
  });
}

void Scenario::begin_settle() {
  ctx_.chaos = false;
  ctx_.quiesce = true;
  const SoakTimings& t = ctx_.timings;
  // Long outages come back after the window; then hangups need a moment to play out.
  phase_deadline_ = Clock::now() + t.resume_window + t.ring_timeout + Millis{15'000};
  ctx_.report.note("chaos stopped after " + std::to_string(options_.chaos_time.count()) +
                   " ms; settling");
  settle_tick();
}

void Scenario::settle_tick() {
  std::size_t unsettled = 0;
  for (auto& client : clients_) {
    client->settle_step();
    if (!client->settled()) ++unsettled;
  }
  if (unsettled == 0) {
    begin_close();
    return;
  }
  if (past(phase_deadline_)) {
    std::size_t listed = 0;
    for (auto& client : clients_) {
      if (client->settled()) continue;
      if (listed++ < kListedUnsettled) {
        ctx_.report.violation(
            "did not settle (a call never ended, or a command was never "
            "answered): " +
            client->describe());
      }
    }
    ctx_.report.violation(std::to_string(unsettled) + " device(s) did not settle in time");
    begin_close();
    return;
  }
  ctx_.loop.after(kSettleTick, [this] { settle_tick(); });
}

void Scenario::begin_close() {
  for (auto& client : clients_)
    client->final_close();
  phase_deadline_ = Clock::now() + kCloseDeadline;
  close_tick();
}

void Scenario::close_tick() {
  const auto open =
      std::count_if(clients_.begin(), clients_.end(), [](const auto& c) { return !c->closed(); });
  if (open == 0 || past(phase_deadline_)) {
    if (open != 0) {
      ctx_.report.violation(std::to_string(open) + " clean close(s) never completed");
    }
    polling_ = false;
    const SoakTimings& t = ctx_.timings;
    phase_deadline_ = Clock::now() + t.resume_window + Millis{10'000};
    drain_tick();
    return;
  }
  ctx_.loop.after(Millis{50}, [this] { close_tick(); });
}

// Every client said goodbye: the server must forget every connection, session and call.
void Scenario::drain_tick() {
  fetch_metrics(ctx_.loop, ctx_.port, [this](std::optional<Metrics> m) {
    if (m) {
      last_metrics_ = *m;
      const bool drained = std::all_of(std::begin(kGauges), std::end(kGauges),
                                       [&m](const char* g) { return sample(*m, g) == 0; });
      if (drained) {
        ctx_.report.note("server drained to zero:" + gauges(*m));
        finish();
        return;
      }
    }
    if (past(phase_deadline_)) {
      ctx_.report.violation("server did not drain to zero after every client left:" +
                            gauges(last_metrics_));
      finish();
      return;
    }
    ctx_.loop.after(Millis{250}, [this] { drain_tick(); });
  });
}

void Scenario::finish() {
  if (finished_) return;
  finished_ = true;
  done_();
}

}  // namespace switchboard::soak
