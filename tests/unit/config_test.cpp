// parse_config(): defaults, each source, precedence and validation. The environment is an
// injected map and config files live in a per-test temporary directory.
#include "server/config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace switchboard::server {
namespace {

using namespace std::chrono_literals;

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  EnvLookup env() const {
    return [vars = env_](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }

  std::string write_file(const std::string& text) {
    if (dir_.empty()) {
      const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
      dir_ = std::filesystem::temp_directory_path() /
             (std::string("switchboard_config_test_") + info->name() + "_" +
              std::to_string(::getpid()));
      std::filesystem::create_directories(dir_);
    }
    const auto path = dir_ / "config.json";
    std::ofstream(path) << text;
    return path.string();
  }

  Config parse_ok(const std::vector<std::string>& args) {
    auto result = parse_config(args, env());
    if (auto* exit_now = std::get_if<ExitNow>(&result)) {
      ADD_FAILURE() << "unexpected exit " << exit_now->code << ": " << exit_now->message;
      return Config{};
    }
    return std::get<Config>(result);
  }

  ExitNow parse_exit(const std::vector<std::string>& args) {
    auto result = parse_config(args, env());
    if (auto* exit_now = std::get_if<ExitNow>(&result)) return *exit_now;
    ADD_FAILURE() << "expected ExitNow";
    return ExitNow{-1, ""};
  }

  std::map<std::string, std::string> env_;
  std::filesystem::path dir_;
};

TEST_F(ConfigTest, DefaultsMatchTheProtocol) {
  const Config c = parse_ok({});
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.ring_timeout, 30s);
  EXPECT_EQ(c.heartbeat, 20s);
  EXPECT_EQ(c.ended_retention, 60s);
  EXPECT_EQ(c.resume_window, 120s);
  EXPECT_EQ(c.resume_buffer, 300u);
  EXPECT_EQ(c.resume_buffer_bytes, 256u * 1024);
  EXPECT_EQ(c.reconnect_grace, 30s);
  EXPECT_EQ(c.caller_grace, 15s);
  EXPECT_FALSE(c.ring_offline);
  EXPECT_EQ(c.jwt_secret, "");
  EXPECT_FALSE(c.allow_insecure_dev_auth);
  EXPECT_EQ(c.max_message_bytes, 64u * 1024);
  EXPECT_EQ(c.max_send_queue_bytes, 1024u * 1024);
  EXPECT_EQ(c.max_connections, 20'000u);
  EXPECT_EQ(c.shutdown_timeout, 3s);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.log_format, LogFormat::text);
}

TEST_F(ConfigTest, EveryFlag) {
  const Config c = parse_ok({"--host",
                             "0.0.0.0",
                             "--port",
                             "0",
                             "--ring-timeout",
                             "2.5",
                             "--heartbeat=7",
                             "--ended-retention",
                             "0",
                             "--resume-window",
                             "1.5",
                             "--resume-buffer",
                             "100000",
                             "--resume-buffer-bytes",
                             "65536",
                             "--reconnect-grace",
                             "0",
                             "--caller-grace=600",
                             "--ring-offline",
                             "--jwt-secret",
                             "s3cret",
                             "--allow-insecure-dev-auth",
                             "--max-message-bytes",
                             "1000",
                             "--max-send-queue-bytes",
                             "5000",
                             "--max-connections",
                             "3",
                             "--shutdown-timeout",
                             "0.25",
                             "--log-level",
                             "debug",
                             "--log-format",
                             "json"});
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 0);
  EXPECT_EQ(c.ring_timeout, 2500ms);
  EXPECT_EQ(c.heartbeat, 7s);
  EXPECT_EQ(c.ended_retention, 0ms);
  EXPECT_EQ(c.resume_window, 1500ms);
  EXPECT_EQ(c.resume_buffer, 100'000u);
  EXPECT_EQ(c.resume_buffer_bytes, 65'536u);
  EXPECT_EQ(c.reconnect_grace, 0ms);
  EXPECT_EQ(c.caller_grace, 600s);
  EXPECT_TRUE(c.ring_offline);
  EXPECT_EQ(c.jwt_secret, "s3cret");
  EXPECT_TRUE(c.allow_insecure_dev_auth);
  EXPECT_EQ(c.max_message_bytes, 1000u);
  EXPECT_EQ(c.max_send_queue_bytes, 5000u);
  EXPECT_EQ(c.max_connections, 3u);
  EXPECT_EQ(c.shutdown_timeout, 250ms);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.log_format, LogFormat::json);
}

TEST_F(ConfigTest, BooleanFlagTakesAnExplicitValue) {
  EXPECT_FALSE(parse_ok({"--allow-insecure-dev-auth=false"}).allow_insecure_dev_auth);
  EXPECT_TRUE(parse_ok({"--allow-insecure-dev-auth=true"}).allow_insecure_dev_auth);
  EXPECT_FALSE(parse_ok({"--ring-offline=false"}).ring_offline);
  EXPECT_TRUE(parse_ok({"--ring-offline=true"}).ring_offline);
}

TEST_F(ConfigTest, ResumeOptionsAtTheEdgesOfTheirRanges) {
  const Config low = parse_ok({"--resume-window", "1", "--resume-buffer", "1", "--reconnect-grace",
                               "0", "--caller-grace", "0"});
  EXPECT_EQ(low.resume_window, 1s);
  EXPECT_EQ(low.resume_buffer, 1u);
  EXPECT_EQ(low.reconnect_grace, 0ms);
  EXPECT_EQ(low.caller_grace, 0ms);
  const Config high = parse_ok({"--resume-window", "3600", "--resume-buffer", "100000",
                                "--reconnect-grace", "600", "--caller-grace", "0.5"});
  EXPECT_EQ(high.resume_window, 3600s);
  EXPECT_EQ(high.resume_buffer, 100'000u);
  EXPECT_EQ(high.reconnect_grace, 600s);
  EXPECT_EQ(high.caller_grace, 500ms);
}

TEST_F(ConfigTest, EnvironmentVariables) {
  env_ = {
      {"SWITCHBOARD_RING_TIMEOUT", "45"},           {"SWITCHBOARD_PORT", "9000"},
      {"SWITCHBOARD_JWT_SECRET", "from-env"},       {"SWITCHBOARD_ALLOW_INSECURE_DEV_AUTH", "true"},
      {"SWITCHBOARD_MAX_SEND_QUEUE_BYTES", "2048"}, {"SWITCHBOARD_LOG_FORMAT", "json"},
      {"SWITCHBOARD_RESUME_WINDOW", "300"},         {"SWITCHBOARD_RESUME_BUFFER", "50"},
      {"SWITCHBOARD_RECONNECT_GRACE", "10"},        {"SWITCHBOARD_CALLER_GRACE", "5"},
      {"SWITCHBOARD_RING_OFFLINE", "true"},         {"SWITCHBOARD_UNRELATED", "ignored"}};
  const Config c = parse_ok({});
  EXPECT_EQ(c.ring_timeout, 45s);
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.jwt_secret, "from-env");
  EXPECT_TRUE(c.allow_insecure_dev_auth);
  EXPECT_EQ(c.max_send_queue_bytes, 2048u);
  EXPECT_EQ(c.log_format, LogFormat::json);
  EXPECT_EQ(c.resume_window, 300s);
  EXPECT_EQ(c.resume_buffer, 50u);
  EXPECT_EQ(c.reconnect_grace, 10s);
  EXPECT_EQ(c.caller_grace, 5s);
  EXPECT_TRUE(c.ring_offline);
}

TEST_F(ConfigTest, JsonFile) {
  const auto path = write_file(R"({"host": "::1", "port": 7000, "heartbeat": 1.5,
      "allow-insecure-dev-auth": true, "log-level": "warn", "max-connections": 12})");
  const Config c = parse_ok({"--config", path});
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.heartbeat, 1500ms);
  EXPECT_TRUE(c.allow_insecure_dev_auth);
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_EQ(c.max_connections, 12u);
}

TEST_F(ConfigTest, ResumeOptionsInAJsonFile) {
  const auto path = write_file(R"({"resume-window": 60, "resume-buffer": 1000,
      "reconnect-grace": 2.5, "caller-grace": 0, "ring-offline": true})");
  const Config c = parse_ok({"--config", path});
  EXPECT_EQ(c.resume_window, 60s);
  EXPECT_EQ(c.resume_buffer, 1000u);
  EXPECT_EQ(c.reconnect_grace, 2500ms);
  EXPECT_EQ(c.caller_grace, 0ms);
  EXPECT_TRUE(c.ring_offline);
}

TEST_F(ConfigTest, RingOfflineFlagBeatsEnvironment) {
  env_["SWITCHBOARD_RING_OFFLINE"] = "true";
  EXPECT_FALSE(parse_ok({"--ring-offline=false"}).ring_offline);
}

TEST_F(ConfigTest, ConfigFileNamedByEnvironment) {
  env_["SWITCHBOARD_CONFIG"] = write_file(R"({"port": 7001})");
  EXPECT_EQ(parse_ok({}).port, 7001);
}

TEST_F(ConfigTest, FlagsBeatEnvironmentBeatsFile) {
  const auto path = write_file(R"({"port": 1, "ring-timeout": 10, "heartbeat": 11})");
  env_ = {{"SWITCHBOARD_PORT", "2"}, {"SWITCHBOARD_RING_TIMEOUT", "20"}};
  const Config c = parse_ok({"--config", path, "--port", "3"});
  EXPECT_EQ(c.port, 3);               // flag over env and file
  EXPECT_EQ(c.ring_timeout, 20s);     // env over file
  EXPECT_EQ(c.heartbeat, 11s);        // file over default
  EXPECT_EQ(c.ended_retention, 60s);  // default
}

TEST_F(ConfigTest, HelpAndVersionExitZero) {
  const ExitNow help = parse_exit({"--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* option :
       {"--ring-timeout", "--jwt-secret", "--max-send-queue-bytes", "--log-format", "--config",
        "--resume-window", "--resume-buffer", "--reconnect-grace", "--caller-grace",
        "--ring-offline", "SWITCHBOARD_"}) {
    EXPECT_NE(help.message.find(option), std::string::npos) << option;
  }
  for (const char* option :
       {"--jwt-public-key", "--jwt-leeway", "--jwt-audience", "--jwt-issuer", "--jwt-user-claim",
        "--allowed-origin", "--tls-cert", "--tls-key", "--message-rate", "--message-burst"}) {
    EXPECT_NE(help.message.find(option), std::string::npos) << option;
  }
  for (const char* option :
       {"--max-devices-per-user", "--max-ringing-per-user", "--handshake-timeout", "--idle-timeout",
        "HS384", "RS256", "ES256", "loopback", "(default 20000)"}) {
    EXPECT_NE(help.message.find(option), std::string::npos) << option;
  }
  // --help wins even over otherwise invalid input.
  EXPECT_EQ(parse_exit({"--port", "99999", "--help"}).code, 0);
  const ExitNow version = parse_exit({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.message.find("switchboard"), std::string::npos);
}

struct BadInput {
  std::vector<std::string> args;
  std::string mentions;  // the message must name what is wrong
};

TEST_F(ConfigTest, InvalidFlagsExitTwoWithAClearMessage) {
  const std::vector<BadInput> cases = {
      {{"--ring-timeout", "0.5"}, "ring-timeout"},
      {{"--ring-timeout", "601"}, "ring-timeout"},
      {{"--ring-timeout", "nan"}, "ring-timeout"},
      {{"--heartbeat", "0"}, "heartbeat"},
      {{"--heartbeat", "3601"}, "heartbeat"},
      {{"--port", "65536"}, "port"},
      {{"--port", "-1"}, "port"},
      {{"--port", "http"}, "port"},
      {{"--max-message-bytes", "0"}, "max-message-bytes"},
      {{"--max-send-queue-bytes", "-5"}, "max-send-queue-bytes"},
      {{"--max-connections", "0"}, "max-connections"},
      {{"--shutdown-timeout", "-1"}, "shutdown-timeout"},
      {{"--resume-window", "0"}, "resume-window"},
      {{"--resume-window", "0.5"}, "resume-window"},
      {{"--resume-window", "3601"}, "resume-window"},
      {{"--resume-window", "inf"}, "resume-window"},
      {{"--resume-buffer", "0"}, "resume-buffer"},
      {{"--resume-buffer", "100001"}, "resume-buffer"},
      {{"--resume-buffer", "-3"}, "resume-buffer"},
      {{"--resume-buffer", "1.5"}, "resume-buffer"},
      {{"--resume-buffer-bytes", "4095"}, "resume-buffer-bytes"},
      {{"--resume-buffer-bytes", "1073741825"}, "resume-buffer-bytes"},
      {{"--reconnect-grace", "-0.1"}, "reconnect-grace"},
      {{"--reconnect-grace", "601"}, "reconnect-grace"},
      {{"--caller-grace", "-1"}, "caller-grace"},
      {{"--caller-grace", "600.5"}, "caller-grace"},
      {{"--ring-offline=maybe"}, "ring-offline"},
      {{"--log-level", "verbose"}, "log-level"},
      {{"--log-format", "xml"}, "log-format"},
      {{"--host", ""}, "host"},
      {{"--no-such-flag"}, "no-such-flag"},
      {{"--port"}, "port"},
      {{"stray-positional"}, "stray-positional"},
      {{"--jwt-leeway", "-1"}, "jwt-leeway"},
      {{"--jwt-leeway", "601"}, "jwt-leeway"},
      {{"--jwt-user-claim", ""}, "jwt-user-claim"},
      {{"--message-rate", "0"}, "message-rate"},
      {{"--message-rate", "-5"}, "message-rate"},
      {{"--message-rate", "100001"}, "message-rate"},
      {{"--message-rate", "nan"}, "message-rate"},
      {{"--message-burst", "0"}, "message-burst"},
      {{"--message-burst", "1000001"}, "message-burst"},
      {{"--message-burst", "1.5"}, "message-burst"},
      {{"--max-devices-per-user", "0"}, "max-devices-per-user"},
      {{"--max-devices-per-user", "1001"}, "max-devices-per-user"},
      {{"--max-ringing-per-user", "0"}, "max-ringing-per-user"},
      {{"--max-ringing-per-user", "1001"}, "max-ringing-per-user"},
      {{"--handshake-timeout", "0.05"}, "handshake-timeout"},
      {{"--handshake-timeout", "601"}, "handshake-timeout"},
      {{"--idle-timeout", "0"}, "idle-timeout"},
      {{"--idle-timeout", "3601"}, "idle-timeout"},
  };
  for (const auto& c : cases) {
    const ExitNow e = parse_exit(c.args);
    EXPECT_EQ(e.code, 2) << c.args[0];
    EXPECT_NE(e.message.find(c.mentions), std::string::npos) << e.message;
  }
}

TEST_F(ConfigTest, InvalidEnvironmentValueExitsTwo) {
  env_["SWITCHBOARD_HEARTBEAT"] = "often";
  const ExitNow e = parse_exit({});
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.message.find("heartbeat"), std::string::npos) << e.message;
}

TEST_F(ConfigTest, InvalidFilesExitTwo) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "not valid JSON"},
      {"[1, 2]", "JSON object"},
      {R"({"prot": 80})", "prot"},
      {R"({"port": {"nested": 1}})", "port"},
      {R"({"port": null})", "port"},
      {R"({"config": "other.json"})", "config"},
      {R"({"ring-timeout": 0})", "ring-timeout"},
      {R"({"resume-buffer": 0})", "resume-buffer"},
      {R"({"ring-offline": "sometimes"})", "ring-offline"},
      {R"({"allowed-origin": [1]})", "allowed-origin"},
      {R"({"allowed-origin": ["https://ok.example", "nope"]})", "nope"},
      {R"({"allowed-origin": {"a": "https://a.example"}})", "allowed-origin"},
      {R"({"port": [1, 2]})", "port"},
      {R"({"jwt-leeway": 700})", "jwt-leeway"},
  };
  for (const auto& [text, mentions] : cases) {
    const ExitNow e = parse_exit({"--config", write_file(text)});
    EXPECT_EQ(e.code, 2) << text;
    EXPECT_NE(e.message.find(mentions), std::string::npos) << text << " -> " << e.message;
  }
  const ExitNow missing = parse_exit({"--config", "/nonexistent/switchboard.json"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.message.find("/nonexistent/switchboard.json"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::server
