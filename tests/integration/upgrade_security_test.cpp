// The upgrade gate's hardening: tokens from headers (Authorization, and the bearer subprotocol
// browsers use), refusals that say why in JSON, --allowed-origin, and the idle and handshake
// timeouts that keep silent or slow sockets from piling up.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/realtime_harness.hpp"
#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

using UpgradeSecurityTest = IntegrationTest;
using Clock = std::chrono::steady_clock;

// A WebSocket upgrade as a plain HTTP request, so that a refusal's body can be read.
HttpResult raw_upgrade(std::uint16_t port, const std::string& target,
                       std::vector<std::pair<std::string, std::string>> extra = {}) {
  HttpRequest request;
  request.target = target;
  request.headers = {{"Connection", "Upgrade"},
                     {"Upgrade", "websocket"},
                     {"Sec-WebSocket-Version", "13"},
                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  for (auto& header : extra)
    request.headers.push_back(std::move(header));
  return http_request(port, request);
}

Json body_of(const HttpResult& result) {
  return Json::parse(result.body, nullptr, false);
}

TEST_F(UpgradeSecurityTest, TokenInTheAuthorizationHeader) {
  start_server(jwt_config());
  WsTestClient client;
  client.set_upgrade_headers(
      {{"Authorization", "Bearer " + mint_jwt(kTestJwtSecret, "alice", 300)}});
  const ConnectResult result = client.connect(port(), "device=a1");
  ASSERT_TRUE(result.ok) << result.http_status << " " << result.error;
  EXPECT_EQ(client.expect_type("welcome").value("userId", ""), "alice");
  EXPECT_TRUE(result.subprotocol.empty());
}

TEST_F(UpgradeSecurityTest, TokenInTheBearerSubprotocolIsEchoed) {
  start_server(jwt_config());
  WsTestClient client;
  client.set_upgrade_headers(
      {{"Sec-WebSocket-Protocol", "bearer, " + mint_jwt(kTestJwtSecret, "alice", 300)}});
  const ConnectResult result = client.connect(port(), "device=a1");
  ASSERT_TRUE(result.ok) << result.http_status << " " << result.error;
  // Browsers fail a connection whose offered subprotocols get no answer.
  EXPECT_EQ(result.subprotocol, "bearer");
  EXPECT_EQ(client.expect_type("welcome").value("userId", ""), "alice");
}

TEST_F(UpgradeSecurityTest, QueryTokenComesFirst) {
  start_server(jwt_config());
  WsTestClient client;
  client.set_upgrade_headers({{"Authorization", "Bearer " + mint_jwt(kTestJwtSecret, "bob", 300)}});
  ASSERT_TRUE(client.connect(port(), "token=" + mint_jwt(kTestJwtSecret, "alice", 300)).ok);
  EXPECT_EQ(client.expect_type("welcome").value("userId", ""), "alice");
}

TEST_F(UpgradeSecurityTest, RefusalsSayWhyInJson) {
  start_server(jwt_config());
  struct Case {
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"/v1/ws", {}, "missing_token"},
      {"/v1/ws?token=" + mint_jwt(kTestJwtSecret, "alice", -60), {}, "token_expired"},
      {"/v1/ws?token=" + mint_jwt("another-secret-0123456789abcdef0123", "alice", 300),
       {},
       "bad_signature"},
      {"/v1/ws?token=" + mint_jwt(kTestJwtSecret, "alice", 300, true, "none"),
       {},
       "wrong_algorithm"},
      {"/v1/ws?token=abc", {}, "malformed_token"},
      {"/v1/ws",
       {{"Authorization", "Bearer " + mint_jwt(kTestJwtSecret, "alice", -60)}},
       "token_expired"},
  };
  for (const auto& c : cases) {
    const HttpResult result = raw_upgrade(port(), c.target, c.headers);
    EXPECT_EQ(result.status, 401) << c.code << ": " << result.error;
    EXPECT_EQ(result.content_type, "application/json");
    const Json body = body_of(result);
    EXPECT_EQ(body.value("code", ""), c.code) << result.body;
    EXPECT_FALSE(body.value("error", "").empty()) << result.body;
  }
}

server::Config origin_config() {
  server::Config config = test_config();
  config.allowed_origins = {"https://app.example.com"};
  return config;
}

TEST_F(UpgradeSecurityTest, OtherOriginsAreRefusedWith403) {
  start_server(origin_config());
  const HttpResult refused =
      raw_upgrade(port(), "/v1/ws?user=alice", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(body_of(refused).value("code", ""), "origin_not_allowed") << refused.body;
  // The same for Supabase Realtime sockets.
  const HttpResult realtime =
      raw_upgrade(port(), "/realtime/v1/websocket?vsn=2.0.0", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(realtime.status, 403);

  WsTestClient allowed;
  allowed.set_upgrade_headers({{"Origin", "https://app.example.com"}});
  EXPECT_TRUE(allowed.connect(port(), "user=alice&device=a1").ok);
  // Not a browser (no Origin): nothing to check.
  WsTestClient native_app;
  EXPECT_TRUE(native_app.connect(port(), "user=bob&device=b1").ok);
}

TEST_F(UpgradeSecurityTest, RestNamesTheAllowedOriginInsteadOfAStar) {
  server::Config config = origin_config();
  config.jwt_secret = kRealtimeSecret;
  start_server(config);
  HttpRequest preflight;
  preflight.method = "OPTIONS";
  preflight.target = "/realtime/v1/api/broadcast";
  preflight.headers = {{"Origin", "https://app.example.com"}};
  const HttpResult ok = http_request(port(), preflight);
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(ok.header("Vary"), "Origin");

  preflight.headers = {{"Origin", "https://evil.example"}};
  const HttpResult refused = http_request(port(), preflight);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(body_of(refused).value("code", ""), "origin_not_allowed");
}

// A raw TCP connection, for clients that never finish (or never start) a request.
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }
  void send(const std::string& bytes) const {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // How long until the server closes the connection (EOF or reset), reading and discarding
  // what it sends; nullopt if it is still open at the deadline.
  std::optional<Millis> time_to_close(Millis timeout) const {
    const auto started = Clock::now();
    const auto deadline = started + timeout;
    char buffer[512];
    while (Clock::now() < deadline) {
      pollfd waiting{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (::poll(&waiting, 1, static_cast<int>(left.count()) + 1) <= 0) continue;
      if (::recv(fd_, buffer, sizeof buffer, 0) <= 0) {
        return std::chrono::duration_cast<Millis>(Clock::now() - started);
      }
    }
    return std::nullopt;
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST_F(UpgradeSecurityTest, SilentConnectionsAreDroppedAfterTheIdleTimeout) {
  server::Config config = test_config();
  config.idle_timeout = Millis{300};
  start_server(config);
  RawSocket silent(port());
  ASSERT_TRUE(silent.connected());
  const auto closed_after = silent.time_to_close(Millis{5'000});
  ASSERT_TRUE(closed_after.has_value()) << "still open after 5 s";
  EXPECT_GE(closed_after->count(), 200);
}

TEST_F(UpgradeSecurityTest, SlowRequestsAreDroppedAfterTheHandshakeTimeout) {
  server::Config config = test_config();
  config.handshake_timeout = Millis{400};
  start_server(config);
  RawSocket slow(port());
  ASSERT_TRUE(slow.connected());
  // Slow loris: a request begun and never finished.
  slow.send("GET /v1/ws?user=alice HTTP/1.1\r\nHost: x\r\n");
  const auto closed_after = slow.time_to_close(Millis{5'000});
  ASSERT_TRUE(closed_after.has_value()) << "still open after 5 s";
  EXPECT_GE(closed_after->count(), 300);
}

TEST_F(UpgradeSecurityTest, KeepAliveConnectionsIdleBetweenRequestsAreDropped) {
  server::Config config = test_config();
  config.idle_timeout = Millis{300};
  start_server(config);
  RawSocket client(port());
  ASSERT_TRUE(client.connected());
  client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  // The answer arrives, then the connection sits idle and is closed.
  const auto closed_after = client.time_to_close(Millis{5'000});
  ASSERT_TRUE(closed_after.has_value()) << "still open after 5 s";
  EXPECT_GE(closed_after->count(), 200);
}

}  // namespace
}  // namespace switchboard::testing
