// `connect`: open --connections at --rate per second (0: as fast as the bounded number of
// handshakes in flight allows) and hold them until the end. One instance per thread, on its
// Loop's thread, owning that thread's share of the connections.
#include <memory>
#include <vector>

#include "bench/client.hpp"
#include "bench/pacing.hpp"
#include "bench/runner.hpp"

namespace switchboard::bench {
namespace {

constexpr int kMaxPendingHandshakes = 256;
constexpr auto kPaceStep = Millis{5};
constexpr auto kHeartbeat = Millis{5000};

class ConnectScenario final : public ThreadScenario {
 public:
  explicit ConnectScenario(ThreadContext& ctx)
      : ctx_(ctx),
        opener_(kMaxPendingHandshakes),
        pacer_(ctx.options.rate / ctx.options.threads, ctx.window.start) {}

  void start() override {
    for (int i = 0; i < ctx_.options.connections; ++i) {
      if (ctx_.mine(i)) mine_.push_back(i);
    }
    clients_.reserve(mine_.size());
    last_heartbeat_ = Clock::now();
    if (ctx_.options.rate <= 0) {
      while (next_ < mine_.size())
        open_next();
    } else {
      pace();
    }
  }

  void tick(Clock::time_point now) override {
    if (now - last_heartbeat_ >= kHeartbeat) {
      last_heartbeat_ = now;
      for (auto& c : clients_)
        c->heartbeat();
    }
  }

  void finish() override {
    drain_.stop(clients_.size());
    opener_.stop();
    ctx_.stats.maxima["connect.held"] = held_;
    for (auto& c : clients_)
      c->close();
  }

 private:
  void pace() {
    if (drain_.stopping() || next_ >= mine_.size()) return;
    for (auto n = pacer_.due(Clock::now()); n > 0 && next_ < mine_.size(); --n)
      open_next();
    ctx_.loop.at(Clock::now() + kPaceStep, [this] { pace(); });
  }

  void open_next() {
    const int i = mine_[next_++];
    const std::string prefix = ctx_.options.target == Target::peerjs ? "bp" : "bu";
    const std::size_t slot = clients_.size();
    Client::Handlers handlers;
    handlers.on_ready = [this, slot] { on_ready(slot); };
    handlers.on_end = [this, slot] { on_end(slot); };
    clients_.push_back(std::make_unique<Client>(ctx_.loop, ctx_.options, ctx_.stats,
                                                prefix + std::to_string(i), std::move(handlers)));
    raw_ready_.push_back(false);
    Client* raw = clients_.back().get();
    opener_.add([raw] { raw->start(); });
  }

  void on_ready(std::size_t slot) {
    raw_ready_[slot] = true;
    ++held_;
    ctx_.stats.count("connect.ready");
    ctx_.stats.maxima["connect.last_ready_us"] = us_between(ctx_.window.start, Clock::now());
    opener_.settled();
  }

  void on_end(std::size_t slot) {
    if (raw_ready_[slot]) {
      --held_;
    } else {
      opener_.settled();
    }
    drain_.client_ended();
  }

  ThreadContext& ctx_;
  Opener opener_;
  Pacer pacer_;
  std::vector<int> mine_;
  std::size_t next_ = 0;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<bool> raw_ready_;
  std::uint64_t held_ = 0;
  Clock::time_point last_heartbeat_;
  Drain drain_{ctx_};
};

}  // namespace

std::unique_ptr<ThreadScenario> make_connect(ThreadContext& ctx) {
  return std::make_unique<ConnectScenario>(ctx);
}

}  // namespace switchboard::bench
