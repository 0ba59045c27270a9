// Token lifetime over real sockets (PROTOCOL.md "Token expiry"): a native connection is closed
// with 4003 when its token expires, unless an `auth` command brought a fresher token for the same
// user; the close is a drop, so a resume with a fresh token carries on. On Supabase Realtime
// the calls channel ends instead (system + phx_close), and the socket stays up.
// The server runs with --jwt-leeway 0 and tokens that live about a second, so every wait is
// short and bounded.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/realtime_harness.hpp"

namespace switchboard::testing {
namespace {

using TokenExpiryTest = RealtimeTest;

// How long a short-lived token lives: long enough to set a call up on a loaded machine.
constexpr double kLifeS = 1.2;
// How late after its exp an expiry may be noticed (timer and scheduling slack).
constexpr double kLateS = 1.0;
// Steady and wall clocks may disagree by a hair over a second's wait.
constexpr double kClockSlackS = 0.005;
// Bounds every wait for an expiry: a token's life, the lateness allowed, and a margin.
constexpr Millis kCloseTimeout{3'200};

server::Config expiry_config() {
  server::Config config = realtime_config();
  config.jwt_leeway = Millis{0};
  return config;
}

std::string token_until(const std::string& user, double exp_s) {
  return mint_jwt_expiring_at(kRealtimeSecret, user, exp_s);
}

// Waits for the server to close `client`, which must happen with 4003 "token expired", no
// earlier than `exp_s` and not much later.
void expect_expired_at(WsTestClient& client, double exp_s) {
  const CloseResult closed = client.wait_close(kCloseTimeout);
  const double at = wall_seconds();
  ASSERT_TRUE(closed.closed) << "still open " << at - exp_s << " s after exp";
  EXPECT_EQ(closed.code, 4003) << closed.error;
  EXPECT_EQ(closed.reason, "token expired");
  EXPECT_GE(at, exp_s - kClockSlackS) << "closed before the token expired";
  EXPECT_LE(at, exp_s + kLateS) << "closed long after the token expired";
}

// The connection still answers: the round trip of a ping.
void expect_open(WsTestClient& client, const std::string& id) {
  ASSERT_TRUE(client.send_json(command("ping", {{"id", id}}))) << client.last_error();
  EXPECT_EQ(client.expect_type("pong").value("id", ""), id);
}

// Sleeps by waiting for silence until `wall_s`.
void quiet_until(WsTestClient& client, double wall_s) {
  const double left = wall_s - wall_seconds();
  if (left > 0) client.expect_silence(Millis{static_cast<long>(left * 1000)});
}

// ---- native protocol ---------------------------------------------------------------------

TEST_F(TokenExpiryTest, UnrefreshedTokenClosesWith4003AsADrop) {
  start_server(expiry_config());
  const double exp = wall_seconds() + kLifeS;
  auto alice = connect_query("token=" + token_until("alice", exp) + "&device=a1");
  auto bob = connect_native("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  expect_expired_at(*alice, exp);
  // A drop, not a leave: the call waits for alice.
  const Json away = bob->expect_type("peer");
  EXPECT_EQ(away.value("callId", ""), call_id);
  EXPECT_EQ(away.value("state", ""), "reconnecting");
  // The app reconnects with a fresh token and resumes where it was.
  auto again =
      connect_query("token=" + sign_token("alice") + "&device=a1&session=" + alice->session_id() +
                    "&lastSeq=" + std::to_string(alice->last_seq()));
  EXPECT_TRUE(again->welcome().value("resumed", false)) << again->welcome().dump();
  EXPECT_EQ(bob->expect_type("peer").value("state", ""), "reconnected");
  ASSERT_TRUE(bob->send_json(command("hangup", {{"callId", call_id}})));
  EXPECT_EQ(again->expect_type("ended").value("reason", ""), "completed");
}

TEST_F(TokenExpiryTest, FresherTokenKeepsTheConnectionUntilItsOwnExpiry) {
  start_server(expiry_config());
  const double exp = wall_seconds() + kLifeS;
  auto alice = connect_query("token=" + token_until("alice", exp) + "&device=a1");
  const double later = exp + 1.0;
  ASSERT_TRUE(
      alice->send_json(command("auth", {{"id", "r1"}, {"token", token_until("alice", later)}})));
  EXPECT_EQ(alice->expect_type("ack").value("id", ""), "r1");
  // Without an id, success is silent (as for every command).
  ASSERT_TRUE(alice->send_json(command("auth", {{"token", token_until("alice", later)}})));
  quiet_until(*alice, exp + 0.3);
  expect_open(*alice, "p1");
  expect_expired_at(*alice, later);
}

TEST_F(TokenExpiryTest, RefusedRefreshesLeaveTheOldExpiry) {
  start_server(expiry_config());
  const double exp = wall_seconds() + kLifeS;
  auto alice = connect_query("token=" + token_until("alice", exp) + "&device=a1");
  auto refused = [&alice](const std::string& id, const std::string& token) {
    EXPECT_TRUE(alice->send_json(command("auth", {{"id", id}, {"token", token}})));
    const Json error = alice->expect_type("error");
    EXPECT_EQ(error.value("id", ""), id);
    return error;
  };
  Json error = refused("other", token_until("bob", exp + 60));
  EXPECT_EQ(error.value("code", ""), "forbidden");
  EXPECT_EQ(error.value("message", ""), "token is for another user");
  error = refused("expired", token_until("alice", wall_seconds() - 5));
  EXPECT_EQ(error.value("code", ""), "unauthorized");
  EXPECT_EQ(error.value("message", ""), "token expired");
  error = refused("garbage", "not.a.jwt");
  EXPECT_EQ(error.value("code", ""), "unauthorized");
  error = refused("foreign",
                  mint_jwt_expiring_at("another-secret-0123456789abcdef", "alice", exp + 60));
  EXPECT_EQ(error.value("code", ""), "unauthorized");
  error = refused("empty", "");
  EXPECT_EQ(error.value("code", ""), "bad_message");
  // A valid token that expires sooner is acknowledged but does not shorten the life.
  ASSERT_TRUE(alice->send_json(
      command("auth", {{"id", "sooner"}, {"token", token_until("alice", exp - 0.6)}})));
  EXPECT_EQ(alice->expect_type("ack").value("id", ""), "sooner");
  expect_open(*alice, "p1");
  expect_expired_at(*alice, exp);
}

TEST_F(TokenExpiryTest, DevModeHasNoTokensAndNoExpiry) {
  start_server();  // dev mode
  auto alice = connect("alice", "a1");
  ASSERT_TRUE(alice->send_json(command("auth", {{"id", "a"}, {"token", sign_token("alice")}})));
  const Json error = alice->expect_type("error");
  EXPECT_EQ(error.value("id", ""), "a");
  EXPECT_EQ(error.value("code", ""), "unsupported");
  EXPECT_EQ(error.value("message", ""), "dev mode has no tokens");
  alice->expect_silence();
  expect_open(*alice, "p1");
}

// ---- Supabase Realtime -------------------------------------------------------------------

// alice on Realtime (device a-rt, an anon apikey) in an answered call with native bob, her calls
// channel joined with a token expiring at `exp`, and a plain channel `lobby` joined too.
struct RealtimeCall {
  std::unique_ptr<RealtimeClient> alice;
  std::unique_ptr<WsTestClient> bob;
  std::string call_id;
};

class RealtimeExpiryTest : public TokenExpiryTest {
 protected:
  RealtimeCall realtime_call(double exp) {
    RealtimeCall call;
    call.alice = connect_rt(sign_token("", 300), Vsn::v2, "&device=a-rt");
    call.alice->join_ok("realtime:lobby", channel_config(/*self=*/true, /*ack=*/true));
    call.alice->join_calls("alice", token_until("alice", exp));
    call.bob = connect_native("bob", "b1");
    call.call_id = place_call(*call.bob, "alice");
    call.alice->expect_signal("call");
    EXPECT_EQ(
        call.alice->call_signal({{"type", "answer"}, {"callId", call.call_id}}).value("status", ""),
        "ok");
    call.bob->expect_type("answer");
    return call;
  }

  // The calls channel ends as Supabase ends a channel whose token expired: `system` with
  // status error, then phx_close, both with the channel's join_ref.
  static void expect_channel_expired(RealtimeClient& alice, double exp) {
    const std::string topic = alice.calls_topic();
    const Json join_ref = *alice.join_ref(topic);
    auto system = alice.recv(kCloseTimeout);
    const double at = wall_seconds();
    ASSERT_TRUE(system) << "no system message " << at - exp << " s after exp";
    EXPECT_EQ(system->event, "system") << system->raw;
    EXPECT_EQ(system->topic, topic);
    EXPECT_EQ(system->join_ref, join_ref) << system->raw;
    EXPECT_TRUE(system->ref.is_null()) << system->raw;
    EXPECT_EQ(system->payload.value("status", ""), "error");
    EXPECT_EQ(system->payload.value("extension", ""), "system");
    EXPECT_EQ(system->payload.value("channel", ""), "calls:alice");
    EXPECT_TRUE(system->payload.value("message", "").starts_with("Access token has expired: "))
        << system->raw;
    EXPECT_GE(at, exp - kClockSlackS) << "expired early";
    EXPECT_LE(at, exp + kLateS) << "expired late";
    auto close = alice.recv();
    ASSERT_TRUE(close);
    EXPECT_EQ(close->event, "phx_close") << close->raw;
    EXPECT_EQ(close->topic, topic);
    EXPECT_EQ(close->join_ref, join_ref) << close->raw;
  }

  // The socket and the plain channel work on: a heartbeat and a self broadcast.
  static void expect_socket_usable(RealtimeClient& alice) {
    const std::string beat = alice.send("phoenix", "heartbeat", Json::object());
    EXPECT_EQ(alice.expect_ok("phoenix", beat), Json::object());
    const std::string ref = alice.broadcast("realtime:lobby", "hello", {{"n", 1}});
    EXPECT_EQ(alice.expect_broadcast("realtime:lobby", "hello"), (Json{{"n", 1}}));
    alice.expect_ok("realtime:lobby", ref);
  }
};

TEST_F(RealtimeExpiryTest, CallsChannelEndsAtExpiryAndARejoinTakesTheCallBack) {
  start_server(expiry_config());
  const double exp = wall_seconds() + kLifeS;
  RealtimeCall call = realtime_call(exp);
  expect_channel_expired(*call.alice, exp);
  // A drop for the engine: the call waits for alice.
  EXPECT_EQ(call.bob->expect_type("peer").value("state", ""), "reconnecting");
  expect_socket_usable(*call.alice);
  const std::string topic = call.alice->calls_topic();
  const std::string ref =
      call.alice->broadcast(topic, "call-signal", {{"type", "hangup"}, {"callId", call.call_id}});
  EXPECT_EQ(call.alice->expect_error(topic, ref), (Json{{"reason", "unmatched topic"}}));
  // The app subscribes again with a fresh token: same device, so the call is hers again.
  call.alice->join_calls("alice", sign_token("alice"));
  EXPECT_EQ(call.bob->expect_type("peer").value("state", ""), "reconnected");
  EXPECT_EQ(
      call.alice->call_signal({{"type", "hangup"}, {"callId", call.call_id}}).value("status", ""),
      "ok");
  EXPECT_EQ(call.bob->expect_type("ended").value("reason", ""), "completed");
}

TEST_F(RealtimeExpiryTest, AccessTokenRefreshExtendsTheCallsChannel) {
  start_server(expiry_config());
  const double exp = wall_seconds() + kLifeS;
  RealtimeCall call = realtime_call(exp);
  const double later = exp + 1.0;
  call.alice->send(call.alice->calls_topic(), "access_token",
                   {{"access_token", token_until("alice", later)}});
  // Past the old expiry the channel is still there and the call goes on.
  const double left = exp + 0.3 - wall_seconds();
  if (left > 0) call.alice->expect_silence(Millis{static_cast<long>(left * 1000)});
  ASSERT_TRUE(
      call.bob->send_json(command("signal", {{"callId", call.call_id}, {"data", {{"n", 1}}}})));
  EXPECT_EQ(call.alice->expect_signal("signal").value("callId", ""), call.call_id);
  expect_channel_expired(*call.alice, later);
  EXPECT_EQ(call.bob->expect_type("peer").value("state", ""), "reconnecting");
  expect_socket_usable(*call.alice);
}

}  // namespace
}  // namespace switchboard::testing
