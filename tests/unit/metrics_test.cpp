// render_metrics(): the Prometheus text exposition of a snapshot.
#include "server/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::server {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

TEST(MetricsTest, EveryFamilyWithHelpTypeAndValue) {
  MetricsSnapshot s;
  s.websocket_connections = 7;
  s.connections_total = 1234;
  s.upgrades_refused_total = 5;
  s.engine.connections = 6;
  s.engine.sessions = 9;
  s.engine.detached_sessions = 3;
  s.engine.ringing_calls = 2;
  s.engine.active_calls = 4;
  s.engine.ended_calls = 11;
  const std::string text = render_metrics(s);
  const std::vector<std::string> lines = lines_of(text);

  const std::vector<std::string> expected_samples = {
      "switchboard_connections 7",
      "switchboard_sessions 9",
      "switchboard_sessions_detached 3",
      R"(switchboard_calls{state="ringing"} 2)",
      R"(switchboard_calls{state="active"} 4)",
      R"(switchboard_calls{state="ended"} 11)",
      "switchboard_connections_total 1234",
      "switchboard_upgrades_refused_total 5",
  };
  for (const auto& sample : expected_samples) {
    EXPECT_NE(std::find(lines.begin(), lines.end(), sample), lines.end()) << sample;
  }
  const std::vector<std::pair<std::string, std::string>> families = {
      {"switchboard_connections", "gauge"},
      {"switchboard_sessions", "gauge"},
      {"switchboard_sessions_detached", "gauge"},
      {"switchboard_calls", "gauge"},
      {"switchboard_connections_total", "counter"},
      {"switchboard_upgrades_refused_total", "counter"},
  };
  for (const auto& [name, type] : families) {
    std::string type_line = "# TYPE ";
    type_line.append(name).append(" ").append(type);
    const auto type_at = std::find(lines.begin(), lines.end(), type_line);
    ASSERT_NE(type_at, lines.end()) << type_line;
    // HELP directly precedes TYPE, and TYPE precedes the family's samples.
    ASSERT_NE(type_at, lines.begin());
    EXPECT_EQ((type_at - 1)->rfind("# HELP " + name + " ", 0), 0u) << *(type_at - 1);
    ASSERT_NE(type_at + 1, lines.end());
    EXPECT_EQ((type_at + 1)->rfind(name, 0), 0u) << *(type_at + 1);
  }
}

TEST(MetricsTest, WellFormedExposition) {
  const std::string text = render_metrics(MetricsSnapshot{});
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');  // the format requires a final line feed
  for (const auto& line : lines_of(text)) {
    ASSERT_FALSE(line.empty());
    if (line[0] == '#') continue;
    // name[{labels}] value: exactly one space, and an integer value.
    const auto space = line.find(' ');
    ASSERT_NE(space, std::string::npos) << line;
    EXPECT_EQ(line.find(' ', space + 1), std::string::npos) << line;
    EXPECT_EQ(line.substr(space + 1), "0") << line;
  }
  EXPECT_EQ(std::string(kMetricsContentType), "text/plain; version=0.0.4");
}

}  // namespace
}  // namespace switchboard::server
