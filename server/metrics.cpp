#include "server/metrics.hpp"

#include <string_view>
#include <utility>

namespace switchboard::server {
namespace {

// One metric family: HELP and TYPE lines, then its samples. Values are integers, so plain
// decimal is valid exposition text.
class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    out_.append(name).append(labels).append(" ").append(std::to_string(value)).append("\n");
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string render_metrics(const MetricsSnapshot& s) {
  Writer w;
  w.family("switchboard_connections", "gauge", "WebSocket connections open.");
  w.sample("switchboard_connections", "", s.websocket_connections);
  w.family("switchboard_sessions", "gauge",
           "Sessions held by the engine, attached to a connection or detached.");
  w.sample("switchboard_sessions", "", s.engine.sessions);
  w.family("switchboard_sessions_detached", "gauge",
           "Sessions without a connection, held for resume.");
  w.sample("switchboard_sessions_detached", "", s.engine.detached_sessions);
  w.family("switchboard_calls", "gauge",
           "Calls by state; ended calls are those still retained for late commands.");
  w.sample("switchboard_calls", R"({state="ringing"})", s.engine.ringing_calls);
  w.sample("switchboard_calls", R"({state="active"})", s.engine.active_calls);
  w.sample("switchboard_calls", R"({state="ended"})", s.engine.ended_calls);
  w.family("switchboard_connections_total", "counter", "WebSocket connections accepted.");
  w.sample("switchboard_connections_total", "", s.connections_total);
  w.family("switchboard_upgrades_refused_total", "counter",
           "WebSocket upgrade requests refused with an HTTP error (400, 401, 503).");
  w.sample("switchboard_upgrades_refused_total", "", s.upgrades_refused_total);
  return w.take();
}

}  // namespace switchboard::server
