// Bad input over a real connection: exactly one typed error per bad frame, and the
// connection stays usable (a ping afterwards still gets its pong).
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

class ErrorsTest : public IntegrationTest {
 protected:
  // Sends `frame`, expects exactly one error with `code` (and `id`, or no id when empty),
  // then proves the connection still works. Returns the error.
  Json expect_error_for(WsTestClient& client, const std::string& frame, const std::string& code,
                        const std::string& id = {}) {
    EXPECT_TRUE(client.send_text(frame)) << client.last_error();
    const Json error = client.expect_type("error");
    EXPECT_EQ(error.value("code", ""), code) << "for " << frame << ": " << error.dump();
    if (id.empty()) {
      EXPECT_FALSE(error.contains("id")) << error.dump();
    } else {
      EXPECT_EQ(error.value("id", ""), id) << error.dump();
    }
    EXPECT_TRUE(error.contains("message") && error["message"].is_string()) << error.dump();
    EXPECT_FALSE(error.contains("seq")) << error.dump();
    expect_still_usable(client);
    return error;
  }

  void expect_still_usable(WsTestClient& client) {
    const std::string id = next_id("after");  // a repeated id would be answered from cache
    EXPECT_TRUE(client.send_json(command("ping", {{"id", id}})));
    const Json pong = client.expect_type("pong");
    EXPECT_EQ(pong.value("id", ""), id) << pong.dump();
  }
};

bool mentions(const Json& error, const std::string& word) {
  return error.value("message", "").find(word) != std::string::npos;
}

TEST_F(ErrorsTest, MalformedFramesEachGetOneError) {
  start_server();
  auto alice = connect("alice", "a1");
  expect_error_for(*alice, R"({"type":"ping")", "bad_json");
  expect_error_for(*alice, "not json at all", "bad_json");
  expect_error_for(*alice, "[1,2,3]", "bad_message");
  expect_error_for(*alice, R"("ping")", "bad_message");
  expect_error_for(*alice, "42", "bad_message");
  const Json no_type = expect_error_for(*alice, R"({"id":"t"})", "bad_message", "t");
  EXPECT_TRUE(mentions(no_type, "type")) << no_type.dump();
  expect_error_for(*alice, R"({"type":"dance","id":"u"})", "unknown_type", "u");
  expect_error_for(*alice, R"({"type":7,"id":"n"})", "bad_message", "n");
}

TEST_F(ErrorsTest, MissingAndMistypedFieldsAreNamed) {
  start_server();
  auto alice = connect("alice", "a1");
  const Json no_to = expect_error_for(*alice, R"({"type":"call","id":"m"})", "bad_message", "m");
  EXPECT_TRUE(mentions(no_to, "to")) << no_to.dump();
  const Json bad_call_id =
      expect_error_for(*alice, R"({"type":"answer","id":"w","callId":5})", "bad_message", "w");
  EXPECT_TRUE(mentions(bad_call_id, "callId")) << bad_call_id.dump();
  const Json no_data =
      expect_error_for(*alice, R"({"type":"signal","id":"s","callId":"x"})", "bad_message", "s");
  EXPECT_TRUE(mentions(no_data, "data")) << no_data.dump();
  expect_error_for(*alice, R"({"type":"call","id":"v","to":"bob","media":"fax"})", "bad_message",
                   "v");
  expect_error_for(*alice, R"({"type":"call","id":"t","to":"bob","timeoutMs":100})", "bad_message",
                   "t");
  expect_error_for(*alice, R"({"type":"call","id":"i","to":"bad id!"})", "bad_message", "i");
  expect_error_for(*alice, R"({"type":"reject","id":"r","callId":"x","reason":"meh"})",
                   "bad_message", "r");
}

TEST_F(ErrorsTest, OutOfRangeValuesAreBadMessages) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const auto call_with = [](const std::string& id, Json fields) {
    fields["id"] = id;
    fields["to"] = "bob";
    return command("call", std::move(fields)).dump();
  };
  expect_error_for(*alice, call_with("t1", {{"timeoutMs", 4'999}}), "bad_message", "t1");
  expect_error_for(*alice, call_with("t2", {{"timeoutMs", 120'001}}), "bad_message", "t2");
  expect_error_for(*alice, call_with("t3", {{"timeoutMs", 6000.5}}), "bad_message", "t3");
  expect_error_for(*alice, call_with("t4", {{"timeoutMs", "6000"}}), "bad_message", "t4");
  expect_error_for(*alice, call_with("r1", {{"roomName", std::string(129, 'r')}}), "bad_message",
                   "r1");
  expect_error_for(*alice, call_with("r2", {{"roomName", "line\nbreak"}}), "bad_message", "r2");
  expect_error_for(*alice, call_with("r3", {{"roomName", ""}}), "bad_message", "r3");
  expect_error_for(*alice, call_with("d1", {{"data", "not an object"}}), "bad_message", "d1");
  expect_error_for(*alice, call_with("c1", {{"callId", std::string(129, 'c')}}), "bad_message",
                   "c1");
  expect_error_for(
      *alice,
      command("hangup", {{"id", "h"}, {"callId", "x"}, {"reason", std::string(65, 'h')}}).dump(),
      "bad_message", "h");
  // An over-long id is itself the bad field; whether it is echoed is left open.
  ASSERT_TRUE(alice->send_json(command("ping", {{"id", std::string(65, 'i')}})));
  EXPECT_EQ(alice->expect_type("error").value("code", ""), "bad_message");
  expect_still_usable(*alice);
  bob->expect_silence(Millis{0});

  // The edges of the ranges are accepted; roomName is passed on as given.
  EXPECT_FALSE(
      place_call(*alice, "bob", {{"timeoutMs", 120'000}, {"roomName", "Team room 1"}}).empty());
  const Json incoming = bob->expect_type("call");
  EXPECT_EQ(incoming.value("expiresInMs", 0), 120'000);
  EXPECT_EQ(incoming.value("roomName", ""), "Team room 1");
}

TEST_F(ErrorsTest, AnswerDataOverLimitIsTooLarge) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  const std::string big(9 * 1024, 'x');
  expect_error_for(
      *bob, command("answer", {{"id", "a"}, {"callId", call_id}, {"data", {{"b", big}}}}).dump(),
      "too_large", "a");
  alice->expect_silence(Millis{0});
  // The call is untouched and can still be answered.
  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", call_id}})));
  alice->expect_type("answer");
}

TEST_F(ErrorsTest, EndedCallsAreForgottenAfterRetention) {
  server::Config config = test_config();
  config.ended_retention = Millis{300};
  start_server(config);
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  ASSERT_TRUE(bob->send_json(command("reject", {{"callId", call_id}})));
  alice->expect_type("ended");
  bob->expect_type("ended");
  expect_error_for(*alice, command("hangup", {{"id", "soon"}, {"callId", call_id}}).dump(),
                   "invalid_state", "soon");
  alice->expect_silence(Millis{600});  // outlast the retention
  expect_error_for(*alice, command("hangup", {{"id", "later"}, {"callId", call_id}}).dump(),
                   "not_found", "later");
  // A forgotten callId may be used again.
  EXPECT_EQ(place_call(*alice, "bob", {{"callId", call_id}}), call_id);
  EXPECT_EQ(bob->expect_type("call").value("callId", ""), call_id);
}

TEST_F(ErrorsTest, ExtraFieldsAreIgnoredAndPingNeedsNoId) {
  start_server();
  auto alice = connect("alice", "a1");
  ASSERT_TRUE(alice->send_text(R"({"type":"ping","whatever":[1,2]})"));
  const Json pong = alice->expect_type("pong");
  EXPECT_FALSE(pong.contains("id")) << pong.dump();
  EXPECT_FALSE(pong.contains("seq")) << pong.dump();
  alice->expect_silence();
}

TEST_F(ErrorsTest, BinaryFrameIsUnsupported) {
  start_server();
  auto alice = connect("alice", "a1");
  ASSERT_TRUE(alice->send_binary(std::string("\x01\x02\x03", 3)));
  const Json error = alice->expect_type("error");
  EXPECT_EQ(error.value("code", ""), "unsupported") << error.dump();
  expect_still_usable(*alice);
}

TEST_F(ErrorsTest, UnknownCallAndNonParty) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  auto carol = connect("carol", "c1");
  expect_error_for(*alice, command("answer", {{"id", "nf"}, {"callId", "nope"}}).dump(),
                   "not_found", "nf");
  const std::string call_id = place_call(*alice, "bob");
  bob->expect_type("call");
  for (const char* type : {"ringing", "answer", "reject", "hangup"}) {
    const std::string id = std::string("f-") + type;
    expect_error_for(*carol, command(type, {{"id", id}, {"callId", call_id}}).dump(), "forbidden",
                     id);
  }
  expect_error_for(
      *carol,
      command("signal", {{"id", "f-signal"}, {"callId", call_id}, {"data", Json::object()}}).dump(),
      "forbidden", "f-signal");
  // The caller cannot act as the callee.
  expect_error_for(*alice, command("answer", {{"id", "own"}, {"callId", call_id}}).dump(),
                   "forbidden", "own");
  alice->expect_silence(Millis{0});
  bob->expect_silence(Millis{0});
}

TEST_F(ErrorsTest, CommandsOnEndedCalls) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  const std::string declined = place_call(*alice, "bob");
  bob->expect_type("call");
  ASSERT_TRUE(bob->send_json(command("reject", {{"callId", declined}})));
  alice->expect_type("ended");
  bob->expect_type("ended");
  const Json never_answered = expect_error_for(
      *bob, command("answer", {{"id", "a"}, {"callId", declined}}).dump(), "invalid_state", "a");
  EXPECT_TRUE(mentions(never_answered, "declined")) << never_answered.dump();
  expect_error_for(
      *alice, command("signal", {{"id", "s"}, {"callId", declined}, {"data", {{"k", 1}}}}).dump(),
      "invalid_state", "s");

  const std::string completed = establish_call(*alice, *bob, "bob");
  ASSERT_TRUE(alice->send_json(command("hangup", {{"callId", completed}})));
  alice->expect_type("ended");
  bob->expect_type("ended");
  expect_error_for(*bob, command("answer", {{"id", "a2"}, {"callId", completed}}).dump(),
                   "already_answered", "a2");
  expect_error_for(*alice, command("hangup", {{"id", "h2"}, {"callId", completed}}).dump(),
                   "invalid_state", "h2");
}

TEST_F(ErrorsTest, CallRuleViolations) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  auto carol = connect("carol", "c1");
  expect_error_for(*alice, command("call", {{"id", "me"}, {"to", "alice"}}).dump(), "self_call",
                   "me");

  const std::string big(9 * 1024, 'x');
  expect_error_for(
      *alice, command("call", {{"id", "big"}, {"to", "bob"}, {"data", {{"blob", big}}}}).dump(),
      "too_large", "big");

  EXPECT_EQ(place_call(*alice, "bob", {{"callId", "shared"}}), "shared");
  bob->expect_type("call");
  expect_error_for(*carol,
                   command("call", {{"id", "cf"}, {"to", "bob"}, {"callId", "shared"}}).dump(),
                   "conflict", "cf");
  bob->expect_silence(Millis{0});

  ASSERT_TRUE(bob->send_json(command("answer", {{"callId", "shared"}})));
  alice->expect_type("answer");
  expect_error_for(*alice, command("call", {{"id", "again"}, {"to", "carol"}}).dump(),
                   "invalid_state", "again");
  expect_error_for(*bob, command("reject", {{"id", "rj"}, {"callId", "shared"}}).dump(),
                   "invalid_state", "rj");
  carol->expect_silence(Millis{0});
}

TEST_F(ErrorsTest, SuccessWithoutIdIsSilent) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  ASSERT_TRUE(alice->send_json(command("call", {{"to", "bob"}, {"callId", "quiet"}})));
  bob->expect_type("call");
  ASSERT_TRUE(bob->send_json(command("ringing", {{"callId", "quiet"}})));
  alice->expect_type("ringing");  // and no ack before it
  bob->expect_silence();
}

}  // namespace
}  // namespace switchboard::testing
