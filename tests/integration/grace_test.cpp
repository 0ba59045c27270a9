// Grace periods, re-delivery, --ring-offline and session expiry over real sockets
// (PROTOCOL.md "Grace periods", "Re-delivery" and "Reconnecting"): a dropped party may come
// back in time and find its call intact; one that comes back late is told how it ended; and
// once everyone is gone the server holds nothing (GET /metrics back to zero).
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

using GraceTest = IntegrationTest;
using Clock = std::chrono::steady_clock;

TEST_F(GraceTest, CallerBackWithinTheCallerGraceKeepsTheCallRinging) {
  server::Config config = test_config();
  config.caller_grace = kShortGrace;
  start_server(config);
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  alice->reset();
  ASSERT_TRUE(wait_for_metric("switchboard_sessions_detached", 1));
  auto alice_again = resume("alice", "a1", *alice);
  EXPECT_TRUE(alice_again->welcome().value("resumed", false));
  // Well past the grace the call still rings, and the answer reaches the resumed caller.
  bob->expect_silence(kShortGrace * 2);
  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice_again->expect_type("answer").value("callId", ""), call_id);
}

TEST_F(GraceTest, PartyBackWithinTheReconnectGraceKeepsTheCall) {
  server::Config config = test_config();
  config.reconnect_grace = kShortGrace;
  start_server(config);
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  alice->disconnect();
  EXPECT_EQ(bob->expect_type("peer").value("state", ""), "reconnecting");
  auto alice_again = resume("alice", "a1", *alice);
  EXPECT_TRUE(alice_again->welcome().value("resumed", false));
  EXPECT_EQ(bob->expect_type("peer").value("state", ""), "reconnected");
  bob->expect_silence(kShortGrace * 2);  // no `connection_lost` once the grace would be over
  ASSERT_TRUE(bob->send_json(command("hangup", {{"callId", call_id}})));
  const Json ended = alice_again->expect_type("ended");
  EXPECT_EQ(ended.value("reason", ""), "completed");
  EXPECT_EQ(ended.value("by", ""), "bob");
}

TEST_F(GraceTest, PartyBackAfterTheGraceIsToldHowTheCallEnded) {
  server::Config config = test_config();
  config.reconnect_grace = kShortGrace;
  start_server(config);
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  bob->reset();
  EXPECT_EQ(alice->expect_type("peer").value("state", ""), "reconnecting");
  const Json lost = alice->expect_type("ended");
  EXPECT_EQ(lost.value("reason", ""), "connection_lost");
  EXPECT_EQ(lost.value("by", ""), "bob");
  // The session outlives the grace (resume window 120 s): bob resumes and hears the end.
  auto bob_again = resume("bob", "b1", *bob);
  EXPECT_TRUE(bob_again->welcome().value("resumed", false));
  EXPECT_TRUE(bob_again->welcome().value("calls", Json()).empty());
  const Json ended = bob_again->expect_type("ended");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "connection_lost");
  EXPECT_EQ(ended.value("by", ""), "bob");
  bob_again->expect_silence();
  alice->expect_silence();
}

TEST_F(GraceTest, CalleeBackWithAFreshSessionIsToldTheCallStillRings) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  const Json first = bob->expect_type("call");
  bob->reset();
  ASSERT_TRUE(wait_for_metric("switchboard_sessions_detached", 1));
  // The app was killed in the background and starts over without its session.
  auto bob_again = connect("bob", "b1");
  EXPECT_FALSE(bob_again->welcome().value("resumed", true));
  ASSERT_EQ(bob_again->welcome().value("calls", Json()).size(), 1U);
  EXPECT_EQ(bob_again->welcome()["calls"][0].value("state", ""), "ringing");
  const Json again = bob_again->expect_type("call");
  EXPECT_EQ(again.value("callId", ""), call_id);
  EXPECT_EQ(again.value("from", ""), "alice");
  EXPECT_EQ(again.value("expiresAt", std::int64_t{0}), first.value("expiresAt", std::int64_t{0}));
  EXPECT_LE(again.value("expiresInMs", std::int64_t{-1}),
            first.value("expiresInMs", std::int64_t{0}));
  bob_again->expect_silence();
  ASSERT_TRUE(bob_again->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b1");
}

TEST_F(GraceTest, RingingDeviceThatResumesIsNotRungTwice) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  bob->disconnect();
  ASSERT_TRUE(wait_for_metric("switchboard_sessions_detached", 1));
  auto bob_again = resume("bob", "b1", *bob);
  EXPECT_TRUE(bob_again->welcome().value("resumed", false));
  bob_again->expect_silence();  // it processed the `call` already
  ASSERT_TRUE(bob_again->send_json(command("ringing", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("ringing").value("callId", ""), call_id);
}

TEST_F(GraceTest, RingOfflineWaitsForTheCalleesFirstDevice) {
  server::Config config = test_config();
  config.ring_offline = true;
  start_server(config);
  auto alice = connect("alice", "a1");
  const std::string call_id = place_call(*alice, "bob");
  alice->expect_silence();  // no `unavailable`: the call waits for bob
  auto bob = connect("bob", "b1");
  const Json call = bob->expect_type("call");
  EXPECT_EQ(call.value("callId", ""), call_id);
  EXPECT_GT(call.value("expiresInMs", std::int64_t{0}), 0);
  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b1");
}

TEST_F(GraceTest, RingOfflineEndsWithNoAnswerAtTheRingTimeout) {
  server::Config config = test_config();
  config.ring_offline = true;
  config.ring_timeout = Millis{400};
  start_server(config);
  auto alice = connect("alice", "a1");
  const auto placed = Clock::now();
  const std::string call_id = place_call(*alice, "bob");
  const Json ended = alice->expect_type("ended");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "no_answer");
  EXPECT_GE(Clock::now() - placed, Millis{380});
}

TEST_F(GraceTest, ExpiredSessionsAreForgottenAndMetricsReturnToZero) {
  server::Config config = test_config();
  config.resume_window = Millis{500};
  config.reconnect_grace = Millis{200};
  config.caller_grace = Millis{200};
  start_server(config);
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  auto carol = connect("carol", "c1");
  auto dave = connect("dave", "d1");
  establish_call(*alice, *bob, "bob");
  place_call(*carol, "dave");
  dave->expect_type("call");
  const auto before = metrics();
  EXPECT_EQ(before.at("switchboard_connections"), 4);
  EXPECT_EQ(before.at("switchboard_sessions"), 4);
  EXPECT_EQ(before.at(R"(switchboard_calls{state="active"})"), 1);
  EXPECT_EQ(before.at(R"(switchboard_calls{state="ringing"})"), 1);
  // Every way of going away: RST, FIN, a clean close, a caller dropping while it rings.
  alice->reset();
  bob->disconnect();
  dave->close();
  carol->reset();
  for (const char* sample :
       {"switchboard_connections", "switchboard_sessions", "switchboard_sessions_detached",
        R"(switchboard_calls{state="active"})", R"(switchboard_calls{state="ringing"})"}) {
    EXPECT_TRUE(wait_for_metric(sample, 0)) << sample;
  }
  // Past the window the session is gone: resuming it starts afresh with nothing to show.
  auto alice_again = resume("alice", "a1", *alice);
  EXPECT_FALSE(alice_again->welcome().value("resumed", true));
  EXPECT_TRUE(alice_again->welcome().value("calls", Json()).empty());
  alice_again->expect_silence();
}

}  // namespace
}  // namespace switchboard::testing
