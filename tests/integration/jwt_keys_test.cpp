// The server configured with a PEM public key (--jwt-public-key, read by parse_config() from a
// file written at test time): RS256 with an RSA key, ES256 with an EC P-256 key. A matching
// token connects; a token with another algorithm or from another key is refused with 401.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"
#include "tests/unit/jwt_test_keys.hpp"

namespace switchboard::testing {
namespace {

class JwtKeysTest : public IntegrationTest {
 protected:
  void TearDown() override {
    IntegrationTest::TearDown();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts the server with this public key, going through the --jwt-public-key flag.
  void start_with_key(const std::string& public_pem) {
    dir_ = std::filesystem::temp_directory_path() /
           ("switchboard_jwt_keys_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const auto path = (dir_ / "public.pem").string();
    std::ofstream(path) << public_pem;
    auto parsed = server::parse_config({"--jwt-public-key", path},
                                       [](const std::string&) { return std::nullopt; });
    ASSERT_TRUE(std::holds_alternative<server::Config>(parsed))
        << std::get<server::ExitNow>(parsed).message;
    server::Config config = test_config();
    const auto& from_flags = std::get<server::Config>(parsed);
    config.jwt_public_key_file = from_flags.jwt_public_key_file;
    config.jwt_public_key_pem = from_flags.jwt_public_key_pem;
    start_server(config);
  }

  void expect_user(const std::string& token, const std::string& user) {
    WsTestClient client;
    const ConnectResult result = client.connect(port(), "token=" + token);
    ASSERT_TRUE(result.ok) << result.http_status << " " << result.error;
    EXPECT_EQ(client.expect_type("welcome").value("userId", ""), user);
  }

  // A raw upgrade request, to see the refusal's body as well as its status.
  void expect_refused(const std::string& token, const std::string& code) {
    HttpRequest request;
    request.target = "/v1/ws?token=" + token;
    request.headers = {{"Connection", "Upgrade"},
                       {"Upgrade", "websocket"},
                       {"Sec-WebSocket-Version", "13"},
                       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    const HttpResult result = http_request(port(), request);
    EXPECT_EQ(result.status, 401) << result.error << " " << result.body;
    const Json body = Json::parse(result.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << result.body;
    EXPECT_TRUE(body.contains("error")) << result.body;
    EXPECT_EQ(body.dump().find(token), std::string::npos) << "the refusal quotes the token";
    // The code reaches the body once http_session.cpp writes AuthFailure::code.
    if (body.contains("code")) {
      EXPECT_EQ(body["code"], code) << result.body;
    }
  }

  std::filesystem::path dir_;
};

TEST_F(JwtKeysTest, Rs256WithAnRsaPublicKey) {
  const auto& rsa = jwt_keys::rsa2048();
  start_with_key(rsa.public_pem);
  // mint_jwt takes the private PEM as the key for RS256/ES256.
  expect_user(mint_jwt(rsa.private_pem, "alice", 300, true, "RS256"), "alice");
  expect_refused(mint_jwt(rsa.public_pem, "mallory", 300, true, "HS256"), "wrong_algorithm");
  expect_refused(mint_jwt(jwt_keys::ec_p256().private_pem, "mallory", 300, true, "ES256"),
                 "wrong_algorithm");
  expect_refused(mint_jwt(jwt_keys::rsa_key_pair(2048).private_pem, "mallory", 300, true, "RS256"),
                 "bad_signature");
  expect_refused(mint_jwt(rsa.private_pem, "alice", -60, true, "RS256"), "token_expired");
}

TEST_F(JwtKeysTest, Es256WithAnEcPublicKey) {
  const auto& ec = jwt_keys::ec_p256();
  start_with_key(ec.public_pem);
  expect_user(mint_jwt(ec.private_pem, "bob", 300, true, "ES256"), "bob");
  expect_refused(mint_jwt(ec.public_pem, "mallory", 300, true, "HS256"), "wrong_algorithm");
  expect_refused(mint_jwt(jwt_keys::rsa2048().private_pem, "mallory", 300, true, "RS256"),
                 "wrong_algorithm");
  expect_refused(
      mint_jwt(jwt_keys::ec_key_pair("P-256").private_pem, "mallory", 300, true, "ES256"),
      "bad_signature");
  expect_refused(mint_jwt("", "mallory", 300, true, "none"), "wrong_algorithm");
}

}  // namespace
}  // namespace switchboard::testing
