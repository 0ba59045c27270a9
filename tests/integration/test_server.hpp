// Test harness: a switchboard::server::Server on 127.0.0.1:0 running on its own thread, and a
// GoogleTest fixture that owns one per test plus helpers for the common call set-ups.
// TestServer is driven from the test thread; the server itself lives on its own thread.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "server/config.hpp"
#include "server/server.hpp"
#include "tests/integration/ws_test_client.hpp"

namespace switchboard::testing {

// Loopback, port 0, quiet logs; everything else at the server defaults.
server::Config test_config();

// The JWT-mode tests' shared secret, and test_config() verifying HS256 tokens signed with it.
inline constexpr const char* kTestJwtSecret = "integration-test-secret-0123456789abcdef";
server::Config jwt_config();

// Short enough for a quick test, long enough to tell "after the grace" from "at once".
inline constexpr Millis kShortGrace{300};

// A JWT for the JWT-mode tests, signed with `alg` ("HS256", "HS512", ... or "none").
// `sub` empty: no sub claim (like a Supabase anon key); `role` empty: no role claim; exp is
// now + exp_offset_s unless with_exp is false.
std::string mint_jwt(const std::string& secret, const std::string& sub, long exp_offset_s,
                     bool with_exp = true, const std::string& alg = "HS256",
                     const std::string& role = "");

class TestServer {
 public:
  // Starts the server; on failure the test fails and port() is 0.
  explicit TestServer(server::Config config);
  ~TestServer();  // stop() + join, bounded
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return port_; }
  const server::Config& config() const { return config_; }
  // Asks the server to shut down without waiting (clients can then watch their close).
  void request_stop();
  // Waits for run() to return; fails the test (and leaks the server) past the deadline.
  bool join(Millis timeout);

 private:
  server::Config config_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  std::future<void> finished_;
  std::uint16_t port_ = 0;
};

class IntegrationTest : public ::testing::Test {
 protected:
  void TearDown() override;

  void start_server(server::Config config = test_config());
  std::uint16_t port() const;
  TestServer& server() { return *server_; }
  // Stops (if still running) and destroys the server: every socket it held is closed after.
  void destroy_server() { server_.reset(); }

  // Connects `user` (with `device` unless empty) and consumes the welcome (kept in the
  // client's welcome()).
  std::unique_ptr<WsTestClient> connect(const std::string& user, const std::string& device = {});
  // Connects with this exact query and consumes the welcome.
  std::unique_ptr<WsTestClient> connect_query(const std::string& query);
  // Reconnects `user`/`device` asking to resume the session `old` had, from the last seq it
  // processed; consumes the welcome (which may say resumed:false).
  std::unique_ptr<WsTestClient> resume(const std::string& user, const std::string& device,
                                       const WsTestClient& old);

  // A command id not used before in this test: a repeated id is answered from the session's
  // cache and not executed (PROTOCOL.md "Idempotent commands").
  std::string next_id(const std::string& prefix = "cmd");

  // Sends `call` to `to` with a command id and returns the callId from the ack.
  std::string place_call(WsTestClient& caller, const std::string& to, Json extra = Json::object());
  // alice-side `call`, callee-side `call` event, answer, caller-side `answer`: an active call.
  std::string establish_call(WsTestClient& caller, WsTestClient& callee,
                             const std::string& callee_user);

  // GET /metrics parsed into "name{labels}" -> value; empty (and a test failure) on error.
  std::map<std::string, std::int64_t> metrics();
  // Polls /metrics until `sample` (e.g. "switchboard_sessions_detached") equals `value`; how
  // tests learn that the server has noticed a cut connection. False past the deadline.
  bool wait_for_metric(const std::string& sample, std::int64_t value,
                       Millis timeout = kDefaultTimeout);

 private:
  std::unique_ptr<TestServer> server_;
  int next_id_ = 0;
};

// A command with the given type and fields.
Json command(const std::string& type, Json fields = Json::object());

// The wall clock in seconds since the epoch, with fractions: what a JWT's exp is compared to.
double wall_seconds();
// An HS256 JWT for `sub` (with role "authenticated") expiring at exactly `exp_s` seconds since
// the epoch, fractions kept: the token-expiry tests need sub-second control of when it lapses.
std::string mint_jwt_expiring_at(const std::string& secret, const std::string& sub, double exp_s);

}  // namespace switchboard::testing
