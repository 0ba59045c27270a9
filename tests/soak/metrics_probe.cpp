#include "tests/soak/metrics_probe.hpp"

#include <charconv>
#include <sstream>
#include <utility>

namespace switchboard::soak {

std::optional<Metrics> parse_metrics(const std::string& body) {
  Metrics out;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) return std::nullopt;
    std::int64_t value = 0;
    const char* end = line.data() + line.size();
    const auto [ptr, ec] = std::from_chars(line.data() + space + 1, end, value);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    out[line.substr(0, space)] = value;
  }
  return out;
}

void fetch_metrics(Loop& loop, std::uint16_t port,
                   std::function<void(std::optional<Metrics>)> done) {
  http_get(loop, "127.0.0.1", port, "/metrics", Millis{3'000},
           [done = std::move(done)](int status, const std::string& body) {
             if (status != 200) return done(std::nullopt);
             done(parse_metrics(body));
           });
}

std::int64_t sample(const Metrics& m, const std::string& name) {
  const auto it = m.find(name);
  return it == m.end() ? -1 : it->second;
}

}  // namespace switchboard::soak
