// Shared vocabulary of the soak test: clock, JSON and random-number helpers. Header only;
// plain values, no threading concerns (the whole soak client runs on one thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace switchboard::soak {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using Rng = std::mt19937_64;

// Microseconds on the steady clock: signal and call payloads carry it so the receiver (same
// process) can measure delivery latency.
inline std::int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

inline std::int64_t to_us(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

inline std::int64_t ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<Millis>(to - from).count();
}

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

// Non-throwing field access (the soak must report a malformed message, not crash on it).
inline std::optional<std::string> json_str(const Json& m, const char* key) {
  const auto it = m.find(key);
  if (it == m.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

inline std::optional<std::int64_t> json_int(const Json& m, const char* key) {
  const auto it = m.find(key);
  if (it == m.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

inline std::optional<bool> json_bool(const Json& m, const char* key) {
  const auto it = m.find(key);
  if (it == m.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

}  // namespace switchboard::soak
