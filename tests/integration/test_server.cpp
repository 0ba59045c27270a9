#include "tests/integration/test_server.hpp"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <sstream>
#include <thread>
#include <utility>

#include <jwt.h>
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

server::Config jwt_config() {
  server::Config config = test_config();
  config.jwt_secret = kTestJwtSecret;
  return config;
}

std::string mint_jwt(const std::string& secret, const std::string& sub, long exp_offset_s,
                     bool with_exp, const std::string& alg, const std::string& role) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) return {};
  if (!sub.empty()) jwt_add_grant(jwt, "sub", sub.c_str());
  if (!role.empty()) jwt_add_grant(jwt, "role", role.c_str());
  if (with_exp) jwt_add_grant_int(jwt, "exp", static_cast<long>(std::time(nullptr)) + exp_offset_s);
  const jwt_alg_t algorithm = jwt_str_alg(alg.c_str());
  if (algorithm == JWT_ALG_NONE) {
    jwt_set_alg(jwt, JWT_ALG_NONE, nullptr, 0);
  } else {
    jwt_set_alg(jwt, algorithm, reinterpret_cast<const unsigned char*>(secret.data()),
                static_cast<int>(secret.size()));
  }
  char* encoded = jwt_encode_str(jwt);
  std::string token = encoded ? encoded : "";
  std::free(encoded);
  jwt_free(jwt);
  return token;
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
  std::string query = "user=" + user;
  if (!device.empty()) query += "&device=" + device;
  auto client = connect_query(query);
  const Json& welcome = client->welcome();
  EXPECT_EQ(welcome.value("userId", ""), user);
  if (!device.empty()) {
    EXPECT_EQ(welcome.value("deviceId", ""), device);
  }
  return client;
}

std::unique_ptr<WsTestClient> IntegrationTest::connect_query(const std::string& query) {
  auto client = std::make_unique<WsTestClient>();
  const ConnectResult result = client->connect(port(), query);
  EXPECT_TRUE(result.ok) << "connect " << query << ": status " << result.http_status << " "
                         << result.error;
  if (result.ok) client->expect_type("welcome");
  return client;
}

std::unique_ptr<WsTestClient> IntegrationTest::resume(const std::string& user,
                                                      const std::string& device,
                                                      const WsTestClient& old) {
  return connect_query("user=" + user + "&device=" + device + "&session=" + old.session_id() +
                       "&lastSeq=" + std::to_string(old.last_seq()));
}

std::string IntegrationTest::next_id(const std::string& prefix) {
  return prefix + "-" + std::to_string(++next_id_);
}

std::string IntegrationTest::place_call(WsTestClient& caller, const std::string& to, Json extra) {
  Json message = command("call", std::move(extra));
  const std::string id = next_id("place-call");
  message["to"] = to;
  message["id"] = id;
  EXPECT_TRUE(caller.send_json(message)) << caller.last_error();
  const Json ack = caller.expect_type("ack");
  EXPECT_EQ(ack.value("id", ""), id);
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

std::map<std::string, std::int64_t> IntegrationTest::metrics() {
  std::map<std::string, std::int64_t> samples;
  const HttpResult result = http_get(port(), "/metrics");
  EXPECT_EQ(result.status, 200) << result.error;
  if (result.status != 200) return samples;
  std::istringstream lines(result.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) {
      ADD_FAILURE() << "not a sample line: " << line;
      continue;
    }
    std::int64_t value = 0;
    const char* end = line.data() + line.size();
    const auto [ptr, ec] = std::from_chars(line.data() + space + 1, end, value);
    if (ec != std::errc() || ptr != end) {
      ADD_FAILURE() << "not an integer sample: " << line;
      continue;
    }
    samples[line.substr(0, space)] = value;
  }
  return samples;
}

bool IntegrationTest::wait_for_metric(const std::string& sample, std::int64_t value,
                                      Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto samples = metrics();
    const auto it = samples.find(sample);
    if (it != samples.end() && it->second == value) return true;
    if (std::chrono::steady_clock::now() >= deadline) {
      ADD_FAILURE() << sample << " never became " << value << " within " << timeout.count()
                    << " ms (last: " << (it == samples.end() ? -1 : it->second) << ")";
      return false;
    }
    std::this_thread::sleep_for(Millis{5});
  }
}

Json command(const std::string& type, Json fields) {
  Json message = fields.is_object() ? std::move(fields) : Json::object();
  message["type"] = type;
  return message;
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string mint_jwt_expiring_at(const std::string& secret, const std::string& sub, double exp_s) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) return {};
  // jwt_add_grant_int takes whole seconds only; a JSON grant keeps the fraction.
  const Json claims{{"sub", sub}, {"role", "authenticated"}, {"exp", exp_s}};
  jwt_add_grants_json(jwt, claims.dump().c_str());
  jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
              static_cast<int>(secret.size()));
  char* encoded = jwt_encode_str(jwt);
  std::string token = encoded ? encoded : "";
  std::free(encoded);
  jwt_free(jwt);
  return token;
}

}  // namespace switchboard::testing
