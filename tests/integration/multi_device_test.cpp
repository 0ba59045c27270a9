// One user on several devices: forked ringing, answered/declined elsewhere, the device that
// holds the call, and replacement of a device that connects again.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

using MultiDeviceTest = IntegrationTest;

void expect_error(WsTestClient& client, const std::string& id, const std::string& code) {
  const Json error = client.expect_type("error");
  EXPECT_EQ(error.value("id", ""), id) << error.dump();
  EXPECT_EQ(error.value("code", ""), code) << error.dump();
  EXPECT_TRUE(error.contains("message") && error["message"].is_string()) << error.dump();
}

TEST_F(MultiDeviceTest, BothDevicesRingOneAnswers) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob1 = connect("bob", "b1");
  auto bob2 = connect("bob", "b2");
  const std::string call_id = place_call(*alice, "bob");
  EXPECT_EQ(bob1->expect_type("call").value("callId", ""), call_id);
  EXPECT_EQ(bob2->expect_type("call").value("callId", ""), call_id);

  ASSERT_TRUE(bob2->send_json(command("answer", {{"id", "a"}, {"callId", call_id}})));
  EXPECT_EQ(bob2->expect_type("ack").value("id", ""), "a");
  const Json answer = alice->expect_type("answer");
  EXPECT_EQ(answer.value("deviceId", ""), "b2");
  EXPECT_EQ(answer.value("from", ""), "bob");
  const Json elsewhere = bob1->expect_type("ended");
  EXPECT_EQ(elsewhere.value("callId", ""), call_id);
  EXPECT_EQ(elsewhere.value("reason", ""), "answered_elsewhere");

  ASSERT_TRUE(bob1->send_json(command("answer", {{"id", "late"}, {"callId", call_id}})));
  expect_error(*bob1, "late", "already_answered");
  ASSERT_TRUE(bob1->send_json(command("ringing", {{"id", "r1"}, {"callId", call_id}})));
  expect_error(*bob1, "r1", "already_answered");
  ASSERT_TRUE(bob1->send_json(command("hangup", {{"id", "h1"}, {"callId", call_id}})));
  expect_error(*bob1, "h1", "forbidden");
  ASSERT_TRUE(bob1->send_json(
      command("signal", {{"id", "s1"}, {"callId", call_id}, {"data", Json::object()}})));
  expect_error(*bob1, "s1", "forbidden");

  // After the answer, signals flow only between the caller and the answering device.
  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 1}}}})));
  EXPECT_EQ(bob2->expect_type("signal").value("data", Json()), (Json{{"n", 1}}));
  bob1->expect_silence();

  ASSERT_TRUE(bob2->send_json(command("hangup", {{"callId", call_id}})));
  for (auto* client : {alice.get(), bob2.get()}) {
    const Json ended = client->expect_type("ended");
    EXPECT_EQ(ended.value("reason", ""), "completed");
    EXPECT_EQ(ended.value("by", ""), "bob");
    EXPECT_TRUE(ended.contains("durationMs")) << ended.dump();
  }
  bob1->expect_silence();
  alice->expect_silence(Millis{0});
}

TEST_F(MultiDeviceTest, RejectOnOneDeviceDeclinesElsewhere) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob1 = connect("bob", "b1");
  auto bob2 = connect("bob", "b2");
  const std::string call_id = place_call(*alice, "bob");
  bob1->expect_type("call");
  bob2->expect_type("call");
  ASSERT_TRUE(bob1->send_json(command("reject", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("ended").value("reason", ""), "declined");
  EXPECT_EQ(bob1->expect_type("ended").value("reason", ""), "declined");
  EXPECT_EQ(bob2->expect_type("ended").value("reason", ""), "declined_elsewhere");
  for (auto* client : {alice.get(), bob1.get(), bob2.get()})
    client->expect_silence();
}

TEST_F(MultiDeviceTest, SignalsBeforeAnswerReachEveryRingingDevice) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob1 = connect("bob", "b1");
  auto bob2 = connect("bob", "b2");
  const std::string call_id = place_call(*alice, "bob");
  bob1->expect_type("call");
  bob2->expect_type("call");

  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"x", 1}}}})));
  for (auto* bob : {bob1.get(), bob2.get()}) {
    const Json signal = bob->expect_type("signal");
    EXPECT_EQ(signal.value("from", ""), "alice");
    EXPECT_EQ(signal.value("fromDevice", ""), "a1");
    EXPECT_EQ(signal.value("data", Json()), (Json{{"x", 1}}));
  }
  ASSERT_TRUE(bob2->send_json(command("signal", {{"callId", call_id}, {"data", {{"y", 2}}}})));
  const Json back = alice->expect_type("signal");
  EXPECT_EQ(back.value("fromDevice", ""), "b2");
  EXPECT_EQ(back.value("data", Json()), (Json{{"y", 2}}));
  bob1->expect_silence();
}

TEST_F(MultiDeviceTest, CallerSecondDeviceIsNotAParty) {
  start_server();
  auto alice1 = connect("alice", "a1");
  auto alice2 = connect("alice", "a2");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice1, *bob, "bob");
  ASSERT_TRUE(alice2->send_json(command("hangup", {{"id", "h"}, {"callId", call_id}})));
  expect_error(*alice2, "h", "forbidden");
  alice1->expect_silence(Millis{0});
  bob->expect_silence();
}

TEST_F(MultiDeviceTest, DeviceConnectedAfterTheCallMayAnswer) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob1 = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  const Json first = bob1->expect_type("call");
  auto bob2 = connect("bob", "b2");
  // The late device is told about the call that is ringing (re-delivery), with the time left.
  const Json late = bob2->expect_type("call");
  EXPECT_EQ(late.value("callId", ""), call_id);
  EXPECT_EQ(late.value("seq", 0), 2);
  EXPECT_EQ(late.value("expiresAt", std::int64_t{0}), first.value("expiresAt", std::int64_t{0}));
  EXPECT_LE(late.value("expiresInMs", std::int64_t{-1}),
            first.value("expiresInMs", std::int64_t{0}));
  ASSERT_TRUE(bob2->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b2");
  EXPECT_EQ(bob1->expect_type("ended").value("reason", ""), "answered_elsewhere");
  ASSERT_TRUE(alice->send_json(command("hangup", {{"callId", call_id}})));
  EXPECT_EQ(bob2->expect_type("ended").value("reason", ""), "completed");
  EXPECT_EQ(alice->expect_type("ended").value("reason", ""), "completed");
  bob1->expect_silence();
}

TEST_F(MultiDeviceTest, RingingCallsDoNotMakeBusyButActiveOnesBlockAnswers) {
  start_server();
  auto alice = connect("alice", "a1");
  auto carol = connect("carol", "c1");
  auto dave = connect("dave", "d1");
  auto bob = connect("bob", "b1");
  const std::string from_alice = place_call(*alice, "bob");
  const std::string from_carol = place_call(*carol, "bob");
  EXPECT_EQ(bob->expect_type("call").value("callId", ""), from_alice);
  EXPECT_EQ(bob->expect_type("call").value("callId", ""), from_carol);

  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", from_alice}})));
  alice->expect_type("answer");
  // bob is now in an active call: a second answer is refused and that call keeps ringing.
  ASSERT_TRUE(bob->send_json(command("answer", {{"id", "second"}, {"callId", from_carol}})));
  expect_error(*bob, "second", "invalid_state");
  carol->expect_silence();
  ASSERT_TRUE(bob->send_json(command("reject", {{"id", "rj"}, {"callId", from_carol}})));
  EXPECT_EQ(bob->expect_type("ack").value("id", ""), "rj");
  EXPECT_EQ(carol->expect_type("ended").value("reason", ""), "declined");
  EXPECT_EQ(bob->expect_type("ended").value("callId", ""), from_carol);

  // And a new call to bob finds him busy.
  ASSERT_TRUE(dave->send_json(command("call", {{"id", "d"}, {"to", "bob"}})));
  dave->expect_type("ack");
  EXPECT_EQ(dave->expect_type("ended").value("reason", ""), "busy");
  bob->expect_silence();
}

TEST_F(MultiDeviceTest, ReplacingCallerConnectionTakesOverItsCall) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  // Same user and device, a new session: the same phone on a new socket.
  auto alice_again = connect("alice", "a1");
  const CloseResult closed = alice->wait_close();
  ASSERT_TRUE(closed.code.has_value()) << closed.error;
  EXPECT_EQ(*closed.code, 4009);
  const Json& welcome = alice_again->welcome();
  EXPECT_FALSE(welcome.value("resumed", true)) << welcome.dump();
  EXPECT_NE(welcome.value("sessionId", ""), alice->session_id());
  ASSERT_EQ(welcome.value("calls", Json()).size(), 1U) << welcome.dump();
  const Json& snapshot = welcome["calls"][0];
  EXPECT_EQ(snapshot.value("callId", ""), call_id);
  EXPECT_EQ(snapshot.value("state", ""), "active");
  EXPECT_EQ(snapshot.value("role", ""), "caller");
  EXPECT_EQ(snapshot.value("peer", ""), "bob");
  EXPECT_EQ(snapshot.value("deviceId", ""), "a1");
  EXPECT_TRUE(snapshot.contains("answeredAt")) << snapshot.dump();
  // The old connection never dropped (it was replaced), so bob heard nothing and the call
  // goes on with the new connection as its caller's device.
  bob->expect_silence();
  ASSERT_TRUE(
      alice_again->send_json(command("signal", {{"callId", call_id}, {"data", {{"k", 1}}}})));
  const Json signal = bob->expect_type("signal");
  EXPECT_EQ(signal.value("fromDevice", ""), "a1");
  EXPECT_EQ(signal.value("data", Json()), (Json{{"k", 1}}));
  ASSERT_TRUE(alice_again->send_json(command("hangup", {{"id", "h"}, {"callId", call_id}})));
  EXPECT_EQ(alice_again->expect_type("ack").value("id", ""), "h");
  for (auto* client : {alice_again.get(), bob.get()}) {
    const Json ended = client->expect_type("ended");
    EXPECT_EQ(ended.value("callId", ""), call_id);
    EXPECT_EQ(ended.value("reason", ""), "completed");
    EXPECT_EQ(ended.value("by", ""), "alice");
  }
}

TEST_F(MultiDeviceTest, ReplacingDroppedCallerConnectionReassuresThePeer) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  alice->reset();
  EXPECT_EQ(bob->expect_type("peer").value("state", ""), "reconnecting");
  // A new session (no resume asked) of the same device counts as the device coming back.
  auto alice_again = connect("alice", "a1");
  const Json reconnected = bob->expect_type("peer");
  EXPECT_EQ(reconnected.value("callId", ""), call_id);
  EXPECT_EQ(reconnected.value("userId", ""), "alice");
  EXPECT_EQ(reconnected.value("state", ""), "reconnected");
  EXPECT_EQ(alice_again->welcome().value("calls", Json()).size(), 1U);
  ASSERT_TRUE(bob->send_json(command("signal", {{"callId", call_id}, {"data", {{"k", 2}}}})));
  EXPECT_EQ(alice_again->expect_type("signal").value("data", Json()), (Json{{"k", 2}}));
}

TEST_F(MultiDeviceTest, ReconnectingDeviceReplacesTheOldConnection) {
  start_server();
  auto first = connect("alice", "phone");
  auto second = connect("alice", "phone");
  const CloseResult closed = first->wait_close();
  ASSERT_TRUE(closed.closed) << "first connection still open";
  ASSERT_TRUE(closed.code.has_value()) << closed.error;
  EXPECT_EQ(*closed.code, 4009);
  EXPECT_NE(closed.reason.find("replaced"), std::string::npos) << closed.reason;
  EXPECT_EQ(closed.drained, 0U);
  ASSERT_TRUE(second->send_json(command("ping", {{"id", "still-here"}})));
  EXPECT_EQ(second->expect_type("pong").value("id", ""), "still-here");
}

}  // namespace
}  // namespace switchboard::testing
