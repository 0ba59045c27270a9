// Phoenix codec: vsn 1/2 text frames and kind-3/kind-4 binary frames byte for byte as
// @supabase/realtime-js 2.119 (lib/serializer.js) writes and reads them, every decode error,
// the name and depth limits, and round trips.
#include "protocol/phoenix_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>

namespace switchboard::phoenix {
namespace {

using namespace std::string_literals;

// ---- helpers -------------------------------------------------------------------------------

Message ok_or_fail(Decoded decoded, std::string_view input) {
  if (const auto* error = std::get_if<DecodeError>(&decoded)) {
    ADD_FAILURE() << "unexpected error '" << error->message << "' for: " << input.substr(0, 200);
    return {};
  }
  return std::get<Message>(std::move(decoded));
}

DecodeError error_or_fail(Decoded decoded, std::string_view input) {
  if (std::holds_alternative<Message>(decoded)) {
    ADD_FAILURE() << "expected an error for: " << input.substr(0, 200);
    return {};
  }
  return std::get<DecodeError>(std::move(decoded));
}

Message text_ok(std::string_view text, Vsn vsn = Vsn::v2) {
  return ok_or_fail(decode_text(text, vsn), text);
}
DecodeError text_error(std::string_view text, Vsn vsn = Vsn::v2) {
  return error_or_fail(decode_text(text, vsn), text);
}
Message binary_ok(std::string_view bytes) {
  return ok_or_fail(decode_binary(bytes), bytes);
}
DecodeError binary_error(std::string_view bytes) {
  return error_or_fail(decode_binary(bytes), bytes);
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

void expect_text_error(std::string_view text, std::string_view needle, Vsn vsn = Vsn::v2) {
  const DecodeError error = text_error(text, vsn);
  EXPECT_TRUE(contains(error.message, needle))
      << "message '" << error.message << "' lacks '" << needle << "' for: " << text.substr(0, 200);
}

void expect_binary_error(std::string_view bytes, std::string_view needle) {
  const DecodeError error = binary_error(bytes);
  EXPECT_TRUE(contains(error.message, needle))
      << "message '" << error.message << "' lacks '" << needle << "'";
}

// A kind-3 user broadcast push exactly as serializer.js _encodeUserBroadcastPush lays it out
// (null refs are written as zero bytes).
std::string push(std::string_view join_ref, std::string_view ref, std::string_view topic,
                 std::string_view user_event, std::string_view meta, unsigned encoding,
                 std::string_view payload) {
  std::string out;
  out += '\x03';
  for (const std::string_view part : {join_ref, ref, topic, user_event, meta}) {
    out += static_cast<char>(part.size());
  }
  out += static_cast<char>(encoding);
  for (const std::string_view part : {join_ref, ref, topic, user_event, meta})
    out += part;
  out += payload;
  return out;
}

std::string json_push(std::string_view payload, std::string_view meta = "") {
  return push("1", "2", "realtime:room", "cursor", meta, 1, payload);
}

// serializer.js _decodeUserBroadcast, for checking what the client makes of a kind-4 frame.
struct ClientBroadcast {
  std::string topic, user_event, meta, payload;
  unsigned encoding = 0;
};
ClientBroadcast client_decode(std::string_view b) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(b.at(i)); };
  EXPECT_EQ(at(0), 4u);
  ClientBroadcast out;
  std::size_t offset = 5;
  out.topic = b.substr(offset, at(1));
  offset += at(1);
  out.user_event = b.substr(offset, at(2));
  offset += at(2);
  out.meta = b.substr(offset, at(3));
  offset += at(3);
  out.payload = b.substr(offset);
  out.encoding = at(4);
  return out;
}

std::string nested_arrays(int depth, std::string_view innermost = "") {
  std::string out(static_cast<std::size_t>(depth), '[');
  out += innermost;
  out.append(static_cast<std::size_t>(depth), ']');
  return out;
}

// A v2 frame whose payload {"a":[[...]]} brings the frame to `total_depth` containers.
std::string frame_with_depth(int total_depth) {
  return R"(["1","2","t","e",{"a":)" + nested_arrays(total_depth - 2) + "}]";
}

const std::string kEuro = "\xE2\x82\xAC";               // 3 bytes, 1 character
const std::string kParty = "\xF0\x9F\x8E\x89";          // 4 bytes, 1 character
const std::string kRawBytes = "\x00\xFF\xFE\x00\xC0"s;  // NULs and invalid UTF-8

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

// ---- vsn ---------------------------------------------------------------------------------

TEST(PhoenixCodec, VsnFromStringAcceptsOnlyTheTwoVersions) {
  EXPECT_EQ(vsn_from_string("1.0.0"), Vsn::v1);
  EXPECT_EQ(vsn_from_string("2.0.0"), Vsn::v2);
  for (const char* bad : {"", "1.0", "2", "2.0.0 ", " 1.0.0", "3.0.0", "v2", "2.0.1"}) {
    EXPECT_FALSE(vsn_from_string(bad).has_value()) << bad;
  }
}

// ---- text decoding: accepted frames ------------------------------------------------------

TEST(PhoenixCodec, DecodesV2JoinFrame) {
  const Message m = text_ok(R"(["1","1","realtime:room","phx_join",{"config":{"private":true}}])");
  EXPECT_EQ(m.join_ref, "1");
  EXPECT_EQ(m.ref, "1");
  EXPECT_EQ(m.topic, "realtime:room");
  EXPECT_EQ(m.event, "phx_join");
  EXPECT_EQ(m.payload, Json::parse(R"({"config":{"private":true}})"));
  EXPECT_FALSE(m.binary_payload.has_value());
}

TEST(PhoenixCodec, DecodesV2NullRefsAndNullPayload) {
  const Message m = text_ok(R"([null,null,"phoenix","heartbeat",null])");
  EXPECT_FALSE(m.join_ref.has_value());
  EXPECT_FALSE(m.ref.has_value());
  EXPECT_EQ(m.payload, Json::object());
}

TEST(PhoenixCodec, IntegerRefsBecomeDecimalStrings) {
  const Message m = text_ok(R"([3,18446744073709551615,"t","e",{}])");
  EXPECT_EQ(m.join_ref, "3");
  EXPECT_EQ(m.ref, "18446744073709551615");
  EXPECT_EQ(text_ok(R"([-7,0,"t","e",{}])").join_ref, "-7");
  const Message v1 = text_ok(R"({"topic":"t","event":"e","ref":12,"join_ref":5})", Vsn::v1);
  EXPECT_EQ(v1.ref, "12");
  EXPECT_EQ(v1.join_ref, "5");
}

TEST(PhoenixCodec, DecodesV1Object) {
  const Message m = text_ok(
      R"({"topic":"realtime:a","event":"phx_leave","payload":{"k":[1]},"ref":"9","join_ref":"4"})",
      Vsn::v1);
  EXPECT_EQ(m.join_ref, "4");
  EXPECT_EQ(m.ref, "9");
  EXPECT_EQ(m.topic, "realtime:a");
  EXPECT_EQ(m.event, "phx_leave");
  EXPECT_EQ(m.payload, Json::parse(R"({"k":[1]})"));
}

TEST(PhoenixCodec, V1OptionalFieldsAndUnknownKeys) {
  const Message m = text_ok(R"({"topic":"t","event":"e","extra":[1,2]})", Vsn::v1);
  EXPECT_FALSE(m.join_ref.has_value());
  EXPECT_FALSE(m.ref.has_value());
  EXPECT_EQ(m.payload, Json::object());
  EXPECT_EQ(text_ok(R"({"topic":"t","event":"e","payload":null,"ref":null})", Vsn::v1).payload,
            Json::object());
}

TEST(PhoenixCodec, NamesAreLimitedInBytesNotCharacters) {
  const std::string euro_255 = repeat(kEuro, 85);  // 255 bytes
  const std::string euro_258 = repeat(kEuro, 86);
  EXPECT_EQ(text_ok(R"(["1","2",")" + euro_255 + R"(","e",{}])").topic, euro_255);
  EXPECT_EQ(text_ok(R"(["1","2","t",")" + euro_255 + R"(",{}])").event, euro_255);
  EXPECT_EQ(text_ok(R"([")" + euro_255 + R"(","2","t","e",{}])").join_ref, euro_255);
  expect_text_error(R"(["1","2",")" + euro_258 + R"(","e",{}])", "'topic' is 258 bytes");
  expect_text_error(R"(["1","2","t",")" + euro_258 + R"(",{}])", "'event' is 258 bytes");
  expect_text_error(R"([")" + euro_258 + R"(","2","t","e",{}])", "'join_ref' is 258 bytes");
  const std::string ascii_256(256, 'r');
  expect_text_error(R"(["1",")" + ascii_256 + R"(","t","e",{}])", "'ref' is 256 bytes");
  expect_text_error(R"({"topic":"t","event":"e","ref":")" + ascii_256 + R"("})",
                    "'ref' is 256 bytes", Vsn::v1);
}

TEST(PhoenixCodec, DecodesEscapesAndMultibyteText) {
  const Message m =
      text_ok(R"(["1","2","caf\u00e9 )" + kParty + R"(","e\"v",{"s":"\ud83c\udf89"}])");
  EXPECT_EQ(m.topic, "caf\xC3\xA9 " + kParty);
  EXPECT_EQ(m.event, "e\"v");
  EXPECT_EQ(m.payload["s"], kParty);
}

// ---- text decoding: errors ---------------------------------------------------------------

TEST(PhoenixCodec, RejectsFramesThatAreNotJson) {
  for (const std::string& text : {""s, "["s, R"(["1","2","t","e",{})"s, R"(["1"] x)"s, "nul"s,
                                  R"(["1","2","t","e",{}])"
                                  "\0garbage"s}) {
    const DecodeError e = text_error(text);
    EXPECT_EQ(e.message, "frame is not valid JSON") << text;
    EXPECT_FALSE(e.topic || e.ref || e.join_ref);
  }
}

TEST(PhoenixCodec, RejectsInvalidUtf8) {
  for (const std::string& bad :
       {"\xFF"s, "\xC0\xAF"s, "\xED\xA0\x80"s, "\xF4\x90\x80\x80"s, "\xE2\x82"s, "\x80"s}) {
    EXPECT_EQ(text_error(R"(["1","2",")" + bad + R"(","e",{}])").message,
              "frame is not valid UTF-8");
    EXPECT_EQ(text_error(R"({"topic":"t","event":"e","payload":{"x":")" + bad + R"("}})", Vsn::v1)
                  .message,
              "frame is not valid UTF-8");
  }
  // A lone surrogate escape is valid UTF-8 text but not a valid JSON string.
  EXPECT_EQ(text_error(R"(["1","2","\ud800","e",{}])").message, "frame is not valid JSON");
}

TEST(PhoenixCodec, V2RejectsAnythingButAFiveElementArray) {
  for (const char* text : {R"({"topic":"t"})", R"(["1","2","t","e"])",
                           R"(["1","2","t","e",{},null])", R"([])", R"("s")", "42", "null"}) {
    const DecodeError e = text_error(text);
    EXPECT_TRUE(e.message.starts_with(
        "expected a JSON array of 5 elements [join_ref, ref, topic, event, payload], got "))
        << e.message;
    EXPECT_FALSE(e.topic || e.ref || e.join_ref);
  }
  EXPECT_TRUE(contains(text_error(R"(["1"])").message, "got 1 element"));
  EXPECT_TRUE(contains(text_error(R"(["1","2","t","e"])").message, "got 4 elements"));
  EXPECT_TRUE(contains(text_error(R"({})").message, "got object"));
}

TEST(PhoenixCodec, V1RejectsAnythingButAnObject) {
  for (const char* text : {R"([null,null,"t","e",{}])", R"("s")", "1", "true"}) {
    expect_text_error(text, "expected a JSON object", Vsn::v1);
  }
}

TEST(PhoenixCodec, RejectsBadTopicAndEvent) {
  expect_text_error(R"(["1","2",null,"e",{}])", "field 'topic' must be a string, not null");
  expect_text_error(R"(["1","2",7,"e",{}])", "field 'topic' must be a string, not number");
  expect_text_error(R"(["1","2","","e",{}])", "field 'topic' must not be empty");
  expect_text_error(R"(["1","2","t",["e"],{}])", "field 'event' must be a string, not array");
  expect_text_error(R"(["1","2","t","",{}])", "field 'event' must not be empty");
  expect_text_error(R"({"event":"e"})", "field 'topic' is required", Vsn::v1);
  expect_text_error(R"({"topic":"t"})", "field 'event' is required", Vsn::v1);
  expect_text_error(R"({"topic":"t","event":false})", "field 'event' must be a string", Vsn::v1);
}

TEST(PhoenixCodec, RejectsBadRefs) {
  for (const char* ref : {"1.5", "true", "{}", "[]"}) {
    expect_text_error(R"(["1",)" + std::string(ref) + R"(,"t","e",{}])",
                      "field 'ref' must be a string, an integer or null");
    expect_text_error("[" + std::string(ref) + R"(,"1","t","e",{}])",
                      "field 'join_ref' must be a string, an integer or null");
  }
}

TEST(PhoenixCodec, RejectsNonObjectPayload) {
  expect_text_error(R"(["1","2","t","e",[1]])",
                    "field 'payload' must be a JSON object or null, not array");
  expect_text_error(R"(["1","2","t","e","x"])", "not string");
  expect_text_error(R"(["1","2","t","e",0])", "not number");
  expect_text_error(R"({"topic":"t","event":"e","payload":true})", "not boolean", Vsn::v1);
}

TEST(PhoenixCodec, ErrorsKeepTheFieldsThatWereValid) {
  DecodeError e = text_error(R"(["1","2","realtime:a","e",[]])");
  EXPECT_EQ(e.join_ref, "1");
  EXPECT_EQ(e.ref, "2");
  EXPECT_EQ(e.topic, "realtime:a");
  e = text_error(R"(["1",2,"","e",{}])");
  EXPECT_EQ(e.join_ref, "1");
  EXPECT_EQ(e.ref, "2");
  EXPECT_FALSE(e.topic.has_value());
  e = text_error(R"(["1",true,"t",null,{}])");
  EXPECT_TRUE(contains(e.message, "'ref'"));  // the first problem is reported
  EXPECT_EQ(e.join_ref, "1");
  EXPECT_FALSE(e.ref.has_value());
  EXPECT_EQ(e.topic, "t");
  e = text_error(R"({"ref":"8","topic":"t","payload":1})", Vsn::v1);
  EXPECT_TRUE(contains(e.message, "'event' is required"));
  EXPECT_EQ(e.ref, "8");
  EXPECT_EQ(e.topic, "t");
}

TEST(PhoenixCodec, LimitsNestingDepth) {
  const std::string limit = frame_with_depth(kMaxNestingDepth);
  EXPECT_EQ(text_ok(limit).topic, "t");
  const DecodeError e = text_error(frame_with_depth(kMaxNestingDepth + 1));
  EXPECT_EQ(e.message, "frame nests deeper than 32 levels");
  EXPECT_EQ(e.join_ref, "1");
  EXPECT_EQ(e.ref, "2");
  EXPECT_EQ(e.topic, "t");
  expect_text_error(
      R"({"topic":"t","event":"e","payload":{"a":)" + nested_arrays(kMaxNestingDepth - 1) + "}}",
      "nests deeper", Vsn::v1);
  // Far too deep: refused without recursing (this would overflow a recursive parse).
  expect_text_error(R"(["1","2","t","e",{"a":)" + nested_arrays(1'000'000) + "}]", "nests deeper");
  expect_text_error(nested_arrays(1'000'000), "got 1 element");  // shape first
  expect_text_error(std::string(1'000'000, '['), "not valid JSON");
}

// ---- binary decoding: kind 3 ---------------------------------------------------------------

TEST(PhoenixCodec, DecodesJsonUserBroadcastPush) {
  const Message m = binary_ok(json_push(R"({"x":1,"y":[2]})"));
  EXPECT_EQ(m.join_ref, "1");
  EXPECT_EQ(m.ref, "2");
  EXPECT_EQ(m.topic, "realtime:room");
  EXPECT_EQ(m.event, "broadcast");
  EXPECT_EQ(m.payload,
            Json::parse(R"({"type":"broadcast","event":"cursor","payload":{"x":1,"y":[2]}})"));
  EXPECT_FALSE(m.binary_payload.has_value());
}

TEST(PhoenixCodec, JsonPushAcceptsAnyJsonValue) {
  for (const char* value : {"42", R"("s")", "[1,{}]", "null", "true", " {} "}) {
    EXPECT_EQ(binary_ok(json_push(value)).payload["payload"], Json::parse(value)) << value;
  }
}

TEST(PhoenixCodec, DecodesRawUserBroadcastPush) {
  const Message m = binary_ok(push("", "", "t", "audio", "", 0, kRawBytes));
  EXPECT_FALSE(m.join_ref.has_value());  // zero-length refs are the client's null
  EXPECT_FALSE(m.ref.has_value());
  EXPECT_EQ(m.payload, Json::parse(R"({"type":"broadcast","event":"audio"})"));
  ASSERT_TRUE(m.binary_payload.has_value());
  EXPECT_EQ(*m.binary_payload, kRawBytes);
  EXPECT_EQ(binary_ok(push("", "", "t", "e", "", 0, "")).binary_payload, "");
}

TEST(PhoenixCodec, DecodesMetaAndEmptyUserEvent) {
  const Message m = binary_ok(push("1", "2", "t", "", R"({"persist":true})", 1, "{}"));
  EXPECT_EQ(m.payload, Json::parse(R"({"type":"broadcast","event":"","payload":{},
                                       "meta":{"persist":true}})"));
  const Message raw = binary_ok(push("1", "2", "t", "e", R"({"persist":false})", 0, "ab"));
  EXPECT_EQ(raw.payload["meta"], Json::parse(R"({"persist":false})"));
  EXPECT_FALSE(raw.payload.contains("payload"));
}

TEST(PhoenixCodec, BinaryLengthsAreBytes) {
  const std::string topic = "realtime:caf\xC3\xA9-" + kParty + kEuro;
  const std::string event = kParty + "move";
  const std::string frame =
      push("j" + kEuro, "r", topic, event, "", 1, R"({"t":")" + kEuro + "\"}");
  EXPECT_EQ(static_cast<unsigned char>(frame[3]), topic.size());
  const Message m = binary_ok(frame);
  EXPECT_EQ(m.join_ref, "j" + kEuro);
  EXPECT_EQ(m.topic, topic);
  EXPECT_EQ(m.payload["event"], event);
  EXPECT_EQ(m.payload["payload"]["t"], kEuro);
  const std::string longest = repeat(kEuro, 85);
  EXPECT_EQ(binary_ok(push(longest, longest, longest, longest, "", 0, "")).topic, longest);
}

TEST(PhoenixCodec, BinaryPushMeansTheSameAsTheTextPush) {
  const Message binary = binary_ok(json_push(R"({"a":[1,"b"]})"));
  const Message text = text_ok(
      R"(["1","2","realtime:room","broadcast",{"type":"broadcast","event":"cursor","payload":{"a":[1,"b"]}}])");
  EXPECT_EQ(binary.join_ref, text.join_ref);
  EXPECT_EQ(binary.ref, text.ref);
  EXPECT_EQ(binary.topic, text.topic);
  EXPECT_EQ(binary.event, text.event);
  EXPECT_EQ(binary.payload, text.payload);
}

TEST(PhoenixCodec, RejectsEmptyShortAndForeignBinaryFrames) {
  expect_binary_error("", "binary frame is empty");
  for (const unsigned kind : {0u, 1u, 2u, 4u, 255u}) {
    std::string frame = push("1", "2", "t", "e", "", 1, "{}");
    frame[0] = static_cast<char>(kind);
    expect_binary_error(frame, "binary frame kind " + std::to_string(kind) + " is not supported");
  }
  const std::string header = push("", "", "", "", "", 1, "");
  for (std::size_t size = 1; size < header.size(); ++size) {
    expect_binary_error(header.substr(0, size), "shorter than its 7-byte header");
  }
}

TEST(PhoenixCodec, RejectsDeclaredLengthsBeyondTheFrame) {
  const std::string frame = push("1", "2", "realtime:room", "cursor", "", 0, "");
  // Every truncation inside the header fields; with an empty raw payload the full frame is ok.
  for (std::size_t size = 7; size < frame.size(); ++size) {
    const DecodeError e = binary_error(frame.substr(0, size));
    EXPECT_TRUE(contains(e.message, "declares 21 bytes")) << e.message;
    EXPECT_EQ(e.join_ref.has_value(), size >= 8);
    EXPECT_EQ(e.ref.has_value(), size >= 9);
    EXPECT_EQ(e.topic.has_value(), size >= 22);
  }
  EXPECT_EQ(binary_ok(frame).topic, "realtime:room");
  std::string liar = push("1", "2", "t", "e", "", 0, "");
  liar[5] = '\xFF';  // meta length
  expect_binary_error(liar, "but only 4 follow it");
}

TEST(PhoenixCodec, RejectsUnknownEncodingKeepingTheFields) {
  const DecodeError e = binary_error(push("1", "2", "t", "e", "", 2, "{}"));
  EXPECT_EQ(e.message,
            "binary frame payload encoding 2 is unknown; expected 0 (binary) or 1 (JSON)");
  EXPECT_EQ(e.join_ref, "1");
  EXPECT_EQ(e.ref, "2");
  EXPECT_EQ(e.topic, "t");
}

TEST(PhoenixCodec, RejectsBadBinaryNames) {
  expect_binary_error(push("1", "2", "", "e", "", 1, "{}"), "field 'topic' must not be empty");
  const std::string bad = "\xC3(";
  expect_binary_error(push(bad, "2", "t", "e", "", 1, "{}"), "field 'join_ref' is not valid UTF-8");
  expect_binary_error(push("1", bad, "t", "e", "", 1, "{}"), "field 'ref' is not valid UTF-8");
  expect_binary_error(push("1", "2", bad, "e", "", 1, "{}"), "field 'topic' is not valid UTF-8");
  const DecodeError e = binary_error(push("1", "2", "t", "\xFF", "", 0, ""));
  EXPECT_EQ(e.message, "field 'event' is not valid UTF-8");
  EXPECT_EQ(e.topic, "t");
  EXPECT_FALSE(binary_error(push(bad, "2", "t", "e", "", 1, "")).join_ref.has_value());
}

TEST(PhoenixCodec, RejectsBadMeta) {
  expect_binary_error(json_push("{}", "{"), "field 'meta' is not valid JSON");
  expect_binary_error(json_push("{}", "[1]"), "field 'meta' must be a JSON object");
  expect_binary_error(json_push("{}", "true"), "field 'meta' must be a JSON object");
  expect_binary_error(json_push("{}", "{}\0x"s), "field 'meta' is not valid JSON");
  expect_binary_error(json_push("{}", R"({"a":)" + nested_arrays(kMaxNestingDepth) + "}"),
                      "field 'meta' nests deeper than 32 levels");
}

TEST(PhoenixCodec, RejectsBadJsonPayload) {
  for (const std::string& bad : {""s, "{"s, "{} x"s, "{}\0"s, "\"\xFF\""s, "undefined"s}) {
    const DecodeError e = binary_error(json_push(bad));
    EXPECT_EQ(e.message, "field 'payload' is not valid JSON") << bad;
    EXPECT_EQ(e.topic, "realtime:room");
  }
}

TEST(PhoenixCodec, LimitsBinaryPayloadDepthAsIfEmbedded) {
  // In the equivalent text frame the user payload sits under the frame and its payload.
  const Message m = binary_ok(json_push(nested_arrays(kMaxNestingDepth - 2)));
  EXPECT_EQ(m.payload["payload"].size(), 1u);
  expect_binary_error(json_push(nested_arrays(kMaxNestingDepth - 1)),
                      "field 'payload' nests deeper than 32 levels");
  expect_binary_error(json_push(nested_arrays(1'000'000)), "nests deeper");
  // Raw bytes are never parsed, whatever they look like.
  EXPECT_TRUE(binary_ok(push("", "", "t", "e", "", 0, nested_arrays(100'000))).binary_payload);
}

TEST(PhoenixCodec, BinaryDecodingNeverCrashesOnRandomBytes) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 5000; ++round) {
    std::string frame(static_cast<std::size_t>(byte(rng) % 64), '\0');
    for (char& c : frame)
      c = static_cast<char>(byte(rng));
    if (!frame.empty() && round % 2 == 0) frame[0] = '\x03';
    (void)decode_binary(frame);
    (void)decode_text(frame, Vsn::v2);
    (void)decode_text(frame, Vsn::v1);
  }
}

// ---- encoding ------------------------------------------------------------------------------

TEST(PhoenixCodec, EncodesV2Arrays) {
  EXPECT_EQ(encode(Vsn::v2, "1", "2", "realtime:a", "phx_close", Json::object()),
            R"(["1","2","realtime:a","phx_close",{}])");
  EXPECT_EQ(encode(Vsn::v2, std::nullopt, std::nullopt, "t", "e", Json{{"k", 1}}),
            R"([null,null,"t","e",{"k":1}])");
}

TEST(PhoenixCodec, EncodesV1Objects) {
  EXPECT_EQ(encode(Vsn::v1, "1", "2", "t", "e", Json{{"k", "v"}}),
            R"({"topic":"t","event":"e","payload":{"k":"v"},"ref":"2","join_ref":"1"})");
  EXPECT_EQ(encode(Vsn::v1, std::nullopt, std::nullopt, "t", "e", Json::object()),
            R"({"topic":"t","event":"e","payload":{},"ref":null,"join_ref":null})");
}

TEST(PhoenixCodec, EncodingEscapesAndReplacesInvalidUtf8) {
  EXPECT_EQ(encode(Vsn::v2, "a\"b", std::nullopt, "t\\\n" + kEuro, "e", Json::object()),
            "[\"a\\\"b\",null,\"t\\\\\\n" + kEuro + "\",\"e\",{}]");
  const std::string text =
      encode(Vsn::v2, "\xFF", "2", "t\xC3", "e", Json{{"s", "\xFE"}});  // must not throw
  const Message m = text_ok(text);
  EXPECT_EQ(m.join_ref, "\xEF\xBF\xBD");  // U+FFFD
  EXPECT_EQ(m.topic, "t\xEF\xBF\xBD");
  EXPECT_EQ(m.payload["s"], "\xEF\xBF\xBD");
}

TEST(PhoenixCodec, EncodesReplies) {
  EXPECT_EQ(encode_reply(Vsn::v2, "1", "1", "realtime:a", true, Json::object()),
            R"(["1","1","realtime:a","phx_reply",{"status":"ok","response":{}}])");
  EXPECT_EQ(encode_reply(Vsn::v2, "1", std::nullopt, "t", false, Json{{"reason", "unmatched"}}),
            R"(["1",null,"t","phx_reply",{"status":"error","response":{"reason":"unmatched"}}])");
  EXPECT_EQ(encode_reply(Vsn::v1, std::nullopt, "3", "phoenix", true, Json::object()),
            R"({"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},)"
            R"("ref":"3","join_ref":null})");
}

TEST(PhoenixCodec, EncodesTextBroadcasts) {
  EXPECT_EQ(
      encode_broadcast_text(Vsn::v2, "realtime:a", "cursor", Json{{"x", 1}}),
      R"([null,null,"realtime:a","broadcast",{"type":"broadcast","event":"cursor","payload":{"x":1}}])");
  EXPECT_EQ(encode_broadcast_text(Vsn::v1, "t", "e", Json("s")),
            R"({"topic":"t","event":"broadcast","payload":{"type":"broadcast","event":"e",)"
            R"("payload":"s"},"ref":null,"join_ref":null})");
}

TEST(PhoenixCodec, EncodesBinaryBroadcastsByteForByte) {
  EXPECT_EQ(encode_broadcast_binary("t", "e", kRawBytes, false),
            "\x04\x01\x01\x00\x00te"s + kRawBytes);
  EXPECT_EQ(encode_broadcast_binary("ab", "", R"({"x":1})", true),
            "\x04\x02\x00\x00\x01"
            "ab{\"x\":1}"s);
  EXPECT_EQ(encode_broadcast_binary("t", "e", "", false), "\x04\x01\x01\x00\x00te"s);
}

TEST(PhoenixCodec, BinaryBroadcastLimitsAreBytes) {
  const std::string topic = "caf\xC3\xA9" + kParty;
  const auto frame = encode_broadcast_binary(topic, kEuro, "{}", true);
  ASSERT_TRUE(frame.has_value());
  const ClientBroadcast c = client_decode(*frame);
  EXPECT_EQ(c.topic, topic);
  EXPECT_EQ(c.user_event, kEuro);
  EXPECT_EQ(c.meta, "");
  EXPECT_EQ(c.payload, "{}");
  EXPECT_EQ(c.encoding, 1u);
  const std::string longest = repeat(kEuro, 85);
  EXPECT_TRUE(encode_broadcast_binary(longest, longest, "", false).has_value());
  EXPECT_FALSE(encode_broadcast_binary(longest + "x", "e", "", false).has_value());
  EXPECT_FALSE(encode_broadcast_binary("t", repeat(kEuro, 86), "", false).has_value());
}

// ---- round trips ---------------------------------------------------------------------------

TEST(PhoenixCodec, TextFramesRoundTrip) {
  const Json payload = Json::parse(R"({"a":[1,2.5,null,"x"],"b":{"c":true}})");
  for (const Vsn vsn : {Vsn::v1, Vsn::v2}) {
    const Message m =
        text_ok(encode(vsn, "7", std::nullopt, "realtime:" + kParty, "ev", payload), vsn);
    EXPECT_EQ(m.join_ref, "7");
    EXPECT_FALSE(m.ref.has_value());
    EXPECT_EQ(m.topic, "realtime:" + kParty);
    EXPECT_EQ(m.event, "ev");
    EXPECT_EQ(m.payload, payload);
  }
}

TEST(PhoenixCodec, BinaryPushRelaysAsBinaryBroadcast) {
  // encoding 0: the client's bytes reach the recipients unchanged.
  const Message raw = binary_ok(push("1", "2", "realtime:r", "audio", "", 0, kRawBytes));
  const auto out = encode_broadcast_binary(raw.topic, raw.payload["event"].get<std::string>(),
                                           *raw.binary_payload, false);
  ASSERT_TRUE(out.has_value());
  const ClientBroadcast c = client_decode(*out);
  EXPECT_EQ(c.topic, "realtime:r");
  EXPECT_EQ(c.user_event, "audio");
  EXPECT_EQ(c.payload, kRawBytes);
  EXPECT_EQ(c.encoding, 0u);
  // encoding 1: the payload survives re-serialisation, as binary or as text.
  const Message json = binary_ok(json_push(R"({"n":[1,{"m":"x"}]})"));
  const Json& user = json.payload["payload"];
  const auto relayed = encode_broadcast_binary(json.topic, "cursor", user.dump(), true);
  ASSERT_TRUE(relayed.has_value());
  EXPECT_EQ(Json::parse(client_decode(*relayed).payload), user);
  const Message text = text_ok(encode_broadcast_text(Vsn::v2, json.topic, "cursor", user));
  EXPECT_EQ(text.payload, json.payload);
}

}  // namespace
}  // namespace switchboard::phoenix
