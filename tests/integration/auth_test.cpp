// The HTTP side and the upgrade gate: /healthz, 404s, dev-mode and JWT credentials, bad ids,
// and the connection limit.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

using AuthTest = IntegrationTest;

int upgrade_status(std::uint16_t port, const std::string& query,
                   const std::string& path = "/v1/ws") {
  WsTestClient client;
  const ConnectResult result = client.connect(port, query, path);
  if (result.ok) return 101;
  EXPECT_NE(result.http_status, 0) << result.error;
  return result.http_status;
}

TEST_F(AuthTest, HealthzAndUnknownPaths) {
  start_server();
  const HttpResult health = http_get(port(), "/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  const Json body = Json::parse(health.body, nullptr, false);
  EXPECT_EQ(body, (Json{{"status", "ok"}})) << health.body;
  EXPECT_EQ(http_get(port(), "/nope").status, 404);
  EXPECT_EQ(http_get(port(), "/").status, 404);
  EXPECT_EQ(upgrade_status(port(), "user=alice", "/v2/ws"), 404);
  EXPECT_EQ(http_get(port(), "/v1/ws?user=alice").status, 426);
}

TEST_F(AuthTest, DevModeRequiresAValidUser) {
  start_server();
  EXPECT_EQ(upgrade_status(port(), ""), 401);
  EXPECT_EQ(upgrade_status(port(), "device=phone"), 401);
  EXPECT_EQ(upgrade_status(port(), "user=bad!id"), 400);
  EXPECT_EQ(upgrade_status(port(), "user=" + std::string(129, 'u')), 400);
  EXPECT_EQ(upgrade_status(port(), "user=alice&device=bad!device"), 400);
  EXPECT_EQ(upgrade_status(port(), "user=" + std::string(128, 'u')), 101);
  EXPECT_EQ(upgrade_status(port(), "user=a.b_c~d@e+f-g&device=x.y"), 101);
}

TEST_F(AuthTest, ValidJwtIsAccepted) {
  start_server(jwt_config());
  WsTestClient client;
  const ConnectResult result =
      client.connect(port(), "token=" + mint_jwt(kTestJwtSecret, "alice", 300) + "&device=d1");
  ASSERT_TRUE(result.ok) << result.http_status << " " << result.error;
  const Json welcome = client.expect_type("welcome");
  EXPECT_EQ(welcome.value("userId", ""), "alice");
  EXPECT_EQ(welcome.value("deviceId", ""), "d1");
}

TEST_F(AuthTest, JwtSubjectIsTheUserNotTheQuery) {
  start_server(jwt_config());
  WsTestClient client;
  ASSERT_TRUE(
      client.connect(port(), "user=mallory&token=" + mint_jwt(kTestJwtSecret, "alice", 300)).ok);
  EXPECT_EQ(client.expect_type("welcome").value("userId", ""), "alice");
}

TEST_F(AuthTest, BadJwtsAreRefused) {
  start_server(jwt_config());
  EXPECT_EQ(upgrade_status(port(), ""), 401);
  EXPECT_EQ(upgrade_status(port(), "user=alice"), 401);
  EXPECT_EQ(upgrade_status(port(), "token=" + mint_jwt(kTestJwtSecret, "alice", -120)), 401);
  EXPECT_EQ(upgrade_status(port(),
                           "token=" + mint_jwt("some-other-secret-0123456789abcdef", "alice", 300)),
            401);
  EXPECT_EQ(upgrade_status(port(), "token=" + mint_jwt(kTestJwtSecret, "alice", 300, false)), 401);
  EXPECT_EQ(upgrade_status(port(), "token=" + mint_jwt(kTestJwtSecret, "alice", 300, true, "none")),
            401);
  EXPECT_EQ(upgrade_status(port(), "token=not.a.jwt"), 401);
  EXPECT_EQ(upgrade_status(port(), "token="), 401);
}

TEST_F(AuthTest, EveryHmacAlgorithmWorksWithTheSecret) {
  start_server(jwt_config());
  for (const char* alg : {"HS256", "HS384", "HS512"}) {
    EXPECT_EQ(upgrade_status(port(), "token=" + mint_jwt(kTestJwtSecret, "alice", 300, true, alg)),
              101)
        << alg;
  }
}

TEST_F(AuthTest, FullServerRefusesWith503) {
  server::Config config = test_config();
  config.max_connections = 1;
  start_server(config);
  auto first = connect("alice", "a1");
  EXPECT_EQ(upgrade_status(port(), "user=bob"), 503);
  first->close();
  // The slot frees once the server has seen the close; allow it a moment.
  const auto deadline = std::chrono::steady_clock::now() + kDefaultTimeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    status = upgrade_status(port(), "user=bob");
    if (status == 101) break;
    std::this_thread::sleep_for(Millis{20});
  }
  EXPECT_EQ(status, 101);
}

}  // namespace
}  // namespace switchboard::testing
