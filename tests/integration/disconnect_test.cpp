// Connections that go away mid-call: the other party learns why, exactly once. A clean close
// (a close frame from the client) ends the device's part at once; a drop (no close frame)
// gets a grace period first (PROTOCOL.md "Leaving" and "Grace periods").
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

using DisconnectTest = IntegrationTest;
using Clock = std::chrono::steady_clock;

server::Config short_graces() {
  server::Config config = test_config();
  config.caller_grace = kShortGrace;
  config.reconnect_grace = kShortGrace;
  return config;
}

void expect_ended(WsTestClient& client, const std::string& call_id, const std::string& reason,
                  const std::string& by) {
  const Json ended = client.expect_type("ended");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), reason);
  EXPECT_EQ(ended.value("by", ""), by);
}

TEST_F(DisconnectTest, CallerCloseWhileRingingCancels) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  alice->close();  // leaving: no caller grace
  expect_ended(*bob, call_id, "canceled", "alice");
  bob->expect_silence();
}

TEST_F(DisconnectTest, CallerDropWhileRingingCancelsAfterCallerGrace) {
  start_server(short_graces());
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  const auto cut = Clock::now();
  alice->disconnect();
  // The callee keeps ringing while the caller may still come back...
  bob->expect_silence(kShortGrace / 2);
  // ...and hears the cancel once the caller grace has passed.
  expect_ended(*bob, call_id, "canceled", "alice");
  EXPECT_GE(Clock::now() - cut, kShortGrace - Millis{20});
  bob->expect_silence();
}

TEST_F(DisconnectTest, CallerCloseWhileActiveLosesConnection) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  alice->close();  // leaving: no reconnect grace, no `peer` event
  expect_ended(*bob, call_id, "connection_lost", "alice");
  bob->expect_silence();
}

TEST_F(DisconnectTest, AnsweringDeviceCloseLosesConnection) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  bob->close();
  expect_ended(*alice, call_id, "connection_lost", "bob");
  alice->expect_silence();

  // The caller is free again.
  auto bob_again = connect("bob", "b1");
  EXPECT_TRUE(bob_again->welcome().value("calls", Json()).empty()) << bob_again->welcome().dump();
  const std::string next = place_call(*alice, "bob");
  EXPECT_EQ(bob_again->expect_type("call").value("callId", ""), next);
}

TEST_F(DisconnectTest, AnsweringDeviceDropLosesConnectionAfterReconnectGrace) {
  start_server(short_graces());
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  bob->reset();
  const Json reconnecting = alice->expect_type("peer");
  const auto noticed = Clock::now();
  EXPECT_EQ(reconnecting.value("callId", ""), call_id);
  EXPECT_EQ(reconnecting.value("userId", ""), "bob");
  EXPECT_EQ(reconnecting.value("state", ""), "reconnecting");
  expect_ended(*alice, call_id, "connection_lost", "bob");
  EXPECT_GE(Clock::now() - noticed, kShortGrace - Millis{50});
  alice->expect_silence();

  // The caller is free again, and bob's device may come back with a new session.
  auto bob_again = connect("bob", "b1");
  EXPECT_TRUE(bob_again->welcome().value("calls", Json()).empty()) << bob_again->welcome().dump();
  const std::string next = place_call(*alice, "bob");
  EXPECT_EQ(bob_again->expect_type("call").value("callId", ""), next);
}

TEST_F(DisconnectTest, RingingDeviceDropKeepsOtherDevicesRinging) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob1 = connect("bob", "b1");
  auto bob2 = connect("bob", "b2");
  const std::string call_id = place_call(*alice, "bob");
  bob1->expect_type("call");
  bob2->expect_type("call");
  bob1->disconnect();
  alice->expect_silence();
  bob2->expect_silence(Millis{0});
  ASSERT_TRUE(bob2->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b2");
}

TEST_F(DisconnectTest, RingingDeviceCloseKeepsOtherDevicesRinging) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob1 = connect("bob", "b1");
  auto bob2 = connect("bob", "b2");
  const std::string call_id = place_call(*alice, "bob");
  bob1->expect_type("call");
  bob2->expect_type("call");
  bob1->close();
  alice->expect_silence();
  bob2->expect_silence(Millis{0});
  ASSERT_TRUE(bob2->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b2");
}

TEST_F(DisconnectTest, LastRingingDeviceDropRingsUntilTimeout) {
  server::Config config = test_config();
  config.ring_timeout = Millis{400};
  start_server(config);
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  bob->disconnect();
  const Json ended = alice->expect_type("ended");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "no_answer");
}

}  // namespace
}  // namespace switchboard::testing
