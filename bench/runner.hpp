// Runs a scenario on --threads threads, each with its own Loop and its share of the clients,
// for warm-up + duration, then closes every client and merges the per-thread Stats. Called
// from the main thread; each ThreadScenario lives on its own thread only.
#pragma once

#include <functional>
#include <memory>

#include "bench/common.hpp"
#include "bench/loadkit/transport.hpp"
#include "bench/options.hpp"
#include "bench/stats.hpp"

namespace switchboard::bench {

using loadkit::Loop;

struct ThreadContext {
  Loop& loop;
  const Options& options;
  int index;  // this thread's share: items i with i % threads == index
  Window window;
  Stats stats;
  std::function<void()> done;  // call once every client has ended after finish()

  bool mine(int i) const { return i % options.threads == index; }
};

// The end of a thread's run: finish() stops the load and closes every client; once all of
// them have ended (some may have ended earlier), the thread is done, exactly once.
class Drain {
 public:
  explicit Drain(ThreadContext& ctx) : ctx_(ctx) {}
  bool stopping() const { return stopping_; }
  void stop(std::size_t clients) {
    stopping_ = true;
    clients_ = clients;
    check();
  }
  void client_ended() {
    ++ended_;
    check();
  }

 private:
  void check() {
    if (stopping_ && ended_ == clients_ && !done_) {
      done_ = true;
      ctx_.done();
    }
  }

  ThreadContext& ctx_;
  std::size_t clients_ = 0;
  std::size_t ended_ = 0;
  bool stopping_ = false;
  bool done_ = false;
};

class ThreadScenario {
 public:
  virtual ~ThreadScenario() = default;
  virtual void start() = 0;
  virtual void tick(Clock::time_point now) = 0;  // every 100 ms: pacing checks, timeouts
  virtual void finish() = 0;                     // stop the load and close every client
};

using ScenarioFactory = std::function<std::unique_ptr<ThreadScenario>(ThreadContext&)>;

std::unique_ptr<ThreadScenario> make_connect(ThreadContext& ctx);
std::unique_ptr<ThreadScenario> make_calls(ThreadContext& ctx);
std::unique_ptr<ThreadScenario> make_relay(ThreadContext& ctx);
std::unique_ptr<ThreadScenario> make_storm(ThreadContext& ctx);

// Probes of the server process, run on the main thread: when the measured window opens, and
// just before its end while every client is still connected.
struct Probes {
  std::function<void()> at_measure_start;
  std::function<void()> at_end;
};
Stats run_threads(const Options& options, const Window& window, const ScenarioFactory& factory,
                  const Probes& probes);

}  // namespace switchboard::bench
