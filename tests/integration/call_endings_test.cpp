// Every way a call ends before or without an answer: decline, busy, cancel, unavailable,
// ring timeout; each device that had the call gets exactly one `ended`.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

using CallEndingsTest = IntegrationTest;

void expect_unanswered_end(WsTestClient& client, const std::string& call_id,
                           const std::string& reason, const std::string& by = {}) {
  const Json ended = client.expect_type("ended");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), reason);
  if (!by.empty()) {
    EXPECT_EQ(ended.value("by", ""), by) << ended.dump();
  }
  EXPECT_FALSE(ended.contains("durationMs")) << "unanswered call: " << ended.dump();
}

TEST_F(CallEndingsTest, CalleeDeclines) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  ASSERT_TRUE(bob->send_json(command("reject", {{"id", "r"}, {"callId", call_id}})));
  EXPECT_EQ(bob->expect_type("ack").value("id", ""), "r");
  expect_unanswered_end(*bob, call_id, "declined", "bob");
  expect_unanswered_end(*alice, call_id, "declined", "bob");
  alice->expect_silence();
  bob->expect_silence(Millis{0});
}

TEST_F(CallEndingsTest, CalleeRejectsBusy) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  ASSERT_TRUE(bob->send_json(command("reject", {{"callId", call_id}, {"reason", "busy"}})));
  expect_unanswered_end(*alice, call_id, "busy", "bob");
  expect_unanswered_end(*bob, call_id, "busy", "bob");
  alice->expect_silence();
  bob->expect_silence(Millis{0});
}

TEST_F(CallEndingsTest, CalleeHangupBeforeAnswerIsDecline) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  ASSERT_TRUE(bob->send_json(command("hangup", {{"callId", call_id}})));
  expect_unanswered_end(*alice, call_id, "declined", "bob");
  expect_unanswered_end(*bob, call_id, "declined", "bob");
}

TEST_F(CallEndingsTest, CallerCancels) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  ASSERT_TRUE(bob->send_json(command("ringing", {{"callId", call_id}})));
  alice->expect_type("ringing");
  ASSERT_TRUE(alice->send_json(command("hangup", {{"id", "h"}, {"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("ack").value("id", ""), "h");
  expect_unanswered_end(*alice, call_id, "canceled", "alice");
  expect_unanswered_end(*bob, call_id, "canceled", "alice");
  alice->expect_silence();
  bob->expect_silence(Millis{0});
}

TEST_F(CallEndingsTest, CalleeInActiveCallIsBusy) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  auto carol = connect("carol", "c1");
  establish_call(*carol, *bob, "bob");

  ASSERT_TRUE(alice->send_json(command("call", {{"id", "c"}, {"to", "bob"}})));
  const Json ack = alice->expect_type("ack");
  const std::string call_id = ack.value("callId", "");
  EXPECT_FALSE(call_id.empty()) << ack.dump();
  expect_unanswered_end(*alice, call_id, "busy");
  bob->expect_silence();
  carol->expect_silence(Millis{0});
}

TEST_F(CallEndingsTest, CalleeOfflineIsUnavailable) {
  start_server();
  auto alice = connect("alice", "a1");
  ASSERT_TRUE(alice->send_json(command("call", {{"id", "c"}, {"to", "nobody"}})));
  const std::string call_id = alice->expect_type("ack").value("callId", "");
  EXPECT_FALSE(call_id.empty());
  expect_unanswered_end(*alice, call_id, "unavailable");
  alice->expect_silence();
}

TEST_F(CallEndingsTest, RingTimeoutEndsWithNoAnswer) {
  server::Config config = test_config();
  config.ring_timeout = Millis{300};
  start_server(config);
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const auto started = std::chrono::steady_clock::now();
  const std::string call_id = place_call(*alice, "bob");
  EXPECT_EQ(bob->expect_type("call").value("expiresInMs", 0), 300);
  expect_unanswered_end(*alice, call_id, "no_answer");
  expect_unanswered_end(*bob, call_id, "no_answer");
  EXPECT_GE(std::chrono::steady_clock::now() - started, Millis{250});
  alice->expect_silence();
  bob->expect_silence(Millis{0});

  // Late commands on the timed-out call name the state.
  ASSERT_TRUE(bob->send_json(command("answer", {{"id", "late"}, {"callId", call_id}})));
  const Json error = bob->expect_type("error");
  EXPECT_EQ(error.value("code", ""), "invalid_state") << error.dump();
  EXPECT_EQ(error.value("id", ""), "late");
}

}  // namespace
}  // namespace switchboard::testing
