// OpaqueJson, the relayed `data` value: how tests and code build it, that the codec serialises
// it once and forwards that text verbatim, and that the engine passes it on without copying.
#include "protocol/opaque_json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "engine_harness.hpp"
#include "protocol/codec.hpp"

namespace switchboard {
namespace {

using testing::EngineHarness;

// ---- the type ------------------------------------------------------------------------------

TEST(OpaqueJson, DefaultIsTheEmptyObject) {
  const OpaqueJson empty;
  EXPECT_EQ(empty.text(), "{}");
  EXPECT_EQ(empty.size(), 2U);
  EXPECT_EQ(empty.parsed(), Json::object());
  EXPECT_EQ(empty, OpaqueJson(Json::object()));
}

TEST(OpaqueJson, BraceSyntaxBuildsAnObjectLikeJsonDoes) {
  // Through `const Json&` this list would be the array ["n",0].
  const OpaqueJson one = {{"n", 0}};
  EXPECT_EQ(one.text(), R"({"n":0})");
  const SignalCommand command{"c", {{"n", 0}}};
  EXPECT_EQ(command.data.text(), R"({"n":0})");

  const OpaqueJson nested{{"a", 1}, {"b", {{"c", "x"}}}};
  EXPECT_EQ(nested.text(), R"({"a":1,"b":{"c":"x"}})");

  // A single object in braces means that object, not an array holding it.
  const Json object = {{"k", true}};
  EXPECT_EQ(OpaqueJson{object}.text(), R"({"k":true})");
}

TEST(OpaqueJson, TextIsCompact) {
  const OpaqueJson data(Json::parse(R"({ "sdp" : "v=0\r\n" ,  "n" : [ 1 , 2.5 , null ] })"));
  EXPECT_EQ(data.text(), R"({"n":[1,2.5,null],"sdp":"v=0\r\n"})");
  EXPECT_EQ(data.size(), data.text().size());
  EXPECT_EQ(data.parsed(), Json::parse(data.text()));
}

TEST(OpaqueJson, AnythingButAnObjectIsTheEmptyObject) {
  for (const Json& value : {Json(), Json(1), Json("x"), Json::array({1, 2})}) {
    EXPECT_EQ(OpaqueJson(value).text(), "{}") << value.dump();
  }
}

TEST(OpaqueJson, InvalidUtf8IsReplacedNotThrown) {
  Json object = Json::object();
  object["k"] = std::string("a\x80z");
  std::string text;
  ASSERT_NO_THROW(text = OpaqueJson(object).text());
  EXPECT_EQ(text, "{\"k\":\"a\xef\xbf\xbdz\"}");
}

TEST(OpaqueJson, CopiesShareOneBuffer) {
  const OpaqueJson original = {{"sdp", std::string(600, 'x')}};
  const OpaqueJson copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_TRUE(copy.shares_buffer_with(original));
  EXPECT_EQ(&copy.text(), &original.text());

  OpaqueJson moved_from = original;
  const OpaqueJson moved = std::move(moved_from);
  EXPECT_TRUE(moved.shares_buffer_with(original));

  // Equal values built separately are equal but are separate serialisations.
  const OpaqueJson rebuilt = {{"sdp", std::string(600, 'x')}};
  EXPECT_EQ(rebuilt, original);
  EXPECT_FALSE(rebuilt.shares_buffer_with(original));
  const OpaqueJson other = {{"sdp", "y"}};
  EXPECT_FALSE(rebuilt == other);
}

// ---- through the codec ---------------------------------------------------------------------

SignalCommand parse_signal_message(const std::string& message) {
  ParseResult result = parse_command(message);
  const auto* command = std::get_if<Command>(&result);
  if (command == nullptr) {
    ADD_FAILURE() << "rejected: " << std::get<Error>(result).message;
    return {};
  }
  return std::get<SignalCommand>(command->body);
}

SignalCommand parse_signal(const std::string& data) {
  return parse_signal_message(R"({"type":"signal","callId":"c","data":)" + data + "}");
}

TEST(OpaqueJsonCodec, CompactDataIsForwardedByteForByte) {
  // Already in the canonical compact form (keys sorted, UTF-8 unescaped), so the text kept and
  // re-encoded must be exactly the client's bytes.
  const std::string sent =
      R"({"candidate":"candidate:1 1 UDP 2122 192.0.2.1 54400 typ host","n":[1,-2,3.25,)"
      R"(18446744073709551615,-9223372036854775808,null,true,{},[]],)"
      "\"s\":\"\xc3\xa9\xe2\x82\xac \\\"q\\\" \\\\ \\n\",\"sdpMid\":\"0\"}";
  const SignalCommand command = parse_signal(sent);
  EXPECT_EQ(command.data.text(), sent);

  const std::string wire = encode_event(SignalEvent{"c", "alice", "d1", command.data}, 9);
  EXPECT_EQ(wire, R"({"seq":9,"type":"signal","callId":"c","from":"alice","fromDevice":"d1",)"
                  R"("data":)" +
                      sent + "}");
}

// `data` is cut out of the client's message as it was written: key order, spacing and number
// spelling survive the relay (the receiver parses it anyway), and nothing is re-serialised.
TEST(OpaqueJsonCodec, ClientTextIsRelayedVerbatim) {
  const std::string sent = "{ \"b\" : [ 1 , 2.50 ] ,\n \"a\" : { \"x\" : {} } }";
  const SignalCommand command = parse_signal(sent);
  EXPECT_EQ(command.data.text(), sent);
  EXPECT_EQ(command.data.parsed(), Json::parse(sent));
}

// The cut is exact whatever surrounds `data`: a later field, a number right before the
// closing brace, other objects named "data" deeper down.
TEST(OpaqueJsonCodec, DataIsCutExactlyFromAnyPlace) {
  const std::string data = R"({"n":1,"inner":{"data":{"k":2}},"last":-3.5e2})";
  EXPECT_EQ(
      parse_signal_message(R"({"data":)" + data + R"(,"type":"signal","callId":"c","id":"7"})")
          .data.text(),
      data);
  EXPECT_EQ(parse_signal(data).data.text(), data);
  EXPECT_EQ(parse_signal(R"({"a":1})").data.text(), R"({"a":1})");
}

TEST(OpaqueJsonCodec, SizeLimitIsOnTheDataAsSent) {
  const std::string padding(kMaxSignalDataBytes - 8, 'x');
  const SignalCommand at_limit = parse_signal(R"({"p":")" + padding + R"("})");
  EXPECT_EQ(at_limit.data.size(), kMaxSignalDataBytes);

  // One byte more (a space) is refused, and the message quotes the size.
  const ParseResult over =
      parse_command(R"({"type":"signal","callId":"c","data":{"p":")" + padding + R"(" }})");
  const auto* error = std::get_if<Error>(&over);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::too_large);
  EXPECT_NE(error->message.find(std::to_string(kMaxSignalDataBytes + 1) + " bytes"),
            std::string::npos)
      << error->message;
}

// ---- through the engine --------------------------------------------------------------------

// Every event carrying `data` (and every replay of one) holds the buffer the command brought.
TEST(OpaqueJsonEngine, EventsShareTheCommandsBuffer) {
  EngineHarness h;
  const auto alice = h.connect("alice", "a");
  const auto bob = h.connect("bob", "b");

  CallCommand call;
  call.data = {{"topic", "hi"}};
  const std::string id = h.place_call(alice, "bob", call);
  EXPECT_TRUE(h.next_event<CallEvent>(bob).data.shares_buffer_with(call.data));

  const AnswerCommand answer{id, {{"sdp", "answer"}}};
  h.send(bob, answer);
  h.next_ack(bob);
  EXPECT_TRUE(h.next_event<AnswerEvent>(alice).data.shares_buffer_with(answer.data));

  const SignalCommand signal{id, {{"ice", 1}}};
  h.send(alice, signal);
  h.next_ack(alice);
  EXPECT_TRUE(h.next_event<SignalEvent>(bob).data.shares_buffer_with(signal.data));

  // A missed signal is replayed from the buffer on resume: still the same text.
  h.drop(bob);
  h.next_event<PeerEvent>(alice);
  const SignalCommand missed{id, {{"ice", 2}}};
  h.send(alice, missed);
  h.next_ack(alice);
  const auto bob2 = h.resume(bob);
  const auto replayed = h.next_event<SignalEvent>(bob2);
  EXPECT_TRUE(replayed.data.shares_buffer_with(missed.data));
  EXPECT_EQ(replayed.data.text(), R"({"ice":2})");
}

}  // namespace
}  // namespace switchboard
