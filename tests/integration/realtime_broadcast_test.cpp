// Supabase Realtime plain broadcast over real sockets (PROTOCOL.md "Plain broadcast"): fan-out
// to the other subscribers, self and ack, each subscriber in its own vsn and topic spelling,
// and binary kind-3 pushes reaching vsn 2.0.0 subscribers as kind-4 frames (and not vsn 1.0.0).
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/realtime_harness.hpp"

namespace switchboard::testing {
namespace {

using RealtimeBroadcastTest = RealtimeTest;

const std::string kRoom = "realtime:room";

TEST_F(RealtimeBroadcastTest, ReachesOtherSubscribersButNotTheSender) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"));
  auto first = connect_rt(sign_token("bob"));
  auto second = connect_rt(sign_token(""));
  auto outsider = connect_rt(sign_token("carol"));
  sender->join_ok(kRoom);
  first->join_ok(kRoom);
  second->join_ok(kRoom);
  outsider->join_ok("realtime:other-room");
  const Json payload{{"text", "hi"}, {"n", 1}, {"nested", {{"list", {1, 2, 3}}}}};
  sender->broadcast(kRoom, "chat", payload);
  EXPECT_EQ(first->expect_broadcast(kRoom, "chat"), payload);
  EXPECT_EQ(second->expect_broadcast(kRoom, "chat"), payload);
  sender->expect_silence();  // neither its own message (no self) nor a reply (no ack)
  outsider->expect_silence();
}

TEST_F(RealtimeBroadcastTest, BroadcastFramesHaveNullRefs) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"));
  auto v2 = connect_rt(sign_token("bob"), Vsn::v2);
  auto v1 = connect_rt(sign_token("carol"), Vsn::v1);
  for (auto* client : {sender.get(), v2.get(), v1.get()})
    client->join_ok(kRoom);
  sender->broadcast(kRoom, "ev", {{"a", 1}});
  auto frame = v2->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(Json::parse(frame->raw), Json::parse(R"([null,null,"realtime:room","broadcast",
      {"type":"broadcast","event":"ev","payload":{"a":1}}])"));
  frame = v1->recv();
  ASSERT_TRUE(frame);
  EXPECT_EQ(Json::parse(frame->raw), Json::parse(R"({"topic":"realtime:room","event":"broadcast",
      "payload":{"type":"broadcast","event":"ev","payload":{"a":1}},"ref":null,"join_ref":null})"));
}

TEST_F(RealtimeBroadcastTest, SelfTrueEchoesToTheSender) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"));
  auto other = connect_rt(sign_token("bob"));
  sender->join_ok(kRoom, channel_config(/*self=*/true));
  other->join_ok(kRoom);
  sender->broadcast(kRoom, "echo", {{"n", 2}});
  EXPECT_EQ(sender->expect_broadcast(kRoom, "echo"), (Json{{"n", 2}}));
  EXPECT_EQ(other->expect_broadcast(kRoom, "echo"), (Json{{"n", 2}}));
  sender->expect_silence();
}

TEST_F(RealtimeBroadcastTest, AckTrueRepliesOkToEachBroadcast) {
  start_realtime();
  auto acked = connect_rt(sign_token("alice"));
  auto other = connect_rt(sign_token("bob"));
  acked->join_ok(kRoom, channel_config(/*self=*/false, /*ack=*/true));
  other->join_ok(kRoom);
  const std::string ref = acked->broadcast(kRoom, "ping", Json::object());
  EXPECT_EQ(acked->expect_ok(kRoom, ref), Json::object());
  EXPECT_EQ(other->expect_broadcast(kRoom, "ping"), Json::object());
  // Without ack nothing answers.
  other->broadcast(kRoom, "pong", Json::object());
  EXPECT_EQ(acked->expect_broadcast(kRoom, "pong"), Json::object());
  other->expect_silence();
}

TEST_F(RealtimeBroadcastTest, SelfAndAckTogetherDeliverThenAcknowledge) {
  start_realtime();
  auto client = connect_rt(sign_token("alice"));
  client->join_ok(kRoom, channel_config(/*self=*/true, /*ack=*/true));
  const std::string ref = client->broadcast(kRoom, "both", {{"k", "v"}});
  EXPECT_EQ(client->expect_broadcast(kRoom, "both"), (Json{{"k", "v"}}));
  EXPECT_EQ(client->expect_ok(kRoom, ref), Json::object());
}

TEST_F(RealtimeBroadcastTest, BroadcastNeedsAnEventName) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"));
  auto other = connect_rt(sign_token("bob"));
  sender->join_ok(kRoom);
  other->join_ok(kRoom);
  for (const Json& payload :
       {Json{{"type", "broadcast"}, {"payload", {}}}, Json{{"type", "broadcast"}, {"event", ""}},
        Json{{"type", "broadcast"}, {"event", 5}}}) {
    const std::string ref = sender->send(kRoom, "broadcast", payload);
    EXPECT_EQ(sender->expect_reply(kRoom, ref).value("status", ""), "error") << payload.dump();
  }
  other->expect_silence();
}

TEST_F(RealtimeBroadcastTest, JsonPayloadsReachEachSubscriberInItsOwnVsn) {
  start_realtime();
  auto v1_sender = connect_rt(sign_token("alice"), Vsn::v1);
  auto v1 = connect_rt(sign_token("bob"), Vsn::v1);
  auto v2 = connect_rt(sign_token("carol"), Vsn::v2);
  for (auto* client : {v1_sender.get(), v1.get(), v2.get()})
    client->join_ok(kRoom);
  const Json payload{{"unicode", "h\u00e9llo \u2603"}, {"num", 1.5}};
  v1_sender->broadcast(kRoom, "mixed", payload);
  // Each recv() decodes strictly in the client's own vsn.
  EXPECT_EQ(v1->expect_broadcast(kRoom, "mixed"), payload);
  EXPECT_EQ(v2->expect_broadcast(kRoom, "mixed"), payload);
}

TEST_F(RealtimeBroadcastTest, RawBinaryPushReachesV2SubscribersAsKind4) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"), Vsn::v2);
  auto v2 = connect_rt(sign_token("bob"), Vsn::v2);
  sender->join_ok(kRoom);
  v2->join_ok(kRoom);
  const std::string bytes("\x00\x01\xff\xfe binary \x80", 13);
  sender->broadcast_binary(kRoom, "blob", bytes);
  auto frame = v2->recv();
  ASSERT_TRUE(frame);
  ASSERT_TRUE(frame->binary) << frame->raw;
  EXPECT_EQ(frame->topic, kRoom);
  EXPECT_EQ(frame->user_event, "blob");
  EXPECT_EQ(frame->meta, "");
  EXPECT_EQ(frame->encoding, 0);
  EXPECT_EQ(frame->bytes, bytes);
  sender->expect_silence();
}

TEST_F(RealtimeBroadcastTest, RawBinaryPushDoesNotReachV1Subscribers) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"), Vsn::v2);
  auto v1 = connect_rt(sign_token("bob"), Vsn::v1);
  auto v2 = connect_rt(sign_token("carol"), Vsn::v2);
  sender->join_ok(kRoom, channel_config(/*self=*/false, /*ack=*/true));
  v1->join_ok(kRoom);
  v2->join_ok(kRoom);
  const std::string ref = sender->broadcast_binary(kRoom, "blob", "raw");
  EXPECT_EQ(sender->expect_ok(kRoom, ref), Json::object());
  auto frame = v2->recv();
  ASSERT_TRUE(frame);
  EXPECT_TRUE(frame->binary);
  v1->expect_silence();
  // The v1 subscriber still hears JSON broadcasts after it.
  const std::string text_ref = sender->broadcast(kRoom, "text", {{"ok", true}});
  EXPECT_EQ(sender->expect_ok(kRoom, text_ref), Json::object());
  EXPECT_EQ(v1->expect_broadcast(kRoom, "text"), (Json{{"ok", true}}));
}

TEST_F(RealtimeBroadcastTest, JsonBinaryPushReachesSubscribersAsText) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"), Vsn::v2);
  auto v1 = connect_rt(sign_token("bob"), Vsn::v1);
  auto v2 = connect_rt(sign_token("carol"), Vsn::v2);
  sender->join_ok(kRoom);
  v1->join_ok(kRoom);
  v2->join_ok(kRoom);
  sender->broadcast_binary(kRoom, "json", R"({"x":[1,2],"y":"z"})", /*encoding=*/1);
  const Json expected{{"x", {1, 2}}, {"y", "z"}};
  EXPECT_EQ(v1->expect_broadcast(kRoom, "json"), expected);
  EXPECT_EQ(v2->expect_broadcast(kRoom, "json"), expected);
}

TEST_F(RealtimeBroadcastTest, BinaryPushReachesTheSenderWithSelfTrue) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"), Vsn::v2);
  sender->join_ok(kRoom, channel_config(/*self=*/true));
  sender->broadcast_binary(kRoom, "mine", "abc");
  auto frame = sender->recv();
  ASSERT_TRUE(frame);
  EXPECT_TRUE(frame->binary);
  EXPECT_EQ(frame->bytes, "abc");
}

// realtime-js prefixes topics with "realtime:"; the broadcast topic is the rest, and each
// subscriber hears it under the name it joined.
TEST_F(RealtimeBroadcastTest, SubscribersHearTheTopicAsTheyJoinedIt) {
  start_realtime();
  auto prefixed = connect_rt(sign_token("alice"));
  auto bare = connect_rt(sign_token("bob"));
  prefixed->join_ok(kRoom);
  bare->join_ok("room");
  prefixed->broadcast(kRoom, "a", {{"n", 1}});
  EXPECT_EQ(bare->expect_broadcast("room", "a"), (Json{{"n", 1}}));
  bare->broadcast("room", "b", {{"n", 2}});
  EXPECT_EQ(prefixed->expect_broadcast(kRoom, "b"), (Json{{"n", 2}}));
}

// One connection that joined a topic under both spellings holds two channels: it hears each
// message on both, and leaving one spelling keeps the other subscribed.
TEST_F(RealtimeBroadcastTest, TwoSpellingsOfOneTopicAreTwoChannels) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"));
  auto client = connect_rt(sign_token("bob"));
  sender->join_ok(kRoom);
  client->join_ok(kRoom);
  client->join_ok("room");
  sender->broadcast(kRoom, "both", Json::object());
  std::set<std::string> topics;
  for (int i = 0; i < 2; ++i) {
    if (auto frame = client->recv()) topics.insert(frame->topic);
  }
  EXPECT_EQ(topics, (std::set<std::string>{kRoom, "room"}));
  const std::string ref = client->send("room", "phx_leave", Json::object());
  client->expect_ok("room", ref);
  sender->broadcast(kRoom, "after", Json::object());
  EXPECT_EQ(client->expect_broadcast(kRoom, "after"), Json::object());
}

TEST_F(RealtimeBroadcastTest, ClosedSubscribersAreForgotten) {
  start_realtime();
  auto sender = connect_rt(sign_token("alice"));
  auto gone = connect_rt(sign_token("bob"));
  auto dropped = connect_rt(sign_token("carol"));
  auto staying = connect_rt(sign_token("dave"));
  for (auto* client : {sender.get(), gone.get(), dropped.get(), staying.get()})
    client->join_ok(kRoom);
  gone->ws().close();
  dropped->ws().reset();
  ASSERT_TRUE(wait_for_metric("switchboard_connections", 2));
  sender->broadcast(kRoom, "still", Json::object());
  EXPECT_EQ(staying->expect_broadcast(kRoom, "still"), Json::object());
}

}  // namespace
}  // namespace switchboard::testing
