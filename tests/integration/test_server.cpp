#include "tests/integration/test_server.hpp"

#include <chrono>
#include <cstdlib>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

namespace switchboard::testing {

server::Config test_config() {
  server::Config config;
  config.host = "127.0.0.1";
  config.port = 0;
  // Server logs go to the shared spdlog logger; SWITCHBOARD_TEST_LOG=info shows them.
  const char* level = std::getenv("SWITCHBOARD_TEST_LOG");
  config.log_level = level ? level : "error";
  config.shutdown_timeout = Millis{2'000};
  return config;
}

TestServer::TestServer(server::Config config) : config_(std::move(config)) {
  // main() sets logging up for the binary; in-process the level is ours to apply.
  spdlog::set_level(spdlog::level::from_str(config_.log_level));
  try {
    server_ = std::make_unique<server::Server>(config_);
    server_->start();
    port_ = server_->port();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "server failed to start: " << e.what();
    server_.reset();
    return;
  }
  std::packaged_task<void()> task([server = server_.get()] { server->run(); });
  finished_ = task.get_future();
  thread_ = std::thread(std::move(task));
}

TestServer::~TestServer() {
  if (!thread_.joinable()) return;
  request_stop();
  join(config_.shutdown_timeout + Millis{3'000});
}

void TestServer::request_stop() {
  if (server_) server_->stop();
}

bool TestServer::join(Millis timeout) {
  if (!thread_.joinable()) return true;
  if (finished_.wait_for(timeout) != std::future_status::ready) {
    ADD_FAILURE() << "server did not stop within " << timeout.count() << " ms";
    // Joining would hang the suite; leak the running server instead.
    thread_.detach();
    static_cast<void>(server_.release());
    return false;
  }
  thread_.join();
  try {
    finished_.get();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "Server::run() threw: " << e.what();
  }
  return true;
}

void IntegrationTest::TearDown() {
  server_.reset();
}

void IntegrationTest::start_server(server::Config config) {
  server_ = std::make_unique<TestServer>(std::move(config));
}

std::uint16_t IntegrationTest::port() const {
  return server_ ? server_->port() : 0;
}

std::unique_ptr<WsTestClient> IntegrationTest::connect(const std::string& user,
                                                       const std::string& device) {
  auto client = std::make_unique<WsTestClient>();
  std::string query = "user=" + user;
  if (!device.empty()) query += "&device=" + device;
  const ConnectResult result = client->connect(port(), query);
  EXPECT_TRUE(result.ok) << "connect " << query << ": status " << result.http_status << " "
                         << result.error;
  if (result.ok) {
    const Json welcome = client->expect_type("welcome");
    EXPECT_EQ(welcome.value("userId", ""), user);
    if (!device.empty()) {
      EXPECT_EQ(welcome.value("deviceId", ""), device);
    }
  }
  return client;
}

std::string IntegrationTest::place_call(WsTestClient& caller, const std::string& to, Json extra) {
  Json message = command("call", std::move(extra));
  message["to"] = to;
  message["id"] = "place-call";
  EXPECT_TRUE(caller.send_json(message)) << caller.last_error();
  const Json ack = caller.expect_type("ack");
  EXPECT_EQ(ack.value("id", ""), "place-call");
  EXPECT_TRUE(ack.contains("callId") && ack["callId"].is_string()) << ack.dump();
  return ack.value("callId", "");
}

std::string IntegrationTest::establish_call(WsTestClient& caller, WsTestClient& callee,
                                            const std::string& callee_user) {
  const std::string call_id = place_call(caller, callee_user);
  const Json incoming = callee.expect_type("call");
  EXPECT_EQ(incoming.value("callId", ""), call_id);
  EXPECT_TRUE(callee.send_json(command("answer", {{"callId", call_id}})));
  const Json answer = caller.expect_type("answer");
  EXPECT_EQ(answer.value("callId", ""), call_id);
  return call_id;
}

Json command(const std::string& type, Json fields) {
  Json message = fields.is_object() ? std::move(fields) : Json::object();
  message["type"] = type;
  return message;
}

}  // namespace switchboard::testing
