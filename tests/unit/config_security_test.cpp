// parse_config() for the security and limit options: JWT keys and claims, allowed origins,
// TLS files, rate and per-user limits, timeouts; each from flags, environment and file, and
// each validation error. Key files are generated into a per-test temporary directory.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "server/config.hpp"
#include "tests/unit/jwt_test_keys.hpp"

namespace switchboard::server {
namespace {

using namespace std::chrono_literals;
namespace keys = testing::jwt_keys;

class SecurityConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string write(const std::string& name, const std::string& text) {
    if (dir_.empty()) {
      const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
      dir_ = std::filesystem::temp_directory_path() /
             (std::string("switchboard_security_config_") + info->name() + "_" +
              std::to_string(::getpid()));
      std::filesystem::create_directories(dir_);
    }
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::variant<Config, ExitNow> parse(const std::vector<std::string>& args) {
    return parse_config(args, [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    });
  }

  Config parse_ok(const std::vector<std::string>& args) {
    auto result = parse(args);
    if (auto* exit_now = std::get_if<ExitNow>(&result)) {
      ADD_FAILURE() << "unexpected exit " << exit_now->code << ": " << exit_now->message;
      return Config{};
    }
    return std::get<Config>(result);
  }

  // Expects exit code 2 with a message that contains every one of `mentions`.
  void expect_error(const std::vector<std::string>& args,
                    const std::vector<std::string>& mentions) {
    auto result = parse(args);
    ASSERT_TRUE(std::holds_alternative<ExitNow>(result)) << (args.empty() ? "" : args.back());
    const ExitNow& e = std::get<ExitNow>(result);
    EXPECT_EQ(e.code, 2) << e.message;
    for (const auto& mention : mentions) {
      EXPECT_NE(e.message.find(mention), std::string::npos) << mention << " in " << e.message;
    }
  }

  std::map<std::string, std::string> env_;
  std::filesystem::path dir_;
};

TEST_F(SecurityConfigTest, Defaults) {
  const Config c = parse_ok({});
  EXPECT_EQ(c.jwt_public_key_file, "");
  EXPECT_EQ(c.jwt_public_key_pem, "");
  EXPECT_EQ(c.jwt_leeway, 10s);
  EXPECT_EQ(c.jwt_audience, "");
  EXPECT_EQ(c.jwt_issuer, "");
  EXPECT_EQ(c.jwt_user_claim, "sub");
  EXPECT_TRUE(c.allowed_origins.empty());
  EXPECT_EQ(c.tls_cert_file, "");
  EXPECT_EQ(c.tls_key_file, "");
  EXPECT_EQ(c.message_rate, 50.0);
  EXPECT_EQ(c.message_burst, 200u);
  EXPECT_EQ(c.max_devices_per_user, 10u);
  EXPECT_EQ(c.max_ringing_per_user, 5u);
  EXPECT_EQ(c.handshake_timeout, 5s);
  EXPECT_EQ(c.idle_timeout, 10s);
  EXPECT_EQ(c.max_connections, 20'000u);
}

TEST_F(SecurityConfigTest, EveryFlag) {
  const auto key = write("rsa.pub", keys::rsa2048().public_pem);
  const auto cert = write("cert.pem", "certificate");
  const auto tls_key = write("key.pem", "private key");
  const Config c = parse_ok({"--jwt-public-key",
                             key,
                             "--jwt-leeway",
                             "2.5",
                             "--jwt-audience",
                             "authenticated",
                             "--jwt-issuer",
                             "https://ref.supabase.co/auth/v1",
                             "--jwt-user-claim",
                             "uid",
                             "--allowed-origin",
                             "https://App.Example.com",
                             "--allowed-origin=http://localhost:3000",
                             "--allowed-origin",
                             "https://[::1]:8443",
                             "--tls-cert",
                             cert,
                             "--tls-key",
                             tls_key,
                             "--message-rate",
                             "0.5",
                             "--message-burst",
                             "1",
                             "--max-devices-per-user",
                             "1000",
                             "--max-ringing-per-user",
                             "1",
                             "--handshake-timeout",
                             "0.1",
                             "--idle-timeout",
                             "3600"});
  EXPECT_EQ(c.jwt_public_key_file, key);
  EXPECT_EQ(c.jwt_public_key_pem, keys::rsa2048().public_pem);
  EXPECT_EQ(c.jwt_leeway, 2500ms);
  EXPECT_EQ(c.jwt_audience, "authenticated");
  EXPECT_EQ(c.jwt_issuer, "https://ref.supabase.co/auth/v1");
  EXPECT_EQ(c.jwt_user_claim, "uid");
  // Lower-cased: browsers send Origin that way.
  EXPECT_EQ(c.allowed_origins,
            (std::vector<std::string>{"https://app.example.com", "http://localhost:3000",
                                      "https://[::1]:8443"}));
  EXPECT_EQ(c.tls_cert_file, cert);
  EXPECT_EQ(c.tls_key_file, tls_key);
  EXPECT_EQ(c.message_rate, 0.5);
  EXPECT_EQ(c.message_burst, 1u);
  EXPECT_EQ(c.max_devices_per_user, 1000u);
  EXPECT_EQ(c.max_ringing_per_user, 1u);
  EXPECT_EQ(c.handshake_timeout, 100ms);
  EXPECT_EQ(c.idle_timeout, 3600s);
}

TEST_F(SecurityConfigTest, EcP256KeyAndZeroLeeway) {
  const auto key = write("ec.pub", keys::ec_p256().public_pem);
  const Config c = parse_ok({"--jwt-public-key", key, "--jwt-leeway", "0"});
  EXPECT_EQ(c.jwt_public_key_pem, keys::ec_p256().public_pem);
  EXPECT_EQ(c.jwt_leeway, 0ms);
  // An empty secret is no secret: it does not collide with the key.
  EXPECT_EQ(parse_ok({"--jwt-public-key", key, "--jwt-secret", ""}).jwt_public_key_file, key);
}

TEST_F(SecurityConfigTest, EnvironmentVariables) {
  env_ = {{"SWITCHBOARD_JWT_PUBLIC_KEY", write("ec.pub", keys::ec_p256().public_pem)},
          {"SWITCHBOARD_JWT_LEEWAY", "30"},
          {"SWITCHBOARD_JWT_AUDIENCE", "authenticated"},
          {"SWITCHBOARD_JWT_ISSUER", "issuer"},
          {"SWITCHBOARD_JWT_USER_CLAIM", "user_id"},
          {"SWITCHBOARD_ALLOWED_ORIGIN", "https://a.example, http://localhost:5173,"},
          {"SWITCHBOARD_TLS_CERT", write("cert.pem", "c")},
          {"SWITCHBOARD_TLS_KEY", write("key.pem", "k")},
          {"SWITCHBOARD_MESSAGE_RATE", "100000"},
          {"SWITCHBOARD_MESSAGE_BURST", "1000000"},
          {"SWITCHBOARD_MAX_DEVICES_PER_USER", "3"},
          {"SWITCHBOARD_MAX_RINGING_PER_USER", "1000"},
          {"SWITCHBOARD_HANDSHAKE_TIMEOUT", "600"},
          {"SWITCHBOARD_IDLE_TIMEOUT", "0.1"}};
  const Config c = parse_ok({});
  EXPECT_EQ(c.jwt_public_key_pem, keys::ec_p256().public_pem);
  EXPECT_EQ(c.jwt_leeway, 30s);
  EXPECT_EQ(c.jwt_audience, "authenticated");
  EXPECT_EQ(c.jwt_issuer, "issuer");
  EXPECT_EQ(c.jwt_user_claim, "user_id");
  EXPECT_EQ(c.allowed_origins,
            (std::vector<std::string>{"https://a.example", "http://localhost:5173"}));
  EXPECT_EQ(c.tls_cert_file, env_["SWITCHBOARD_TLS_CERT"]);
  EXPECT_EQ(c.tls_key_file, env_["SWITCHBOARD_TLS_KEY"]);
  EXPECT_EQ(c.message_rate, 100'000.0);
  EXPECT_EQ(c.message_burst, 1'000'000u);
  EXPECT_EQ(c.max_devices_per_user, 3u);
  EXPECT_EQ(c.max_ringing_per_user, 1000u);
  EXPECT_EQ(c.handshake_timeout, 600s);
  EXPECT_EQ(c.idle_timeout, 100ms);
}

TEST_F(SecurityConfigTest, JsonFile) {
  const auto key = write("rsa.pub", keys::rsa2048().public_pem);
  const auto path = write("config.json", R"({"jwt-public-key": ")" + key + R"(",
      "jwt-leeway": 0.5, "jwt-audience": "aud", "jwt-issuer": "iss", "jwt-user-claim": "uid",
      "allowed-origin": ["https://a.example", "https://b.example:8443"],
      "message-rate": 20, "message-burst": 40, "max-devices-per-user": 2,
      "max-ringing-per-user": 3, "handshake-timeout": 1.5, "idle-timeout": 2})");
  const Config c = parse_ok({"--config", path});
  EXPECT_EQ(c.jwt_public_key_pem, keys::rsa2048().public_pem);
  EXPECT_EQ(c.jwt_leeway, 500ms);
  EXPECT_EQ(c.jwt_audience, "aud");
  EXPECT_EQ(c.jwt_issuer, "iss");
  EXPECT_EQ(c.jwt_user_claim, "uid");
  EXPECT_EQ(c.allowed_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example:8443"}));
  EXPECT_EQ(c.message_rate, 20.0);
  EXPECT_EQ(c.message_burst, 40u);
  EXPECT_EQ(c.max_devices_per_user, 2u);
  EXPECT_EQ(c.max_ringing_per_user, 3u);
  EXPECT_EQ(c.handshake_timeout, 1500ms);
  EXPECT_EQ(c.idle_timeout, 2s);

  const auto single = write("single.json", R"({"allowed-origin": "https://one.example"})");
  EXPECT_EQ(parse_ok({"--config", single}).allowed_origins,
            (std::vector<std::string>{"https://one.example"}));
}

// Like every option, the origin list comes from one source: flags over env over file.
TEST_F(SecurityConfigTest, AllowedOriginsFromOneSourceOnly) {
  const auto path = write("config.json", R"({"allowed-origin": ["https://file.example"]})");
  env_["SWITCHBOARD_ALLOWED_ORIGIN"] = "https://env.example";
  EXPECT_EQ(
      parse_ok({"--config", path, "--allowed-origin", "https://flag.example"}).allowed_origins,
      (std::vector<std::string>{"https://flag.example"}));
  EXPECT_EQ(parse_ok({"--config", path}).allowed_origins,
            (std::vector<std::string>{"https://env.example"}));
}

TEST_F(SecurityConfigTest, MalformedOrigins) {
  for (const char* origin : {"example.com",
                             "https://example.com/",
                             "https://example.com/app",
                             "https://",
                             "https://exa mple.com",
                             "https://a.example:0",
                             "https://a.example:65536",
                             "https://a.example:80x",
                             "https://a.example:",
                             "*",
                             "https://*.a.example",
                             "https://user@a.example",
                             "https://a.example?x=1",
                             "https://a.example#top",
                             "null",
                             "://a.example",
                             "1http://a.example",
                             "https://[::1",
                             "",
                             "https://a.example,https://b"}) {
    expect_error({"--allowed-origin", origin}, {"--allowed-origin"});
  }
  env_["SWITCHBOARD_ALLOWED_ORIGIN"] = "https://ok.example,https://bad.example/path";
  expect_error({}, {"https://bad.example/path"});
}

TEST_F(SecurityConfigTest, UnusableJwtPublicKeys) {
  expect_error({"--jwt-public-key", "/nonexistent/key.pem"},
               {"--jwt-public-key", "/nonexistent/key.pem"});
  write("empty.pem", "");
  expect_error({"--jwt-public-key", dir_.string()}, {"--jwt-public-key", "cannot read"});
  expect_error({"--jwt-public-key", (dir_ / "empty.pem").string()}, {"not a PEM public key"});
  expect_error({"--jwt-public-key", write("text.pem", "hello")}, {"not a PEM public key"});
  expect_error({"--jwt-public-key", write("private.pem", keys::ec_p256().private_pem)},
               {"not a PEM public key"});
  expect_error({"--jwt-public-key", write("rsa1024.pub", keys::rsa_key_pair(1024).public_pem)},
               {"--jwt-public-key", "1024 bits", "2048"});
  expect_error({"--jwt-public-key", write("p384.pub", keys::ec_key_pair("P-384").public_pem)},
               {"secp384r1", "P-256"});
  expect_error({"--jwt-public-key", write("ed.pub", keys::ed25519_key_pair().public_pem)},
               {"RS256", "ES256"});
}

TEST_F(SecurityConfigTest, SecretAndPublicKeyExcludeEachOther) {
  const auto key = write("ec.pub", keys::ec_p256().public_pem);
  expect_error({"--jwt-public-key", key, "--jwt-secret", "s3cret"},
               {"--jwt-secret", "--jwt-public-key"});
  env_["SWITCHBOARD_JWT_SECRET"] = "from-env";
  expect_error({"--jwt-public-key", key}, {"--jwt-secret", "--jwt-public-key"});
  env_.clear();
  expect_error({"--jwt-public-key", key, "--config", write("c.json", R"({"jwt-secret": "x"})")},
               {"--jwt-secret", "--jwt-public-key"});
}

TEST_F(SecurityConfigTest, TlsFilesGoTogetherAndMustBeReadable) {
  const auto cert = write("cert.pem", "c");
  const auto key = write("key.pem", "k");
  expect_error({"--tls-cert", cert}, {"--tls-cert", "--tls-key"});
  expect_error({"--tls-key", key}, {"--tls-cert", "--tls-key"});
  expect_error({"--tls-cert", "/nonexistent/cert.pem", "--tls-key", key},
               {"--tls-cert", "/nonexistent/cert.pem"});
  expect_error({"--tls-cert", cert, "--tls-key", dir_.string()}, {"--tls-key", "cannot read"});
  const Config c = parse_ok({"--tls-cert", cert, "--tls-key", key});
  EXPECT_EQ(c.tls_cert_file, cert);
  EXPECT_EQ(c.tls_key_file, key);
}

TEST_F(SecurityConfigTest, DataLimits) {
  const Config defaults = parse_ok({});
  EXPECT_EQ(defaults.max_call_data_bytes, 8192U);
  EXPECT_EQ(defaults.max_signal_data_bytes, 65536U);
  const Config c = parse_ok({"--max-call-data-bytes", "1024", "--max-signal-data-bytes", "2048"});
  EXPECT_EQ(codec_limits(c).call_data_bytes, 1024U);
  EXPECT_EQ(codec_limits(c).signal_data_bytes, 2048U);
  expect_error({"--max-call-data-bytes", "1"}, {"--max-call-data-bytes"});
  expect_error({"--max-signal-data-bytes", "0"}, {"--max-signal-data-bytes"});
  expect_error({"--max-signal-data-bytes", "99999999"}, {"--max-signal-data-bytes"});
}

}  // namespace
}  // namespace switchboard::server
