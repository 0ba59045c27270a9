// Connections that go away mid-call: the other party learns why, exactly once.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

using DisconnectTest = IntegrationTest;

TEST_F(DisconnectTest, CallerDropWhileRingingCancels) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  alice->disconnect();
  const Json ended = bob->expect_type("ended");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "canceled");
  EXPECT_EQ(ended.value("by", ""), "alice");
  bob->expect_silence();
}

TEST_F(DisconnectTest, CallerCloseWhileActiveLosesConnection) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  alice->close();  // a clean close handshake counts the same as a drop
  const Json ended = bob->expect_type("ended");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "connection_lost");
  EXPECT_EQ(ended.value("by", ""), "alice");
  bob->expect_silence();
}

TEST_F(DisconnectTest, AnsweringDeviceDropLosesConnection) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  bob->disconnect();
  const Json ended = alice->expect_type("ended");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "connection_lost");
  EXPECT_EQ(ended.value("by", ""), "bob");
  alice->expect_silence();

  // The caller is free again.
  auto bob_again = connect("bob", "b1");
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
