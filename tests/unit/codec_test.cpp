// Codec: every command and event round trip, exact wire text and key order, seq stamping,
// and a typed error for every malformed input the protocol names.
#include "protocol/codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace switchboard {
namespace {

// ---- helpers -------------------------------------------------------------------------------

Command parse_ok(std::string_view text) {
  ParseResult result = parse_command(text);
  if (const auto* error = std::get_if<Error>(&result)) {
    ADD_FAILURE() << "unexpected error " << to_string(error->code) << " (" << error->message
                  << ") for: " << text.substr(0, 200);
    return {};
  }
  return std::get<Command>(std::move(result));
}

Error parse_error(std::string_view text) {
  ParseResult result = parse_command(text);
  if (std::holds_alternative<Command>(result)) {
    ADD_FAILURE() << "expected an error for: " << text.substr(0, 200);
    return {};
  }
  return std::get<Error>(std::move(result));
}

template <typename T>
T body_as(const Command& command) {
  if (const auto* body = std::get_if<T>(&command.body)) return *body;
  ADD_FAILURE() << "command has another type (index " << command.body.index() << ")";
  return {};
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Asserts the error code and that the message names `field`.
void expect_error(std::string_view text, ErrorCode code, std::string_view field) {
  const Error error = parse_error(text);
  EXPECT_EQ(error.code, code) << to_string(error.code) << ": " << error.message << "\n  for "
                              << text.substr(0, 200);
  EXPECT_TRUE(contains(error.message, field))
      << "message '" << error.message << "' does not name '" << field << "'";
  // Every error must encode to a valid JSON reply.
  EXPECT_FALSE(Json::parse(encode_response(error), nullptr, false).is_discarded());
}

std::string message_with(std::string_view type, std::string_view fields) {
  std::string text = R"({"type":")";
  text += type;
  text += '"';
  if (!fields.empty()) {
    text += ',';
    text += fields;
  }
  text += '}';
  return text;
}

// A data object whose compact serialisation is exactly `bytes` long: {"p":"xxx..."}.
std::string data_of_size(std::size_t bytes) {
  constexpr std::size_t kOverhead = 8;  // {"p":""}
  return R"({"p":")" + std::string(bytes - kOverhead, 'x') + R"("})";
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

const std::string kEAcute = "\xc3\xa9";  // U+00E9: two bytes, one character

// ---- commands: accepted --------------------------------------------------------------------

TEST(CodecParseCommand, CallMinimalUsesDefaults) {
  const Command command = parse_ok(R"({"type":"call","to":"bob"})");
  EXPECT_FALSE(command.id.has_value());
  const auto call = body_as<CallCommand>(command);
  EXPECT_EQ(call.to, "bob");
  EXPECT_EQ(call.media, Media::audio);
  EXPECT_FALSE(call.call_id.has_value());
  EXPECT_FALSE(call.room_name.has_value());
  EXPECT_FALSE(call.timeout_ms.has_value());
  EXPECT_EQ(call.data.text(), "{}");
}

TEST(CodecParseCommand, CallWithEveryField) {
  const Command command = parse_ok(
      R"({"id":"r1","type":"call","to":"bob@example.com","media":"video","callId":"c-1.x_~+@",)"
      R"("roomName":"Team room )" +
      kEAcute + R"(","timeoutMs":45000,"data":{"sdp":"v=0","n":[1,2.5,null,true]}})");
  EXPECT_EQ(command.id, "r1");
  const auto call = body_as<CallCommand>(command);
  EXPECT_EQ(call.to, "bob@example.com");
  EXPECT_EQ(call.media, Media::video);
  EXPECT_EQ(call.call_id, "c-1.x_~+@");
  EXPECT_EQ(call.room_name, "Team room " + kEAcute);
  EXPECT_EQ(call.timeout_ms, 45000);
  EXPECT_EQ(call.data.parsed(), Json::parse(R"({"sdp":"v=0","n":[1,2.5,null,true]})"));
}

TEST(CodecParseCommand, CallAudioMediaAndTimeoutBounds) {
  EXPECT_EQ(
      body_as<CallCommand>(parse_ok(message_with("call", R"("to":"b","media":"audio")"))).media,
      Media::audio);
  EXPECT_EQ(body_as<CallCommand>(parse_ok(message_with("call", R"("to":"b","timeoutMs":5000)")))
                .timeout_ms,
            kMinCallTimeoutMs);
  EXPECT_EQ(body_as<CallCommand>(parse_ok(message_with("call", R"("to":"b","timeoutMs":120000)")))
                .timeout_ms,
            kMaxCallTimeoutMs);
}

TEST(CodecParseCommand, CallRoomNameLimits) {
  const std::string ascii(128, 'r');
  EXPECT_EQ(body_as<CallCommand>(
                parse_ok(message_with("call", R"("to":"b","roomName":")" + ascii + "\"")))
                .room_name,
            ascii);
  // The limit counts characters, not bytes.
  std::string accented;
  for (int i = 0; i < 128; ++i)
    accented += kEAcute;
  EXPECT_EQ(body_as<CallCommand>(
                parse_ok(message_with("call", R"("to":"b","roomName":")" + accented + "\"")))
                .room_name,
            accented);
}

TEST(CodecParseCommand, IdsAtTheLengthLimitAreAccepted) {
  const std::string long_id(kMaxIdLength, 'a');
  EXPECT_EQ(body_as<CallCommand>(parse_ok(message_with("call", R"("to":")" + long_id + "\""))).to,
            long_id);
  EXPECT_EQ(
      body_as<RingingCommand>(parse_ok(message_with("ringing", R"("callId":")" + long_id + "\"")))
          .call_id,
      long_id);
}

TEST(CodecParseCommand, Ringing) {
  const Command command = parse_ok(R"({"type":"ringing","callId":"c1","id":"7"})");
  EXPECT_EQ(command.id, "7");
  EXPECT_EQ(body_as<RingingCommand>(command).call_id, "c1");
}

TEST(CodecParseCommand, AnswerWithAndWithoutData) {
  const auto plain = body_as<AnswerCommand>(parse_ok(R"({"type":"answer","callId":"c1"})"));
  EXPECT_EQ(plain.call_id, "c1");
  EXPECT_EQ(plain.data.text(), "{}");
  const auto with_data =
      body_as<AnswerCommand>(parse_ok(R"({"type":"answer","callId":"c1","data":{"sdp":"x"}})"));
  EXPECT_EQ(with_data.data.text(), R"({"sdp":"x"})");
}

TEST(CodecParseCommand, RejectReasons) {
  EXPECT_EQ(body_as<RejectCommand>(parse_ok(R"({"type":"reject","callId":"c1"})")).reason,
            RejectReason::declined);
  EXPECT_EQ(
      body_as<RejectCommand>(parse_ok(R"({"type":"reject","callId":"c1","reason":"declined"})"))
          .reason,
      RejectReason::declined);
  const auto busy =
      body_as<RejectCommand>(parse_ok(R"({"type":"reject","callId":"c1","reason":"busy"})"));
  EXPECT_EQ(busy.call_id, "c1");
  EXPECT_EQ(busy.reason, RejectReason::busy);
}

TEST(CodecParseCommand, HangupWithAndWithoutReason) {
  const auto plain = body_as<HangupCommand>(parse_ok(R"({"type":"hangup","callId":"c1"})"));
  EXPECT_EQ(plain.call_id, "c1");
  EXPECT_FALSE(plain.reason.has_value());
  const auto with_reason =
      body_as<HangupCommand>(parse_ok(R"({"type":"hangup","callId":"c1","reason":"bye \"x\""})"));
  EXPECT_EQ(with_reason.reason, "bye \"x\"");
  std::string longest;
  for (std::size_t i = 0; i < kMaxHangupReasonLength; ++i)
    longest += kEAcute;
  EXPECT_EQ(body_as<HangupCommand>(
                parse_ok(message_with("hangup", R"("callId":"c","reason":")" + longest + "\"")))
                .reason,
            longest);
}

TEST(CodecParseCommand, Signal) {
  const auto signal = body_as<SignalCommand>(
      parse_ok(R"({"type":"signal","callId":"c1","data":{"candidate":"a=1"}})"));
  EXPECT_EQ(signal.call_id, "c1");
  EXPECT_EQ(signal.data.text(), R"({"candidate":"a=1"})");
  EXPECT_EQ(
      body_as<SignalCommand>(parse_ok(R"({"type":"signal","callId":"c1","data":{}})")).data.text(),
      "{}");
}

TEST(CodecParseCommand, PingWithAndWithoutId) {
  EXPECT_FALSE(parse_ok(R"({"type":"ping"})").id.has_value());
  const Command command = parse_ok(R"({"type":"ping","id":"p"})");
  EXPECT_EQ(command.id, "p");
  EXPECT_TRUE(std::holds_alternative<PingCommand>(command.body));
}

TEST(CodecParseCommand, IdLimitsCountCharacters) {
  EXPECT_EQ(parse_ok(message_with("ping", R"("id":"")")).id, "");
  const std::string longest(kMaxCommandIdLength, 'i');
  EXPECT_EQ(parse_ok(message_with("ping", R"("id":")" + longest + "\"")).id, longest);
  std::string accented;
  for (std::size_t i = 0; i < kMaxCommandIdLength; ++i)
    accented += kEAcute;
  EXPECT_EQ(parse_ok(message_with("ping", R"("id":")" + accented + "\"")).id, accented);
}

TEST(CodecParseCommand, UnknownFieldsAndWhitespaceAreIgnored) {
  const Command command = parse_ok(
      " \n{ \"extra\" : [1,{\"x\":2}], \"type\" : \"hangup\" , \"callId\" : \"c1\", \"v\":2 }\t");
  EXPECT_EQ(body_as<HangupCommand>(command).call_id, "c1");
}

TEST(CodecParseCommand, DataIsPreservedExactly) {
  const std::string data =
      R"({"a":{"b":[1,-2,3.25,1e300,18446744073709551615,-9223372036854775808]},)"
      R"("s":"line\nbreak \"quoted\" )" +
      kEAcute + R"( \u20ac \ud83d\ude00","t":true,"f":false,"z":null,"e":{},"l":[]})";
  const Json expected = Json::parse(data);
  const auto call =
      body_as<CallCommand>(parse_ok(message_with("call", R"("to":"b","data":)" + data)));
  EXPECT_EQ(call.data.parsed(), expected);
  const auto signal =
      body_as<SignalCommand>(parse_ok(message_with("signal", R"("callId":"c","data":)" + data)));
  EXPECT_EQ(signal.data.parsed(), expected);

  // ... and survives being forwarded in an event.
  const std::string wire = encode_event(SignalEvent{"c", "alice", "d1", signal.data}, 3);
  EXPECT_EQ(Json::parse(wire).at("data"), expected);
}

TEST(CodecParseCommand, DataAtItsLimitIsAccepted) {
  const std::string call_data = data_of_size(kMaxCallDataBytes);
  EXPECT_EQ(body_as<CallCommand>(parse_ok(message_with("call", R"("to":"b","data":)" + call_data)))
                .data.size(),
            kMaxCallDataBytes);
  EXPECT_EQ(body_as<AnswerCommand>(
                parse_ok(message_with("answer", R"("callId":"c","data":)" + call_data)))
                .data.size(),
            kMaxCallDataBytes);
  const std::string signal_data = data_of_size(kMaxSignalDataBytes);
  EXPECT_EQ(body_as<SignalCommand>(
                parse_ok(message_with("signal", R"("callId":"c","data":)" + signal_data)))
                .data.size(),
            kMaxSignalDataBytes);
}

TEST(CodecParseCommand, DataLimitIsOnTheDataAsSent) {
  // `data` is relayed as the client wrote it, so its spacing counts against the limit.
  const std::string exact = R"({"p":")" + std::string(kMaxCallDataBytes - 8, 'x') + "\"}";
  ASSERT_EQ(exact.size(), kMaxCallDataBytes);
  parse_ok(message_with("call", R"("to":"b","data":)" + exact));
  const std::string spaced = R"({ "p":")" + std::string(kMaxCallDataBytes - 8, 'x') + "\"}";
  const ParseResult over = parse_command(message_with("call", R"("to":"b","data":)" + spaced));
  const auto* error = std::get_if<Error>(&over);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, ErrorCode::too_large);
}

TEST(CodecParseCommand, NestingUpToTheLimitIsAccepted) {
  // The command object is level 1, `data` level 2: 30 more levels make 32.
  const std::string data = R"({"a":)" + nested_arrays(30) + "}";
  const auto signal =
      body_as<SignalCommand>(parse_ok(message_with("signal", R"("callId":"c","data":)" + data)));
  EXPECT_EQ(signal.data.parsed(), Json::parse(data));
}

TEST(CodecParseCommand, HugeNumbersInDataAreKept) {
  const auto signal = body_as<SignalCommand>(
      parse_ok(R"({"type":"signal","callId":"c","data":{"big":123456789012345678901234567890}})"));
  EXPECT_TRUE(signal.data.parsed().at("big").is_number_float());
}

// ---- commands: rejected --------------------------------------------------------------------

TEST(CodecParseReject, NotJson) {
  for (const std::string text : {"",
                                 " ",
                                 "\n",
                                 "hello",
                                 "{",
                                 "}",
                                 "{\"type\":\"ping\"",
                                 "{\"type\":\"ping\",}",
                                 "{'type':'ping'}",
                                 "{type:\"ping\"}",
                                 "nul",
                                 "{}x",
                                 "{} {}",
                                 "/* c */{\"type\":\"ping\"}",
                                 "{\"type\":\"ping\"}\n// c",
                                 "[1,]",
                                 "\"unterminated",
                                 "{\"type\":\"pi\nng\"}",
                                 "{\"a\":01}",
                                 "{\"a\":NaN}",
                                 "{\"a\":-}",
                                 "{\"a\":1e400}",
                                 "{\"a\":-1e400}"}) {
    const Error error = parse_error(text);
    EXPECT_EQ(error.code, ErrorCode::bad_json) << "for: " << text;
    EXPECT_FALSE(error.id.has_value());
  }
  // nlohmann's lexer alone would take a raw NUL for the end of input.
  for (const std::string_view with_nul :
       {std::string_view("{\"type\":\"ping\"}\0", 16),
        std::string_view("{\"type\":\"ping\"}\0x", 17), std::string_view("\0", 1),
        std::string_view("{\"type\":\"p\0ing\"}", 16)}) {
    EXPECT_EQ(parse_error(with_nul).code, ErrorCode::bad_json);
  }
}

TEST(CodecParseReject, EveryTruncationIsBadJson) {
  const std::string full =
      R"({"id":"r","type":"call","to":"bob","media":"video","timeoutMs":9000,"data":{"a":[1,"x"]}})";
  parse_ok(full);
  for (std::size_t length = 0; length < full.size(); ++length) {
    EXPECT_EQ(parse_error(std::string_view(full).substr(0, length)).code, ErrorCode::bad_json)
        << "prefix of length " << length;
  }
}

TEST(CodecParseReject, InvalidUtf8IsBadJson) {
  for (const std::string text : {
           "{\"type\":\"ping\",\"id\":\"\xff\"}",          // never valid
           "{\"type\":\"ping\",\"id\":\"\xc3\"}",          // truncated sequence
           "{\"type\":\"ping\",\"id\":\"\xc0\xaf\"}",      // overlong '/'
           "{\"type\":\"ping\",\"id\":\"\xed\xa0\x80\"}",  // encoded surrogate
           "{\"type\":\"signal\",\"callId\":\"c\",\"data\":{\"k\":\"\x80\"}}",
           "{\"type\":\"ping\",\"\xfe\":1}",                 // in a key
           "{\"type\":\"ping\",\"id\":\"\\ud800\"}",         // lone escaped surrogate
           "{\"type\":\"ping\",\"id\":\"\\udc00\\ud800\"}",  // reversed pair
       }) {
    EXPECT_EQ(parse_error(text).code, ErrorCode::bad_json) << "for: " << text;
  }
}

TEST(CodecParseReject, NotAnObject) {
  for (const std::string text : {"[]", "[{\"type\":\"ping\"}]", "1", "-2.5", "\"ping\"", "null",
                                 "true", "false", "123456789012345678901234567890"}) {
    const Error error = parse_error(text);
    EXPECT_EQ(error.code, ErrorCode::bad_message) << "for: " << text;
    EXPECT_TRUE(contains(error.message, "object")) << error.message;
    EXPECT_FALSE(error.id.has_value());
  }
}

TEST(CodecParseReject, MissingOrMistypedType) {
  expect_error("{}", ErrorCode::bad_message, "type");
  expect_error(R"({"id":"x","to":"bob"})", ErrorCode::bad_message, "type");
  for (const std::string value : {"1", "null", "true", "[\"call\"]", "{}", "1.5"}) {
    expect_error(R"({"type":)" + value + "}", ErrorCode::bad_message, "type");
  }
}

TEST(CodecParseReject, UnknownType) {
  for (const std::string type : {"dance", "", "PING", "Call", " ping", "ack", "welcome"}) {
    const Error error = parse_error(R"({"id":"u","type":")" + type + "\"}");
    EXPECT_EQ(error.code, ErrorCode::unknown_type) << "for: " << type;
    EXPECT_TRUE(contains(error.message, "'" + type + "'")) << error.message;
    EXPECT_EQ(error.id, "u");
  }
}

TEST(CodecParseReject, UnknownTypeIsQuotedOnlyInPart) {
  std::string type;
  for (int i = 0; i < 1000; ++i)
    type += kEAcute;
  const Error error = parse_error(R"({"type":")" + type + "\"}");
  EXPECT_EQ(error.code, ErrorCode::unknown_type);
  EXPECT_LT(error.message.size(), 200U);
  // Cut on a character boundary: the reply stays valid UTF-8.
  EXPECT_FALSE(Json::parse(encode_response(error), nullptr, false).is_discarded());
}

struct RequiredField {
  std::string type;
  std::string field;
  std::string other_fields;  // the rest of a valid command
};

const std::vector<RequiredField> kRequiredFields = {
    {"call", "to", ""},
    {"ringing", "callId", ""},
    {"answer", "callId", ""},
    {"reject", "callId", ""},
    {"hangup", "callId", ""},
    {"signal", "callId", R"("data":{})"},
    {"signal", "data", R"("callId":"c1")"},
};

TEST(CodecParseReject, EachRequiredFieldMissing) {
  for (const auto& [type, field, other] : kRequiredFields) {
    expect_error(message_with(type, other), ErrorCode::bad_message, "'" + field + "'");
  }
}

TEST(CodecParseReject, EachRequiredFieldMistyped) {
  for (const auto& [type, field, other] : kRequiredFields) {
    const bool is_data = field == "data";
    std::vector<std::string> wrong = {"1", "true", "null", "[]", "1.5", "-3"};
    wrong.emplace_back(is_data ? R"("x")" : "{}");
    if (is_data) wrong.emplace_back(R"([{"a":1}])");
    for (const std::string& value : wrong) {
      std::string fields = "\"" + field + "\":";
      fields += value;
      if (!other.empty()) {
        fields += ',';
        fields += other;
      }
      expect_error(message_with(type, fields), ErrorCode::bad_message, "'" + field + "'");
    }
  }
}

TEST(CodecParseReject, OptionalFieldsMistyped) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":"call","to":"b","media":1})", "media"},
      {R"({"type":"call","to":"b","media":null})", "media"},
      {R"({"type":"call","to":"b","callId":7})", "callId"},
      {R"({"type":"call","to":"b","roomName":["r"]})", "roomName"},
      {R"({"type":"call","to":"b","timeoutMs":null})", "timeoutMs"},
      {R"({"type":"call","to":"b","data":"x"})", "data"},
      {R"({"type":"call","to":"b","data":[]})", "data"},
      {R"({"type":"call","to":"b","data":null})", "data"},
      {R"({"type":"answer","callId":"c","data":[1]})", "data"},
      {R"({"type":"answer","callId":"c","data":2})", "data"},
      {R"({"type":"reject","callId":"c","reason":1})", "reason"},
      {R"({"type":"reject","callId":"c","reason":{}})", "reason"},
      {R"({"type":"hangup","callId":"c","reason":false})", "reason"},
  };
  for (const auto& [text, field] : cases) {
    expect_error(text, ErrorCode::bad_message, "'" + field + "'");
  }
}

TEST(CodecParseReject, BadIds) {
  const std::vector<std::string> bad_ids = {"",          std::string(kMaxIdLength + 1, 'a'),
                                            "a b",       "a/b",
                                            "a:b",       "a\\\"b",
                                            "a#b",       kEAcute,
                                            "a\\u0000b", "a\\nb",
                                            "*"};
  for (const std::string& bad : bad_ids) {
    expect_error(message_with("call", R"("to":")" + bad + "\""), ErrorCode::bad_message, "'to'");
    expect_error(message_with("call", R"("to":"b","callId":")" + bad + "\""),
                 ErrorCode::bad_message, "'callId'");
    for (const std::string type : {"ringing", "answer", "reject", "hangup"}) {
      expect_error(message_with(type, R"("callId":")" + bad + "\""), ErrorCode::bad_message,
                   "'callId'");
    }
    expect_error(message_with("signal", R"("callId":")" + bad + R"(","data":{})"),
                 ErrorCode::bad_message, "'callId'");
  }
}

TEST(CodecParseReject, BadMedia) {
  for (const std::string media : {"", "AUDIO", "Video", "screen", "audio "}) {
    expect_error(message_with("call", R"("to":"b","media":")" + media + "\""),
                 ErrorCode::bad_message, "'media'");
  }
}

TEST(CodecParseReject, BadRoomName) {
  const std::string too_long(129, 'r');
  std::string too_long_accented;
  for (int i = 0; i < 129; ++i)
    too_long_accented += kEAcute;
  for (const std::string& room :
       {std::string(""), too_long, too_long_accented, std::string("a\\u0001b"),
        std::string("tab\\there"), std::string("nl\\n"), std::string("del\\u007f"),
        std::string("raw\x7f"), std::string("\\u001f")}) {
    expect_error(message_with("call", R"("to":"b","roomName":")" + room + "\""),
                 ErrorCode::bad_message, "'roomName'");
  }
}

TEST(CodecParseReject, TimeoutOutOfRangeOrNotAnInteger) {
  for (const std::string value : {"4999",
                                  "120001",
                                  "0",
                                  "-1",
                                  "-5000",
                                  "5000.0",
                                  "5000.5",
                                  "1e4",
                                  "1E4",
                                  "true",
                                  "false",
                                  "\"5000\"",
                                  "[5000]",
                                  "{}",
                                  "9223372036854775807",
                                  "9223372036854775808",
                                  "18446744073709551615",
                                  "-9223372036854775808",
                                  "99999999999999999999999",
                                  "-99999999999999999999999",
                                  "1e300"}) {
    expect_error(message_with("call", R"("to":"b","timeoutMs":)" + value), ErrorCode::bad_message,
                 "'timeoutMs'");
  }
}

TEST(CodecParseReject, DataOverItsLimitIsTooLarge) {
  const std::string call_data = data_of_size(kMaxCallDataBytes + 1);
  expect_error(message_with("call", R"("to":"b","data":)" + call_data), ErrorCode::too_large,
               "'data'");
  expect_error(message_with("answer", R"("callId":"c","data":)" + call_data), ErrorCode::too_large,
               "'data'");
  // 8 KiB + 1 is fine for a signal; its own limit is 64 KiB.
  parse_ok(message_with("signal", R"("callId":"c","data":)" + call_data));
  expect_error(
      message_with("signal", R"("callId":"c","data":)" + data_of_size(kMaxSignalDataBytes + 1)),
      ErrorCode::too_large, "'data'");
}

TEST(CodecParseReject, BadRejectReason) {
  for (const std::string reason : {"", "Busy", "declined ", "no_answer", "completed"}) {
    expect_error(message_with("reject", R"("callId":"c","reason":")" + reason + "\""),
                 ErrorCode::bad_message, "'reason'");
  }
}

TEST(CodecParseReject, HangupReasonTooLong) {
  const std::string too_long(kMaxHangupReasonLength + 1, 'x');
  expect_error(message_with("hangup", R"("callId":"c","reason":")" + too_long + "\""),
               ErrorCode::bad_message, "'reason'");
}

TEST(CodecParseReject, IdNotAStringOrTooLong) {
  const std::vector<std::string> bad_ids = {
      "1",  "null", "true",    "[]",
      "{}", "1.5",  "[\"x\"]", "\"" + std::string(kMaxCommandIdLength + 1, 'i') + "\""};
  for (const std::string& id : bad_ids) {
    const Error error = parse_error(R"({"type":"ping","id":)" + id + "}");
    EXPECT_EQ(error.code, ErrorCode::bad_message) << "for id " << id;
    EXPECT_TRUE(contains(error.message, "'id'")) << error.message;
    EXPECT_FALSE(error.id.has_value());
  }
}

TEST(CodecParseReject, IdIsReadFirstAndEchoed) {
  const std::vector<std::pair<std::string, ErrorCode>> cases = {
      {R"({"to":"b","id":"q1"})", ErrorCode::bad_message},
      {R"({"type":5,"id":"q1"})", ErrorCode::bad_message},
      {R"({"type":"nope","id":"q1"})", ErrorCode::unknown_type},
      {R"({"type":"call","id":"q1"})", ErrorCode::bad_message},
      {R"({"type":"call","to":"b","media":"x","id":"q1"})", ErrorCode::bad_message},
      {R"({"type":"call","to":"b","timeoutMs":1,"id":"q1"})", ErrorCode::bad_message},
      {R"({"type":"ringing","callId":"","id":"q1"})", ErrorCode::bad_message},
      {R"({"type":"reject","callId":"c","reason":"x","id":"q1"})", ErrorCode::bad_message},
      {R"({"type":"signal","callId":"c","id":"q1"})", ErrorCode::bad_message},
      {message_with("call", R"("to":"b","id":"q1","data":)" + data_of_size(9000)),
       ErrorCode::too_large},
      {message_with("signal", R"("callId":"c","id":"q1","data":{"a":)" + nested_arrays(40) + "}"),
       ErrorCode::bad_message},
  };
  for (const auto& [text, code] : cases) {
    const Error error = parse_error(text);
    EXPECT_EQ(error.code, code) << "for: " << text.substr(0, 120);
    EXPECT_EQ(error.id, "q1") << "for: " << text.substr(0, 120);
    EXPECT_TRUE(contains(encode_response(error), R"("id":"q1")"));
  }
}

TEST(CodecParseReject, FirstBadFieldIsReported) {
  const Error error = parse_error(R"({"type":"call","to":"","media":"x"})");
  EXPECT_TRUE(contains(error.message, "'to'")) << error.message;
}

TEST(CodecParseReject, DeepNesting) {
  // One level past the limit, inside `data`.
  const std::string just_too_deep = R"({"a":)" + nested_arrays(31) + "}";
  expect_error(message_with("signal", R"("callId":"c","data":)" + just_too_deep),
               ErrorCode::bad_message, "32");
  // Far past it: no stack overflow, in data, in an ignored field, or at the top level.
  const std::string very_deep = nested_arrays(200'000);
  expect_error(message_with("signal", R"("callId":"c","data":{"a":)" + very_deep + "}"),
               ErrorCode::bad_message, "deep");
  expect_error(message_with("ping", R"("junk":)" + very_deep), ErrorCode::bad_message, "deep");
  std::string objects;
  for (int i = 0; i < 100'000; ++i)
    objects += R"({"a":)";
  objects += "1";
  objects += std::string(100'000, '}');
  expect_error(message_with("ping", R"("junk":)" + objects), ErrorCode::bad_message, "deep");
  EXPECT_EQ(parse_error(very_deep).code, ErrorCode::bad_message);
  // Unbalanced: syntax wins.
  EXPECT_EQ(parse_error(std::string(200'000, '[')).code, ErrorCode::bad_json);
}

TEST(CodecParseReject, ErrorsEncodeAsValidReplies) {
  const Error error = parse_error(R"({"type":"x\"y\\z","id":"a\"b"})");
  const Json reply = Json::parse(encode_response(error));
  EXPECT_EQ(reply.at("type"), "error");
  EXPECT_EQ(reply.at("id"), "a\"b");
  EXPECT_EQ(reply.at("code"), "unknown_type");
  EXPECT_EQ(reply.at("message"), "unknown type 'x\"y\\z'");
}

// ---- events --------------------------------------------------------------------------------

TEST(CodecEncodeEvent, WelcomeFresh) {
  EXPECT_EQ(
      encode_event(WelcomeEvent{"alice", "d1", "s1", 20000, false, 120000, {}}, 1),
      R"({"seq":1,"type":"welcome","userId":"alice","deviceId":"d1","sessionId":"s1",)"
      R"("heartbeatMs":20000,"resumed":false,"replayed":0,"resumeWindowMs":120000,"calls":[]})");
}

TEST(CodecEncodeEvent, WelcomeResumedWithCalls) {
  const CallSnapshot ringing_caller{"c1",    CallState::ringing, Role::caller, "bob", Media::video,
                                    "room1", 1700000030000,      {},           "d1"};
  const CallSnapshot active_callee{"c2",    CallState::active, Role::callee,
                                   "carol", Media::audio,      "room2",
                                   {},      1700000005000,     "d1"};
  const WelcomeEvent welcome{
      "alice", "d1", "s1", 20000, true, 120000, {ringing_caller, active_callee}};
  EXPECT_EQ(encode_event(welcome, 17),
            R"({"seq":17,"type":"welcome","userId":"alice","deviceId":"d1","sessionId":"s1",)"
            R"("heartbeatMs":20000,"resumed":true,"replayed":0,"resumeWindowMs":120000,"calls":[)"
            R"({"callId":"c1","state":"ringing","role":"caller","peer":"bob","media":"video",)"
            R"("roomName":"room1","expiresAt":1700000030000,"deviceId":"d1"},)"
            R"({"callId":"c2","state":"active","role":"callee","peer":"carol","media":"audio",)"
            R"("roomName":"room2","answeredAt":1700000005000,"deviceId":"d1"}]})");
}

TEST(CodecEncodeEvent, WelcomeSnapshotOmitsAbsentFields) {
  // A callee's call that still rings has no device yet; an empty device id is omitted too.
  const CallSnapshot ringing_callee{"c3", CallState::ringing, Role::callee, "dave", Media::audio,
                                    "r",  1700000040000,      {},           {}};
  const CallSnapshot bare{"c4", CallState::active, Role::caller, "erin", Media::audio, "", {}, {},
                          ""};
  const WelcomeEvent welcome{"alice", "d2", "s2", 1000, false, 0, {ringing_callee, bare}};
  EXPECT_EQ(encode_event_body(welcome),
            R"({"type":"welcome","userId":"alice","deviceId":"d2","sessionId":"s2",)"
            R"("heartbeatMs":1000,"resumed":false,"replayed":0,"resumeWindowMs":0,"calls":[)"
            R"({"callId":"c3","state":"ringing","role":"callee","peer":"dave","media":"audio",)"
            R"("roomName":"r","expiresAt":1700000040000},)"
            R"({"callId":"c4","state":"active","role":"caller","peer":"erin","media":"audio",)"
            R"("roomName":""}]})");
}

TEST(CodecEncodeEvent, WelcomeSnapshotStringsStayValidJson) {
  const std::string bad = "x\xff\"y";
  const CallSnapshot snapshot{
      "c", CallState::ringing, Role::caller, bad, Media::audio, "q\"r", 1, {}, bad};
  std::string wire;
  ASSERT_NO_THROW(wire = encode_event(WelcomeEvent{"u", "d", "s", 1, true, 2, {snapshot}}, 3));
  const Json json = Json::parse(wire, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << wire;
  const Json& call = json.at("calls").at(0);
  EXPECT_EQ(call.at("peer"), "x\xef\xbf\xbd\"y");  // U+FFFD
  EXPECT_EQ(call.at("roomName"), "q\"r");
  EXPECT_EQ(json.at("resumed"), true);
}

TEST(CodecEncodeEvent, PeerReconnecting) {
  EXPECT_EQ(encode_event(PeerEvent{"c1", "bob", PeerState::reconnecting}, 8),
            R"({"seq":8,"type":"peer","callId":"c1","userId":"bob","state":"reconnecting"})");
}

TEST(CodecEncodeEvent, PeerReconnected) {
  EXPECT_EQ(encode_event(PeerEvent{"c1", "bob", PeerState::reconnected}, 9),
            R"({"seq":9,"type":"peer","callId":"c1","userId":"bob","state":"reconnected"})");
}

TEST(CodecEncodeEvent, Call) {
  CallEvent call{"c1",          "alice", "bob",
                 Media::video,  "room",  Json::parse(R"({"sdp":"v=0"})"),
                 1700000030000, 30000};
  EXPECT_EQ(encode_event(call, 2),
            R"({"seq":2,"type":"call","callId":"c1","from":"alice","to":"bob","media":"video",)"
            R"("roomName":"room","data":{"sdp":"v=0"},"expiresAt":1700000030000,)"
            R"("expiresInMs":30000})");
  call.media = Media::audio;
  call.data = {};
  EXPECT_TRUE(contains(encode_event_body(call), R"("media":"audio","roomName":"room","data":{},)"));
}

TEST(CodecEncodeEvent, Ringing) {
  EXPECT_EQ(encode_event(RingingEvent{"c1", "bob"}, 3),
            R"({"seq":3,"type":"ringing","callId":"c1","from":"bob"})");
}

TEST(CodecEncodeEvent, Answer) {
  EXPECT_EQ(encode_event(AnswerEvent{"c1", "bob", "phone", Json::parse(R"({"sdp":"a"})")}, 4),
            R"({"seq":4,"type":"answer","callId":"c1","from":"bob","deviceId":"phone",)"
            R"("data":{"sdp":"a"}})");
}

TEST(CodecEncodeEvent, Signal) {
  EXPECT_EQ(encode_event(SignalEvent{"c1", "alice", "laptop", Json::object()}, 5),
            R"({"seq":5,"type":"signal","callId":"c1","from":"alice","fromDevice":"laptop",)"
            R"("data":{}})");
}

TEST(CodecEncodeEvent, EndedMinimal) {
  EXPECT_EQ(encode_event(EndedEvent{"c1", EndReason::no_answer, {}, {}, {}}, 6),
            R"({"seq":6,"type":"ended","callId":"c1","reason":"no_answer"})");
  // Empty optional strings are omitted too.
  EXPECT_EQ(encode_event_body(EndedEvent{"c1", EndReason::canceled, "", {}, ""}),
            R"({"type":"ended","callId":"c1","reason":"canceled"})");
}

TEST(CodecEncodeEvent, EndedFull) {
  EXPECT_EQ(encode_event(EndedEvent{"c1", EndReason::completed, "bob", 61000, "see you"}, 7),
            R"({"seq":7,"type":"ended","callId":"c1","reason":"completed","by":"bob",)"
            R"("durationMs":61000,"message":"see you"})");
  EXPECT_EQ(encode_event_body(EndedEvent{"c1", EndReason::completed, {}, 0, {}}),
            R"({"type":"ended","callId":"c1","reason":"completed","durationMs":0})");
}

TEST(CodecEncodeEvent, EveryEndReasonRoundTrips) {
  for (const EndReason reason :
       {EndReason::completed, EndReason::canceled, EndReason::declined, EndReason::busy,
        EndReason::no_answer, EndReason::unavailable, EndReason::answered_elsewhere,
        EndReason::declined_elsewhere, EndReason::connection_lost}) {
    const Json json = Json::parse(encode_event(EndedEvent{"c", reason, {}, {}, {}}, 1));
    EXPECT_EQ(json.at("reason"), std::string(to_string(reason)));
  }
}

TEST(CodecEncodeEvent, EveryEventRoundTripsThroughAJsonParser) {
  const Json data = Json::parse(R"({"k":[1,{"n":null}],"u":"\u20ac"})");
  const std::vector<std::pair<Event, std::vector<std::string>>> cases = {
      {WelcomeEvent{"u", "d", "s", 1, true, 2, {}},
       {"seq", "type", "userId", "deviceId", "sessionId", "heartbeatMs", "resumed", "replayed",
        "resumeWindowMs", "calls"}},
      {PeerEvent{"c", "b", PeerState::reconnecting}, {"seq", "type", "callId", "userId", "state"}},
      {CallEvent{"c", "a", "b", Media::audio, "r", data, 10, 5},
       {"seq", "type", "callId", "from", "to", "media", "roomName", "data", "expiresAt",
        "expiresInMs"}},
      {RingingEvent{"c", "b"}, {"seq", "type", "callId", "from"}},
      {AnswerEvent{"c", "b", "d", data}, {"seq", "type", "callId", "from", "deviceId", "data"}},
      {SignalEvent{"c", "a", "d", data}, {"seq", "type", "callId", "from", "fromDevice", "data"}},
      {EndedEvent{"c", EndReason::busy, "b", 3, "m"},
       {"seq", "type", "callId", "reason", "by", "durationMs", "message"}},
  };
  for (const auto& [event, keys] : cases) {
    const std::string wire = encode_event(event, 42);
    const auto ordered = nlohmann::ordered_json::parse(wire);
    std::vector<std::string> actual;
    for (const auto& item : ordered.items())
      actual.push_back(item.key());
    EXPECT_EQ(actual, keys) << wire;
    EXPECT_EQ(ordered.at("seq"), 42);
    if (ordered.contains("data")) {
      EXPECT_EQ(Json::parse(wire).at("data"), data);
    }
  }
}

TEST(CodecEncodeEvent, StringsAreEscaped) {
  const std::string wire =
      encode_event_body(EndedEvent{"c", EndReason::completed, "b", {}, "q\"b\\n\n\t\x01/e"});
  EXPECT_EQ(Json::parse(wire).at("message"), "q\"b\\n\n\t\x01/e");
}

TEST(CodecEncodeEvent, InvalidUtf8NeverThrowsAndIsReplaced) {
  const std::string bad = "x\xff\xc3y";
  Json data = Json::object();
  data["k"] = bad;
  data[bad] = {bad};
  std::string wire;
  ASSERT_NO_THROW(wire = encode_event(SignalEvent{"c", bad, bad, data}, 1));
  const Json json = Json::parse(wire, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << wire;
  EXPECT_TRUE(contains(json.at("from").get<std::string>(), "\xef\xbf\xbd"));  // U+FFFD
  EXPECT_TRUE(contains(json.at("data").at("k").get<std::string>(), "\xef\xbf\xbd"));
  ASSERT_NO_THROW(wire = encode_response(Error{bad, ErrorCode::bad_message, bad}));
  EXPECT_FALSE(Json::parse(wire, nullptr, false).is_discarded());
}

TEST(CodecEncodeEvent, NonObjectDataIsSentAsEmptyObject) {
  EXPECT_EQ(encode_event_body(SignalEvent{"c", "a", "d", Json()}),
            R"({"type":"signal","callId":"c","from":"a","fromDevice":"d","data":{}})");
  EXPECT_EQ(encode_event_body(AnswerEvent{"c", "b", "d", Json::array({1})}),
            R"({"type":"answer","callId":"c","from":"b","deviceId":"d","data":{}})");
}

// ---- seq stamping --------------------------------------------------------------------------

TEST(CodecStampSeq, PrependsSeq) {
  EXPECT_EQ(stamp_seq(R"({"type":"x"})", 9), R"({"seq":9,"type":"x"})");
  EXPECT_EQ(stamp_seq(R"({"type":"x","a":{}})", 1), R"({"seq":1,"type":"x","a":{}})");
}

TEST(CodecStampSeq, EmptyObject) {
  EXPECT_EQ(stamp_seq("{}", 7), R"({"seq":7})");
  EXPECT_FALSE(Json::parse(stamp_seq("{}", 7), nullptr, false).is_discarded());
}

TEST(CodecStampSeq, ExtremeSeqValues) {
  EXPECT_EQ(stamp_seq(R"({"a":1})", 0), R"({"seq":0,"a":1})");
  const Seq max = std::numeric_limits<Seq>::max();
  EXPECT_EQ(stamp_seq(R"({"a":1})", max), R"({"seq":18446744073709551615,"a":1})");
  EXPECT_EQ(Json::parse(stamp_seq(R"({"a":1})", max)).at("seq").get<Seq>(), max);
}

TEST(CodecStampSeq, OneBodyManyRecipients) {
  const Event event = RingingEvent{"c1", "bob"};
  const std::string body = encode_event_body(event);
  for (Seq seq = 1; seq <= 3; ++seq)
    EXPECT_EQ(stamp_seq(body, seq), encode_event(event, seq));
}

// ---- responses -----------------------------------------------------------------------------

TEST(CodecEncodeResponse, Ack) {
  EXPECT_EQ(encode_response(Ack{}), R"({"type":"ack"})");
  EXPECT_EQ(encode_response(Ack{"r1", {}}), R"({"type":"ack","id":"r1"})");
  EXPECT_EQ(encode_response(Ack{"r1", "c1"}), R"({"type":"ack","id":"r1","callId":"c1"})");
  EXPECT_EQ(encode_response(Ack{{}, "c1"}), R"({"type":"ack","callId":"c1"})");
  // An empty id is still the client's handle and is echoed.
  EXPECT_EQ(encode_response(Ack{"", {}}), R"({"type":"ack","id":""})");
}

TEST(CodecEncodeResponse, Error) {
  EXPECT_EQ(encode_response(Error{"r2", ErrorCode::not_found, "unknown call 'c9'"}),
            R"({"type":"error","id":"r2","code":"not_found","message":"unknown call 'c9'"})");
  EXPECT_EQ(encode_response(Error{{}, ErrorCode::bad_json, "message is not valid JSON"}),
            R"({"type":"error","code":"bad_json","message":"message is not valid JSON"})");
}

TEST(CodecEncodeResponse, EveryErrorCode) {
  for (const ErrorCode code :
       {ErrorCode::bad_json, ErrorCode::bad_message, ErrorCode::unknown_type, ErrorCode::too_large,
        ErrorCode::not_found, ErrorCode::forbidden, ErrorCode::invalid_state,
        ErrorCode::already_answered, ErrorCode::conflict, ErrorCode::self_call,
        ErrorCode::unsupported, ErrorCode::rate_limited, ErrorCode::unauthorized}) {
    const Json json = Json::parse(encode_response(Error{{}, code, "m"}));
    EXPECT_EQ(json.at("code"), std::string(to_string(code)));
  }
}

TEST(CodecEncodeResponse, Pong) {
  EXPECT_EQ(encode_response(Pong{}), R"({"type":"pong"})");
  EXPECT_EQ(encode_response(Pong{"p1"}), R"({"type":"pong","id":"p1"})");
}

// ---- auth (PROTOCOL.md "Token expiry") -----------------------------------------------------

TEST(CodecParseAuth, TokenIsTakenAsIs) {
  const Command command = parse_ok(R"({"type":"auth","id":"a1","token":"aaa.bbb.ccc"})");
  EXPECT_EQ(command.id, "a1");
  EXPECT_EQ(body_as<AuthCommand>(command).token, "aaa.bbb.ccc");
  EXPECT_FALSE(parse_ok(R"({"type":"auth","token":"t"})").id.has_value());
}

TEST(CodecParseAuth, TokenMustBeANonEmptyString) {
  expect_error(R"({"type":"auth","id":"a1"})", ErrorCode::bad_message, "'token' is required");
  expect_error(R"({"type":"auth","token":""})", ErrorCode::bad_message,
               "'token' must not be empty");
  for (const char* value : {"1", "null", "true", "{}", R"(["t"])"}) {
    expect_error(message_with("auth", std::string(R"("token":)") + value), ErrorCode::bad_message,
                 "'token' must be a string");
  }
  // The id is still echoed, so the client can match the refusal.
  EXPECT_EQ(parse_error(R"({"type":"auth","id":"a9"})").id, "a9");
}

TEST(CodecParseAuth, TokenSizeIsBounded) {
  const std::string longest(kMaxAuthTokenBytes, 't');
  EXPECT_EQ(body_as<AuthCommand>(parse_ok(message_with("auth", R"("token":")" + longest + '"')))
                .token.size(),
            kMaxAuthTokenBytes);
  const std::string over(kMaxAuthTokenBytes + 1, 't');
  expect_error(message_with("auth", R"("id":"big","token":")" + over + '"'), ErrorCode::too_large,
               "'token'");
  EXPECT_EQ(parse_error(message_with("auth", R"("id":"big","token":")" + over + '"')).id, "big");
}

TEST(CodecLimitsTest, DataLimitsAreTheCallersToSet) {
  const CodecLimits small{64, 128};
  const auto call = message_with("call", R"("to":"bob","data":)" + data_of_size(64));
  EXPECT_TRUE(std::holds_alternative<Command>(parse_command(call, small)));
  const auto big_call = message_with("call", R"("id":"c","to":"bob","data":)" + data_of_size(65));
  const auto refused = parse_command(big_call, small);
  ASSERT_TRUE(std::holds_alternative<Error>(refused));
  EXPECT_EQ(std::get<Error>(refused).code, ErrorCode::too_large);
  EXPECT_TRUE(contains(std::get<Error>(refused).message, "limit 64"));
  const auto answer = message_with("answer", R"("callId":"c1","data":)" + data_of_size(65));
  EXPECT_TRUE(std::holds_alternative<Error>(parse_command(answer, small)));
  const auto signal = message_with("signal", R"("callId":"c1","data":)" + data_of_size(128));
  EXPECT_TRUE(std::holds_alternative<Command>(parse_command(signal, small)));
  const auto big_signal = message_with("signal", R"("callId":"c1","data":)" + data_of_size(129));
  EXPECT_TRUE(std::holds_alternative<Error>(parse_command(big_signal, small)));
  // The defaults are the documented ones.
  EXPECT_TRUE(std::holds_alternative<Command>(parse_command(big_signal)));
}

}  // namespace
}  // namespace switchboard
