// Resume over real sockets: a client whose TCP connection is cut (RST or FIN, never a close
// frame) reconnects with `session` + `lastSeq` and gets every event it missed exactly once, in
// order, with the original seq (PROTOCOL.md "Reconnecting"). WsTestClient checks seq
// continuity on every read, so a gap or a duplicate fails the test where it is read.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

class ResumeTest : public IntegrationTest {
 protected:
  // Cuts `client` and waits until the server holds its session detached: from then on the
  // server buffers for it, and the other party has been told the peer is reconnecting.
  void cut(WsTestClient& client, bool with_reset = true) {
    if (with_reset) {
      client.reset();
    } else {
      client.disconnect();
    }
    ASSERT_TRUE(wait_for_metric("switchboard_sessions_detached", 1));
  }
};

TEST_F(ResumeTest, CallPlacedWhileTheCalleeIsAwayIsReplayedOnResume) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  cut(*bob);
  // A held session counts as a connected device: the call rings instead of `unavailable`.
  const std::string call_id = place_call(*alice, "bob");
  alice->expect_silence();
  auto bob_again = resume("bob", "b1", *bob);
  const Json& welcome = bob_again->welcome();
  EXPECT_TRUE(welcome.value("resumed", false)) << welcome.dump();
  EXPECT_EQ(welcome.value("sessionId", ""), bob->session_id());
  EXPECT_EQ(welcome.value("seq", 0), bob->last_seq());
  const Json call = bob_again->expect_type("call");
  EXPECT_EQ(call.value("callId", ""), call_id);
  // The replayed invitation tells the time left now.
  EXPECT_LE(call.value("expiresInMs", std::int64_t{-1}), 30'000);
  EXPECT_GT(call.value("expiresInMs", std::int64_t{0}), 25'000);
  ASSERT_TRUE(bob_again->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("answer").value("callId", ""), call_id);
  bob_again->expect_silence();
}

TEST_F(ResumeTest, AnswerResentAfterACutIsAnsweredFromTheCacheNotRunTwice) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  const Json answer = command("answer", {{"id", "ans-1"}, {"callId", call_id}});
  ASSERT_TRUE(bob->send_json(answer));
  // The phone loses its network before it reads the ack: did the answer go through?
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b1");
  cut(*bob);
  EXPECT_EQ(alice->expect_type("peer").value("state", ""), "reconnecting");
  auto bob_again = resume("bob", "b1", *bob);
  EXPECT_TRUE(bob_again->welcome().value("resumed", false));
  // Resending with the same id is safe: the original ack again, and no `already_answered`.
  ASSERT_TRUE(bob_again->send_json(answer));
  const Json ack = bob_again->expect_type("ack");
  EXPECT_EQ(ack.value("id", ""), "ans-1");
  const Json reconnected = alice->expect_type("peer");
  EXPECT_EQ(reconnected.value("state", ""), "reconnected");
  EXPECT_EQ(reconnected.value("userId", ""), "bob");
  alice->expect_silence();  // no second `answer`
  bob_again->expect_silence();
}

TEST_F(ResumeTest, CallResentAfterACutRingsOnlyOnce) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const Json call = command("call", {{"id", "c-1"}, {"to", "bob"}});
  ASSERT_TRUE(alice->send_json(call));
  const std::string call_id = bob->expect_type("call").value("callId", "");
  cut(*alice, /*with_reset=*/false);
  auto alice_again = resume("alice", "a1", *alice);
  EXPECT_TRUE(alice_again->welcome().value("resumed", false));
  ASSERT_TRUE(alice_again->send_json(call));
  const Json ack = alice_again->expect_type("ack");
  EXPECT_EQ(ack.value("id", ""), "c-1");
  EXPECT_EQ(ack.value("callId", ""), call_id);
  bob->expect_silence();  // not rung twice
}

TEST_F(ResumeTest, SignalBurstDuringTheCutArrivesInOrderThenLiveEventsContinue) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  cut(*bob);
  EXPECT_EQ(alice->expect_type("peer").value("state", ""), "reconnecting");
  constexpr int kBurst = 100;
  for (int i = 0; i < kBurst; ++i) {
    ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", i}}}})));
  }
  auto bob_again = resume("bob", "b1", *bob);
  EXPECT_TRUE(bob_again->welcome().value("resumed", false)) << bob_again->welcome().dump();
  for (int i = 0; i < kBurst; ++i) {
    const Json signal = bob_again->expect_type("signal");
    ASSERT_EQ(signal.value("data", Json()), (Json{{"n", i}})) << signal.dump();
  }
  EXPECT_EQ(alice->expect_type("peer").value("state", ""), "reconnected");
  ASSERT_TRUE(
      alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"live", true}}}})));
  EXPECT_EQ(bob_again->expect_type("signal").value("data", Json()), (Json{{"live", true}}));
  bob_again->expect_silence();
}

TEST_F(ResumeTest, HangupDuringTheCutIsReplayedExactlyOnce) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  cut(*bob, /*with_reset=*/false);
  EXPECT_EQ(alice->expect_type("peer").value("state", ""), "reconnecting");
  ASSERT_TRUE(alice->send_json(command("hangup", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("ended").value("reason", ""), "completed");
  auto bob_again = resume("bob", "b1", *bob);
  EXPECT_TRUE(bob_again->welcome().value("resumed", false));
  EXPECT_TRUE(bob_again->welcome().value("calls", Json()).empty());
  const Json ended = bob_again->expect_type("ended");
  EXPECT_EQ(ended.value("callId", ""), call_id);
  EXPECT_EQ(ended.value("reason", ""), "completed");
  EXPECT_EQ(ended.value("by", ""), "alice");
  bob_again->expect_silence();
  alice->expect_silence();  // the call had ended: no `reconnected` for it
}

TEST_F(ResumeTest, ResumeWhileTheOldConnectionLooksAliveReplacesItWith4009) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  // The phone switched networks; the server has not noticed the old socket is gone.
  auto bob_again = resume("bob", "b1", *bob);
  EXPECT_TRUE(bob_again->welcome().value("resumed", false)) << bob_again->welcome().dump();
  const CloseResult closed = bob->wait_close();
  ASSERT_TRUE(closed.code.has_value()) << closed.error;
  EXPECT_EQ(*closed.code, 4009);
  alice->expect_silence();  // never detached, so never "reconnecting"
  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 7}}}})));
  EXPECT_EQ(bob_again->expect_type("signal").value("data", Json()), (Json{{"n", 7}}));
}

TEST_F(ResumeTest, OverflowedBufferGetsAFreshSessionWithASnapshot) {
  server::Config config = test_config();
  config.resume_buffer = 5;
  start_server(config);
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  cut(*bob);
  EXPECT_EQ(alice->expect_type("peer").value("state", ""), "reconnecting");
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", i}}}})));
  }
  alice->expect_silence();  // the signals were accepted
  auto bob_again = resume("bob", "b1", *bob);
  const Json& welcome = bob_again->welcome();
  EXPECT_FALSE(welcome.value("resumed", true)) << welcome.dump();
  EXPECT_NE(welcome.value("sessionId", ""), bob->session_id());
  EXPECT_EQ(welcome.value("seq", 0), 1);
  // Not every missed event can be replayed, so none is: the snapshot says where things stand.
  ASSERT_EQ(welcome.value("calls", Json()).size(), 1U) << welcome.dump();
  const Json& snapshot = welcome["calls"][0];
  EXPECT_EQ(snapshot.value("callId", ""), call_id);
  EXPECT_EQ(snapshot.value("state", ""), "active");
  EXPECT_EQ(snapshot.value("role", ""), "callee");
  EXPECT_EQ(snapshot.value("peer", ""), "alice");
  EXPECT_EQ(snapshot.value("deviceId", ""), "b1");
  // Same device, so it still holds the call.
  EXPECT_EQ(alice->expect_type("peer").value("state", ""), "reconnected");
  ASSERT_TRUE(
      alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"after", true}}}})));
  EXPECT_EQ(bob_again->expect_type("signal").value("data", Json()), (Json{{"after", true}}));
  bob_again->expect_silence();
}

TEST_F(ResumeTest, UnknownSessionOrFutureLastSeqStartsAFreshSession) {
  start_server();
  auto bob = connect("bob", "b1");
  const std::string unknown = "s" + std::string(31, '0');
  auto other = connect_query("user=carol&device=c1&session=" + unknown + "&lastSeq=3");
  EXPECT_FALSE(other->welcome().value("resumed", true)) << other->welcome().dump();
  EXPECT_NE(other->welcome().value("sessionId", ""), unknown);
  // bob claims to have seen events his session never sent.
  auto bob_again = connect_query("user=bob&device=b1&session=" + bob->session_id() +
                                 "&lastSeq=" + std::to_string(bob->last_seq() + 5));
  EXPECT_FALSE(bob_again->welcome().value("resumed", true)) << bob_again->welcome().dump();
  EXPECT_EQ(bob_again->welcome().value("seq", 0), 1);
}

TEST_F(ResumeTest, AnotherUsersSessionCannotBeResumed) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  cut(*bob);
  EXPECT_EQ(alice->expect_type("peer").value("state", ""), "reconnecting");
  // mallory knows bob's session id but is not bob: she gets a session of her own.
  auto mallory = connect_query("user=mallory&device=b1&session=" + bob->session_id() +
                               "&lastSeq=" + std::to_string(bob->last_seq()));
  EXPECT_FALSE(mallory->welcome().value("resumed", true));
  EXPECT_TRUE(mallory->welcome().value("calls", Json()).empty());
  // Nor can bob's other device take it over.
  auto bob2 = connect_query("user=bob&device=b2&session=" + bob->session_id() +
                            "&lastSeq=" + std::to_string(bob->last_seq()));
  EXPECT_FALSE(bob2->welcome().value("resumed", true));
  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 1}}}})));
  mallory->expect_silence();
  bob2->expect_silence();
  // bob's own session was left intact.
  auto bob_again = resume("bob", "b1", *bob);
  EXPECT_TRUE(bob_again->welcome().value("resumed", false));
  EXPECT_EQ(bob_again->expect_type("signal").value("data", Json()), (Json{{"n", 1}}));
}

TEST_F(ResumeTest, MalformedResumeParametersAreRefusedWith400) {
  start_server();
  auto bob = connect("bob", "b1");
  const std::string session = bob->session_id();
  for (const std::string& query : std::vector<std::string>{
           "user=bob&device=b1&session=" + session,  // lastSeq missing
           "user=bob&device=b1&lastSeq=1",           // session missing
           "user=bob&device=b1&session=" + session + "&lastSeq=x",
           "user=bob&device=b1&session=" + session + "&lastSeq=-1",
           "user=bob&device=b1&session=" + session + "&lastSeq=1.5",
           "user=bob&device=b1&session=" + session + "&lastSeq=99999999999999999999",
           std::string("user=bob&device=b1&session=%00bad&lastSeq=1"),
       }) {
    WsTestClient client;
    const ConnectResult result = client.connect(port(), query);
    EXPECT_FALSE(result.ok) << query;
    EXPECT_EQ(result.http_status, 400) << query;
  }
  // The refused attempts did not disturb the session.
  bob->expect_silence(Millis{0});
  EXPECT_TRUE(bob->is_open());
}

}  // namespace
}  // namespace switchboard::testing
