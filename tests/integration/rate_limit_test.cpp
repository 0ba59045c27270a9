// Per-connection message rate limits (PROTOCOL.md "Limits"): a burst is served, the excess
// gets `rate_limited` (with the command's id), a client that keeps going is closed with 4029,
// and pings count. A flood on some connections must not slow a call on another.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/realtime_harness.hpp"
#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

using RateLimitTest = IntegrationTest;

server::Config limited_config(double rate, std::size_t burst) {
  server::Config config = test_config();
  config.message_rate = rate;
  config.message_burst = burst;
  return config;
}

TEST_F(RateLimitTest, BurstIsServedThenRateLimitedWithTheCommandsId) {
  start_server(limited_config(1, 5));
  auto alice = connect("alice", "a1");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(alice->send_json(command("ping", {{"id", "p" + std::to_string(i)}})));
    EXPECT_EQ(alice->expect_type("pong").value("id", ""), "p" + std::to_string(i));
  }
  ASSERT_TRUE(alice->send_json(command("call", {{"id", "over"}, {"to", "bob"}})));
  const Json refused = alice->expect_type("error");
  EXPECT_EQ(refused.value("code", ""), "rate_limited") << refused.dump();
  EXPECT_EQ(refused.value("id", ""), "over") << refused.dump();
  // A refused frame is not parsed into action: garbage gets rate_limited too, not bad_json.
  ASSERT_TRUE(alice->send_text("{not json"));
  EXPECT_EQ(alice->expect_type("error").value("code", ""), "rate_limited");
  EXPECT_TRUE(alice->is_open());
}

TEST_F(RateLimitTest, TokensComeBackAtTheRate) {
  start_server(limited_config(20, 2));
  auto alice = connect("alice", "a1");
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(alice->send_json(command("ping", {{"id", "x"}})));
  alice->expect_type("pong");
  alice->expect_type("pong");
  EXPECT_EQ(alice->expect_type("error").value("code", ""), "rate_limited");
  // 20 per second: a token every 50 ms. (Retrying in a tight loop instead would spend the
  // refusal budget too and be closed as abusive.)
  std::this_thread::sleep_for(Millis{120});
  ASSERT_TRUE(alice->send_json(command("ping", {{"id", "again"}})));
  EXPECT_EQ(alice->expect_type("pong").value("id", ""), "again");
}

TEST_F(RateLimitTest, SustainedFloodIsClosedWith4029) {
  start_server(limited_config(5, 10));
  auto alice = connect("alice", "a1");
  for (int i = 0; i < 200 && alice->send_json(command("ping")); ++i) {
  }
  const CloseResult closed = alice->wait_close();
  ASSERT_TRUE(closed.closed);
  ASSERT_TRUE(closed.code.has_value()) << closed.error;
  EXPECT_EQ(*closed.code, 4029);
  EXPECT_EQ(closed.reason, "message rate limit exceeded");
}

TEST_F(RateLimitTest, PingFramesCountAgainstTheRate) {
  start_server(limited_config(1, 3));
  auto alice = connect("alice", "a1");
  for (int i = 0; i < 50 && alice->send_ping(); ++i) {
  }
  const CloseResult closed = alice->wait_close();
  ASSERT_TRUE(closed.closed);
  ASSERT_TRUE(closed.code.has_value()) << closed.error;
  EXPECT_EQ(*closed.code, 4029);
}

TEST_F(RateLimitTest, OtherConnectionsKeepTheirOwnBudget) {
  start_server(limited_config(1, 3));
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(alice->send_json(command("ping")));
    alice->expect_type("pong");
  }
  ASSERT_TRUE(alice->send_json(command("ping", {{"id", "x"}})));
  EXPECT_EQ(alice->expect_type("error").value("code", ""), "rate_limited");
  ASSERT_TRUE(bob->send_json(command("ping", {{"id", "b"}})));
  EXPECT_EQ(bob->expect_type("pong").value("id", ""), "b");
}

TEST_F(RateLimitTest, RealtimePushOverTheRateGetsAnErrorReply) {
  server::Config config = limited_config(1, 2);
  config.jwt_secret = kRealtimeSecret;
  start_server(config);
  RealtimeClient client(Vsn::v2);
  ASSERT_TRUE(client.connect(port(), "apikey=" + sign_token("")).ok);
  std::vector<std::string> refs;
  for (int i = 0; i < 3; ++i)
    refs.push_back(client.send("phoenix", "heartbeat", Json::object()));
  client.expect_ok("phoenix", refs[0]);
  client.expect_ok("phoenix", refs[1]);
  const Json refused = client.expect_error("phoenix", refs[2]);
  EXPECT_NE(refused.value("reason", "").find("rate_limited"), std::string::npos) << refused;
}

TEST_F(RateLimitTest, DevicesBeyondTheUsersLimitAreClosedWith4029) {
  server::Config config = test_config();
  config.max_devices_per_user = 2;
  start_server(config);
  auto a1 = connect("alice", "a1");
  auto a2 = connect("alice", "a2");
  WsTestClient a3;
  ASSERT_TRUE(a3.connect(port(), "user=alice&device=a3").ok);
  // Refused before `welcome`: nothing but the close.
  const CloseResult closed = a3.wait_close();
  ASSERT_TRUE(closed.code.has_value()) << closed.error;
  EXPECT_EQ(*closed.code, 4029);
  EXPECT_EQ(closed.drained, 0U);
  EXPECT_NE(closed.reason.find("too many devices"), std::string::npos) << closed.reason;
  // Other users are not affected, and a device alice holds may always come back.
  auto bob = connect("bob", "b1");
  auto a1_again = connect("alice", "a1");
  EXPECT_EQ(a1->wait_close().code, 4009);
  EXPECT_EQ(metrics()["switchboard_connections"], 3);
}

TEST_F(RateLimitTest, RingingCallsBeyondTheUsersLimitAreRateLimited) {
  server::Config config = test_config();
  config.max_ringing_per_user = 2;
  start_server(config);
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  auto carol = connect("carol", "c1");
  auto dave = connect("dave", "d1");
  place_call(*alice, "bob");
  const std::string to_carol = place_call(*alice, "carol");
  ASSERT_TRUE(alice->send_json(command("call", {{"id", "third"}, {"to", "dave"}})));
  const Json refused = alice->expect_type("error");
  EXPECT_EQ(refused.value("code", ""), "rate_limited") << refused.dump();
  EXPECT_EQ(refused.value("id", ""), "third");
  bob->expect_type("call");
  carol->expect_type("call");
  dave->expect_silence();
  // Once one stops ringing, a place is free again.
  ASSERT_TRUE(carol->send_json(command("reject", {{"callId", to_carol}})));
  alice->expect_type("ended");
  place_call(*alice, "dave");
  dave->expect_type("call");
}

// Floods one connection with one kind of abuse, as fast as it can, until the server's close
// arrives (the flooder keeps a read pending, so it notices at once), and returns "4029" when
// that is how it ended, else what happened instead. Writes may be slow on a loaded machine:
// a flooder must not mistake a slow server for a dead one.
std::string flood(std::uint16_t port, const std::string& user, int kind) {
  constexpr int kMaxFrames = 100'000;
  constexpr Millis kWriteTimeout{5'000};
  WsTestClient client;
  const ConnectResult connected = client.connect(port, "user=" + user + "&device=d");
  if (!connected.ok) return "connect failed: " + connected.error;
  const std::string garbage(2'000, '\x7f');
  const std::string call = command("call", {{"to", "victim-" + user}}).dump();
  int sent_frames = 0;
  for (; sent_frames < kMaxFrames; ++sent_frames) {
    client.read_in_background();
    bool sent = false;
    switch (kind) {
      case 0:
        sent = client.send_binary(garbage, kWriteTimeout);
        break;
      case 1:
        sent = client.send_text(garbage, kWriteTimeout);
        break;
      case 2:
        sent = client.send_ping(kWriteTimeout);
        break;
      default:
        sent = client.send_text(call, kWriteTimeout);
        break;
    }
    if (!sent) break;
  }
  const CloseResult closed = client.wait_close(Millis{10'000});
  if (closed.code == 4029) return "4029";
  return "after " + std::to_string(sent_frames) + " frames: " +
         (closed.code ? "close " + std::to_string(*closed.code) + " " + closed.reason
                      : (closed.closed ? "no close frame, " + closed.error : "still open"));
}

TEST_F(RateLimitTest, FloodingClientsDoNotDelayOtherCalls) {
  // Below the default limits (50/s, burst 200): under TSan on a busy CI machine a flooder
  // only manages a few hundred frames a second, which must still be clearly abusive.
  start_server(limited_config(20, 40));
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");

  // Binary frames, garbage text, pings and thousands of calls, one connection each.
  std::vector<std::future<std::string>> flooders;
  for (int kind = 0; kind < 4; ++kind) {
    flooders.push_back(
        std::async(std::launch::async, flood, port(), "flood" + std::to_string(kind), kind));
  }
  // While they flood, a whole call: invite, ring, answer, a signal each way, hangup.
  const auto started = std::chrono::steady_clock::now();
  const std::string call_id = establish_call(*alice, *bob, "bob");
  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"sdp", "o"}}}})));
  bob->expect_type("signal");
  ASSERT_TRUE(bob->send_json(command("signal", {{"callId", call_id}, {"data", {{"sdp", "a"}}}})));
  alice->expect_type("signal");
  ASSERT_TRUE(alice->send_json(command("hangup", {{"callId", call_id}})));
  bob->expect_type("ended");
  const auto took = std::chrono::steady_clock::now() - started;

  // Generous, so that a loaded CI machine under TSan passes: on an idle machine the call
  // takes a few milliseconds. (How fast exactly is the bench's business, not this test's.)
  EXPECT_LT(took, std::chrono::seconds(5))
      << std::chrono::duration_cast<Millis>(took).count() << " ms";
  for (int kind = 0; kind < 4; ++kind) {
    EXPECT_EQ(flooders[static_cast<std::size_t>(kind)].get(), "4029") << "flooder " << kind;
  }
}

}  // namespace
}  // namespace switchboard::testing
