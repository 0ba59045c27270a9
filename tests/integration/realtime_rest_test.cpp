// The Supabase Realtime REST broadcast API over real sockets (PROTOCOL.md "REST broadcast"):
// both endpoints under any prefix, credentials, refusals and their status codes, CORS, plain
// messages reaching WebSocket subscribers, and call-signal acting for the token's user as a
// whole (a deviceless leg) with Realtime and native devices on the other side.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/realtime_harness.hpp"

namespace switchboard::testing {
namespace {

using RealtimeRestTest = RealtimeTest;

const std::string kBatch = "/realtime/v1/api/broadcast";

Json body_of(const HttpResult& result) {
  return Json::parse(result.body, nullptr, false);
}

Json message(const std::string& topic, const std::string& event, const Json& payload) {
  return Json{{"topic", topic}, {"event", event}, {"payload", payload}, {"private", false}};
}

Json signal(const Json& payload, const std::string& topic = "calls:x") {
  return Json::array({message(topic, "call-signal", payload)});
}

// ---- plain messages ----------------------------------------------------------------------

TEST_F(RealtimeRestTest, BatchMessagesReachWebSocketSubscribers) {
  start_realtime();
  auto v2 = connect_rt(sign_token("bob"), Vsn::v2);
  auto v1 = connect_rt(sign_token("carol"), Vsn::v1);
  v2->join_ok("realtime:room");
  v1->join_ok("realtime:room");
  v1->join_ok("realtime:news");
  const HttpResult result =
      rest_broadcast("alice", Json::array({message("room", "chat", {{"text", "hi"}}),
                                           message("realtime:news", "flash", {{"n", 1}})}));
  EXPECT_EQ(result.status, 202) << result.body << result.error;
  EXPECT_EQ(body_of(result), (Json{{"accepted", 2}}));
  EXPECT_EQ(result.content_type, "application/json");
  EXPECT_EQ(v2->expect_broadcast("realtime:room", "chat"), (Json{{"text", "hi"}}));
  EXPECT_EQ(v1->expect_broadcast("realtime:room", "chat"), (Json{{"text", "hi"}}));
  EXPECT_EQ(v1->expect_broadcast("realtime:news", "flash"), (Json{{"n", 1}}));
  v2->expect_silence();
}

TEST_F(RealtimeRestTest, EventEndpointBroadcastsTheBodyAsThePayload) {
  start_realtime();
  auto listener = connect_rt(sign_token("bob"));
  listener->join_ok("realtime:room");
  const HttpResult result = post("/realtime/v1/api/broadcast/room/events/greet",
                                 R"({"hello":"world"})", sign_token("alice"));
  EXPECT_EQ(result.status, 202) << result.body << result.error;
  EXPECT_EQ(body_of(result), (Json{{"accepted", 1}}));
  EXPECT_EQ(listener->expect_broadcast("realtime:room", "greet"), (Json{{"hello", "world"}}));
}

TEST_F(RealtimeRestTest, RoutesUnderAnyPathPrefix) {
  start_realtime();
  auto listener = connect_rt(sign_token("bob"));
  listener->join_ok("realtime:room");
  const HttpResult batch =
      post("/proxy/project/realtime/v1/api/broadcast",
           Json{{"messages", Json::array({message("room", "a", Json::object())})}}.dump(),
           sign_token("alice"));
  EXPECT_EQ(batch.status, 202) << batch.body;
  EXPECT_EQ(listener->expect_broadcast("realtime:room", "a"), Json::object());
  const HttpResult single =
      post("/x/realtime/v1/api/broadcast/room/events/b", "{}", sign_token("alice"));
  EXPECT_EQ(single.status, 202) << single.body;
  EXPECT_EQ(listener->expect_broadcast("realtime:room", "b"), Json::object());
}

TEST_F(RealtimeRestTest, ApikeyHeaderAuthenticatesToo) {
  start_realtime();
  auto listener = connect_rt(sign_token("bob"));
  listener->join_ok("realtime:room");
  HttpRequest request;
  request.method = "POST";
  request.target = kBatch;
  request.headers = {{"apikey", sign_token("")}, {"Content-Type", "application/json"}};
  request.body = Json{{"messages", Json::array({message("room", "anon", {{"x", 1}})})}}.dump();
  const HttpResult result = http_request(port(), request);
  EXPECT_EQ(result.status, 202) << result.body << result.error;
  EXPECT_EQ(listener->expect_broadcast("realtime:room", "anon"), (Json{{"x", 1}}));
}

TEST_F(RealtimeRestTest, BodyOverTheMessageLimitIs413) {
  // A small limit, so the whole request arrives in one read: the server then closes a
  // drained socket (FIN), and the client surely reads the answer before the end.
  server::Config config = realtime_config();
  config.max_message_bytes = 4096;
  start_realtime(config);
  const std::string big(5000, 'x');
  const Json body{{"messages", Json::array({message("room", "big", {{"x", big}})})}};
  const HttpResult result = post(kBatch, body.dump(), sign_token("alice"));
  EXPECT_EQ(result.status, 413) << result.body << result.error;
  EXPECT_NE(result.body.find("--max-message-bytes"), std::string::npos) << result.body;
}

// Copying or dumping JSON recurses once per level: a payload of nothing but brackets would
// blow the stack before any size check if the parser built it.
TEST_F(RealtimeRestTest, DeeplyNestedBodyIs400) {
  server::Config config = realtime_config();
  config.max_message_bytes = 1024 * 1024;
  start_realtime(config);
  const int depth = 100'000;
  const std::string payload = std::string(depth, '[') + std::string(depth, ']');
  const std::string body = R"({"messages":[{"topic":"calls:alice","event":"call-signal",)"
                           R"("payload":)" +
                           payload + "}]}";
  const HttpResult result = post(kBatch, body, sign_token("alice"));
  EXPECT_EQ(result.status, 400) << result.body << result.error;
  EXPECT_EQ(body_of(result).value("code", ""), "bad_json") << result.body;
  EXPECT_NE(result.body.find("nests deeper"), std::string::npos) << result.body;
  // The event endpoint takes the body itself as the payload.
  const HttpResult event =
      post("/realtime/v1/api/broadcast/room/events/e", payload, sign_token("alice"));
  EXPECT_EQ(event.status, 400) << event.body << event.error;
  EXPECT_EQ(http_get(port(), "/healthz").status, 200);
}

TEST_F(RealtimeRestTest, MissingOrBadTokenIs401) {
  start_realtime();
  auto listener = connect_rt(sign_token("bob"));
  listener->join_ok("realtime:room");
  const std::string body =
      Json{{"messages", Json::array({message("room", "e", Json::object())})}}.dump();
  for (const std::string& token :
       {std::string(), std::string("not.a.jwt"), sign_token("alice", -60),
        sign_token("alice", 300, "another-secret-0123456789abcdef")}) {
    const HttpResult result = post(kBatch, body, token);
    EXPECT_EQ(result.status, 401) << token << ": " << result.body;
    EXPECT_TRUE(body_of(result).value("error", Json()).is_string()) << result.body;
  }
  HttpRequest basic;
  basic.method = "POST";
  basic.target = kBatch;
  basic.headers = {{"Authorization", "Basic " + sign_token("alice")}};
  basic.body = body;
  EXPECT_EQ(http_request(port(), basic).status, 401);
  listener->expect_silence();
}

TEST_F(RealtimeRestTest, BadJsonOrShapeIs400) {
  start_realtime();
  const std::string token = sign_token("alice");
  const auto expect_400 = [&](const std::string& body, const std::string& code) {
    const HttpResult result = post(kBatch, body, token);
    EXPECT_EQ(result.status, 400) << body << " -> " << result.body;
    EXPECT_TRUE(body_of(result).value("error", Json()).is_string()) << result.body;
    EXPECT_EQ(body_of(result).value("code", ""), code) << body << " -> " << result.body;
  };
  expect_400("not json", "bad_json");
  expect_400("", "bad_json");
  expect_400("{}", "bad_message");
  expect_400(R"({"messages":{}})", "bad_message");
  expect_400(R"({"messages":[]})", "bad_message");
  expect_400(R"({"messages":[{"event":"e","payload":{}}]})", "bad_message");
  expect_400(R"({"messages":[{"topic":"t","event":7}]})", "bad_message");
  expect_400(R"({"messages":["room"]})", "bad_message");
  Json many = Json::array();
  for (int i = 0; i < 101; ++i)
    many.push_back(message("room", "e", Json::object()));
  expect_400(Json{{"messages", many}}.dump(), "bad_message");
  expect_400(Json{{"messages", Json::array({message("", "e", Json::object())})}}.dump(), "");
  // Unknown routes under the API are 404.
  EXPECT_EQ(post(kBatch + "/room", "{}", token).status, 404);
  EXPECT_EQ(post(kBatch + "/room/events", "{}", token).status, 404);
}

TEST_F(RealtimeRestTest, PlainMessageToACallsTopicNeedsItsOwner) {
  start_realtime();
  auto alice = connect_calls("alice");
  const Json note = Json::array({message("calls:alice", "note", {{"n", 1}})});
  const HttpResult foreign = rest_broadcast("mallory", note);
  EXPECT_EQ(foreign.status, 403) << foreign.body;
  EXPECT_EQ(body_of(foreign).value("index", -1), 0) << foreign.body;
  alice->expect_silence();
  const HttpResult own = rest_broadcast("alice", note);
  EXPECT_EQ(own.status, 202) << own.body;
  EXPECT_EQ(alice->expect_broadcast(alice->calls_topic(), "note"), (Json{{"n", 1}}));
}

TEST_F(RealtimeRestTest, MessagesRunInOrderUpToTheFirstRefusal) {
  start_realtime();
  auto listener = connect_rt(sign_token("bob"));
  listener->join_ok("realtime:first");
  listener->join_ok("realtime:third");
  const HttpResult result =
      rest_broadcast("alice", Json::array({message("first", "a", Json::object()),
                                           message("calls:carol", "b", Json::object()),
                                           message("third", "c", Json::object())}));
  EXPECT_EQ(result.status, 403) << result.body;
  EXPECT_EQ(body_of(result).value("index", -1), 1) << result.body;
  EXPECT_EQ(listener->expect_broadcast("realtime:first", "a"), Json::object());
  listener->expect_silence();
}

// ---- HTTP methods and CORS ---------------------------------------------------------------

TEST_F(RealtimeRestTest, GetIs405WithAllow) {
  start_realtime();
  const HttpResult result = http_get(port(), kBatch);
  EXPECT_EQ(result.status, 405) << result.body;
  EXPECT_EQ(result.header("Allow"), "POST, OPTIONS");
  EXPECT_EQ(result.header("Access-Control-Allow-Origin"), "*");
}

TEST_F(RealtimeRestTest, PreflightIs204WithCorsHeaders) {
  start_realtime();
  HttpRequest preflight;
  preflight.method = "OPTIONS";
  preflight.target = "/realtime/v1/api/broadcast/room/events/e";
  preflight.headers = {{"Origin", "https://app.example"},
                       {"Access-Control-Request-Method", "POST"},
                       {"Access-Control-Request-Headers", "authorization, content-type"}};
  const HttpResult result = http_request(port(), preflight);
  EXPECT_EQ(result.status, 204) << result.body << result.error;
  EXPECT_EQ(result.header("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(result.header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  const std::string allowed = result.header("Access-Control-Allow-Headers");
  for (const char* name : {"authorization", "apikey", "content-type", "x-client-info"})
    EXPECT_NE(allowed.find(name), std::string::npos) << name << " in " << allowed;
  EXPECT_TRUE(result.body.empty()) << result.body;
}

TEST_F(RealtimeRestTest, EveryAnswerCarriesAllowOrigin) {
  start_realtime();
  const std::string body =
      Json{{"messages", Json::array({message("room", "e", Json::object())})}}.dump();
  EXPECT_EQ(post(kBatch, body, sign_token("alice")).header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(post(kBatch, body).header("Access-Control-Allow-Origin"), "*");  // 401
  EXPECT_EQ(post(kBatch, "nope", sign_token("a")).header("Access-Control-Allow-Origin"), "*");
}

// ---- call-signal over REST ---------------------------------------------------------------

TEST_F(RealtimeRestTest, CallSignalNeedsAUserToken) {
  start_realtime();
  auto bob = connect_calls("bob");
  const HttpResult result = post(
      kBatch, Json{{"messages", signal({{"type", "call"}, {"to", "bob"}})}}.dump(), sign_token(""));
  EXPECT_EQ(result.status, 401) << result.body;
  bob->expect_silence();
}

// --max-call-data-bytes and --max-signal-data-bytes hold for call-signals too, over REST and
// over the socket.
TEST_F(RealtimeRestTest, ConfiguredDataLimitsApplyToCallSignals) {
  server::Config config = realtime_config();
  config.max_call_data_bytes = 512;
  start_realtime(config);
  auto bob = connect_calls("bob");
  const Json big{{"type", "call"}, {"to", "bob"}, {"data", {{"blob", std::string(600, 'x')}}}};
  const HttpResult result = rest_broadcast("alice", signal(big));
  EXPECT_EQ(result.status, 413) << result.body;
  EXPECT_EQ(body_of(result).value("code", ""), "too_large") << result.body;
  auto alice = connect_calls("alice");
  const Json reply = alice->call_signal(big);
  EXPECT_EQ(reply.value("status", ""), "error") << reply;
  EXPECT_NE(reply.dump().find("too_large"), std::string::npos) << reply;
}

TEST_F(RealtimeRestTest, CallSignalRefusalsMapToStatusCodes) {
  start_realtime();
  auto bob = connect_calls("bob");
  const auto expect_refusal = [this](const std::string& user, const Json& payload, int status,
                                     const std::string& code) {
    const HttpResult result = rest_broadcast(user, signal(payload));
    EXPECT_EQ(result.status, status) << payload.dump() << " -> " << result.body;
    const Json body = body_of(result);
    EXPECT_EQ(body.value("code", ""), code) << result.body;
    EXPECT_EQ(body.value("index", -1), 0) << result.body;
    EXPECT_TRUE(body.value("error", Json()).is_string()) << result.body;
  };
  expect_refusal("alice", {{"type", "answer"}, {"callId", "nope"}}, 404, "not_found");
  expect_refusal("alice", {{"type", "call"}, {"to", "bob"}, {"from", "mallory"}}, 403, "forbidden");
  expect_refusal("alice", {{"type", "call"}, {"to", "alice"}}, 400, "self_call");
  expect_refusal("alice", {{"type", "wave"}}, 400, "unknown_type");
  expect_refusal("alice",
                 {{"type", "call"}, {"to", "bob"}, {"data", {{"blob", std::string(9000, 'x')}}}},
                 413, "too_large");

  // A call alice placed over REST: bob can't cancel it, nor can carol's callId collide.
  EXPECT_EQ(
      rest_broadcast("alice", signal({{"type", "call"}, {"to", "bob"}, {"callId", "k1"}})).status,
      202);
  bob->expect_signal("call");
  expect_refusal("carol", {{"type", "call"}, {"to", "bob"}, {"callId", "k1"}}, 409, "conflict");
  expect_refusal("carol", {{"type", "hangup"}, {"callId", "k1"}}, 403, "forbidden");
  EXPECT_EQ(rest_broadcast("bob", signal({{"type", "reject"}, {"callId", "k1"}})).status, 202);
  expect_refusal("alice", {{"type", "hangup"}, {"callId", "k1"}}, 409, "invalid_state");
}

TEST_F(RealtimeRestTest, RestCallRingsRealtimeAndNativeDevices) {
  start_realtime();
  auto bob_web = connect_calls("bob", Vsn::v1, "b-web");
  auto bob_phone = connect_native("bob", "b-phone");
  const HttpResult result = rest_broadcast(
      "alice", signal({{"type", "call"}, {"to", "bob"}, {"callId", "rest-1"}, {"roomName", "r"}},
                      "calls:bob"));
  EXPECT_EQ(result.status, 202) << result.body;
  const Json call = bob_web->expect_signal("call");
  EXPECT_EQ(call.value("callId", ""), "rest-1");
  EXPECT_EQ(call.value("from", ""), "alice");
  EXPECT_EQ(call.value("roomName", ""), "r");
  const Json native = bob_phone->expect_type("call");
  EXPECT_EQ(native.value("callId", ""), "rest-1");
  EXPECT_EQ(native.value("from", ""), "alice");
}

// The REST caller's leg is deviceless: every device of the caller hears the call's events,
// and any of them may carry it on.
TEST_F(RealtimeRestTest, RestCallerLegBelongsToEveryDeviceOfTheCaller) {
  start_realtime();
  auto alice_web = connect_calls("alice", Vsn::v2, "a-web");
  auto alice_phone = connect_native("alice", "a-phone");
  auto bob = connect_calls("bob", Vsn::v2, "b-web");
  ASSERT_EQ(
      rest_broadcast("alice", signal({{"type", "call"}, {"to", "bob"}, {"callId", "c"}})).status,
      202);
  bob->expect_signal("call");
  EXPECT_EQ(status_of(bob->call_signal({{"type", "answer"}, {"callId", "c"}})), "ok");
  EXPECT_EQ(alice_web->expect_signal("answer").value("callId", ""), "c");
  EXPECT_EQ(alice_phone->expect_type("answer").value("callId", ""), "c");
  // A REST signal has no device: fromDevice is absent on Realtime.
  ASSERT_EQ(rest_broadcast("alice",
                           signal({{"type", "signal"}, {"callId", "c"}, {"data", {{"sdp", "x"}}}}))
                .status,
            202);
  const Json offer = bob->expect_signal("signal");
  EXPECT_FALSE(offer.contains("fromDevice")) << offer.dump();
  EXPECT_EQ(offer.value("data", Json()), (Json{{"sdp", "x"}}));
  // The web device hangs up for alice.
  EXPECT_EQ(status_of(alice_web->call_signal({{"type", "hangup"}, {"callId", "c"}})), "ok");
  const Json ended = bob->expect_signal("hangup");
  EXPECT_EQ(ended.value("reason", ""), "completed");
  EXPECT_EQ(ended.value("by", ""), "alice");
  EXPECT_EQ(alice_phone->expect_type("ended").value("reason", ""), "completed");
}

TEST_F(RealtimeRestTest, RestAnswerLeavesTheCallToEveryDeviceOfTheCallee) {
  start_realtime();
  auto alice = connect_native("alice", "a1");
  auto bob_web = connect_calls("bob", Vsn::v2, "b-web");
  const std::string call_id = place_call(*alice, "bob");
  bob_web->expect_signal("call");
  const HttpResult result =
      rest_broadcast("bob", signal({{"type", "answer"}, {"callId", call_id}}));
  EXPECT_EQ(result.status, 202) << result.body;
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", "?"), "");
  bob_web->expect_silence();  // not answered elsewhere: the answer was the user's
  EXPECT_EQ(status_of(bob_web->call_signal({{"type", "hangup"}, {"callId", call_id}})), "ok");
  const Json ended = alice->expect_type("ended");
  EXPECT_EQ(ended.value("reason", ""), "completed");
  EXPECT_EQ(ended.value("by", ""), "bob");
}

TEST_F(RealtimeRestTest, DevModeCallSignalSpeaksForTheCallsTopicOwner) {
  start_server();
  auto bob = connect_calls("bob");
  const HttpResult result = post(
      kBatch, Json{{"messages", signal({{"type", "call"}, {"to", "bob"}}, "calls:alice")}}.dump());
  EXPECT_EQ(result.status, 202) << result.body;
  EXPECT_EQ(bob->expect_signal("call").value("from", ""), "alice");
}

}  // namespace
}  // namespace switchboard::testing
