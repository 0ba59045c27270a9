// Shared vocabulary of the load-client kit (used by switchboard-bench and the soak test):
// clock and non-throwing JSON helpers. Header only; plain values, usable from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace switchboard::loadkit {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using Micros = std::chrono::microseconds;

inline std::uint64_t us_between(Clock::time_point from, Clock::time_point to) {
  const auto d = std::chrono::duration_cast<Micros>(to - from).count();
  return d > 0 ? static_cast<std::uint64_t>(d) : 0;
}

inline std::int64_t ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<Millis>(to - from).count();
}

inline std::int64_t to_us(Clock::time_point t) {
  return std::chrono::duration_cast<Micros>(t.time_since_epoch()).count();
}

// Steady-clock microseconds: payloads carry them so the receiver (same process) can time
// delivery.
inline std::int64_t steady_us() {
  return to_us(Clock::now());
}

// Non-throwing field access: a load client reports a malformed message, it never crashes on
// one.
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

}  // namespace switchboard::loadkit
