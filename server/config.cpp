// Config parsing with Boost.Program_options. Every source (flags, environment, JSON file) is
// turned into po::parsed_options over one options_description, then stored flags-first:
// po::store never overwrites a stored value, which gives "flags > env > file" for free.
// Defaults come from Config{} itself, so an absent option simply leaves the field alone;
// config_values.cpp turns what was stored into a checked Config.
#include "server/config.hpp"

#include <boost/program_options.hpp>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "server/config_values.hpp"

namespace switchboard::server {
namespace {

namespace po = boost::program_options;
using config_detail::ConfigError;
using config_detail::kListOption;
using config_detail::to_config;

constexpr const char* kVersion = "switchboard 0.1.0";
constexpr const char* kEnvPrefix = "SWITCHBOARD_";

po::options_description make_options() {
  po::options_description desc("Usage: switchboard [options]\nOptions");
  // Numbers are read as double / long long and range-checked in config_values.cpp.
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
       "HS256/HS384/HS512 shared secret (a Supabase project's JWT secret works). With neither "
       "this nor --jwt-public-key, dev mode trusts ?user=, on a loopback address only unless "
       "--allow-insecure-dev-auth (default empty)")  //
      ("jwt-public-key", po::value<std::string>(),
       "PEM public key file instead of a secret: RS256 tokens for an RSA key (2048 bits or "
       "more), ES256 tokens for an EC P-256 key")  //
      ("jwt-leeway", po::value<double>(),
       "seconds of clock skew allowed on a token's exp and nbf, 0-600 (default 10)")  //
      ("jwt-audience", po::value<std::string>(),
       "aud that user tokens must carry, e.g. authenticated (default: not checked)")  //
      ("jwt-issuer", po::value<std::string>(),
       "iss that user tokens must carry, e.g. https://<ref>.supabase.co/auth/v1 (default: not "
       "checked)")  //
      ("jwt-user-claim", po::value<std::string>(),
       "token claim holding the user id (default sub)")  //
      ("allow-insecure-dev-auth", po::value<bool>()->implicit_value(true),
       "allow dev mode on a non-loopback address")  //
      (kListOption, po::value<std::vector<std::string>>(),
       "origin allowed to open WebSockets, scheme://host[:port]; repeat the flag for more (in "
       "the environment: comma-separated; in the file: an array). Default: any origin")  //
      ("tls-cert", po::value<std::string>(),
       "PEM certificate chain file: serve wss:// and https:// (needs --tls-key)")   //
      ("tls-key", po::value<std::string>(), "PEM private key file for --tls-cert")  //
      ("max-message-bytes", po::value<long long>(),
       "largest accepted frame; bigger closes with 1009 (default 65536)")  //
      ("max-call-data-bytes", po::value<long long>(),
       "largest `data` of a call or answer, 2-1048576; bigger is too_large (default 8192)")  //
      ("max-signal-data-bytes", po::value<long long>(),
       "largest `data` of a signal, 2-16777216; bigger is too_large (default 65536)")  //
      ("max-send-queue-bytes", po::value<long long>(),
       "pending outbound bytes per connection before closing with 4008 (default 1048576)")  //
      ("max-connections", po::value<long long>(),
       "WebSocket connections before upgrades get 503 (default 20000)")  //
      ("max-devices-per-user", po::value<long long>(),
       "connections one user may hold; the next closes with 4029, 1-1000 (default 10)")  //
      ("max-ringing-per-user", po::value<long long>(),
       "outgoing calls one user may have ringing at once, 1-1000 (default 5)")  //
      ("message-rate", po::value<double>(),
       "messages per second a connection may send on average, up to 100000 (default 50)")  //
      ("message-burst", po::value<long long>(),
       "messages a connection may send at once before the rate applies, 1-1000000 (default "
       "200)")  //
      ("handshake-timeout", po::value<double>(),
       "seconds for the HTTP request and WebSocket handshake, 0.1-600 (default 5)")  //
      ("idle-timeout", po::value<double>(),
       "seconds a new HTTP connection may stay silent before its request, 0.1-3600 (default "
       "10)")  //
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
    auto value = env(env_name(name));
    if (!value) continue;
    if (name != kListOption) {
      parsed.options.emplace_back(name, std::vector<std::string>{*value});
      continue;
    }
    // One option per item, as repeated flags would give.
    std::istringstream items(*value);
    for (std::string item; std::getline(items, item, ',');) {
      const auto first = item.find_first_not_of(" \t");
      if (first == std::string::npos) continue;  // tolerate "a,,b" and a trailing comma
      const auto last = item.find_last_not_of(" \t");
      parsed.options.emplace_back(name,
                                  std::vector<std::string>{item.substr(first, last - first + 1)});
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
    if (key == kListOption && value.is_array()) {
      for (const auto& item : value) {
        if (!item.is_string()) {
          throw ConfigError{"config file: \"" + key + "\" must be a string or an array of strings"};
        }
        parsed.options.emplace_back(key, std::vector<std::string>{item.get<std::string>()});
      }
      continue;
    }
    parsed.options.emplace_back(key, std::vector<std::string>{json_scalar_to_string(key, value)});
  }
  return parsed;
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
