// Config parsing with Boost.Program_options. Every source (flags, environment, JSON file) is
// turned into po::parsed_options over one options_description, then stored flags-first:
// po::store never overwrites a stored value, which gives "flags > env > file" for free.
// Defaults come from Config{} itself, so an absent option simply leaves the field alone.
#include "server/config.hpp"

#include <boost/program_options.hpp>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace switchboard::server {
namespace {

namespace po = boost::program_options;

constexpr const char* kVersion = "switchboard 0.1.0";
constexpr const char* kEnvPrefix = "SWITCHBOARD_";

// Thrown only inside parse_config() and turned into ExitNow{2}: exceptions are fine at
// start-up, and they keep each check to one line.
struct ConfigError {
  std::string message;
};

po::options_description make_options() {
  po::options_description desc("Usage: switchboard [options]\nOptions");
  // Numbers are read as double / long long and range-checked below, so that "-1" or "1e9"
  // produce our own message instead of a silent wrap-around.
  desc.add_options()                                                                       //
      ("help", "print this help and exit")                                                 //
      ("version", "print the version and exit")                                            //
      ("config", po::value<std::string>(), "JSON file whose keys are these option names")  //
      ("host", po::value<std::string>(), "address to listen on (default 127.0.0.1)")       //
      ("port", po::value<long long>(), "TCP port, 0 picks a free one (default 8080)")      //
      ("ring-timeout", po::value<double>(), "seconds a call rings, 1-600 (default 30)")    //
      ("heartbeat", po::value<double>(),
       "keep-alive ping interval in seconds, 1-3600 (default 20)")  //
      ("ended-retention", po::value<double>(),
       "seconds ended calls answer late commands, 0-86400 (default 60)")  //
      ("resume-window", po::value<double>(),
       "seconds a dropped session can be resumed, 1-3600 (default 120)")  //
      ("resume-buffer", po::value<long long>(),
       "events kept per session for replay on resume, 1-100000 (default 300)")  //
      ("resume-buffer-bytes", po::value<long long>(),
       "bytes of events kept per session for replay on resume, 4096-1073741824 (default "
       "262144)")  //
      ("reconnect-grace", po::value<double>(),
       "seconds an active call waits for a dropped party, 0-600 (default 30)")  //
      ("caller-grace", po::value<double>(),
       "seconds a ringing call waits for a dropped caller, 0-600 (default 15)")  //
      ("ring-offline", po::value<bool>()->implicit_value(true),
       "ring a callee with no connected device for the ring timeout instead of answering "
       "unavailable")  //
      ("jwt-secret", po::value<std::string>(),
       "HS256 secret; when empty, dev mode trusts ?user= (default empty)")  //
      ("allow-insecure-dev-auth", po::value<bool>()->implicit_value(true),
       "allow dev mode on a non-loopback address")  //
      ("max-message-bytes", po::value<long long>(),
       "largest accepted frame; bigger closes with 1009 (default 65536)")  //
      ("max-send-queue-bytes", po::value<long long>(),
       "pending outbound bytes per connection before closing with 4008 (default 1048576)")  //
      ("max-connections", po::value<long long>(),
       "WebSocket connections before upgrades get 503 (default 10000)")  //
      ("shutdown-timeout", po::value<double>(),
       "seconds to wait for close handshakes at exit, 0-600 (default 3)")  //
      ("log-level", po::value<std::string>(),
       "trace|debug|info|warn|error|critical|off (default info)")  //
      ("log-format", po::value<std::string>(), "text|json (default text)");
  return desc;
}

// "ring-timeout" -> "SWITCHBOARD_RING_TIMEOUT".
std::string env_name(const std::string& option) {
  std::string name = kEnvPrefix;
  for (char c : option) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

// The same job as po::parse_environment with a name mapper, but through the injected lookup
// so that tests never touch the process environment. SWITCHBOARD_CONFIG names the file.
po::parsed_options parse_env(const po::options_description& desc, const EnvLookup& env) {
  po::parsed_options parsed(&desc);
  for (const auto& option : desc.options()) {
    const std::string& name = option->long_name();
    if (name == "help" || name == "version") continue;
    if (auto value = env(env_name(name))) {
      parsed.options.emplace_back(name, std::vector<std::string>{*value});
    }
  }
  return parsed;
}

std::string json_scalar_to_string(const std::string& key, const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return value.dump();
  throw ConfigError{"config file: \"" + key + "\" must be a number, string or boolean"};
}

po::parsed_options parse_file(const po::options_description& desc, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError{"cannot read config file " + path};
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw ConfigError{"config file " + path + " is not valid JSON"};
  if (!json.is_object()) throw ConfigError{"config file " + path + " must hold a JSON object"};

  po::parsed_options parsed(&desc);
  for (const auto& [key, value] : json.items()) {
    if (key == "help" || key == "version" || key == "config" ||
        desc.find_nothrow(key, /*approx=*/false) == nullptr) {
      std::string message = "config file ";
      message += path;
      message += ": unknown option \"";
      message += key;
      message += '"';
      throw ConfigError{std::move(message)};
    }
    parsed.options.emplace_back(key, std::vector<std::string>{json_scalar_to_string(key, value)});
  }
  return parsed;
}

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

bool is_log_level(const std::string& level) {
  for (const char* known : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (level == known) return true;
  }
  return false;
}

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
  if (vm.count("jwt-secret")) config.jwt_secret = vm["jwt-secret"].as<std::string>();
  if (vm.count("allow-insecure-dev-auth")) {
    config.allow_insecure_dev_auth = vm["allow-insecure-dev-auth"].as<bool>();
  }
  if (vm.count("max-message-bytes")) {
    config.max_message_bytes = positive_option(vm, "max-message-bytes");
  }
  if (vm.count("max-send-queue-bytes")) {
    config.max_send_queue_bytes = positive_option(vm, "max-send-queue-bytes");
  }
  if (vm.count("max-connections")) {
    config.max_connections = positive_option(vm, "max-connections");
  }
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

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    // Read once at start-up, before any thread exists.
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::variant<Config, ExitNow> parse_config(const std::vector<std::string>& args,
                                           const EnvLookup& env) {
  const po::options_description desc = make_options();
  try {
    po::variables_map vm;
    auto flags = po::command_line_parser(args).options(desc).run();
    for (const auto& option : flags.options) {
      // Without a positional description Boost keeps stray words and then ignores them.
      if (option.position_key >= 0) {
        throw ConfigError{"unexpected argument \"" + option.value.front() + "\" (see --help)"};
      }
    }
    po::store(flags, vm);
    if (vm.count("help")) {
      std::ostringstream out;
      out << desc << "\nEvery option can also be set as SWITCHBOARD_<OPTION> (for example "
          << "SWITCHBOARD_RING_TIMEOUT=45)\nor as a key of the --config file. "
          << "Precedence: flags, then environment, then file.\n";
      return ExitNow{0, out.str()};
    }
    if (vm.count("version")) return ExitNow{0, std::string(kVersion) + "\n"};

    po::store(parse_env(desc, env), vm);
    if (vm.count("config")) po::store(parse_file(desc, vm["config"].as<std::string>()), vm);
    po::notify(vm);
    return to_config(vm);
  } catch (const ConfigError& e) {
    return ExitNow{2, "switchboard: " + e.message};
  } catch (const po::error& e) {
    return ExitNow{2, std::string("switchboard: ") + e.what() + " (see --help)"};
  }
}

}  // namespace switchboard::server
