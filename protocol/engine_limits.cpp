// Engine abuse limits (README "Security"): how many devices a user may hold, and how many of
// the calls they placed may ring at once. Both are per user and O(1) to check: a user's
// devices are already counted in `devices`, and ringing calls are counted in `ringing_placed`.
#include <string>

#include "protocol/engine_state.hpp"

namespace switchboard {

// A fresh connection that would give its user one session more than the limit is closed
// before it is registered. Held sessions count whether attached or not, so connecting and
// dropping in a loop cannot get past the limit; a device the user already holds is taken over
// (PROTOCOL.md "Connecting"), not added, so a phone that lost its socket always gets back in.
bool Engine::State::refuse_device(const ConnectionOpened& in, const std::string& device) {
  auto held = devices.find(in.user_id);
  const std::size_t count = held == devices.end() ? 0 : held->second.size();
  if (count < config.max_devices_per_user) return false;
  if (!device.empty() && held != devices.end() && held->second.contains(device)) return false;
  // Not registered, so the driver gets no welcome and owes no ConnectionClosed for it.
  out.emplace_back(Close{in.conn, CloseCode::too_many,
                         "too many devices for this user (limit " +
                             std::to_string(config.max_devices_per_user) + ")"});
  return true;
}

// Ringing calls are what a callee's phones light up for; answered and ended ones cost the
// callee nothing, so only the ringing ones are capped. The error is remembered like any other
// answer: a retry with the same command id gets it again (PROTOCOL.md "Reconnecting").
bool Engine::State::refuse_call(const Session& me, const Command& cmd) {
  auto placed = ringing_placed.find(me.user);
  const std::size_t count = placed == ringing_placed.end() ? 0 : placed->second;
  if (count < config.max_ringing_per_user) return false;
  error(me.conn, cmd, ErrorCode::rate_limited,
        "too many ringing calls (limit " + std::to_string(config.max_ringing_per_user) + ")");
  return true;
}

void Engine::State::started_ringing(const Call& call) {
  ++ringing_placed[call.caller];
}

// Called exactly once per call, when it leaves `ringing` (answered, or ended while ringing).
void Engine::State::stopped_ringing(const Call& call) {
  auto it = ringing_placed.find(call.caller);
  if (it == ringing_placed.end()) return;  // cannot happen: started_ringing() counted it
  if (--it->second == 0) ringing_placed.erase(it);
}

}  // namespace switchboard
