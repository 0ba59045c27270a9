// Calls over Supabase Realtime with real sockets (PROTOCOL.md "Calls on calls:<userId>"): who
// may join a calls channel, call-signal commands and their replies, the events each party
// hears, and interop with native (/v1/ws) clients in both directions.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/realtime_harness.hpp"

namespace switchboard::testing {
namespace {

using RealtimeCallTest = RealtimeTest;

Json code_of(const Json& reply) {
  const Json response = reply.value("response", Json());
  return response.is_object() ? response.value("code", Json()) : Json();
}

// ---- joining calls:<userId> ----------------------------------------------------------------

TEST_F(RealtimeCallTest, CallsChannelNeedsTheUsersOwnToken) {
  start_realtime();
  auto anon = connect_rt(sign_token(""));
  const Json no_user = anon->join("realtime:calls:alice");
  EXPECT_EQ(status_of(no_user), "error") << no_user.dump();
  EXPECT_NE(no_user["response"].value("reason", "").find("user token"), std::string::npos)
      << no_user.dump();

  auto bob = connect_rt(sign_token("bob"));
  EXPECT_EQ(status_of(bob->join("realtime:calls:alice")), "error");

  auto expired = connect_rt(sign_token(""));
  EXPECT_EQ(
      status_of(expired->join("realtime:calls:alice", channel_config(), sign_token("alice", -60))),
      "error");

  auto via_access_token = connect_rt(sign_token(""));
  via_access_token->join_calls("alice", sign_token("alice"));

  auto via_apikey = connect_rt(sign_token("alice"));
  via_apikey->join_calls("alice");
}

TEST_F(RealtimeCallTest, AConnectionSpeaksForOneUser) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  client->join_calls("alice");
  const Json other = client->join("realtime:calls:bob", channel_config(), sign_token("bob"));
  EXPECT_EQ(status_of(other), "error") << other.dump();
  // Still alice's device: a call to alice rings it.
  auto bob = connect_native("bob", "b1");
  place_call(*bob, "alice");
  EXPECT_EQ(client->expect_signal("call").value("from", ""), "bob");
}

// ---- a call between two Realtime clients -------------------------------------------------

TEST_F(RealtimeCallTest, FullCallBetweenRealtimeClients) {
  start_realtime();
  auto alice = connect_calls("alice", Vsn::v2, "a-rt");
  auto bob = connect_calls("bob", Vsn::v1, "b-rt");
  const std::string call_id = alice->place_call(
      "bob", {{"roomName", "room-1"}, {"media", "video"}, {"data", {{"name", "Alice"}}}});

  const Json call = bob->expect_signal("call");
  EXPECT_EQ(call.value("callId", ""), call_id);
  EXPECT_EQ(call.value("from", ""), "alice");
  EXPECT_EQ(call.value("to", ""), "bob");
  EXPECT_EQ(call.value("roomName", ""), "room-1");
  EXPECT_EQ(call.value("media", ""), "video");
  EXPECT_EQ(call.value("data", Json()), (Json{{"name", "Alice"}}));
  EXPECT_TRUE(call.value("expiresAt", Json()).is_number_integer()) << call.dump();
  EXPECT_GT(call.value("expiresInMs", 0), 0) << call.dump();

  EXPECT_EQ(status_of(bob->call_signal({{"type", "ringing"}, {"callId", call_id}})), "ok");
  const Json ringing = alice->expect_signal("ringing");
  EXPECT_EQ(ringing.value("from", ""), "bob");
  EXPECT_EQ(ringing.value("to", ""), "alice");

  EXPECT_EQ(status_of(bob->call_signal(
                {{"type", "answer"}, {"callId", call_id}, {"data", {{"ok", true}}}})),
            "ok");
  const Json answer = alice->expect_signal("answer");
  EXPECT_EQ(answer.value("from", ""), "bob");
  EXPECT_EQ(answer.value("roomName", ""), "room-1");
  EXPECT_EQ(answer.value("deviceId", ""), "b-rt");
  EXPECT_EQ(answer.value("data", Json()), (Json{{"ok", true}}));

  EXPECT_EQ(status_of(alice->call_signal(
                {{"type", "signal"}, {"callId", call_id}, {"data", {{"sdp", "v=0"}}}})),
            "ok");
  const Json offer = bob->expect_signal("signal");
  EXPECT_EQ(offer.value("from", ""), "alice");
  EXPECT_EQ(offer.value("fromDevice", ""), "a-rt");
  EXPECT_EQ(offer.value("data", Json()), (Json{{"sdp", "v=0"}}));
  EXPECT_EQ(status_of(bob->call_signal(
                {{"type", "signal"}, {"callId", call_id}, {"data", {{"ice", "c1"}}}})),
            "ok");
  EXPECT_EQ(alice->expect_signal("signal").value("data", Json()), (Json{{"ice", "c1"}}));

  EXPECT_EQ(status_of(alice->call_signal({{"type", "hangup"}, {"callId", call_id}})), "ok");
  const Json ended = bob->expect_signal("hangup");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "completed");
  EXPECT_EQ(ended.value("by", ""), "alice");
  EXPECT_EQ(ended.value("from", ""), "alice");
  EXPECT_EQ(ended.value("to", ""), "bob");
  EXPECT_TRUE(ended.contains("durationMs")) << ended.dump();
  alice->expect_silence();  // its own hangup is not echoed
  bob->expect_silence();
}

TEST_F(RealtimeCallTest, CallReplyCarriesTheClientsCallId) {
  start_realtime();
  auto alice = connect_calls("alice");
  auto bob = connect_calls("bob");
  EXPECT_EQ(alice->place_call("bob", {{"callId", "my-call-1"}}), "my-call-1");
  const Json call = bob->expect_signal("call");
  EXPECT_EQ(call.value("callId", ""), "my-call-1");
  EXPECT_EQ(call.value("roomName", ""), "my-call-1");  // the room defaults to the call id
}

TEST_F(RealtimeCallTest, FromMustBeTheSendersOwnUser) {
  start_realtime();
  auto alice = connect_calls("alice");
  auto bob = connect_calls("bob");
  const Json forged = alice->call_signal({{"type", "call"}, {"to", "bob"}, {"from", "mallory"}});
  EXPECT_EQ(status_of(forged), "error") << forged.dump();
  EXPECT_EQ(code_of(forged), "forbidden");
  bob->expect_silence();
  const Json own = alice->call_signal({{"type", "call"}, {"to", "bob"}, {"from", "alice"}});
  EXPECT_EQ(status_of(own), "ok") << own.dump();
  EXPECT_EQ(bob->expect_signal("call").value("from", ""), "alice");
}

TEST_F(RealtimeCallTest, RefusedCallSignalsCarryReasonAndCode) {
  start_realtime();
  auto alice = connect_calls("alice");
  const auto expect_code = [&alice](const Json& payload, const std::string& code) {
    const Json reply = alice->call_signal(payload);
    EXPECT_EQ(status_of(reply), "error") << payload.dump() << " -> " << reply.dump();
    EXPECT_EQ(code_of(reply), code) << payload.dump() << " -> " << reply.dump();
    EXPECT_TRUE(reply["response"].value("reason", Json()).is_string()) << reply.dump();
  };
  expect_code({{"type", "dance"}}, "unknown_type");
  expect_code({{"callId", "x"}}, "bad_message");
  expect_code({{"type", "call"}}, "bad_message");
  expect_code({{"type", "answer"}, {"callId", "no-such-call"}}, "not_found");
  expect_code({{"type", "call"}, {"to", "alice"}}, "self_call");
  expect_code({{"type", "signal"}, {"callId", "no-such-call"}, {"data", "not an object"}},
              "bad_message");
  // A payload that is not an object at all.
  const std::string ref =
      alice->send(alice->calls_topic(), "broadcast",
                  {{"type", "broadcast"}, {"event", "call-signal"}, {"payload", "call bob"}});
  EXPECT_EQ(status_of(alice->expect_reply(alice->calls_topic(), ref)), "error");
  // Binary call-signals are refused: commands are JSON.
  const std::string binary_ref =
      alice->broadcast_binary(alice->calls_topic(), "call-signal", R"({"type":"call"})");
  EXPECT_EQ(status_of(alice->expect_reply(alice->calls_topic(), binary_ref)), "error");
}

// ---- how calls end, as each side hears it ------------------------------------------------

TEST_F(RealtimeCallTest, RejectReachesTheCallerAsReject) {
  start_realtime();
  auto alice = connect_calls("alice");
  auto bob = connect_calls("bob");
  const std::string call_id = alice->place_call("bob");
  bob->expect_signal("call");
  EXPECT_EQ(status_of(bob->call_signal({{"type", "reject"}, {"callId", call_id}})), "ok");
  const Json rejected = alice->expect_signal("reject");
  EXPECT_EQ(rejected.value("callId", ""), call_id);
  EXPECT_EQ(rejected.value("reason", ""), "declined");
  EXPECT_EQ(rejected.value("by", ""), "bob");
  EXPECT_EQ(rejected.value("from", ""), "bob");
  bob->expect_silence();
}

TEST_F(RealtimeCallTest, BusyRejectsWithReasonBusy) {
  start_realtime();
  auto alice = connect_calls("alice");
  auto bob = connect_calls("bob");
  const std::string call_id = alice->place_call("bob");
  bob->expect_signal("call");
  EXPECT_EQ(status_of(bob->call_signal({{"type", "busy"}, {"callId", call_id}})), "ok");
  const Json ended = alice->expect_signal("hangup");
  EXPECT_EQ(ended.value("reason", ""), "busy");
  EXPECT_EQ(ended.value("by", ""), "bob");
  bob->expect_silence();
}

TEST_F(RealtimeCallTest, CancelHangsUpARingingCall) {
  start_realtime();
  auto alice = connect_calls("alice");
  auto bob = connect_calls("bob");
  const std::string call_id = alice->place_call("bob");
  bob->expect_signal("call");
  EXPECT_EQ(status_of(alice->call_signal({{"type", "cancel"}, {"callId", call_id}})), "ok");
  const Json ended = bob->expect_signal("hangup");
  EXPECT_EQ(ended.value("reason", ""), "canceled");
  EXPECT_EQ(ended.value("by", ""), "alice");
  alice->expect_silence();
}

TEST_F(RealtimeCallTest, UnavailableCalleeEndsTheCallAfterTheReply) {
  start_realtime();
  auto alice = connect_calls("alice");
  const std::string call_id = alice->place_call("nobody");
  const Json ended = alice->expect_signal("hangup");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "unavailable");
  EXPECT_EQ(ended.value("from", ""), "nobody");
}

TEST_F(RealtimeCallTest, NoAnswerReachesBothSidesAsHangup) {
  server::Config config = realtime_config();
  config.ring_timeout = Millis{300};
  start_realtime(config);
  auto alice = connect_calls("alice");
  auto bob = connect_calls("bob");
  const std::string call_id = alice->place_call("bob");
  bob->expect_signal("call");
  for (RealtimeClient* party : {alice.get(), bob.get()}) {
    const Json ended = party->expect_signal("hangup");
    EXPECT_EQ(ended.value("callId", ""), call_id);
    EXPECT_EQ(ended.value("reason", ""), "no_answer");
  }
}

// ---- call-signal outside the calls channel -----------------------------------------------

TEST_F(RealtimeCallTest, CallSignalOnAnyJoinedChannelIsACommand) {
  start_realtime();
  auto alice = connect_calls("alice");
  alice->join_ok("realtime:lobby");
  auto bob = connect_calls("bob");
  const Json reply =
      alice->call_signal({{"type", "call"}, {"to", "bob"}, {"callId", "c-1"}}, "realtime:lobby");
  EXPECT_EQ(reply, (Json{{"status", "ok"}, {"response", {{"callId", "c-1"}}}}));
  bob->expect_signal("call");
  EXPECT_EQ(status_of(bob->call_signal({{"type", "ringing"}, {"callId", "c-1"}})), "ok");
  // Events come back on the calls channel, never on the lobby.
  EXPECT_EQ(alice->expect_signal("ringing").value("callId", ""), "c-1");
}

TEST_F(RealtimeCallTest, WithoutACallsChannelCallSignalActsForTheUserAsAWhole) {
  start_realtime();
  auto alice_phone = connect_native("alice", "phone");
  auto alice_web = connect_rt(sign_token("alice"));
  alice_web->join_ok("realtime:lobby");
  auto bob = connect_calls("bob");
  const Json reply = alice_web->call_signal({{"type", "call"}, {"to", "bob"}, {"callId", "c-2"}},
                                            "realtime:lobby");
  EXPECT_EQ(status_of(reply), "ok") << reply.dump();
  EXPECT_EQ(bob->expect_signal("call").value("from", ""), "alice");
  EXPECT_EQ(status_of(bob->call_signal({{"type", "answer"}, {"callId", "c-2"}})), "ok");
  // The caller's leg is deviceless: every device of alice hears the answer.
  EXPECT_EQ(alice_phone->expect_type("answer").value("callId", ""), "c-2");
}

TEST_F(RealtimeCallTest, CallSignalNeedsAUser) {
  start_realtime();
  auto anon = connect_rt(sign_token(""));
  anon->join_ok("realtime:lobby");
  auto bob = connect_calls("bob");
  const Json reply = anon->call_signal({{"type", "call"}, {"to", "bob"}}, "realtime:lobby");
  EXPECT_EQ(status_of(reply), "error") << reply.dump();
  bob->expect_silence();
}

// ---- interop with native clients ---------------------------------------------------------

TEST_F(RealtimeCallTest, NativeCallerAndRealtimeCallee) {
  start_realtime();
  auto alice = connect_native("alice", "a1");
  auto bob = connect_calls("bob", Vsn::v2, "b-rt");
  const std::string call_id = place_call(*alice, "bob", {{"roomName", "r-9"}});
  const Json call = bob->expect_signal("call");
  EXPECT_EQ(call.value("callId", ""), call_id);
  EXPECT_EQ(call.value("from", ""), "alice");
  EXPECT_EQ(call.value("roomName", ""), "r-9");

  EXPECT_EQ(status_of(bob->call_signal({{"type", "ringing"}, {"callId", call_id}})), "ok");
  EXPECT_EQ(alice->expect_type("ringing").value("from", ""), "bob");
  EXPECT_EQ(status_of(bob->call_signal({{"type", "answer"}, {"callId", call_id}})), "ok");
  const Json answer = alice->expect_type("answer");
  EXPECT_EQ(answer.value("from", ""), "bob");
  EXPECT_EQ(answer.value("deviceId", ""), "b-rt");

  ASSERT_TRUE(
      alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"sdp", "offer"}}}})));
  const Json offer = bob->expect_signal("signal");
  EXPECT_EQ(offer.value("fromDevice", ""), "a1");
  EXPECT_EQ(offer.value("data", Json()), (Json{{"sdp", "offer"}}));
  EXPECT_EQ(status_of(bob->call_signal(
                {{"type", "signal"}, {"callId", call_id}, {"data", {{"sdp", "answer"}}}})),
            "ok");
  const Json reply = alice->expect_type("signal");
  EXPECT_EQ(reply.value("fromDevice", ""), "b-rt");
  EXPECT_EQ(reply.value("data", Json()), (Json{{"sdp", "answer"}}));

  ASSERT_TRUE(alice->send_json(command("hangup", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("ended").value("reason", ""), "completed");
  const Json ended = bob->expect_signal("hangup");
  EXPECT_EQ(ended.value("reason", ""), "completed");
  EXPECT_EQ(ended.value("by", ""), "alice");
}

TEST_F(RealtimeCallTest, RealtimeCallerAndNativeCallee) {
  start_realtime();
  auto alice = connect_calls("alice", Vsn::v1, "a-rt");
  auto bob = connect_native("bob", "b1");
  const std::string call_id = alice->place_call("bob", {{"data", {{"k", 1}}}});
  const Json call = bob->expect_type("call");
  EXPECT_EQ(call.value("callId", ""), call_id);
  EXPECT_EQ(call.value("from", ""), "alice");
  EXPECT_EQ(call.value("data", Json()), (Json{{"k", 1}}));
  ASSERT_TRUE(bob->send_json(command("ringing", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_signal("ringing").value("from", ""), "bob");
  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_signal("answer").value("deviceId", ""), "b1");

  EXPECT_EQ(status_of(alice->call_signal({{"type", "hangup"}, {"callId", call_id}})), "ok");
  const Json ended = bob->expect_type("ended");
  EXPECT_EQ(ended.value("reason", ""), "completed");
  EXPECT_EQ(ended.value("by", ""), "alice");
  alice->expect_silence();
}

TEST_F(RealtimeCallTest, CallRingsRealtimeAndNativeDevicesOfTheCallee) {
  start_realtime();
  auto alice = connect_native("alice", "a1");
  auto bob_web = connect_calls("bob", Vsn::v2, "b-web");
  auto bob_phone = connect_native("bob", "b-phone");
  const std::string call_id = place_call(*alice, "bob");
  EXPECT_EQ(bob_web->expect_signal("call").value("callId", ""), call_id);
  EXPECT_EQ(bob_phone->expect_type("call").value("callId", ""), call_id);
  ASSERT_TRUE(bob_phone->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b-phone");
  // The other device hears why it stopped ringing, as a hangup it understands.
  const Json elsewhere = bob_web->expect_signal("hangup");
  EXPECT_EQ(elsewhere.value("reason", ""), "answered_elsewhere");
}

TEST_F(RealtimeCallTest, DeviceJoiningWhileACallRingsHearsIt) {
  start_realtime();
  auto alice = connect_native("alice", "a1");
  auto bob_phone = connect_native("bob", "b-phone");
  const std::string call_id = place_call(*alice, "bob");
  bob_phone->expect_type("call");
  auto bob_web = connect_calls("bob");
  const Json call = bob_web->expect_signal("call");
  EXPECT_EQ(call.value("callId", ""), call_id);
  EXPECT_GT(call.value("expiresInMs", 0), 0);
  EXPECT_LE(call.value("expiresInMs", 0), 30'000);
  EXPECT_EQ(status_of(bob_web->call_signal({{"type", "answer"}, {"callId", call_id}})), "ok");
  EXPECT_EQ(alice->expect_type("answer").value("callId", ""), call_id);
}

}  // namespace
}  // namespace switchboard::testing
