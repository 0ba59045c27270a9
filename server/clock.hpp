// The engine's clock: steady_clock (never jumps) anchored to the wall clock once at start-up,
// so deadlines are monotonic while `expiresAt` still reads as a Unix timestamp for clients.
// Immutable after construction; safe from any thread.
#pragma once

#include <chrono>

#include "protocol/types.hpp"

namespace switchboard::server {

class MonotonicClock {
 public:
  using Steady = std::chrono::steady_clock;

  MonotonicClock()
      : steady_anchor_(Steady::now()),
        wall_anchor_(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now())) {}

  TimePoint now() const { return to_engine(Steady::now()); }

  // Truncates to whole milliseconds, so a timer armed with to_steady(d) reads now() >= d.
  TimePoint to_engine(Steady::time_point t) const {
    return wall_anchor_ + std::chrono::duration_cast<Millis>(t - steady_anchor_);
  }
  Steady::time_point to_steady(TimePoint t) const { return steady_anchor_ + (t - wall_anchor_); }

 private:
  Steady::time_point steady_anchor_;
  TimePoint wall_anchor_;
};

}  // namespace switchboard::server
