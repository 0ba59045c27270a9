// Shared vocabulary of the soak test: the load-client kit's clock and JSON helpers plus
// random-number helpers. Header only; plain values, no threading concerns (the whole soak
// client runs on one thread).
#pragma once

#include <cstddef>
#include <random>

#include "bench/loadkit/common.hpp"

namespace switchboard::soak {

using loadkit::Clock;
using loadkit::Json;
using loadkit::json_bool;
using loadkit::json_int;
using loadkit::json_str;
using loadkit::Millis;
using loadkit::ms_between;
using loadkit::steady_us;
using loadkit::to_us;
using Rng = std::mt19937_64;

inline bool chance(Rng& rng, double p) {
  return std::bernoulli_distribution(p)(rng);
}

// Uniform in [0, n); n must be positive.
inline std::size_t pick(Rng& rng, std::size_t n) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

inline Millis uniform_ms(Rng& rng, int lo, int hi) {
  return Millis{std::uniform_int_distribution<int>(lo, hi)(rng)};
}

}  // namespace switchboard::soak
