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

TEST_F(KeepAliveTest, SilentClientIsDroppedAndItsCallEnds) {
  start_server(fast_heartbeat());
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  // bob stops reading, so he never answers a ping; alice keeps reading.
  const Json ended = alice->expect_type("ended", Millis{3'000});
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "connection_lost");
  EXPECT_EQ(ended.value("by", ""), "bob");
  const CloseResult closed = bob->wait_close(Millis{1'000});
  EXPECT_TRUE(closed.closed);
}

}  // namespace
}  // namespace switchboard::testing
