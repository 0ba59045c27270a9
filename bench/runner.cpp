#include "bench/runner.hpp"

#include <thread>
#include <vector>

namespace switchboard::bench {
namespace {

constexpr auto kTick = Millis{100};
// After finish(), clients get this long to close cleanly before the loop is stopped anyway.
constexpr auto kDrain = Millis{3000};

void tick_loop(ThreadContext& ctx, ThreadScenario& scenario, Clock::time_point when) {
  ctx.loop.at(when, [&ctx, &scenario, when] {
    if (when >= ctx.window.end) {
      scenario.finish();
      ctx.loop.at(Clock::now() + kDrain, [&ctx] { ctx.loop.stop(); });
      return;
    }
    scenario.tick(Clock::now());
    tick_loop(ctx, scenario, std::min(when + kTick, ctx.window.end));
  });
}

}  // namespace

Stats run_threads(const Options& options, const Window& window, const ScenarioFactory& factory,
                  const Probes& probes) {
  std::vector<Stats> results(static_cast<std::size_t>(options.threads));
  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) {
    threads.emplace_back([&, t] {
      Loop loop;
      ThreadContext ctx{loop, options, t, window, {}, {}};
      ctx.done = [&loop] { loop.stop(); };
      {
        auto scenario = factory(ctx);
        scenario->start();
        tick_loop(ctx, *scenario, window.start + kTick);
        loop.run();
      }
      results[static_cast<std::size_t>(t)] = std::move(ctx.stats);
    });
  }
  std::this_thread::sleep_until(window.measure_from);
  if (probes.at_measure_start) probes.at_measure_start();
  // The end probe runs a little before the end, while every connection is still held.
  std::this_thread::sleep_until(window.end - Millis{50});
  if (probes.at_end) probes.at_end();
  for (auto& thread : threads)
    thread.join();
  Stats total;
  for (const auto& s : results)
    total.merge(s);
  return total;
}

}  // namespace switchboard::bench
