// Pacing helpers for the scenarios, header only, used on one Loop's thread:
// Pacer turns a rate into whole slots owed so far (open loop, no drift); Opener starts
// clients with a bounded number of handshakes in flight, so a big ramp does not overflow
// the server's listen backlog.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

#include "bench/common.hpp"

namespace switchboard::bench {

class Pacer {
 public:
  Pacer(double per_second, Clock::time_point start) : rate_(per_second), start_(start) {}

  // Slots whose time has come since the last call.
  std::uint64_t due(Clock::time_point now) {
    if (rate_ <= 0 || now < start_) return 0;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const auto total = static_cast<std::uint64_t>(elapsed * rate_);
    const std::uint64_t owed = total - issued_;
    issued_ = total;
    return owed;
  }

 private:
  double rate_;
  Clock::time_point start_;
  std::uint64_t issued_ = 0;
};

class Opener {
 public:
  explicit Opener(int max_pending) : max_pending_(max_pending) {}

  void add(std::function<void()> start) {
    queue_.push_back(std::move(start));
    pump();
  }
  // A started client is ready or failed: its slot is free.
  void settled() {
    if (pending_ > 0) --pending_;
    pump();
  }
  void stop() { queue_.clear(); }

 private:
  void pump() {
    while (pending_ < max_pending_ && !queue_.empty()) {
      auto start = std::move(queue_.front());
      queue_.pop_front();
      ++pending_;
      start();
    }
  }

  int max_pending_;
  int pending_ = 0;
  std::deque<std::function<void()>> queue_;
};

}  // namespace switchboard::bench
