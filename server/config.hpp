// Server configuration: defaults, then an optional JSON file, then SWITCHBOARD_* environment
// variables, then command-line flags (later sources win). Parsed once at start-up; a plain
// value afterwards, copied into whoever needs it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/messages.hpp"
#include "protocol/types.hpp"

namespace switchboard::server {

enum class LogFormat { text, json };

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port (logged at start-up)

  Millis ring_timeout{30'000};     // --ring-timeout seconds (fractions allowed)
  Millis heartbeat{20'000};        // --heartbeat seconds: keep-alive ping interval
  Millis ended_retention{60'000};  // --ended-retention seconds

  // Reconnect/resume: how long and how much a dropped (not cleanly closed) session keeps.
  Millis resume_window{120'000};    // --resume-window seconds
  std::size_t resume_buffer = 300;  // --resume-buffer events replayable per session
  std::size_t resume_buffer_bytes =
      std::size_t{256} * 1024;     // --resume-buffer-bytes: and their size
  Millis reconnect_grace{30'000};  // --reconnect-grace: an active call waits for a dropped party
  Millis caller_grace{15'000};     // --caller-grace: a ringing call waits for a dropped caller
  bool ring_offline = false;       // --ring-offline: ring users with no device until timeout

  // Authentication (README "Security"). Tokens are checked with an HS256/384/512 secret or a
  // PEM public key (RS256 for an RSA key, ES256 for an EC P-256 key); with neither, dev mode.
  std::string jwt_secret;                    // --jwt-secret
  std::string jwt_public_key_file;           // --jwt-public-key: path of a PEM public key
  std::string jwt_public_key_pem;            // its text, read and checked by parse_config()
  Millis jwt_leeway{10'000};                 // --jwt-leeway seconds: clock skew allowed on exp/nbf
  std::string jwt_audience;                  // --jwt-audience: required `aud` when set
  std::string jwt_issuer;                    // --jwt-issuer: required `iss` when set
  std::string jwt_user_claim = "sub";        // --jwt-user-claim: the claim holding the user id
  bool allow_insecure_dev_auth = false;      // dev mode on a non-loopback address
  std::vector<std::string> allowed_origins;  // --allowed-origin (repeatable); empty: any

  // TLS (wss://): both or neither.
  std::string tls_cert_file;  // --tls-cert: PEM certificate chain
  std::string tls_key_file;   // --tls-key: PEM private key

  std::size_t max_message_bytes = std::size_t{64} * 1024;       // bigger frames close with 1009
  std::size_t max_call_data_bytes = kMaxCallDataBytes;          // `data` of call/answer
  std::size_t max_signal_data_bytes = kMaxSignalDataBytes;      // `data` of signal
  std::size_t max_send_queue_bytes = std::size_t{1024} * 1024;  // more pending closes with 4008
  std::size_t max_connections = 20'000;                         // refuse upgrades beyond (503)
  double message_rate = 50;               // --message-rate: messages per second per connection
  std::size_t message_burst = 200;        // --message-burst: token bucket size
  std::size_t max_devices_per_user = 10;  // --max-devices-per-user: the next closes with 4029
  std::size_t max_ringing_per_user = 5;   // --max-ringing-per-user: outgoing ringing calls
  Millis handshake_timeout{5'000};        // --handshake-timeout: request + WebSocket handshake
  Millis idle_timeout{10'000};     // --idle-timeout: an HTTP connection silent before a request
  Millis shutdown_timeout{3'000};  // wait for close handshakes at exit

  std::string log_level = "info";  // trace|debug|info|warn|error|critical|off
  LogFormat log_format = LogFormat::text;
};

// The codec's `data` limits as configured.
inline CodecLimits codec_limits(const Config& config) {
  return CodecLimits{config.max_call_data_bytes, config.max_signal_data_bytes};
}

// What parse_config() wants main() to do besides running.
struct ExitNow {
  int code = 0;         // 0 for --help/--version, 2 for a bad configuration
  std::string message;  // printed to stdout (code 0) or stderr (code 2)
};

// Looks an environment variable up; injectable so tests need not touch the real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

std::variant<Config, ExitNow> parse_config(const std::vector<std::string>& args,
                                           const EnvLookup& env);

}  // namespace switchboard::server
