// The engine session behind a Realtime calls channel, over real sockets (PROTOCOL.md "Leaving
// and dropping", "Token changes"): a drop holds it for the resume window with the usual grace
// periods, a reconnect with the same device takes its calls back, a phx_leave or a clean close
// ends it, and an access_token that no longer vouches for the user drops the channel.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/realtime_harness.hpp"

namespace switchboard::testing {
namespace {

using RealtimeSessionTest = RealtimeTest;

constexpr Millis kShortGrace{300};

// alice on Realtime (device a-rt) in an answered call with native bob (b1).
struct ActiveCall {
  std::unique_ptr<RealtimeClient> alice;
  std::unique_ptr<WsTestClient> bob;
  std::string call_id;
};

class RealtimeSessionFixture : public RealtimeTest {
 protected:
  ActiveCall active_call() {
    ActiveCall call;
    call.alice = connect_calls("alice", Vsn::v2, "a-rt");
    call.bob = connect_native("bob", "b1");
    call.call_id = call.alice->place_call("bob");
    call.bob->expect_type("call");
    EXPECT_TRUE(call.bob->send_json(command("answer", {{"callId", call.call_id}})));
    call.alice->expect_signal("answer");
    return call;
  }
};

using RealtimeDropTest = RealtimeSessionFixture;
using RealtimeLeaveTest = RealtimeSessionFixture;
using RealtimeTokenTest = RealtimeSessionFixture;

// ---- drops -------------------------------------------------------------------------------

TEST_F(RealtimeDropTest, DropHoldsTheSessionForResume) {
  start_realtime();
  auto alice = connect_calls("alice", Vsn::v2, "a-rt");
  ASSERT_TRUE(wait_for_metric("switchboard_sessions", 1));
  alice->ws().reset();
  ASSERT_TRUE(wait_for_metric("switchboard_sessions_detached", 1));
  // Held sessions count as devices: a call to alice rings rather than ending unavailable.
  auto bob = connect_native("bob", "b1");
  place_call(*bob, "alice");
  bob->expect_silence();
}

TEST_F(RealtimeDropTest, ReconnectWithTheSameDeviceTakesTheCallBack) {
  server::Config config = realtime_config();
  config.reconnect_grace = kShortGrace;
  start_realtime(config);
  ActiveCall call = active_call();
  call.alice->ws().reset();
  EXPECT_EQ(call.bob->expect_type("peer").value("state", ""), "reconnecting");
  auto alice = connect_calls("alice", Vsn::v2, "a-rt");
  EXPECT_EQ(call.bob->expect_type("peer").value("state", ""), "reconnected");
  call.bob->expect_silence(kShortGrace * 2);  // no connection_lost once the grace is over
  // The new socket holds the call: it may hang up, and bob's hangup reaches it.
  EXPECT_EQ(status_of(alice->call_signal(
                {{"type", "signal"}, {"callId", call.call_id}, {"data", {{"n", 1}}}})),
            "ok");
  EXPECT_EQ(call.bob->expect_type("signal").value("fromDevice", ""), "a-rt");
  ASSERT_TRUE(call.bob->send_json(command("hangup", {{"callId", call.call_id}})));
  const Json ended = alice->expect_signal("hangup");
  EXPECT_EQ(ended.value("reason", ""), "completed");
  EXPECT_EQ(ended.value("by", ""), "bob");
}

TEST_F(RealtimeDropTest, DropEndsAnActiveCallOnceTheGraceIsOver) {
  server::Config config = realtime_config();
  config.reconnect_grace = kShortGrace;
  start_realtime(config);
  ActiveCall call = active_call();
  call.alice->ws().disconnect();  // FIN, no close frame: still a drop
  EXPECT_EQ(call.bob->expect_type("peer").value("state", ""), "reconnecting");
  const Json ended = call.bob->expect_type("ended");
  EXPECT_EQ(ended.value("reason", ""), "connection_lost");
  EXPECT_EQ(ended.value("by", ""), "alice");
}

TEST_F(RealtimeDropTest, ReconnectWithoutADeviceIsANewDevice) {
  server::Config config = realtime_config();
  config.reconnect_grace = kShortGrace;
  start_realtime(config);
  auto alice = connect_calls("alice");  // no device parameter
  auto bob = connect_native("bob", "b1");
  const std::string call_id = alice->place_call("bob");
  bob->expect_type("call");
  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  alice->expect_signal("answer");
  alice->ws().reset();
  EXPECT_EQ(bob->expect_type("peer").value("state", ""), "reconnecting");
  auto alice_again = connect_calls("alice");
  // Not the same device: the call is not taken back and ends with the grace.
  const Json ended = bob->expect_type("ended");
  EXPECT_EQ(ended.value("reason", ""), "connection_lost");
  alice_again->expect_silence();
  const Json late = alice_again->call_signal({{"type", "hangup"}, {"callId", call_id}});
  EXPECT_EQ(status_of(late), "error") << late.dump();
}

TEST_F(RealtimeDropTest, RealtimePartyHearsThePeerReconnecting) {
  start_realtime();
  auto alice = connect_native("alice", "a1");
  auto bob = connect_calls("bob", Vsn::v2, "b-rt");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_signal("call");
  EXPECT_EQ(status_of(bob->call_signal({{"type", "answer"}, {"callId", call_id}})), "ok");
  alice->expect_type("answer");
  alice->reset();
  const Json away = bob->expect_signal("peer");
  EXPECT_EQ(away.value("state", ""), "reconnecting");
  EXPECT_EQ(away.value("from", ""), "alice");
  auto alice_again =
      connect_query("token=" + sign_token("alice") + "&device=a1&session=" + alice->session_id() +
                    "&lastSeq=" + std::to_string(alice->last_seq()));
  EXPECT_TRUE(alice_again->welcome().value("resumed", false));
  EXPECT_EQ(bob->expect_signal("peer").value("state", ""), "reconnected");
}

// ---- leaving -----------------------------------------------------------------------------

TEST_F(RealtimeLeaveTest, LeavingTheCallsChannelEndsAnActiveCall) {
  start_realtime();
  ActiveCall call = active_call();
  const std::string ref = call.alice->send(call.alice->calls_topic(), "phx_leave", Json::object());
  EXPECT_EQ(call.alice->expect_ok(call.alice->calls_topic(), ref), Json::object());
  const Json ended = call.bob->expect_type("ended");  // no `peer reconnecting` first
  EXPECT_EQ(ended.value("reason", ""), "connection_lost");
  EXPECT_EQ(ended.value("by", ""), "alice");
  call.alice->expect_silence();
  ASSERT_TRUE(wait_for_metric("switchboard_sessions", 1));  // bob's only
}

TEST_F(RealtimeLeaveTest, LeavingTheCallsChannelCancelsARingingCall) {
  start_realtime();
  auto alice = connect_calls("alice");
  auto bob = connect_native("bob", "b1");
  const std::string call_id = alice->place_call("bob");
  bob->expect_type("call");
  const std::string ref = alice->send(alice->calls_topic(), "phx_leave", Json::object());
  alice->expect_ok(alice->calls_topic(), ref);
  const Json ended = bob->expect_type("ended");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "canceled");
  EXPECT_EQ(ended.value("by", ""), "alice");
}

TEST_F(RealtimeLeaveTest, AfterLeavingNoCallSignalsArrive) {
  start_realtime();
  auto alice = connect_calls("alice");
  alice->join_ok("realtime:lobby");
  const std::string ref = alice->send(alice->calls_topic(), "phx_leave", Json::object());
  alice->expect_ok(alice->calls_topic(), ref);
  auto bob = connect_native("bob", "b1");
  place_call(*bob, "alice");
  EXPECT_EQ(bob->expect_type("ended").value("reason", ""), "unavailable");
  alice->expect_silence();
}

TEST_F(RealtimeLeaveTest, CleanCloseEndsTheSession) {
  start_realtime();
  ActiveCall call = active_call();
  call.alice->ws().close(1000);
  const Json ended = call.bob->expect_type("ended");
  EXPECT_EQ(ended.value("reason", ""), "connection_lost");
  EXPECT_EQ(ended.value("by", ""), "alice");
  ASSERT_TRUE(wait_for_metric("switchboard_sessions_detached", 0));
}

TEST_F(RealtimeLeaveTest, SameDeviceReplacesTheOlderRealtimeSocket) {
  start_realtime();
  auto first = connect_calls("alice", Vsn::v2, "a-rt");
  auto second = connect_calls("alice", Vsn::v1, "a-rt");
  // The older socket's calls channel ends (phx_close: see the next test).
  auto frame = first->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->event, "phx_close") << frame->raw;
  EXPECT_EQ(frame->topic, first->calls_topic());
  // Only the newer socket rings now.
  auto bob = connect_native("bob", "b1");
  place_call(*bob, "alice");
  second->expect_signal("call");
  first->expect_silence();
}

// phx_close, not phx_error: realtime-js rejoins after a phx_error, which would take the
// device back from the newer socket, and so on back and forth.
TEST_F(RealtimeLeaveTest, ReplacedSocketIsToldToStopNotToRejoin) {
  start_realtime();
  auto first = connect_calls("alice", Vsn::v2, "a-rt");
  auto second = connect_calls("alice", Vsn::v2, "a-rt");
  auto frame = first->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->event, "phx_close") << frame->raw;
  first->expect_silence();
  second->expect_silence();
}

// ---- token changes -----------------------------------------------------------------------

TEST_F(RealtimeTokenTest, AccessTokenForAnotherUserDropsTheCallsChannel) {
  start_realtime();
  auto alice = connect_calls("alice");
  const std::string topic = alice->calls_topic();
  ASSERT_TRUE(alice->push(topic, "access_token", {{"access_token", sign_token("bob")}}, "t1",
                          *alice->join_ref(topic)));
  auto frame = alice->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->event, "phx_error") << frame->raw;
  EXPECT_EQ(frame->topic, topic);
  EXPECT_EQ(frame->join_ref, *alice->join_ref(topic)) << frame->raw;
  EXPECT_TRUE(frame->payload.value("reason", Json()).is_string()) << frame->raw;
  // The engine holds the session as after a drop; nothing reaches the dropped channel.
  ASSERT_TRUE(wait_for_metric("switchboard_sessions_detached", 1));
  auto bob = connect_native("bob", "b1");
  place_call(*bob, "alice");
  alice->expect_silence();
  const std::string ref = alice->broadcast(topic, "call-signal", {{"type", "call"}, {"to", "bob"}});
  EXPECT_EQ(alice->expect_error(topic, ref), (Json{{"reason", "unmatched topic"}}));
}

TEST_F(RealtimeTokenTest, ExpiredOrInvalidAccessTokenDropsTheCallsChannel) {
  start_realtime();
  for (const std::string& token : {sign_token("alice", -60), std::string("not.a.jwt"),
                                   sign_token("alice", 300, "another-secret-0123456789abcdef")}) {
    auto alice = connect_calls("alice");
    const std::string topic = alice->calls_topic();
    alice->send(topic, "access_token", {{"access_token", token}});
    auto frame = alice->recv();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->event, "phx_error") << frame->raw;
    EXPECT_EQ(frame->topic, topic);
  }
}

TEST_F(RealtimeTokenTest, FreshTokenForTheSameUserKeepsTheChannel) {
  start_realtime();
  auto alice = connect_calls("alice");
  alice->send(alice->calls_topic(), "access_token", {{"access_token", sign_token("alice", 600)}});
  alice->expect_silence();  // no answer to an access_token
  auto bob = connect_native("bob", "b1");
  place_call(*bob, "alice");
  EXPECT_EQ(alice->expect_signal("call").value("from", ""), "bob");
}

TEST_F(RealtimeTokenTest, RejoinAfterADropHearsTheRingingCall) {
  start_realtime();
  auto alice = connect_calls("alice");
  const std::string topic = alice->calls_topic();
  alice->send(topic, "access_token", {{"access_token", sign_token("alice", -60)}});
  auto frame = alice->recv();
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->event, "phx_error") << frame->raw;
  auto bob = connect_native("bob", "b1");
  const std::string call_id = place_call(*bob, "alice");
  // realtime-js rejoins with its newest token.
  alice->join_calls("alice", sign_token("alice"));
  EXPECT_EQ(alice->expect_signal("call").value("callId", ""), call_id);
  EXPECT_EQ(status_of(alice->call_signal({{"type", "answer"}, {"callId", call_id}})), "ok");
  EXPECT_EQ(bob->expect_type("answer").value("callId", ""), call_id);
}

TEST_F(RealtimeTokenTest, AccessTokenOnAPlainChannelIsCheckedToo) {
  start_realtime();
  auto alice = connect_calls("alice");
  alice->join_ok("realtime:lobby");
  alice->send("realtime:lobby", "access_token", {{"access_token", sign_token("mallory")}});
  auto frame = alice->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->event, "phx_error") << frame->raw;
  EXPECT_EQ(frame->topic, alice->calls_topic());
}

}  // namespace
}  // namespace switchboard::testing
