// Keep-alive: the server pings idle connections every heartbeat; a client that answers (any
// WebSocket client that keeps a read pending does) stays, one that stays silent is dropped.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

using KeepAliveTest = IntegrationTest;

server::Config fast_heartbeat() {
  server::Config config = test_config();
  config.heartbeat = Millis{400};  // pings after 400 ms idle, drops after 800 ms
  return config;
}

TEST_F(KeepAliveTest, ReadingClientSurvivesIdlePeriods) {
  start_server(fast_heartbeat());
  auto alice = connect("alice", "a1");
  // Beast answers the server's pings while our read is pending; no message surfaces.
  alice->expect_silence(Millis{1'500});  // several heartbeats
  ASSERT_TRUE(alice->send_json(command("ping", {{"id", "p"}})));
  EXPECT_EQ(alice->expect_type("pong").value("id", ""), "p");
}

TEST_F(KeepAliveTest, SilentClientIsDroppedAndItsCallEndsAfterTheGrace) {
  server::Config config = fast_heartbeat();
  config.reconnect_grace = Millis{300};
  start_server(config);
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  // bob stops reading, so he never answers a ping; alice keeps reading. Missed heartbeats are
  // a drop, not a leave: alice first hears that bob is reconnecting...
  const Json reconnecting = alice->expect_type("peer", Millis{3'000});
  EXPECT_EQ(reconnecting.value("callId", ""), call_id);
  EXPECT_EQ(reconnecting.value("userId", ""), "bob");
  EXPECT_EQ(reconnecting.value("state", ""), "reconnecting");
  // ...and, since he does not come back within the reconnect grace, that the call is lost.
  const Json ended = alice->expect_type("ended", Millis{2'000});
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "connection_lost");
  EXPECT_EQ(ended.value("by", ""), "bob");
  const CloseResult closed = bob->wait_close(Millis{1'000});
  EXPECT_TRUE(closed.closed);
}

TEST_F(KeepAliveTest, SilentClientMayResumeAfterBeingDropped) {
  start_server(fast_heartbeat());
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  EXPECT_EQ(alice->expect_type("peer", Millis{3'000}).value("state", ""), "reconnecting");
  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 1}}}})));
  // The app wakes up, finds its socket dead and resumes: nothing was lost meanwhile.
  bob->reset();
  auto bob_again = resume("bob", "b1", *bob);
  EXPECT_TRUE(bob_again->welcome().value("resumed", false)) << bob_again->welcome().dump();
  EXPECT_EQ(bob_again->expect_type("signal").value("data", Json()), (Json{{"n", 1}}));
  EXPECT_EQ(alice->expect_type("peer").value("state", ""), "reconnected");
  bob_again->expect_silence();
}

}  // namespace
}  // namespace switchboard::testing
