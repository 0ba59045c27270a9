// Shared vocabulary of switchboard-bench: clock and non-throwing JSON helpers. Header only;
// plain values, usable from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace switchboard::bench {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using Micros = std::chrono::microseconds;

inline std::uint64_t us_between(Clock::time_point from, Clock::time_point to) {
  const auto d = std::chrono::duration_cast<Micros>(to - from).count();
  return d > 0 ? static_cast<std::uint64_t>(d) : 0;
}

// Steady-clock microseconds: payloads carry them so the receiver (same process) can time
// the round trip.
inline std::int64_t steady_us() {
  return std::chrono::duration_cast<Micros>(Clock::now().time_since_epoch()).count();
}

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

}  // namespace switchboard::bench
