// Test harness: a switchboard::server::Server on 127.0.0.1:0 running on its own thread, and a
// GoogleTest fixture that owns one per test plus helpers for the common call set-ups.
// TestServer is driven from the test thread; the server itself lives on its own thread.
#pragma once

#include <cstdint>
#include <future>
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

  // Connects `user` (with `device` unless empty) and consumes the welcome.
  std::unique_ptr<WsTestClient> connect(const std::string& user, const std::string& device = {});

  // Sends `call` to `to` with a command id and returns the callId from the ack.
  std::string place_call(WsTestClient& caller, const std::string& to, Json extra = Json::object());
  // alice-side `call`, callee-side `call` event, answer, caller-side `answer`: an active call.
  std::string establish_call(WsTestClient& caller, WsTestClient& callee,
                             const std::string& callee_user);

 private:
  std::unique_ptr<TestServer> server_;
};

// A command with the given type and fields.
Json command(const std::string& type, Json fields = Json::object());

}  // namespace switchboard::testing
