// The happy path over real sockets: welcome, a full call with signalling, seq numbering.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "protocol/types.hpp"
#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

using CallFlowTest = IntegrationTest;

std::int64_t now_epoch_ms() {
  return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_F(CallFlowTest, WelcomeCarriesIdentityAndHeartbeat) {
  start_server();
  WsTestClient client;
  ASSERT_TRUE(client.connect(port(), "user=alice&device=phone").ok);
  const auto raw = client.recv_raw();
  ASSERT_TRUE(raw.has_value());
  // Keys are ordered seq, type, fields.
  EXPECT_EQ(raw->rfind(R"({"seq":1,"type":"welcome")", 0), 0U) << *raw;
  const Json welcome = Json::parse(*raw, nullptr, false);
  EXPECT_EQ(welcome.value("userId", ""), "alice");
  EXPECT_EQ(welcome.value("deviceId", ""), "phone");
  ASSERT_TRUE(welcome.contains("sessionId") && welcome["sessionId"].is_string());
  EXPECT_FALSE(welcome["sessionId"].get<std::string>().empty());
  EXPECT_EQ(welcome.value("heartbeatMs", std::int64_t{0}), 20'000);
  client.expect_silence();
}

TEST_F(CallFlowTest, WelcomeGeneratesDeviceIdAndDistinctSessions) {
  start_server();
  WsTestClient first;
  WsTestClient second;
  ASSERT_TRUE(first.connect(port(), "user=alice").ok);
  ASSERT_TRUE(second.connect(port(), "user=alice").ok);
  const Json a = first.expect_type("welcome");
  const Json b = second.expect_type("welcome");
  const std::string device_a = a.value("deviceId", "");
  const std::string device_b = b.value("deviceId", "");
  EXPECT_TRUE(is_valid_id(device_a)) << device_a;
  EXPECT_TRUE(is_valid_id(device_b)) << device_b;
  EXPECT_NE(device_a, device_b);
  EXPECT_NE(a.value("sessionId", ""), b.value("sessionId", ""));
  // Two generated devices of one user do not replace each other.
  EXPECT_TRUE(first.send_json(command("ping", {{"id", "p"}})));
  EXPECT_EQ(first.expect_type("pong").value("id", ""), "p");
}

TEST_F(CallFlowTest, HeartbeatIsAdvertisedFromConfig) {
  server::Config config = test_config();
  config.heartbeat = Millis{7'000};
  start_server(config);
  WsTestClient client;
  ASSERT_TRUE(client.connect(port(), "user=alice").ok);
  EXPECT_EQ(client.expect_type("welcome").value("heartbeatMs", std::int64_t{0}), 7'000);
}

TEST_F(CallFlowTest, FullCallWithSignallingAndHangup) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");

  const std::int64_t before = now_epoch_ms();
  ASSERT_TRUE(alice->send_json(command("call", {{"id", "c1"},
                                                {"to", "bob"},
                                                {"media", "video"},
                                                {"callId", "call-1"},
                                                {"timeoutMs", 10'000},
                                                {"data", {{"sdp", "offer"}}}})));
  const Json ack = alice->expect_type("ack");
  EXPECT_EQ(ack.value("id", ""), "c1");
  EXPECT_EQ(ack.value("callId", ""), "call-1");
  EXPECT_FALSE(ack.contains("seq"));

  const auto incoming_raw = bob->recv_raw();
  ASSERT_TRUE(incoming_raw.has_value());
  EXPECT_EQ(incoming_raw->rfind(R"({"seq":2,"type":"call",)", 0), 0U) << *incoming_raw;
  const Json incoming = Json::parse(*incoming_raw, nullptr, false);
  EXPECT_EQ(incoming.value("callId", ""), "call-1");
  EXPECT_EQ(incoming.value("from", ""), "alice");
  EXPECT_EQ(incoming.value("to", ""), "bob");
  EXPECT_EQ(incoming.value("media", ""), "video");
  EXPECT_EQ(incoming.value("roomName", ""), "call-1");
  EXPECT_EQ(incoming.value("data", Json()), (Json{{"sdp", "offer"}}));
  EXPECT_EQ(incoming.value("expiresInMs", std::int64_t{0}), 10'000);
  const std::int64_t expires_at = incoming.value("expiresAt", std::int64_t{0});
  EXPECT_GE(expires_at, before + 10'000 - 50);
  EXPECT_LE(expires_at, now_epoch_ms() + 10'000 + 50);

  ASSERT_TRUE(bob->send_json(command("ringing", {{"id", "r1"}, {"callId", "call-1"}})));
  EXPECT_EQ(bob->expect_type("ack").value("id", ""), "r1");
  const Json ringing = alice->expect_type("ringing");
  EXPECT_EQ(ringing.value("seq", 0), 2);
  EXPECT_EQ(ringing.value("callId", ""), "call-1");
  EXPECT_EQ(ringing.value("from", ""), "bob");

  ASSERT_TRUE(bob->send_json(
      command("answer", {{"id", "a1"}, {"callId", "call-1"}, {"data", {{"sdp", "answer"}}}})));
  EXPECT_EQ(bob->expect_type("ack").value("id", ""), "a1");
  const Json answer = alice->expect_type("answer");
  EXPECT_EQ(answer.value("seq", 0), 3);
  EXPECT_EQ(answer.value("callId", ""), "call-1");
  EXPECT_EQ(answer.value("from", ""), "bob");
  EXPECT_EQ(answer.value("deviceId", ""), "b1");
  EXPECT_EQ(answer.value("data", Json()), (Json{{"sdp", "answer"}}));

  ASSERT_TRUE(alice->send_json(
      command("signal", {{"callId", "call-1"}, {"data", {{"candidate", "a-cand"}}}})));
  const Json to_bob = bob->expect_type("signal");
  EXPECT_EQ(to_bob.value("seq", 0), 3);
  EXPECT_EQ(to_bob.value("from", ""), "alice");
  EXPECT_EQ(to_bob.value("fromDevice", ""), "a1");
  EXPECT_EQ(to_bob.value("data", Json()), (Json{{"candidate", "a-cand"}}));

  ASSERT_TRUE(bob->send_json(
      command("signal", {{"id", "s2"}, {"callId", "call-1"}, {"data", {{"candidate", "b"}}}})));
  EXPECT_EQ(bob->expect_type("ack").value("id", ""), "s2");
  const Json to_alice = alice->expect_type("signal");
  EXPECT_EQ(to_alice.value("seq", 0), 4);
  EXPECT_EQ(to_alice.value("from", ""), "bob");
  EXPECT_EQ(to_alice.value("fromDevice", ""), "b1");
  EXPECT_EQ(to_alice.value("data", Json()), (Json{{"candidate", "b"}}));

  // Opaque data passes through untouched: nesting, unicode, escapes, numbers.
  const Json opaque = {
      {"sdp", "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n"},
      {"name", "J\u00f6rg \u263a"},
      {"nested", {{"list", {1, 2.5, true, nullptr, "x"}}, {"empty", Json::object()}}}};
  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", "call-1"}, {"data", opaque}})));
  EXPECT_EQ(bob->expect_type("signal").value("data", Json()), opaque);

  alice->expect_silence(Millis{200});  // let the call last a measurable while
  ASSERT_TRUE(alice->send_json(
      command("hangup", {{"id", "h"}, {"callId", "call-1"}, {"reason", "bye now"}})));
  EXPECT_EQ(alice->expect_type("ack").value("id", ""), "h");
  for (auto* client : {alice.get(), bob.get()}) {
    const Json ended = client->expect_type("ended");
    EXPECT_EQ(ended.value("callId", ""), "call-1");
    EXPECT_EQ(ended.value("reason", ""), "completed");
    EXPECT_EQ(ended.value("by", ""), "alice");
    EXPECT_EQ(ended.value("message", ""), "bye now");
    ASSERT_TRUE(ended.contains("durationMs") && ended["durationMs"].is_number_integer());
    EXPECT_GE(ended["durationMs"].get<std::int64_t>(), 150);
    EXPECT_LT(ended["durationMs"].get<std::int64_t>(), 3'000);
  }
  alice->expect_silence();
  bob->expect_silence(Millis{0});
}

TEST_F(CallFlowTest, DefaultsAndGeneratedCallId) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  ASSERT_TRUE(alice->send_json(command("call", {{"id", "x"}, {"to", "bob"}})));
  const std::string call_id = alice->expect_type("ack").value("callId", "");
  EXPECT_TRUE(is_valid_id(call_id)) << call_id;
  const Json incoming = bob->expect_type("call");
  EXPECT_EQ(incoming.value("callId", ""), call_id);
  EXPECT_EQ(incoming.value("media", ""), "audio");
  EXPECT_EQ(incoming.value("roomName", ""), call_id);
  EXPECT_EQ(incoming.value("data", Json()), Json::object());
  EXPECT_EQ(incoming.value("expiresInMs", std::int64_t{0}), 30'000);
}

TEST_F(CallFlowTest, SeqIncrementsPerEventAndNotForResponses) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  for (int round = 0; round < 3; ++round) {
    const std::string call_id = "seq-" + std::to_string(round);
    ASSERT_TRUE(alice->send_json(command("call", {{"to", "bob"}, {"callId", call_id}})));
    EXPECT_EQ(bob->expect_type("call").value("seq", 0), 2 + 2 * round);
    // Fresh ids each round: a repeated id would be answered from the cache, not run.
    const std::string ping_id = "p" + std::to_string(round);
    ASSERT_TRUE(bob->send_json(command("ping", {{"id", ping_id}})));
    const Json pong = bob->expect_type("pong");
    EXPECT_EQ(pong.value("id", ""), ping_id);
    EXPECT_FALSE(pong.contains("seq"));
    const std::string reject_id = "r" + std::to_string(round);
    ASSERT_TRUE(bob->send_json(command("reject", {{"id", reject_id}, {"callId", call_id}})));
    const Json ack = bob->expect_type("ack");
    EXPECT_EQ(ack.value("id", ""), reject_id);
    EXPECT_FALSE(ack.contains("seq"));
    EXPECT_EQ(bob->expect_type("ended").value("seq", 0), 3 + 2 * round);
    EXPECT_EQ(alice->expect_type("ended").value("seq", 0), 2 + round);
  }
}

TEST_F(CallFlowTest, RingingIsForwardedOnlyOnce) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  for (const char* id : {"r1", "r2"}) {  // distinct ids, so the second one really runs
    ASSERT_TRUE(bob->send_json(command("ringing", {{"id", id}, {"callId", call_id}})));
    EXPECT_EQ(bob->expect_type("ack").value("id", ""), id);
  }
  EXPECT_EQ(alice->expect_type("ringing").value("callId", ""), call_id);
  alice->expect_silence();
}

TEST_F(CallFlowTest, RepeatedCallIdFromSameCallerIsAckedAgain) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob", {{"callId", "dup"}});
  EXPECT_EQ(call_id, "dup");
  bob->expect_type("call");
  EXPECT_EQ(place_call(*alice, "bob", {{"callId", "dup"}}), "dup");
  bob->expect_silence();
  alice->expect_silence(Millis{0});
}

}  // namespace
}  // namespace switchboard::testing
