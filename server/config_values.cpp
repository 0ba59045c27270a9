// From stored option values to a Config: each option's range or form is checked here, with
// a message that names the option. Numbers arrive as double / long long so that "-1" or
// "1e9" get our own message instead of a silent wrap-around.
#include "server/config_values.hpp"

#include <boost/program_options.hpp>

#include <cmath>
#include <sstream>
#include <utility>
#include <vector>

#include "server/config_checks.hpp"
#include "server/jwt_verifier.hpp"

namespace switchboard::server::config_detail {
namespace {

namespace po = boost::program_options;

Millis seconds_option(const po::variables_map& vm, const char* name, double min, double max) {
  const double seconds = vm[name].as<double>();
  if (!std::isfinite(seconds) || seconds < min || seconds > max) {
    std::ostringstream msg;
    msg << "--" << name << " must be between " << min << " and " << max << " seconds";
    throw ConfigError{msg.str()};
  }
  return Millis{std::llround(seconds * 1000.0)};
}

std::size_t count_option(const po::variables_map& vm, const char* name, long long min,
                         long long max) {
  const long long value = vm[name].as<long long>();
  if (value < min || value > max) {
    throw ConfigError{std::string("--") + name + " must be an integer between " +
                      std::to_string(min) + " and " + std::to_string(max)};
  }
  return static_cast<std::size_t>(value);
}

std::size_t positive_option(const po::variables_map& vm, const char* name) {
  const long long value = vm[name].as<long long>();
  if (value <= 0) throw ConfigError{std::string("--") + name + " must be a positive integer"};
  return static_cast<std::size_t>(value);
}

std::string string_option(const po::variables_map& vm, const char* name) {
  return vm[name].as<std::string>();
}

// A readable file, or a ConfigError naming the option.
std::string file_option(const po::variables_map& vm, const char* name) {
  const std::string path = string_option(vm, name);
  auto text = read_text_file(path);
  if (!text) throw ConfigError{std::string("--") + name + ": cannot read file " + path};
  return std::move(*text);
}

// Authentication and TLS: the keys are read here, at start-up, so that a bad one stops the
// server with exit code 2 instead of refusing every client later.
void apply_security_options(const po::variables_map& vm, Config& config) {
  if (vm.count("jwt-secret")) config.jwt_secret = string_option(vm, "jwt-secret");
  if (vm.count("jwt-public-key")) {
    config.jwt_public_key_file = string_option(vm, "jwt-public-key");
    config.jwt_public_key_pem = file_option(vm, "jwt-public-key");
    auto type = inspect_public_key(config.jwt_public_key_pem);
    if (auto* why = std::get_if<std::string>(&type)) {
      throw ConfigError{"--jwt-public-key " + config.jwt_public_key_file + ": " + *why};
    }
    if (!config.jwt_secret.empty()) {
      throw ConfigError{"--jwt-secret and --jwt-public-key exclude each other: set one"};
    }
  }
  if (vm.count("jwt-leeway")) config.jwt_leeway = seconds_option(vm, "jwt-leeway", 0, 600);
  if (vm.count("jwt-audience")) config.jwt_audience = string_option(vm, "jwt-audience");
  if (vm.count("jwt-issuer")) config.jwt_issuer = string_option(vm, "jwt-issuer");
  if (vm.count("jwt-user-claim")) {
    config.jwt_user_claim = string_option(vm, "jwt-user-claim");
    if (config.jwt_user_claim.empty()) throw ConfigError{"--jwt-user-claim must not be empty"};
  }
  if (vm.count("allow-insecure-dev-auth")) {
    config.allow_insecure_dev_auth = vm["allow-insecure-dev-auth"].as<bool>();
  }
  if (vm.count(kListOption)) {
    for (const auto& origin : vm[kListOption].as<std::vector<std::string>>()) {
      auto normalized = normalize_origin(origin);
      if (!normalized) {
        throw ConfigError{"--allowed-origin \"" + origin +
                          "\" is not an origin: scheme://host[:port] without a path or a "
                          "trailing /, e.g. https://app.example.com"};
      }
      config.allowed_origins.push_back(std::move(*normalized));
    }
  }
  if (vm.count("tls-cert") != vm.count("tls-key")) {
    throw ConfigError{"--tls-cert and --tls-key go together: set both or neither"};
  }
  if (vm.count("tls-cert")) {
    // Only checked for readability: the TLS set-up loads them into OpenSSL.
    static_cast<void>(file_option(vm, "tls-cert"));
    static_cast<void>(file_option(vm, "tls-key"));
    config.tls_cert_file = string_option(vm, "tls-cert");
    config.tls_key_file = string_option(vm, "tls-key");
  }
}

// Per-connection and per-user limits and timeouts.
void apply_limit_options(const po::variables_map& vm, Config& config) {
  if (vm.count("max-message-bytes")) {
    config.max_message_bytes = positive_option(vm, "max-message-bytes");
  }
  // `{}` (2 bytes) is the smallest data object there is.
  if (vm.count("max-call-data-bytes")) {
    config.max_call_data_bytes = count_option(vm, "max-call-data-bytes", 2, 1LL << 20);
  }
  if (vm.count("max-signal-data-bytes")) {
    config.max_signal_data_bytes = count_option(vm, "max-signal-data-bytes", 2, 1LL << 24);
  }
  if (vm.count("max-send-queue-bytes")) {
    config.max_send_queue_bytes = positive_option(vm, "max-send-queue-bytes");
  }
  if (vm.count("max-connections")) {
    config.max_connections = positive_option(vm, "max-connections");
  }
  if (vm.count("max-devices-per-user")) {
    config.max_devices_per_user = count_option(vm, "max-devices-per-user", 1, 1000);
  }
  if (vm.count("max-ringing-per-user")) {
    config.max_ringing_per_user = count_option(vm, "max-ringing-per-user", 1, 1000);
  }
  if (vm.count("message-rate")) {
    const double rate = vm["message-rate"].as<double>();
    if (!std::isfinite(rate) || rate <= 0 || rate > 100'000) {
      throw ConfigError{"--message-rate must be above 0 and at most 100000 messages per second"};
    }
    config.message_rate = rate;
  }
  if (vm.count("message-burst")) {
    config.message_burst = count_option(vm, "message-burst", 1, 1'000'000);
  }
  if (vm.count("handshake-timeout")) {
    config.handshake_timeout = seconds_option(vm, "handshake-timeout", 0.1, 600);
  }
  if (vm.count("idle-timeout")) {
    config.idle_timeout = seconds_option(vm, "idle-timeout", 0.1, 3600);
  }
}

bool is_log_level(const std::string& level) {
  for (const char* known : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (level == known) return true;
  }
  return false;
}

}  // namespace

Config to_config(const po::variables_map& vm) {
  Config config;
  if (vm.count("host")) {
    config.host = vm["host"].as<std::string>();
    if (config.host.empty()) throw ConfigError{"--host must not be empty"};
  }
  if (vm.count("port")) {
    const long long port = vm["port"].as<long long>();
    if (port < 0 || port > 65535) throw ConfigError{"--port must be between 0 and 65535"};
    config.port = static_cast<std::uint16_t>(port);
  }
  if (vm.count("ring-timeout")) config.ring_timeout = seconds_option(vm, "ring-timeout", 1, 600);
  if (vm.count("heartbeat")) config.heartbeat = seconds_option(vm, "heartbeat", 1, 3600);
  if (vm.count("ended-retention")) {
    config.ended_retention = seconds_option(vm, "ended-retention", 0, 86400);
  }
  if (vm.count("resume-window")) {
    config.resume_window = seconds_option(vm, "resume-window", 1, 3600);
  }
  if (vm.count("resume-buffer")) {
    config.resume_buffer = count_option(vm, "resume-buffer", 1, 100'000);
  }
  if (vm.count("resume-buffer-bytes")) {
    config.resume_buffer_bytes = count_option(vm, "resume-buffer-bytes", 4096, 1LL << 30);
  }
  if (vm.count("reconnect-grace")) {
    config.reconnect_grace = seconds_option(vm, "reconnect-grace", 0, 600);
  }
  if (vm.count("caller-grace")) config.caller_grace = seconds_option(vm, "caller-grace", 0, 600);
  if (vm.count("ring-offline")) config.ring_offline = vm["ring-offline"].as<bool>();
  if (vm.count("shutdown-timeout")) {
    config.shutdown_timeout = seconds_option(vm, "shutdown-timeout", 0, 600);
  }
  apply_security_options(vm, config);
  apply_limit_options(vm, config);
  if (vm.count("log-level")) {
    config.log_level = vm["log-level"].as<std::string>();
    if (!is_log_level(config.log_level)) {
      throw ConfigError{
          "--log-level must be one of trace, debug, info, warn, error, critical, off"};
    }
  }
  if (vm.count("log-format")) {
    const auto& format = vm["log-format"].as<std::string>();
    if (format == "text") {
      config.log_format = LogFormat::text;
    } else if (format == "json") {
      config.log_format = LogFormat::json;
    } else {
      throw ConfigError{"--log-format must be text or json"};
    }
  }
  return config;
}

}  // namespace switchboard::server::config_detail
