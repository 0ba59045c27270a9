// A per-connection message rate limit: a token bucket (`rate` messages per second, `burst`
// at once) with a second bucket that counts refusals, so that a client which keeps sending
// after being told `rate_limited` is recognised as abusive and disconnected, while one that
// merely runs a little hot only sees the odd refusal. Pure and deterministic: the caller
// passes a monotonic `now`. A plain value owned by one connection; not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>

#include "protocol/types.hpp"

namespace switchboard {

class RateLimiter {
 public:
  enum class Verdict {
    admit,   // handle the message
    refuse,  // answer it with `rate_limited`
    abuse,   // close the connection (4029)
  };

  // Refusals refill at this fraction of `rate`: a client sending up to 1.2x the rate is only
  // refused; at twice the rate it has used up its `burst` of refusals within seconds.
  static constexpr double kRefusalRefillShare = 0.2;

  RateLimiter(double rate, std::size_t burst, Millis now)
      : rate_per_ms_(rate / 1000.0),
        burst_(static_cast<double>(burst)),
        tokens_(burst_),
        refusals_left_(burst_),
        last_(now) {}

  Verdict admit(Millis now) {
    const double elapsed = static_cast<double>(std::max(Millis{0}, now - last_).count());
    last_ = std::max(last_, now);
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_per_ms_);
    refusals_left_ =
        std::min(burst_, refusals_left_ + elapsed * rate_per_ms_ * kRefusalRefillShare);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return Verdict::admit;
    }
    if (refusals_left_ >= 1.0) {
      refusals_left_ -= 1.0;
      return Verdict::refuse;
    }
    return Verdict::abuse;
  }

 private:
  double rate_per_ms_;
  double burst_;
  double tokens_;
  double refusals_left_;
  Millis last_;
};

}  // namespace switchboard
