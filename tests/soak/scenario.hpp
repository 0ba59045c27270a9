// The soak's orchestration on the client Loop: starts every simulated device, lets the chaos
// run for the configured time, then settles (every call hung up and ended exactly once),
// closes every connection cleanly and waits for the server's /metrics to drain to zero.
// Polls /metrics throughout for peaks. Runs on the Loop's thread; `done` is called once.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "tests/soak/metrics_probe.hpp"
#include "tests/soak/soak_client.hpp"

namespace switchboard::soak {

struct ScenarioOptions {
  std::size_t clients = 300;
  std::size_t devices_per_user = 2;
  Millis chaos_time{20'000};
  std::uint64_t seed = 0;
};

class Scenario {
 public:
  Scenario(SoakContext& ctx, ScenarioOptions options, std::function<void()> done);
  Scenario(const Scenario&) = delete;
  Scenario& operator=(const Scenario&) = delete;

  void start();

 private:
  void poll_metrics();
  void begin_settle();
  void settle_tick();
  void begin_close();
  void close_tick();
  void drain_tick();
  void finish();
  bool past(Clock::time_point deadline) const { return Clock::now() >= deadline; }

  SoakContext& ctx_;
  ScenarioOptions options_;
  std::function<void()> done_;
  std::vector<std::unique_ptr<SoakClient>> clients_;
  Clock::time_point phase_deadline_{};
  bool finished_ = false;
  bool polling_ = true;  // periodic peak polls, until the drain phase takes over
  int failed_polls_ = 0;
  Metrics last_metrics_;
};

}  // namespace switchboard::soak
