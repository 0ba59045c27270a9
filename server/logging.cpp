#include "server/logging.hpp"

#include <ctime>
#include <memory>

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace switchboard::server {
namespace {

// One JSON object per line: {"ts":"2024-05-01T12:00:00.123Z","level":"info","msg":"..."}.
// The message goes through nlohmann's string escaping (invalid UTF-8 replaced), so quotes,
// backslashes and control characters in logged values can never break a line apart.
class JsonLineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto since_epoch = msg.time.time_since_epoch();
    const auto secs = duration_cast<seconds>(since_epoch);
    const auto millis = duration_cast<milliseconds>(since_epoch - secs).count();
    const std::time_t t = static_cast<std::time_t>(secs.count());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[32];
    const auto n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);

    nlohmann::ordered_json line;
    line["ts"] = std::string(ts, n) + fmt::format(".{:03}Z", millis);
    const auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string(level.data(), level.size());
    line["msg"] = std::string(msg.payload.data(), msg.payload.size());
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLineFormatter>();
  }
};

}  // namespace

void setup_logging(const Config& config) {
  std::shared_ptr<spdlog::logger> logger;
  if (config.log_format == LogFormat::json) {
    // Colour codes would corrupt the JSON; a plain sink writes bytes as formatted.
    logger = spdlog::stdout_logger_mt("switchboard");
    logger->set_formatter(std::make_unique<JsonLineFormatter>());
  } else {
    logger = spdlog::stdout_color_mt("switchboard");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(config.log_level));
  // Operators tail these lines and tests wait for "listening on": flush every line.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace switchboard::server
