// Authorization in the Supabase Realtime dialect, over real sockets in JWT mode (PROTOCOL.md
// "Supabase Realtime"): mallory, with her own token, the anon key or forged tokens, tries to
// join alice's calls channel, to act on alice->bob's call with call-signal over the socket and
// over REST, to pass herself off as alice, and to listen in through plain channels.
//
// Already covered elsewhere, and not repeated here: realtime_calls_test.cpp
// CallsChannelNeedsTheUsersOwnToken (anon apikey without access_token, bob's apikey, expired
// access_token), AConnectionSpeaksForOneUser, FromMustBeTheSendersOwnUser (call over the
// socket), CallSignalNeedsAUser; realtime_rest_test.cpp CallSignalNeedsAUserToken,
// CallSignalRefusalsMapToStatusCodes (from:mallory, carol's hangup of a REST call, conflict),
// PlainMessageToACallsTopicNeedsItsOwner (a batch message to calls:alice);
// realtime_sessions_test.cpp RealtimeTokenTest (access_token changes).
//
// "Receives nothing" is proven without sleeping: the attempt is answered after the engine ran
// it, so a heartbeat (Realtime) or ping (native) sent afterwards by a bystander must be
// answered by the very next frame.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/realtime_harness.hpp"

namespace switchboard::testing {
namespace {

const std::string kBatch = "/realtime/v1/api/broadcast";

Json body_of(const HttpResult& result) {
  return Json::parse(result.body, nullptr, false);
}

Json message(const std::string& topic, const std::string& event, const Json& payload) {
  return Json{{"topic", topic}, {"event", event}, {"payload", payload}, {"private", false}};
}

std::string replaced(std::string text, const std::string& what, const std::string& with) {
  for (auto at = text.find(what); !what.empty() && at != std::string::npos;
       at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
  return text;
}

// Every call-signal a party could send on `call_id` (those with a payload carry mallory's).
std::vector<Json> every_signal(const std::string& call_id) {
  std::vector<Json> payloads;
  for (const char* type : {"ringing", "answer", "reject", "busy", "hangup", "cancel"})
    payloads.push_back({{"type", type}, {"callId", call_id}});
  payloads.push_back({{"type", "signal"}, {"callId", call_id}, {"data", {{"ice", "mallory's"}}}});
  payloads.push_back({{"type", "answer"}, {"callId", call_id}, {"data", {{"sdp", "mallory's"}}}});
  return payloads;
}

class RealtimeAuthorizationTest : public RealtimeTest {
 protected:
  // Proves `client` has nothing pending: a heartbeat's reply is the next frame.
  void expect_nothing(RealtimeClient& client) {
    const std::string ref = client.send("phoenix", "heartbeat", Json::object());
    EXPECT_EQ(client.expect_ok("phoenix", ref), Json::object());
  }
  void expect_nothing(WsTestClient& client) {
    const std::string id = next_id("probe");
    EXPECT_TRUE(client.send_json(command("ping", {{"id", id}}))) << client.last_error();
    EXPECT_EQ(client.expect_type("pong").value("id", ""), id);
  }

  // POST the batch `messages` with `token` as the bearer.
  HttpResult post_as(const std::string& token, const Json& messages) {
    return post(kBatch, Json{{"messages", messages}}.dump(), token);
  }

  // The response must be `status` with `code`; returns the body with `call_id` masked.
  Json expect_refusal(const HttpResult& result, int status, const std::string& code,
                      const std::string& call_id = "") {
    EXPECT_EQ(result.status, status) << result.body << result.error;
    Json body = body_of(result);
    EXPECT_EQ(body.value("code", ""), code) << result.body;
    EXPECT_TRUE(body.value("error", Json()).is_string()) << result.body;
    if (body.is_object() && body.value("error", Json()).is_string()) {
      body["error"] = replaced(body["error"].get<std::string>(), call_id, "<callId>");
    }
    return body;
  }

  // A call-signal over `client` on `topic` that must fail with `code`; returns the response
  // with `call_id` masked in its reason.
  Json refused_signal(RealtimeClient& client, const Json& payload, const std::string& code,
                      const std::string& call_id, const std::string& topic = "") {
    const Json reply = client.call_signal(payload, topic);
    EXPECT_EQ(status_of(reply), "error") << payload.dump() << " -> " << reply.dump();
    Json response = reply.value("response", Json::object());
    EXPECT_EQ(response.value("code", ""), code) << payload.dump() << " -> " << reply.dump();
    EXPECT_TRUE(response.value("reason", Json()).is_string()) << reply.dump();
    if (response.value("reason", Json()).is_string()) {
      response["reason"] = replaced(response["reason"].get<std::string>(), call_id, "<callId>");
    }
    return response;
  }
};

// ---- joining calls:alice -------------------------------------------------------------------

// mallory tries to join alice's calls channel with every credential she can get or forge,
// under both spellings of the topic; then alice joins, a call to her rings, and none of
// mallory's sockets hears of it.
TEST_F(RealtimeAuthorizationTest, OnlyTheUsersOwnTokenJoinsTheirCallsChannel) {
  start_realtime();
  const std::string other_secret = "some-other-secret-0123456789abcdef";
  struct Attempt {
    std::string label;
    std::string apikey;
    std::optional<std::string> access_token;
    std::string topic;
    bool is_private;
  };
  const std::string kTopic = "realtime:calls:alice";
  const std::string mallory = sign_token("mallory");
  const std::string anon = sign_token("");
  const std::vector<Attempt> attempts = {
      {"mallory's apikey", mallory, std::nullopt, kTopic, false},
      {"mallory's access_token", mallory, mallory, kTopic, false},
      {"anon apikey, mallory's access_token", anon, mallory, kTopic, false},
      {"mallory's apikey, anon access_token", mallory, anon, kTopic, false},
      {"empty access_token", anon, std::string(), kTopic, false},
      {"alice, alg none", mallory,
       mint_jwt(kRealtimeSecret, "alice", 300, true, "none", "authenticated"), kTopic, false},
      {"alice, another secret", mallory, sign_token("alice", 300, other_secret), kTopic, false},
      {"alice, no exp", mallory,
       mint_jwt(kRealtimeSecret, "alice", 300, false, "HS256", "authenticated"), kTopic, false},
      {"topic without realtime:", mallory, std::nullopt, "calls:alice", false},
      {"private channel", mallory, mallory, kTopic, true},
  };
  std::vector<std::unique_ptr<RealtimeClient>> sockets;
  for (const Attempt& a : attempts) {
    auto client = connect_rt(a.apikey, Vsn::v2, "&device=m-" + std::to_string(sockets.size()));
    const Json reply =
        client->join(a.topic, channel_config(false, false, a.is_private), a.access_token);
    EXPECT_EQ(status_of(reply), "error") << a.label << ": " << reply.dump();
    EXPECT_TRUE(reply["response"].value("reason", Json()).is_string()) << reply.dump();
    sockets.push_back(std::move(client));
  }
  EXPECT_TRUE(wait_for_metric("switchboard_sessions", 0));  // none became a device

  auto alice = connect_calls("alice", Vsn::v2, "a-rt");
  auto bob = connect_native("bob", "b1");
  const std::string call_id = place_call(*bob, "alice");
  EXPECT_EQ(alice->expect_signal("call").value("callId", ""), call_id);
  for (auto& client : sockets)
    expect_nothing(*client);
  EXPECT_EQ(status_of(alice->call_signal({{"type", "answer"}, {"callId", call_id}})), "ok");
  EXPECT_EQ(bob->expect_type("answer").value("deviceId", ""), "a-rt");
  for (auto& client : sockets)
    expect_nothing(*client);
}

// ---- call-signal over the socket ---------------------------------------------------------

// mallory, on her own calls channel and on a plain one, sends every call-signal on
// alice->bob's call (and once claiming to be bob), while it rings and once answered, and tries
// bob's calls topic without joining it. All are refused alike; alice and bob hear nothing.
TEST_F(RealtimeAuthorizationTest, CallSignalCannotActOnAnotherUsersCall) {
  start_realtime();
  auto alice = connect_native("alice", "a1");
  auto bob = connect_calls("bob", Vsn::v1, "b-rt");
  auto mallory = connect_calls("mallory", Vsn::v2, "m-rt");
  mallory->join_ok("realtime:lobby");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_signal("call");

  const auto attack = [&] {
    std::vector<Json> responses;
    for (const Json& payload : every_signal(call_id)) {
      responses.push_back(refused_signal(*mallory, payload, "forbidden", call_id));
      responses.push_back(
          refused_signal(*mallory, payload, "forbidden", call_id, "realtime:lobby"));
      Json as_bob = payload;
      as_bob["from"] = "bob";
      refused_signal(*mallory, as_bob, "forbidden", call_id);
      // A topic she has not joined is not hers to send on.
      const std::string ref = mallory->broadcast("realtime:calls:bob", "call-signal", payload);
      EXPECT_EQ(mallory->expect_error("realtime:calls:bob", ref),
                (Json{{"reason", "unmatched topic"}}));
    }
    expect_nothing(*alice);
    expect_nothing(*bob);
    return responses;
  };
  const std::vector<Json> ringing = attack();
  for (const Json& response : ringing)
    EXPECT_EQ(response, ringing.front()) << "every refusal says the same";

  EXPECT_EQ(status_of(bob->call_signal({{"type", "answer"}, {"callId", call_id}})), "ok");
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b-rt");
  EXPECT_EQ(attack(), ringing) << "an answered call looks the same to mallory";

  // The call goes on.
  EXPECT_EQ(status_of(bob->call_signal(
                {{"type", "signal"}, {"callId", call_id}, {"data", {{"sdp", "answer"}}}})),
            "ok");
  EXPECT_EQ(alice->expect_type("signal").value("data", Json()), (Json{{"sdp", "answer"}}));
  ASSERT_TRUE(alice->send_json(command("hangup", {{"callId", call_id}})));
  EXPECT_EQ(bob->expect_signal("hangup").value("by", ""), "alice");
  EXPECT_EQ(alice->expect_type("ended").value("reason", ""), "completed");
  EXPECT_EQ(attack(), ringing) << "so does an ended one";
}

// ---- call-signal over REST ---------------------------------------------------------------

// mallory posts call-signals with her own token to calls:bob and calls:alice (batch and
// event endpoints, percent-encoded topic too), claiming `from: alice` or not, while the call
// rings and once answered: 403 forbidden each time, alike; a callId of theirs is a conflict.
// alice and bob hear nothing, and the call goes on.
TEST_F(RealtimeAuthorizationTest, RestCallSignalCannotSpeakForAnotherUser) {
  start_realtime();
  auto alice = connect_native("alice", "a1");
  auto bob = connect_calls("bob", Vsn::v2, "b-rt");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_signal("call");
  const std::string mallory = sign_token("mallory");

  const auto attack = [&] {
    std::vector<Json> bodies;
    for (const Json& payload : every_signal(call_id)) {
      for (const char* topic : {"calls:bob", "calls:alice", "realtime:calls:alice"}) {
        bodies.push_back(
            expect_refusal(post_as(mallory, Json::array({message(topic, "call-signal", payload)})),
                           403, "forbidden", call_id));
        Json as_alice = payload;
        as_alice["from"] = "alice";
        expect_refusal(post_as(mallory, Json::array({message(topic, "call-signal", as_alice)})),
                       403, "forbidden", call_id);
      }
      for (const char* topic : {"calls:bob", "calls%3Aalice"}) {
        bodies.push_back(expect_refusal(
            post(kBatch + "/" + topic + "/events/call-signal", payload.dump(), mallory), 403,
            "forbidden", call_id));
      }
      // The apikey header alone speaks for mallory just the same.
      HttpRequest request;
      request.method = "POST";
      request.target = kBatch;
      request.headers = {{"apikey", mallory}, {"Content-Type", "application/json"}};
      Json as_alice = payload;
      as_alice["from"] = "alice";
      request.body =
          Json{{"messages", Json::array({message("calls:bob", "call-signal", as_alice)})}}.dump();
      expect_refusal(http_request(port(), request), 403, "forbidden", call_id);
      // The anon key names nobody, so it cannot speak for alice either.
      expect_refusal(
          post_as(sign_token(""), Json::array({message("calls:bob", "call-signal", as_alice)})),
          401, "", call_id);
    }
    // Nor can mallory take over the call's id, claiming to be alice or as herself.
    expect_refusal(
        post_as(mallory,
                Json::array({message(
                    "calls:bob", "call-signal",
                    {{"type", "call"}, {"to", "bob"}, {"callId", call_id}, {"from", "alice"}})})),
        403, "forbidden", call_id);
    expect_refusal(
        post_as(mallory,
                Json::array({message("calls:bob", "call-signal",
                                     {{"type", "call"}, {"to", "bob"}, {"callId", call_id}})})),
        409, "conflict", call_id);
    expect_nothing(*alice);
    expect_nothing(*bob);
    return bodies;
  };
  const std::vector<Json> ringing = attack();
  for (const Json& body : ringing)
    EXPECT_EQ(body, ringing.front()) << "every refusal says the same";

  EXPECT_EQ(status_of(bob->call_signal({{"type", "answer"}, {"callId", call_id}})), "ok");
  EXPECT_EQ(alice->expect_type("answer").value("from", ""), "bob");
  EXPECT_EQ(attack(), ringing) << "an answered call looks the same to mallory";

  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 1}}}})));
  const Json offer = bob->expect_signal("signal");
  EXPECT_EQ(offer.value("from", ""), "alice");
  EXPECT_EQ(offer.value("data", Json()), (Json{{"n", 1}}));
  EXPECT_EQ(status_of(bob->call_signal({{"type", "hangup"}, {"callId", call_id}})), "ok");
  EXPECT_EQ(alice->expect_type("ended").value("by", ""), "bob");
  EXPECT_EQ(attack(), ringing) << "so does an ended one";
}

// ---- plain broadcast ---------------------------------------------------------------------

// mallory sends plain events named like call signals to alice's calls topic, over REST in
// every spelling and over the socket without joining it: refused, and alice hears nothing.
TEST_F(RealtimeAuthorizationTest, PlainBroadcastCannotReachAnotherUsersCallsChannel) {
  start_realtime();
  auto alice = connect_calls("alice", Vsn::v2, "a-rt");
  auto bob = connect_native("bob", "b1");
  const std::string call_id = place_call(*bob, "alice");
  alice->expect_signal("call");
  const std::string mallory_token = sign_token("mallory");
  const Json fake_hangup{
      {"type", "hangup"}, {"callId", call_id}, {"from", "bob"}, {"to", "alice"}, {"by", "bob"}};
  for (const char* topic : {"calls:alice", "realtime:calls:alice"}) {
    for (const char* event : {"hangup", "answer", "call"}) {
      expect_refusal(post_as(mallory_token, Json::array({message(topic, event, fake_hangup)})), 403,
                     "");
    }
  }
  for (const char* topic : {"calls:alice", "realtime:calls:alice", "calls%3Aalice"}) {
    expect_refusal(post(kBatch + "/" + topic + "/events/hangup", fake_hangup.dump(), mallory_token),
                   403, "");
  }
  auto mallory = connect_calls("mallory", Vsn::v2, "m-rt");
  for (const char* topic : {"realtime:calls:alice", "calls:alice"}) {
    const std::string ref = mallory->broadcast(topic, "hangup", fake_hangup);
    EXPECT_EQ(mallory->expect_error(topic, ref), (Json{{"reason", "unmatched topic"}}));
  }
  expect_nothing(*alice);
  // The call still rings at alice.
  EXPECT_EQ(status_of(alice->call_signal({{"type", "answer"}, {"callId", call_id}})), "ok");
  EXPECT_EQ(bob->expect_type("answer").value("deviceId", ""), "a-rt");
}

// alice and bob run a whole call with call-signals sent on a shared plain channel (as some
// apps do); mallory listens on it (with self and ack) and on topics that look like calls
// topics but are not: she hears none of it.
TEST_F(RealtimeAuthorizationTest, PlainChannelsDoNotLeakCallSignals) {
  start_realtime();
  auto alice = connect_calls("alice", Vsn::v2, "a-rt");
  auto bob = connect_calls("bob", Vsn::v1, "b-rt");
  alice->join_ok("realtime:lobby");
  bob->join_ok("realtime:lobby");
  auto mallory = connect_rt(sign_token("mallory"), Vsn::v2);
  auto anon = connect_rt(sign_token(""), Vsn::v1);
  for (const char* topic :
       {"realtime:lobby", "lobby", "realtime:Calls:alice", "realtime:realtime:calls:alice",
        "realtime:calls", "realtime:calls:", "realtime:call-signal"}) {
    mallory->join_ok(topic, channel_config(true, true));
  }
  anon->join_ok("realtime:lobby");
  const auto nobody_else_heard = [&] {
    expect_nothing(*mallory);
    expect_nothing(*anon);
  };

  const Json placed = alice->call_signal({{"type", "call"}, {"to", "bob"}}, "realtime:lobby");
  ASSERT_EQ(status_of(placed), "ok") << placed.dump();
  const std::string call_id = placed["response"].value("callId", "");
  EXPECT_EQ(bob->expect_signal("call").value("from", ""), "alice");
  nobody_else_heard();
  EXPECT_EQ(
      status_of(bob->call_signal({{"type", "answer"}, {"callId", call_id}}, "realtime:lobby")),
      "ok");
  EXPECT_EQ(alice->expect_signal("answer").value("from", ""), "bob");
  nobody_else_heard();
  EXPECT_EQ(status_of(alice->call_signal(
                {{"type", "signal"}, {"callId", call_id}, {"data", {{"sdp", "secret"}}}},
                "realtime:lobby")),
            "ok");
  EXPECT_EQ(bob->expect_signal("signal").value("data", Json()), (Json{{"sdp", "secret"}}));
  // alice's signal over REST, to the lobby topic, is a command too and not a broadcast.
  EXPECT_EQ(
      rest_broadcast(
          "alice", Json::array({message(
                       "lobby", "call-signal",
                       {{"type", "signal"}, {"callId", call_id}, {"data", {{"ice", "secret"}}}})}))
          .status,
      202);
  EXPECT_EQ(bob->expect_signal("signal").value("data", Json()), (Json{{"ice", "secret"}}));
  nobody_else_heard();
  EXPECT_EQ(
      status_of(bob->call_signal({{"type", "hangup"}, {"callId", call_id}}, "realtime:lobby")),
      "ok");
  EXPECT_EQ(alice->expect_signal("hangup").value("by", ""), "bob");
  nobody_else_heard();
  expect_nothing(*alice);
  expect_nothing(*bob);
}

// ---- the server says who is speaking -----------------------------------------------------

// alice and bob (both Realtime) run a call whose every call-signal carries forged deviceId,
// fromDevice, by, to, caller... fields; then bob answers a second call over REST with a
// forged deviceId. The events show the real sender and device; mallory hears nothing.
TEST_F(RealtimeAuthorizationTest, ClientSuppliedSenderFieldsAreIgnored) {
  start_realtime();
  auto alice = connect_calls("alice", Vsn::v2, "a-rt");
  auto bob = connect_calls("bob", Vsn::v1, "b-rt");
  auto mallory = connect_calls("mallory", Vsn::v2, "m-rt");
  const auto forged = [](Json payload) {
    payload["deviceId"] = "m-evil";
    payload["fromDevice"] = "m-evil";
    payload["by"] = "mallory";
    payload["caller"] = "mallory";
    payload["callee"] = "mallory";
    payload["userId"] = "mallory";
    payload["seq"] = 999;
    payload["state"] = "reconnected";
    payload["durationMs"] = 1;
    payload["expiresAt"] = 1;
    payload["expiresInMs"] = 1;
    const std::string type = payload.value("type", "");
    if (type != "call") {
      payload["to"] = "mallory";
      payload["roomName"] = "mallory-room";
      payload["media"] = "video";
    }
    if (type != "hangup") payload["reason"] = "declined";
    return payload;
  };
  const std::string call_id =
      alice->place_call("bob", forged({{"type", "call"}, {"from", "alice"}, {"roomName", "r1"}}));
  const Json call = bob->expect_signal("call");
  EXPECT_EQ(call.value("from", ""), "alice") << call.dump();
  EXPECT_EQ(call.value("to", ""), "bob") << call.dump();
  EXPECT_EQ(call.value("media", ""), "audio") << call.dump();
  EXPECT_GT(call.value("expiresInMs", 0), 20'000) << call.dump();
  EXPECT_GT(call.value("expiresAt", std::int64_t{0}), 1) << call.dump();

  // What every event of this call must say, whatever bob's payloads claimed.
  const auto from_bob = [&](const Json& event) {
    EXPECT_EQ(event.value("callId", ""), call_id) << event.dump();
    EXPECT_EQ(event.value("from", ""), "bob") << event.dump();
    EXPECT_EQ(event.value("to", ""), "alice") << event.dump();
    EXPECT_EQ(event.value("roomName", ""), "r1") << event.dump();
  };
  EXPECT_EQ(status_of(bob->call_signal(forged({{"type", "ringing"}, {"callId", call_id}}))), "ok");
  from_bob(alice->expect_signal("ringing"));

  EXPECT_EQ(status_of(bob->call_signal(forged({{"type", "answer"}, {"callId", call_id}}))), "ok");
  const Json answer = alice->expect_signal("answer");
  from_bob(answer);
  EXPECT_EQ(answer.value("deviceId", ""), "b-rt") << answer.dump();

  EXPECT_EQ(status_of(bob->call_signal(
                forged({{"type", "signal"}, {"callId", call_id}, {"data", {{"n", 1}}}}))),
            "ok");
  const Json signal = alice->expect_signal("signal");
  from_bob(signal);
  EXPECT_EQ(signal.value("fromDevice", ""), "b-rt") << signal.dump();
  EXPECT_EQ(signal.value("data", Json()), (Json{{"n", 1}})) << signal.dump();

  EXPECT_EQ(status_of(bob->call_signal(forged({{"type", "hangup"}, {"callId", call_id}}))), "ok");
  const Json ended = alice->expect_signal("hangup");
  from_bob(ended);
  EXPECT_EQ(ended.value("by", ""), "bob") << ended.dump();
  EXPECT_EQ(ended.value("reason", ""), "completed") << ended.dump();
  EXPECT_GE(ended.value("durationMs", std::int64_t{-1}), 0) << ended.dump();
  EXPECT_FALSE(ended.contains("state")) << ended.dump();

  // Over REST the answering side has no device, whatever the payload says.
  const std::string second = alice->place_call("bob");
  bob->expect_signal("call");
  EXPECT_EQ(
      rest_broadcast(
          "bob",
          Json::array({message("calls:bob", "call-signal",
                               forged({{"type", "answer"}, {"callId", second}, {"from", "bob"}}))}))
          .status,
      202);
  const Json rest_answer = alice->expect_signal("answer");
  EXPECT_EQ(rest_answer.value("from", ""), "bob") << rest_answer.dump();
  EXPECT_FALSE(rest_answer.contains("deviceId")) << rest_answer.dump();
  expect_nothing(*mallory);
}

// ---- device ids are per user -------------------------------------------------------------

// alice's Realtime socket (device a-rt) drops in an answered call; mallory connects with the
// same device id and joins her own calls channel. She does not take alice's place: bob is not
// told alice is back, mallory hears nothing and may not act on the call; alice then
// reconnects with her device and carries on. (The native protocol's version, with session
// ids, is authorization_test.cpp OnlyTheSessionsOwnDeviceCanResumeIt.)
TEST_F(RealtimeAuthorizationTest, AnotherUsersSameDeviceIdDoesNotTakeTheCall) {
  start_realtime();
  auto alice = connect_calls("alice", Vsn::v2, "a-rt");
  auto bob = connect_native("bob", "b1");
  const std::string call_id = alice->place_call("bob");
  bob->expect_type("call");
  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  alice->expect_signal("answer");
  alice->ws().reset();
  EXPECT_EQ(bob->expect_type("peer").value("state", ""), "reconnecting");

  auto mallory_rt = connect_calls("mallory", Vsn::v2, "a-rt");
  expect_nothing(*bob);  // no "reconnected"
  ASSERT_TRUE(bob->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 1}}}})));
  expect_nothing(*mallory_rt);
  for (const Json& payload : every_signal(call_id))
    refused_signal(*mallory_rt, payload, "forbidden", call_id);
  expect_nothing(*bob);

  auto alice_again = connect_calls("alice", Vsn::v2, "a-rt");
  EXPECT_EQ(bob->expect_type("peer").value("state", ""), "reconnected");
  ASSERT_TRUE(bob->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 2}}}})));
  EXPECT_EQ(alice_again->expect_signal("signal").value("data", Json()), (Json{{"n", 2}}));
  EXPECT_EQ(status_of(alice_again->call_signal({{"type", "hangup"}, {"callId", call_id}})), "ok");
  EXPECT_EQ(bob->expect_type("ended").value("by", ""), "alice");
  expect_nothing(*mallory_rt);
}

}  // namespace
}  // namespace switchboard::testing
