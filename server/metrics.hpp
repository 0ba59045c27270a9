// Renders GET /metrics in the Prometheus text exposition format (version 0.0.4). A pure
// function of a snapshot gathered by the HTTP session; no Beast, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/engine.hpp"

namespace switchboard::server {

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4";

struct MetricsSnapshot {
  std::size_t websocket_connections = 0;     // sessions open, handshaking ones included
  std::uint64_t connections_total = 0;       // WebSocket handshakes completed since start
  std::uint64_t upgrades_refused_total = 0;  // upgrade requests answered with an HTTP error
  Engine::Stats engine;
};

std::string render_metrics(const MetricsSnapshot& snapshot);

}  // namespace switchboard::server
