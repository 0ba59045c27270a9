// Authorization over real sockets in JWT mode (PROTOCOL.md "Call semantics", "Who may do
// what", "Reconnecting"): a third user (mallory), the other devices of the parties and the
// parties themselves try to act outside their role. Every refused attempt must get the
// documented error, cause nothing anywhere else, and leave the call working.
//
// "Receives nothing" is proven without sleeping: an attempt is answered only after the engine
// has run it (and queued whatever it caused), so a ping sent by a bystander after that answer
// must get its pong as the very next message.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

// Everything a client could put into a command to pass itself off as someone else: the
// fields the server fills into events, snapshots and welcomes.
Json spoofed(Json fields) {
  fields["from"] = "mallory";
  fields["by"] = "mallory";
  fields["fromDevice"] = "m-evil";
  fields["deviceId"] = "m-evil";
  fields["userId"] = "mallory";
  fields["caller"] = "mallory";
  fields["callee"] = "mallory";
  fields["peer"] = "mallory";
  fields["role"] = "caller";
  fields["state"] = "active";
  fields["sessionId"] = "s-evil";
  fields["seq"] = 999;
  fields["expiresAt"] = 1;
  fields["expiresInMs"] = 1;
  fields["durationMs"] = 1;
  return fields;
}

// An error with its id dropped and `call_id` replaced in the message: what is left is all
// that the error tells about the call.
Json normalized(Json error, const std::string& call_id) {
  error.erase("id");
  std::string message = error.value("message", "");
  for (auto at = message.find(call_id); !call_id.empty() && at != std::string::npos;
       at = message.find(call_id, at)) {
    message.replace(at, call_id.size(), "<callId>");
  }
  error["message"] = message;
  return error;
}

// The values of every top-level `key` of the JSON object `text`, duplicates included.
std::vector<Json> top_level_values(const std::string& text, const std::string& key) {
  std::vector<Json> found;
  bool wanted = false;
  const Json::parser_callback_t callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth != 1) return true;
    if (event == Json::parse_event_t::key) {
      wanted = parsed == key;
    } else if (event == Json::parse_event_t::value && wanted) {
      found.push_back(parsed);
      wanted = false;
    }
    return true;
  };
  const Json parsed = Json::parse(text, callback, /*allow_exceptions=*/false);
  EXPECT_TRUE(parsed.is_object()) << text;
  return found;
}

class AuthorizationTest : public IntegrationTest {
 protected:
  void start() { start_server(jwt_config()); }

  static std::string token(const std::string& user) { return mint_jwt(kTestJwtSecret, user, 300); }

  // `user` on `device` with their own token; the welcome is consumed.
  std::unique_ptr<WsTestClient> login(const std::string& user, const std::string& device) {
    auto client = connect_query("token=" + token(user) + "&device=" + device);
    EXPECT_EQ(client->welcome().value("userId", ""), user);
    EXPECT_EQ(client->welcome().value("deviceId", ""), device);
    return client;
  }

  // `user` (their own token) on `device` (none when empty) presenting `victim`'s session id
  // and the last seq it processed, as if resuming it.
  std::unique_ptr<WsTestClient> present_session(const std::string& user, const std::string& device,
                                                const WsTestClient& victim) {
    std::string query = "token=" + token(user);
    if (!device.empty()) query += "&device=" + device;
    query += "&session=" + victim.session_id() + "&lastSeq=" + std::to_string(victim.last_seq());
    auto client = connect_query(query);
    EXPECT_EQ(client->welcome().value("userId", ""), user) << client->welcome().dump();
    return client;
  }

  // Sends `message` with a fresh command id; the answer must be an error with `code`, echoing
  // the id. Returns the error.
  Json attempt(WsTestClient& client, Json message, const std::string& code) {
    const std::string id = next_id("attempt");
    message["id"] = id;
    EXPECT_TRUE(client.send_json(message)) << client.last_error();
    const Json error = client.expect_type("error");
    EXPECT_EQ(error.value("code", ""), code) << message.dump() << " -> " << error.dump();
    EXPECT_EQ(error.value("id", ""), id) << error.dump();
    EXPECT_TRUE(error.value("message", Json()).is_string()) << error.dump();
    return error;
  }

  // Proves `client` has nothing pending: a ping's pong is the next message.
  void expect_nothing(WsTestClient& client) {
    const std::string id = next_id("probe");
    EXPECT_TRUE(client.send_json(command("ping", {{"id", id}}))) << client.last_error();
    const Json pong = client.expect_type("pong");
    EXPECT_EQ(pong.value("id", ""), id) << pong.dump();
  }

  // Every command a party could send on `call_id`, each once, from an outsider: all must be
  // refused with `code`. Returns the errors, normalized, in order.
  std::vector<Json> try_every_command(WsTestClient& outsider, const std::string& call_id,
                                      const std::string& code) {
    const std::vector<Json> commands = {
        command("ringing", {{"callId", call_id}}),
        command("answer", {{"callId", call_id}, {"data", {{"sdp", "mallory's"}}}}),
        command("reject", {{"callId", call_id}}),
        command("reject", {{"callId", call_id}, {"reason", "busy"}}),
        command("hangup", {{"callId", call_id}}),
        command("hangup", {{"callId", call_id}, {"reason", "gotcha"}}),
        command("signal", {{"callId", call_id}, {"data", {{"ice", "mallory's"}}}}),
    };
    std::vector<Json> errors;
    for (const Json& message : commands)
      errors.push_back(normalized(attempt(outsider, message, code), call_id));
    return errors;
  }

  // Waits, bounded, until `client`'s command on `call_id` finds it forgotten (not_found).
  bool wait_until_forgotten(WsTestClient& client, const std::string& call_id) {
    const auto deadline = std::chrono::steady_clock::now() + kDefaultTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string id = next_id("forgotten");
      if (!client.send_json(command("hangup", {{"id", id}, {"callId", call_id}}))) return false;
      const Json error = client.expect_type("error");
      if (error.value("code", "") == "not_found") return true;
      std::this_thread::sleep_for(Millis{20});
    }
    ADD_FAILURE() << "call " << call_id << " was never forgotten";
    return false;
  }

  // Cuts `client` (TCP RST) and waits until the server holds `detached` sessions.
  void cut(WsTestClient& client, std::int64_t detached = 1) {
    client.reset();
    ASSERT_TRUE(wait_for_metric("switchboard_sessions_detached", detached));
  }
};

// ---- rule 1: only the parties of a call may act on it ------------------------------------

// mallory sends ringing/answer/reject/hangup/signal on alice->bob's call while it rings.
TEST_F(AuthorizationTest, NonPartyIsForbiddenOnARingingCall) {
  start();
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  auto mallory = login("mallory", "m1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");

  try_every_command(*mallory, call_id, "forbidden");
  expect_nothing(*alice);
  expect_nothing(*bob);

  // The call goes on as if nothing happened.
  ASSERT_TRUE(bob->send_json(command("ringing", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("ringing").value("from", ""), "bob");
  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  const Json answer = alice->expect_type("answer");
  EXPECT_EQ(answer.value("deviceId", ""), "b1");
  EXPECT_EQ(answer.value("data", Json()), Json::object()) << "mallory's data must not stick";
  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 1}}}})));
  EXPECT_EQ(bob->expect_type("signal").value("data", Json()), (Json{{"n", 1}}));
  ASSERT_TRUE(alice->send_json(command("hangup", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("ended").value("by", ""), "alice");
  EXPECT_EQ(bob->expect_type("ended").value("reason", ""), "completed");
  expect_nothing(*mallory);
}

// mallory sends every command on alice->bob's answered call.
TEST_F(AuthorizationTest, NonPartyIsForbiddenOnAnActiveCall) {
  start();
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  auto mallory = login("mallory", "m1");
  const std::string call_id = establish_call(*alice, *bob, "bob");

  try_every_command(*mallory, call_id, "forbidden");
  expect_nothing(*alice);
  expect_nothing(*bob);

  ASSERT_TRUE(bob->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 2}}}})));
  EXPECT_EQ(alice->expect_type("signal").value("data", Json()), (Json{{"n", 2}}));
  ASSERT_TRUE(bob->send_json(command("hangup", {{"callId", call_id}})));
  for (WsTestClient* party : {alice.get(), bob.get()}) {
    const Json ended = party->expect_type("ended");
    EXPECT_EQ(ended.value("reason", ""), "completed") << ended.dump();
    EXPECT_EQ(ended.value("by", ""), "bob") << ended.dump();
  }
  expect_nothing(*mallory);
}

// mallory keeps poking the call after it ended: forbidden while it is remembered, then
// not_found like any unknown id; neither party hears of it.
TEST_F(AuthorizationTest, NonPartyIsForbiddenOnAnEndedCallThenNotFound) {
  server::Config config = jwt_config();
  config.ended_retention = Millis{1'000};
  start_server(config);
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  auto mallory = login("mallory", "m1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  ASSERT_TRUE(alice->send_json(command("hangup", {{"callId", call_id}})));
  alice->expect_type("ended");
  bob->expect_type("ended");

  try_every_command(*mallory, call_id, "forbidden");
  expect_nothing(*alice);
  expect_nothing(*bob);

  ASSERT_TRUE(wait_until_forgotten(*mallory, call_id));
  const std::vector<Json> forgotten = try_every_command(*mallory, call_id, "not_found");
  // Once forgotten, the id is as unknown as one that never existed.
  EXPECT_EQ(forgotten, try_every_command(*mallory, "never-existed", "not_found"));
  expect_nothing(*alice);
  expect_nothing(*bob);
}

// mallory compares her errors on one call while it rings, once it is answered and after it
// ended, and on a second call: nothing in them but the call id she sent may differ.
TEST_F(AuthorizationTest, NonPartyErrorIsTheSameWhateverTheCallsState) {
  start();
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  auto carol = login("carol", "c1");
  auto dave = login("dave", "d1");
  auto mallory = login("mallory", "m1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  const std::vector<Json> ringing = try_every_command(*mallory, call_id, "forbidden");

  // Meanwhile another call, with a different id, is answered.
  const std::string other_id = establish_call(*carol, *dave, "dave");
  EXPECT_EQ(try_every_command(*mallory, other_id, "forbidden"), ringing);

  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  alice->expect_type("answer");
  EXPECT_EQ(try_every_command(*mallory, call_id, "forbidden"), ringing);

  ASSERT_TRUE(bob->send_json(command("hangup", {{"callId", call_id}})));
  alice->expect_type("ended");
  bob->expect_type("ended");
  EXPECT_EQ(try_every_command(*mallory, call_id, "forbidden"), ringing);

  for (WsTestClient* bystander : {alice.get(), bob.get(), carol.get(), dave.get()})
    expect_nothing(*bystander);
}

// ---- rule 2: sides within a call ---------------------------------------------------------

// alice, the caller, tries the callee's commands on her own call, ringing and answered.
TEST_F(AuthorizationTest, CallerCannotAnswerRejectOrSendRingingOnItsOwnCall) {
  start();
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  const auto callee_only = [&] {
    attempt(*alice, command("answer", {{"callId", call_id}}), "forbidden");
    attempt(*alice, command("reject", {{"callId", call_id}}), "forbidden");
    attempt(*alice, command("reject", {{"callId", call_id}, {"reason", "busy"}}), "forbidden");
    attempt(*alice, command("ringing", {{"callId", call_id}}), "forbidden");
    expect_nothing(*bob);
    expect_nothing(*alice);
  };
  callee_only();
  // Still ringing: bob's ringing is the first one alice hears, and bob may answer.
  ASSERT_TRUE(bob->send_json(command("ringing", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("ringing").value("from", ""), "bob");
  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b1");
  callee_only();
  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 1}}}})));
  EXPECT_EQ(bob->expect_type("signal").value("data", Json()), (Json{{"n", 1}}));
}

// bob answers on b2; b1 (rang, lost the race) and b3 (connected after the answer) try to
// act for bob's side, and alice's second device a2 for hers.
TEST_F(AuthorizationTest, OnlyTheDevicesHoldingTheCallMayHangUpOrSignal) {
  start();
  auto alice = login("alice", "a1");
  auto alice2 = login("alice", "a2");
  auto bob1 = login("bob", "b1");
  auto bob2 = login("bob", "b2");
  const std::string call_id = place_call(*alice, "bob");
  bob1->expect_type("call");
  bob2->expect_type("call");

  // Before the answer, alice's other device is not the caller.
  attempt(*alice2, command("hangup", {{"callId", call_id}}), "forbidden");
  attempt(*alice2, command("signal", {{"callId", call_id}, {"data", {{"x", 1}}}}), "forbidden");
  attempt(*alice2, command("answer", {{"callId", call_id}}), "forbidden");
  expect_nothing(*alice);
  expect_nothing(*bob1);
  expect_nothing(*bob2);

  ASSERT_TRUE(bob2->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b2");
  EXPECT_EQ(bob1->expect_type("ended").value("reason", ""), "answered_elsewhere");
  auto bob3 = login("bob", "b3");

  for (WsTestClient* outsider : {bob1.get(), bob3.get()}) {
    attempt(*outsider, command("hangup", {{"callId", call_id}}), "forbidden");
    attempt(*outsider, command("signal", {{"callId", call_id}, {"data", {{"x", 2}}}}), "forbidden");
    attempt(*outsider, command("answer", {{"callId", call_id}}), "already_answered");
    attempt(*outsider, command("ringing", {{"callId", call_id}}), "already_answered");
    attempt(*outsider, command("reject", {{"callId", call_id}}), "invalid_state");
  }
  attempt(*alice2, command("hangup", {{"callId", call_id}}), "forbidden");
  attempt(*alice2, command("signal", {{"callId", call_id}, {"data", {{"x", 3}}}}), "forbidden");
  for (WsTestClient* client : {alice.get(), alice2.get(), bob1.get(), bob2.get(), bob3.get()})
    expect_nothing(*client);

  // The two devices that hold the call carry on.
  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 1}}}})));
  EXPECT_EQ(bob2->expect_type("signal").value("data", Json()), (Json{{"n", 1}}));
  ASSERT_TRUE(bob2->send_json(command("hangup", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("ended").value("by", ""), "bob");
  EXPECT_EQ(bob2->expect_type("ended").value("reason", ""), "completed");
  for (WsTestClient* client : {alice2.get(), bob1.get(), bob3.get()})
    expect_nothing(*client);
}

// bob (the callee) and mallory place calls reusing the id of alice->bob's call, while it
// rings, once answered and after it ended: conflict, identical each time, and nobody rings.
TEST_F(AuthorizationTest, ReusingAnotherUsersCallIdIsAConflictThatRevealsNothing) {
  start();
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  auto carol = login("carol", "c1");
  auto dave = login("dave", "d1");
  auto mallory = login("mallory", "m1");
  const std::string call_id = place_call(*alice, "bob", {{"callId", "family-call"}});
  ASSERT_EQ(call_id, "family-call");
  bob->expect_type("call");
  // A call of other users, for comparison.
  const std::string other_id = place_call(*carol, "dave", {{"callId", "other-call"}});
  dave->expect_type("call");

  const auto conflicts = [&](const std::string& id) {
    std::vector<Json> errors;
    for (const char* to : {"alice", "carol", "dave"}) {
      errors.push_back(
          normalized(attempt(*bob, command("call", {{"to", to}, {"callId", id}}), "conflict"), id));
    }
    for (const char* to : {"alice", "bob", "carol"}) {
      errors.push_back(normalized(
          attempt(*mallory, command("call", {{"to", to}, {"callId", id}}), "conflict"), id));
    }
    for (WsTestClient* bystander : {alice.get(), bob.get(), carol.get(), dave.get()})
      expect_nothing(*bystander);
    return errors;
  };
  const std::vector<Json> while_ringing = conflicts(call_id);
  for (const Json& error : while_ringing)
    EXPECT_EQ(error, while_ringing.front()) << "bob and mallory learn the same";

  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  alice->expect_type("answer");
  EXPECT_EQ(conflicts(call_id), while_ringing);
  ASSERT_TRUE(alice->send_json(command("hangup", {{"callId", call_id}})));
  alice->expect_type("ended");
  bob->expect_type("ended");
  EXPECT_EQ(conflicts(call_id), while_ringing);
  // Nor does it matter whose call it is: mallory hears the same about carol->dave's.
  EXPECT_EQ(normalized(attempt(*mallory, command("call", {{"to", "bob"}, {"callId", other_id}}),
                               "conflict"),
                       other_id),
            while_ringing.front());
  // carol->dave's call still rings and can be answered.
  ASSERT_TRUE(dave->send_json(command("answer", {{"callId", other_id}})));
  EXPECT_EQ(carol->expect_type("answer").value("callId", ""), other_id);
  expect_nothing(*mallory);
}

// ---- rule 3: the server says who is speaking ---------------------------------------------

// Every command of a whole call carries forged sender fields (from, by, deviceId,
// fromDevice, seq, caller, callee, ...): the events and snapshots show the real sender.
TEST_F(AuthorizationTest, ClientSuppliedSenderFieldsAreIgnored) {
  start();
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  auto mallory = login("mallory", "m1");
  const std::string call_id = place_call(*alice, "bob", spoofed({{"media", "video"}}));
  const Json call = bob->expect_type("call");
  EXPECT_EQ(call.value("from", ""), "alice") << call.dump();
  EXPECT_EQ(call.value("to", ""), "bob") << call.dump();
  EXPECT_EQ(call.value("media", ""), "video") << call.dump();
  EXPECT_GT(call.value("expiresInMs", 0), 20'000) << call.dump();
  EXPECT_GT(call.value("expiresAt", std::int64_t{0}), 1) << call.dump();
  // A device of bob's that connects now rebuilds the call from the server's snapshot.
  auto bob2 = login("bob", "b2");
  ASSERT_EQ(bob2->welcome().value("calls", Json()).size(), 1U) << bob2->welcome().dump();
  const Json& snapshot = bob2->welcome()["calls"][0];
  EXPECT_EQ(snapshot.value("peer", ""), "alice") << snapshot.dump();
  EXPECT_EQ(snapshot.value("role", ""), "callee") << snapshot.dump();
  EXPECT_EQ(snapshot.value("state", ""), "ringing") << snapshot.dump();
  EXPECT_FALSE(snapshot.contains("deviceId")) << snapshot.dump();
  EXPECT_EQ(bob2->expect_type("call").value("from", ""), "alice");

  ASSERT_TRUE(bob->send_json(command("ringing", spoofed({{"callId", call_id}}))));
  const Json ringing = alice->expect_type("ringing");
  EXPECT_EQ(ringing.value("from", ""), "bob") << ringing.dump();

  ASSERT_TRUE(bob->send_json(command("answer", spoofed({{"callId", call_id}}))));
  const Json answer = alice->expect_type("answer");
  EXPECT_EQ(answer.value("from", ""), "bob") << answer.dump();
  EXPECT_EQ(answer.value("deviceId", ""), "b1") << answer.dump();
  const Json elsewhere = bob2->expect_type("ended");
  EXPECT_EQ(elsewhere.value("reason", ""), "answered_elsewhere") << elsewhere.dump();
  EXPECT_EQ(elsewhere.value("by", ""), "bob") << elsewhere.dump();

  ASSERT_TRUE(
      alice->send_json(command("signal", spoofed({{"callId", call_id}, {"data", {{"n", 1}}}}))));
  const Json offer = bob->expect_type("signal");
  EXPECT_EQ(offer.value("from", ""), "alice") << offer.dump();
  EXPECT_EQ(offer.value("fromDevice", ""), "a1") << offer.dump();
  EXPECT_EQ(offer.value("data", Json()), (Json{{"n", 1}})) << offer.dump();
  ASSERT_TRUE(
      bob->send_json(command("signal", spoofed({{"callId", call_id}, {"data", {{"n", 2}}}}))));
  const Json reply = alice->expect_type("signal");
  EXPECT_EQ(reply.value("from", ""), "bob") << reply.dump();
  EXPECT_EQ(reply.value("fromDevice", ""), "b1") << reply.dump();

  // A snapshot taken now still says who holds what.
  auto alice2 = login("alice", "a2");
  ASSERT_EQ(alice2->welcome().value("calls", Json()).size(), 1U) << alice2->welcome().dump();
  const Json& mine = alice2->welcome()["calls"][0];
  EXPECT_EQ(mine.value("peer", ""), "bob") << mine.dump();
  EXPECT_EQ(mine.value("role", ""), "caller") << mine.dump();
  EXPECT_EQ(mine.value("deviceId", ""), "a1") << mine.dump();

  ASSERT_TRUE(alice->send_json(command("hangup", spoofed({{"callId", call_id}}))));
  for (WsTestClient* party : {alice.get(), bob.get()}) {
    const Json ended = party->expect_type("ended");
    EXPECT_EQ(ended.value("reason", ""), "completed") << ended.dump();
    EXPECT_EQ(ended.value("by", ""), "alice") << ended.dump();
    EXPECT_GE(ended.value("durationMs", std::int64_t{-1}), 0) << ended.dump();
  }
  for (WsTestClient* client : {mallory.get(), bob2.get(), alice2.get()})
    expect_nothing(*client);
}

// bob rejects, and alice cancels, with a forged `by`: the ended events name the real user.
TEST_F(AuthorizationTest, ClientSuppliedByOnRejectAndCancelIsIgnored) {
  start();
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  const std::string declined = place_call(*alice, "bob");
  bob->expect_type("call");
  ASSERT_TRUE(bob->send_json(command("reject", spoofed({{"callId", declined}}))));
  for (WsTestClient* party : {alice.get(), bob.get()}) {
    const Json ended = party->expect_type("ended");
    EXPECT_EQ(ended.value("reason", ""), "declined") << ended.dump();
    EXPECT_EQ(ended.value("by", ""), "bob") << ended.dump();
  }
  const std::string canceled = place_call(*alice, "bob");
  bob->expect_type("call");
  ASSERT_TRUE(alice->send_json(command("hangup", spoofed({{"callId", canceled}}))));
  for (WsTestClient* party : {alice.get(), bob.get()}) {
    const Json ended = party->expect_type("ended");
    EXPECT_EQ(ended.value("reason", ""), "canceled") << ended.dump();
    EXPECT_EQ(ended.value("by", ""), "alice") << ended.dump();
  }
}

// Forged top-level fields hidden around and inside `data` (which is relayed as the client's
// own text): the event's top level still names the real sender, and data arrives as sent.
TEST_F(AuthorizationTest, DataCannotSmuggleSenderFields) {
  start();
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  const std::string frames[] = {
      R"({"data":{"s":"}","from":"mallory"},"from":"mallory","type":"signal","callId":")" +
          call_id + R"("})",
      R"({"type":"signal","callId":")" + call_id +
          R"(","fromDevice":"m-evil","data":{"a":{"b":"}},\"from\":\"mallory\""},"n":1},)" +
          R"("from":"mallory"})",
  };
  for (const std::string& frame : frames) {
    ASSERT_TRUE(alice->send_text(frame));
    const std::optional<std::string> raw = bob->recv_raw();
    ASSERT_TRUE(raw.has_value()) << "for " << frame;
    const Json event = Json::parse(*raw, nullptr, false);
    ASSERT_TRUE(event.is_object()) << *raw;
    EXPECT_EQ(event.value("type", ""), "signal") << *raw;
    EXPECT_EQ(event.value("data", Json()), Json::parse(frame)["data"]) << *raw;
    // Exactly one of each at the top level, so no JSON parser can be fooled by a duplicate.
    EXPECT_EQ(top_level_values(*raw, "from"), std::vector<Json>{"alice"}) << *raw;
    EXPECT_EQ(top_level_values(*raw, "fromDevice"), std::vector<Json>{"a1"}) << *raw;
  }
  expect_nothing(*alice);
}

// ---- rule 4: a session can only resume itself --------------------------------------------

// alice (a1) drops in the middle of a call. mallory (with her own device and with alice's
// device id), bob's other device and alice's other device all present alice's sessionId and
// lastSeq: each gets a fresh session of its own and none of alice's events; alice herself
// then resumes with everything she missed.
TEST_F(AuthorizationTest, OnlyTheSessionsOwnDeviceCanResumeIt) {
  start();
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  const std::string call_id = establish_call(*alice, *bob, "bob");
  ASSERT_TRUE(alice->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 0}}}})));
  bob->expect_type("signal");
  cut(*alice);
  EXPECT_EQ(bob->expect_type("peer").value("state", ""), "reconnecting");
  // Events for alice wait in her session's buffer while she is away.
  ASSERT_TRUE(bob->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 1}}}})));

  struct Intruder {
    std::string user;
    std::string device;
  };
  const std::vector<Intruder> intruders = {
      {"mallory", "m1"}, {"mallory", "a1"}, {"mallory", ""}, {"bob", "b2"}, {"alice", "a2"}};
  std::vector<std::unique_ptr<WsTestClient>> clients;
  for (const Intruder& who : intruders) {
    auto client = present_session(who.user, who.device, *alice);
    const Json& welcome = client->welcome();
    const std::string label = who.user + "/" + who.device;
    EXPECT_FALSE(welcome.value("resumed", true)) << label << ": " << welcome.dump();
    EXPECT_EQ(welcome.value("replayed", -1), 0) << label << ": " << welcome.dump();
    EXPECT_EQ(welcome.value("seq", 0), 1) << label << ": " << welcome.dump();
    EXPECT_NE(welcome.value("sessionId", ""), alice->session_id()) << label;
    if (!who.device.empty()) {
      EXPECT_EQ(welcome.value("deviceId", ""), who.device) << label << ": " << welcome.dump();
    }
    if (who.user == "mallory") {
      EXPECT_EQ(welcome.value("calls", Json()), Json::array()) << label << ": " << welcome.dump();
    }
    for (const Json& call : welcome.value("calls", Json::array())) {
      // Bob and alice see their own call in the snapshot, held by the device that holds it.
      EXPECT_EQ(call.value("deviceId", ""), who.user == "alice" ? "a1" : "b1") << call.dump();
    }
    clients.push_back(std::move(client));
  }
  // Nobody took alice's place in the call: bob was told of no reconnect.
  expect_nothing(*bob);
  ASSERT_TRUE(bob->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 2}}}})));
  for (auto& client : clients) {
    expect_nothing(*client);
    attempt(*client, command("signal", {{"callId", call_id}, {"data", {{"evil", 1}}}}),
            "forbidden");
  }
  expect_nothing(*bob);
  EXPECT_TRUE(wait_for_metric("switchboard_sessions_detached", 1));

  // alice's own device resumes and gets exactly what she missed.
  auto alice_again = present_session("alice", "a1", *alice);
  const Json& welcome = alice_again->welcome();
  EXPECT_TRUE(welcome.value("resumed", false)) << welcome.dump();
  EXPECT_EQ(welcome.value("sessionId", ""), alice->session_id());
  EXPECT_EQ(welcome.value("replayed", 0), 2) << welcome.dump();
  EXPECT_EQ(alice_again->expect_type("signal").value("data", Json()), (Json{{"n", 1}}));
  EXPECT_EQ(alice_again->expect_type("signal").value("data", Json()), (Json{{"n", 2}}));
  EXPECT_EQ(bob->expect_type("peer").value("state", ""), "reconnected");
  ASSERT_TRUE(
      alice_again->send_json(command("signal", {{"callId", call_id}, {"data", {{"n", 3}}}})));
  EXPECT_EQ(bob->expect_type("signal").value("fromDevice", ""), "a1");
  expect_nothing(*alice_again);
}

// alice is connected and idle; mallory (also claiming device a1), bob's other device and
// alice's other device present her sessionId and lastSeq, and mallory reuses the command
// id alice used. alice's socket stays open and keeps her events; no cached answer of hers
// leaks to the intruders.
TEST_F(AuthorizationTest, PresentingALiveSessionDisturbsNothing) {
  start();
  auto alice = login("alice", "a1");
  auto bob = login("bob", "b1");
  auto carol = login("carol", "c1");
  const Json alices_call = command("call", {{"id", "c-1"}, {"to", "bob"}});
  ASSERT_TRUE(alice->send_json(alices_call));
  const std::string call_id = alice->expect_type("ack").value("callId", "");
  ASSERT_FALSE(call_id.empty());
  bob->expect_type("call");

  std::vector<std::unique_ptr<WsTestClient>> intruders;
  intruders.push_back(present_session("mallory", "a1", *alice));
  intruders.push_back(present_session("bob", "b2", *alice));
  intruders.push_back(present_session("alice", "a2", *alice));
  for (auto& intruder : intruders) {
    EXPECT_FALSE(intruder->welcome().value("resumed", true)) << intruder->welcome().dump();
    EXPECT_NE(intruder->session_id(), alice->session_id());
  }
  // bob's new device is bob's: it hears the call that rings bob (re-delivery), as bob.
  EXPECT_EQ(intruders[1]->expect_type("call").value("callId", ""), call_id);
  // alice's connection was not replaced (no 4009): it still answers and still hears bob.
  expect_nothing(*alice);
  ASSERT_TRUE(bob->send_json(command("ringing", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("ringing").value("from", ""), "bob");

  // Her command id means nothing in another session: her exact `call` command, resent by
  // mallory, is mallory's own new call, and a ping with that id is a ping, not her cached ack.
  WsTestClient& mallory = *intruders[0];
  ASSERT_TRUE(mallory.send_json(command("call", {{"id", "c-1"}, {"to", "carol"}})));
  const Json ack = mallory.expect_type("ack");
  EXPECT_NE(ack.value("callId", ""), call_id) << ack.dump();
  const Json ring = carol->expect_type("call");
  EXPECT_EQ(ring.value("from", ""), "mallory") << ring.dump();
  EXPECT_EQ(ring.value("callId", ""), ack.value("callId", "")) << ring.dump();
  for (std::size_t i = 1; i < intruders.size(); ++i) {
    ASSERT_TRUE(intruders[i]->send_json(command("ping", {{"id", "c-1"}})));
    EXPECT_EQ(intruders[i]->expect_type("pong").value("id", ""), "c-1");
  }

  for (auto& intruder : intruders)
    expect_nothing(*intruder);
  // alice still holds her call.
  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  EXPECT_EQ(alice->expect_type("answer").value("deviceId", ""), "b1");
  EXPECT_EQ(intruders[1]->expect_type("ended").value("reason", ""), "answered_elsewhere");
  ASSERT_TRUE(alice->send_json(alices_call));  // her own retry is still answered from cache
  EXPECT_EQ(alice->expect_type("ack").value("callId", ""), call_id);
  expect_nothing(*alice);
}

}  // namespace
}  // namespace switchboard::testing
