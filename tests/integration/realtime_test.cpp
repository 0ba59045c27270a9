// Supabase Realtime over real sockets, the socket and its channels (PROTOCOL.md "Supabase
// Realtime", "Connecting" and "Channels"): the upgrade gate, heartbeats, joins and their
// refusals, leaving, unmatched topics, undecodable frames, and a dev-mode smoke test.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/realtime_harness.hpp"

namespace switchboard::testing {
namespace {

using RealtimeUpgradeTest = RealtimeTest;
using RealtimeChannelTest = RealtimeTest;

int realtime_upgrade_status(std::uint16_t port, const std::string& query,
                            const std::string& path = std::string(kRealtimePath)) {
  WsTestClient client;
  const ConnectResult result = client.connect(port, query, path);
  if (result.ok) return 101;
  EXPECT_NE(result.http_status, 0) << result.error;
  return result.http_status;
}

const Json kEmptyOk{{"status", "ok"}, {"response", Json::object()}};

// ---- upgrade -----------------------------------------------------------------------------

TEST_F(RealtimeUpgradeTest, UpgradesUnderAnyPathPrefix) {
  start_realtime();
  const std::string query = "apikey=" + sign_token("alice") + "&vsn=2.0.0";
  EXPECT_EQ(realtime_upgrade_status(port(), query), 101);
  EXPECT_EQ(realtime_upgrade_status(port(), query, "/proxy/project-x/realtime/v1/websocket"), 101);
  EXPECT_EQ(realtime_upgrade_status(port(), query, "/realtime/v1/websocket/extra"), 404);
  EXPECT_EQ(realtime_upgrade_status(port(), query, "/realtime/v2/websocket"), 404);
  EXPECT_EQ(http_get(port(), "/realtime/v1/websocket?" + query).status, 426);
}

TEST_F(RealtimeUpgradeTest, MissingOrBadApikeyIsRefusedWith401) {
  start_realtime();
  EXPECT_EQ(realtime_upgrade_status(port(), "vsn=2.0.0"), 401);
  EXPECT_EQ(realtime_upgrade_status(port(), "apikey=&vsn=2.0.0"), 401);
  EXPECT_EQ(realtime_upgrade_status(port(), "apikey=not.a.jwt&vsn=2.0.0"), 401);
  EXPECT_EQ(realtime_upgrade_status(port(), "apikey=" + sign_token("alice", -120) + "&vsn=2.0.0"),
            401);
  EXPECT_EQ(realtime_upgrade_status(
                port(), "apikey=" + sign_token("alice", 300, "another-secret-0123456789abcdef")),
            401);
  // A native-style token parameter is not a Realtime credential.
  EXPECT_EQ(realtime_upgrade_status(port(), "token=" + sign_token("alice") + "&vsn=2.0.0"), 401);
}

TEST_F(RealtimeUpgradeTest, AnonApikeyWithoutSubIsAccepted) {
  start_realtime();
  auto client = connect_rt(sign_token(""));
  const std::string ref = client->send("phoenix", "heartbeat", Json::object());
  EXPECT_EQ(client->expect_reply("phoenix", ref), kEmptyOk);
}

TEST_F(RealtimeUpgradeTest, UnknownVsnIsRefusedWith400) {
  start_realtime();
  const std::string apikey = "apikey=" + sign_token("alice");
  EXPECT_EQ(realtime_upgrade_status(port(), apikey + "&vsn=3.0.0"), 400);
  EXPECT_EQ(realtime_upgrade_status(port(), apikey + "&vsn=2.0"), 400);
  EXPECT_EQ(realtime_upgrade_status(port(), apikey + "&vsn=1.0.0"), 101);
  EXPECT_EQ(realtime_upgrade_status(port(), apikey + "&vsn=2.0.0"), 101);
}

TEST_F(RealtimeUpgradeTest, AbsentVsnMeansV1) {
  start_realtime();
  RealtimeClient client(Vsn::v1);
  ASSERT_TRUE(client.connect(port(), "apikey=" + sign_token("alice"), "", /*send_vsn=*/false).ok);
  const std::string ref = client.send("phoenix", "heartbeat", Json::object());
  // The v1 client's recv() insists on the {topic, event, payload, ref, join_ref} object form.
  EXPECT_EQ(client.expect_reply("phoenix", ref), kEmptyOk);
}

TEST_F(RealtimeUpgradeTest, BadDeviceIsRefusedWith400) {
  start_realtime();
  const std::string apikey = "apikey=" + sign_token("alice");
  EXPECT_EQ(realtime_upgrade_status(port(), apikey + "&device=bad!device"), 400);
  EXPECT_EQ(realtime_upgrade_status(port(), apikey + "&device=" + std::string(129, 'd')), 400);
  EXPECT_EQ(realtime_upgrade_status(port(), apikey + "&device=phone.1"), 101);
  // Credentials first: without them the device is not looked at.
  EXPECT_EQ(realtime_upgrade_status(port(), "device=bad!device"), 401);
}

// Dev mode: no apikey needed, calls:<user> trusted; a whole call and a plain broadcast.
TEST_F(RealtimeUpgradeTest, DevModeSmoke) {
  start_server();
  auto alice = connect_calls("alice", Vsn::v2);
  auto bob = connect_calls("bob", Vsn::v1);
  alice->join_ok("realtime:room");
  bob->join_ok("realtime:room");
  alice->broadcast("realtime:room", "hello", {{"n", 1}});
  EXPECT_EQ(bob->expect_broadcast("realtime:room", "hello"), (Json{{"n", 1}}));

  const std::string call_id = alice->place_call("bob");
  EXPECT_EQ(bob->expect_signal("call").value("callId", ""), call_id);
  EXPECT_EQ(bob->call_signal({{"type", "answer"}, {"callId", call_id}}).value("status", ""), "ok");
  EXPECT_EQ(alice->expect_signal("answer").value("from", ""), "bob");
  EXPECT_EQ(alice->call_signal({{"type", "hangup"}, {"callId", call_id}}).value("status", ""),
            "ok");
  const Json ended = bob->expect_signal("hangup");
  EXPECT_EQ(ended.value("reason", ""), "completed");
  EXPECT_EQ(ended.value("by", ""), "alice");
  alice->expect_silence();
}

// ---- the phoenix topic -------------------------------------------------------------------

TEST_F(RealtimeChannelTest, HeartbeatIsAnsweredOkWithItsRef) {
  start_realtime();
  auto v2 = connect_rt(sign_token("alice"), Vsn::v2);
  ASSERT_TRUE(v2->push("phoenix", "heartbeat", Json::object(), "hb-7", Json()));
  auto frame = v2->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(Json::parse(frame->raw),
            Json::parse(R"([null,"hb-7","phoenix","phx_reply",{"status":"ok","response":{}}])"));

  auto v1 = connect_rt(sign_token("alice"), Vsn::v1);
  ASSERT_TRUE(v1->push("phoenix", "heartbeat", Json::object(), "12", Json()));
  frame = v1->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(Json::parse(frame->raw), Json::parse(R"({"topic":"phoenix","event":"phx_reply",
      "payload":{"status":"ok","response":{}},"ref":"12","join_ref":null})"));
}

TEST_F(RealtimeChannelTest, IntegerRefsAreEchoedAsStrings) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  ASSERT_TRUE(client->push("phoenix", "heartbeat", Json::object(), 42, Json()));
  EXPECT_EQ(client->expect_reply("phoenix", "42"), kEmptyOk);
}

TEST_F(RealtimeChannelTest, UnknownPhoenixEventIsAnError) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  const std::string ref = client->send("phoenix", "reboot", Json::object());
  const Json response = client->expect_error("phoenix", ref);
  EXPECT_NE(response.value("reason", "").find("reboot"), std::string::npos) << response.dump();
}

// ---- joining -----------------------------------------------------------------------------

TEST_F(RealtimeChannelTest, JoinIsAnsweredWithNoPostgresChangesAndItsRefs) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  ASSERT_TRUE(client->push("realtime:room", "phx_join", {{"config", channel_config()}}, "5", "5"));
  auto frame = client->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(Json::parse(frame->raw), Json::parse(R"(["5","5","realtime:room","phx_reply",
                {"status":"ok","response":{"postgres_changes":[]}}])"));
}

TEST_F(RealtimeChannelTest, JoinWithPostgresChangesIsRefused) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  Json config = channel_config();
  config["postgres_changes"] = Json::array({{{"event", "*"}, {"schema", "public"}}});
  const Json reply = client->join("realtime:db", config);
  EXPECT_EQ(reply.value("status", ""), "error") << reply.dump();
  // Not joined: a broadcast there is unmatched.
  const std::string ref = client->broadcast("realtime:db", "x", Json::object());
  EXPECT_EQ(client->expect_error("realtime:db", ref).value("reason", ""), "unmatched topic");
}

TEST_F(RealtimeChannelTest, PrivateChannelNeedsAUserToken) {
  start_realtime();
  auto anon = connect_rt(sign_token(""));
  const Json config = channel_config(false, false, /*is_private=*/true);
  EXPECT_EQ(anon->join("realtime:secret", config).value("status", ""), "error");
  EXPECT_EQ(anon->join("realtime:secret", config, sign_token("alice", -60)).value("status", ""),
            "error");
  anon->join_ok("realtime:secret", config, sign_token("alice"));
  anon->join_ok("realtime:open", channel_config());  // public channels need no user

  auto user = connect_rt(sign_token("bob"));
  user->join_ok("realtime:secret", config);  // the apikey is a user token
}

TEST_F(RealtimeChannelTest, AtMostOneHundredChannelsPerConnection) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  for (int i = 0; i < 100; ++i)
    client->join_ok("realtime:room-" + std::to_string(i));
  const Json refused = client->join("realtime:room-100");
  EXPECT_EQ(refused.value("status", ""), "error") << refused.dump();
  // Rejoining one of the hundred is not a new channel.
  client->join_ok("realtime:room-7");
  const std::string ref = client->send("realtime:room-99", "phx_leave", Json::object());
  EXPECT_EQ(client->expect_ok("realtime:room-99", ref), Json::object());
  client->join_ok("realtime:room-100");
}

TEST_F(RealtimeChannelTest, MessageOnAnUnjoinedTopicIsUnmatched) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  for (const char* event : {"broadcast", "access_token", "presence", "custom"}) {
    const std::string ref =
        client->send("realtime:elsewhere", event, {{"type", "broadcast"}, {"event", "e"}});
    EXPECT_EQ(client->expect_error("realtime:elsewhere", ref),
              (Json{{"reason", "unmatched topic"}}))
        << event;
  }
}

TEST_F(RealtimeChannelTest, PresenceIsAnError) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  client->join_ok("realtime:room");
  const std::string ref = client->send("realtime:room", "presence",
                                       {{"type", "presence"}, {"event", "track"}, {"payload", {}}});
  const Json response = client->expect_error("realtime:room", ref);
  EXPECT_NE(response.value("reason", "").find("presence"), std::string::npos) << response.dump();
}

TEST_F(RealtimeChannelTest, UnsupportedEventOnAJoinedTopicIsAnError) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  client->join_ok("realtime:room");
  const std::string ref = client->send("realtime:room", "shout", Json::object());
  EXPECT_EQ(client->expect_reply("realtime:room", ref).value("status", ""), "error");
}

// ---- leaving and rejoining ---------------------------------------------------------------

TEST_F(RealtimeChannelTest, LeaveIsAnsweredOkAndStopsDeliveries) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"));
  auto leaver = connect_rt(sign_token("bob"));
  sender->join_ok("realtime:room");
  leaver->join_ok("realtime:room");
  const std::string ref = leaver->send("realtime:room", "phx_leave", Json::object());
  EXPECT_EQ(leaver->expect_reply("realtime:room", ref), kEmptyOk);
  sender->broadcast("realtime:room", "after", Json::object());
  leaver->expect_silence();
  // Leaving a topic never joined is answered ok too (realtime-js leaves on its own timeouts).
  const std::string again = leaver->send("realtime:never", "phx_leave", Json::object());
  EXPECT_EQ(leaver->expect_reply("realtime:never", again), kEmptyOk);
}

TEST_F(RealtimeChannelTest, RejoiningDoesNotDuplicateDeliveries) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"));
  auto listener = connect_rt(sign_token("bob"));
  sender->join_ok("realtime:room");
  listener->join_ok("realtime:room");
  listener->join_ok("realtime:room");
  sender->broadcast("realtime:room", "once", {{"n", 1}});
  EXPECT_EQ(listener->expect_broadcast("realtime:room", "once"), (Json{{"n", 1}}));
  listener->expect_silence();
}

// The join_ref the server keeps for a channel shows on the phx_error it sends there.
TEST_F(RealtimeChannelTest, RejoinReplacesTheJoinRef) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  ASSERT_TRUE(
      client->push("realtime:calls:alice", "phx_join", {{"config", channel_config()}}, "1", "1"));
  EXPECT_EQ(client->expect_reply("realtime:calls:alice", "1").value("status", ""), "ok");
  ASSERT_TRUE(
      client->push("realtime:calls:alice", "phx_join", {{"config", channel_config()}}, "9", "9"));
  EXPECT_EQ(client->expect_reply("realtime:calls:alice", "9").value("status", ""), "ok");
  ASSERT_TRUE(client->push("realtime:calls:alice", "access_token",
                           {{"access_token", sign_token("bob")}}, "10", "9"));
  auto frame = client->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->event, "phx_error") << frame->raw;
  EXPECT_EQ(frame->topic, "realtime:calls:alice");
  EXPECT_EQ(frame->join_ref, "9") << frame->raw;
}

// ---- undecodable frames ------------------------------------------------------------------

TEST_F(RealtimeChannelTest, UndecodableTextFramesGetErrorRepliesAndTheSocketStaysOpen) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"), Vsn::v2);
  client->join_ok("realtime:room");
  const auto expect_error_frame = [&client](const std::string& text, const std::string& topic,
                                            const Json& ref) {
    ASSERT_TRUE(client->ws().send_text(text));
    auto frame = client->recv();
    ASSERT_TRUE(frame) << "no answer to " << text;
    EXPECT_EQ(frame->event, "phx_reply") << text << " -> " << frame->raw;
    EXPECT_EQ(frame->topic, topic) << text << " -> " << frame->raw;
    EXPECT_EQ(frame->ref, ref) << text << " -> " << frame->raw;
    EXPECT_EQ(frame->payload.value("status", ""), "error") << text << " -> " << frame->raw;
  };
  expect_error_frame("not json", "phoenix", Json());
  expect_error_frame(R"({"topic":"realtime:room"})", "phoenix", Json());  // v1 shape on v2
  expect_error_frame(R"([null,"1","realtime:room","broadcast"])", "phoenix", Json());
  expect_error_frame(R"([null,"2",7,"broadcast",{}])", "phoenix", "2");
  expect_error_frame(R"([null,"3","realtime:room","broadcast",[1]])", "realtime:room", "3");
  expect_error_frame(R"([null,{"x":1},"realtime:room","broadcast",{}])", "realtime:room", Json());
  expect_error_frame(R"([null,"4","realtime:room","",{}])", "realtime:room", "4");
  expect_error_frame(R"([null,"5",")" + std::string(256, 't') + R"(","broadcast",{}])", "phoenix",
                     "5");
  expect_error_frame(std::string(40, '[') + std::string(40, ']'), "phoenix", Json());
  const std::string ref = client->send("phoenix", "heartbeat", Json::object());
  EXPECT_EQ(client->expect_reply("phoenix", ref), kEmptyOk);
  EXPECT_TRUE(client->ws().is_open());
}

TEST_F(RealtimeChannelTest, UndecodableBinaryFramesGetErrorRepliesAndTheSocketStaysOpen) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"), Vsn::v2);
  client->join_ok("realtime:room");
  const auto expect_error_frame = [&client](const std::string& bytes, const std::string& topic,
                                            const Json& ref) {
    ASSERT_TRUE(client->ws().send_binary(bytes));
    auto frame = client->recv();
    ASSERT_TRUE(frame) << "no answer to a binary frame of " << bytes.size() << " bytes";
    EXPECT_EQ(frame->event, "phx_reply") << frame->raw;
    EXPECT_EQ(frame->topic, topic) << frame->raw;
    EXPECT_EQ(frame->ref, ref) << frame->raw;
    EXPECT_EQ(frame->payload.value("status", ""), "error") << frame->raw;
  };
  expect_error_frame(std::string(), "phoenix", Json());
  expect_error_frame(std::string("\x04\x01\x01\x01\x00", 5), "phoenix", Json());  // kind 4
  expect_error_frame(std::string("\x03\x00\x01", 3), "phoenix", Json());          // short header
  // Header says 200 bytes of topic; only the refs arrived.
  expect_error_frame(binary_push("", "7", std::string(200, 't'), "e", "", 0, "").substr(0, 9),
                     "phoenix", "7");
  expect_error_frame(binary_push("", "8", "realtime:room", "e", "", 9, "x"), "realtime:room", "8");
  expect_error_frame(binary_push("", "9", "realtime:room", "e", "[1]", 0, "x"), "realtime:room",
                     "9");
  expect_error_frame(binary_push("", "10", "realtime:room", "e", "", 1, "{not json"),
                     "realtime:room", "10");
  const std::string ref = client->send("phoenix", "heartbeat", Json::object());
  EXPECT_EQ(client->expect_reply("phoenix", ref), kEmptyOk);
}

TEST_F(RealtimeChannelTest, BinaryFramesOnAV1SocketAreAnError) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"), Vsn::v1);
  client->join_ok("realtime:room");
  ASSERT_TRUE(client->ws().send_binary(binary_push("", "1", "realtime:room", "e", "", 0, "x")));
  auto frame = client->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->topic, "phoenix") << frame->raw;
  EXPECT_EQ(frame->payload.value("status", ""), "error") << frame->raw;
  EXPECT_TRUE(client->ws().is_open());
}

}  // namespace
}  // namespace switchboard::testing
