// Fuzz target: any bytes as a client text frame into the native codec (parse_command, the one
// entry point for untrusted input in protocol/codec.hpp). Checks that it never crashes or hits
// UB, and that whatever it returns keeps the codec's promises:
//  - an Error has a code the parser may give, a message, and an echoed id of at most 64
//    characters; encoded as a reply it is valid JSON that says exactly that (so no message
//    ever carries invalid UTF-8 that the encoder would have to replace);
//  - a Command has valid ids, a timeout in range, `data` within its limit that is the text of
//    a JSON object; every event and response built from it (what the engine would relay:
//    call, answer, signal, ended with the hangup text, a welcome snapshot, ack, pong) encodes
//    to valid JSON carrying the same values, `data` included.
#include <algorithm>
#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_support.hpp"
#include "protocol/codec.hpp"

namespace switchboard::fuzz {
namespace {

// PROTOCOL.md "Messages": a roomName is 1-128 characters without control characters.
constexpr std::size_t kMaxRoomChars = 128;

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7F;
}

Json parse_output(const std::string& text) {
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  check(value.is_object(), "encoder output is not a JSON object: ", text);
  return value;
}

bool same_id(const Json& message, const std::optional<std::string>& id) {
  const auto it = message.find("id");
  if (!id) return it == message.end();
  return it != message.end() && *it == *id;
}

void check_command_id(const std::string& id) {
  check(is_valid_utf8(id) && utf8_chars(id) <= kMaxCommandIdLength, "bad command id echoed");
}

void check_error(const Error& error) {
  check(error.code == ErrorCode::bad_json || error.code == ErrorCode::bad_message ||
            error.code == ErrorCode::unknown_type || error.code == ErrorCode::too_large,
        "parse error with a code only the engine gives");
  check(!error.message.empty(), "parse error without a message");
  check(is_valid_utf8(error.message), "error message is not valid UTF-8");
  if (error.id) check_command_id(*error.id);
  const Json reply = parse_output(encode_response(error));
  check(reply.value("type", "") == "error", "error reply of another type");
  check(reply.value("message", "") == error.message, "error message changed in encoding");
  check(reply.value("code", "") == to_string(error.code), "error code changed in encoding");
  check(same_id(reply, error.id), "error id changed in encoding");
}

// `data` as the engine relays it: its text, appended verbatim to every event.
void check_data(const OpaqueJson& data, std::size_t limit) {
  check(data.size() <= limit, "data over its limit was accepted");
  check(Json::parse(data.text(), nullptr, false).is_object(), "data is not a JSON object");
}

void check_id(const std::string& id) {
  check(is_valid_id(id), "invalid id accepted: ", id);
}

// Encodes `event` with `seq` and checks the JSON that comes out against the expected fields.
Json check_event(const Event& event, Seq seq, std::string_view type) {
  const std::string text = encode_event(event, seq);
  check(text == stamp_seq(encode_event_body(event), seq), "encode_event != stamp_seq(body)");
  const Json json = parse_output(text);
  check(json.value("type", "") == type, "event of another type");
  check(json.value("seq", Seq{0}) == seq, "event seq changed in encoding");
  return json;
}

void check_relayed_data(const Json& event, const OpaqueJson& data) {
  check(event.contains("data") && event.at("data") == data.parsed(), "data changed in relaying");
}

void check_command(const Command& cmd, Seq seq) {
  if (cmd.id) check_command_id(*cmd.id);
  check(same_id(parse_output(encode_response(Ack{cmd.id, std::nullopt})), cmd.id), "ack id");
  check(same_id(parse_output(encode_response(Pong{cmd.id})), cmd.id), "pong id");

  if (const auto* call = std::get_if<CallCommand>(&cmd.body)) {
    check_id(call->to);
    if (call->call_id) check_id(*call->call_id);
    if (call->timeout_ms) {
      check(*call->timeout_ms >= kMinCallTimeoutMs && *call->timeout_ms <= kMaxCallTimeoutMs,
            "timeoutMs out of range accepted");
    }
    check_data(call->data, kMaxCallDataBytes);
    if (call->room_name) {
      const std::string& room = *call->room_name;
      check(is_valid_utf8(room) && utf8_chars(room) >= 1 && utf8_chars(room) <= kMaxRoomChars &&
                std::none_of(room.begin(), room.end(), is_control),
            "bad roomName accepted");
    }
    const std::string call_id = call->call_id.value_or("c1");
    const std::string room = call->room_name.value_or(call_id);
    const Json json = check_event(
        CallEvent{call_id, "caller", call->to, call->media, room, call->data, 1, 2}, seq, "call");
    check(json.value("roomName", "") == room && json.value("to", "") == call->to, "call fields");
    check_relayed_data(json, call->data);
    check(same_id(parse_output(encode_response(Ack{cmd.id, call_id})), cmd.id), "ack id");

    WelcomeEvent welcome{"caller", "d", "s", 1, true, 2, {}, 0};
    welcome.calls.push_back(CallSnapshot{call_id, CallState::ringing, Role::caller, call->to,
                                         call->media, room, 1, std::nullopt, "d"});
    const Json hello = check_event(welcome, seq, "welcome");
    const Json& calls = hello.at("calls");
    check(calls.size() == 1 && calls.at(0).value("roomName", "") == room,
          "welcome snapshot fields");
  } else if (const auto* answer = std::get_if<AnswerCommand>(&cmd.body)) {
    check_id(answer->call_id);
    check_data(answer->data, kMaxCallDataBytes);
    const Json json =
        check_event(AnswerEvent{answer->call_id, "callee", "d", answer->data, {}}, seq, "answer");
    check_relayed_data(json, answer->data);
  } else if (const auto* signal = std::get_if<SignalCommand>(&cmd.body)) {
    check_id(signal->call_id);
    check_data(signal->data, kMaxSignalDataBytes);
    const Json json =
        check_event(SignalEvent{signal->call_id, "u", "d", signal->data, {}}, seq, "signal");
    check_relayed_data(json, signal->data);
  } else if (const auto* hangup = std::get_if<HangupCommand>(&cmd.body)) {
    check_id(hangup->call_id);
    if (hangup->reason) {
      check(utf8_chars(*hangup->reason) <= kMaxHangupReasonLength, "long hangup reason accepted");
    }
    const EndedEvent ended{hangup->call_id, EndReason::completed, "u", 5, hangup->reason, {}};
    const Json json = check_event(ended, seq, "ended");
    // An empty reason is left out of the event rather than sent as "".
    check(json.value("message", "") == hangup->reason.value_or(""), "hangup text changed");
  } else if (const auto* reject = std::get_if<RejectCommand>(&cmd.body)) {
    check_id(reject->call_id);
    check(reject->reason == RejectReason::declined || reject->reason == RejectReason::busy,
          "reject reason out of range");
  } else if (const auto* ringing = std::get_if<RingingCommand>(&cmd.body)) {
    check_id(ringing->call_id);
    check_event(RingingEvent{ringing->call_id, "callee", {}}, seq, "ringing");
  }
}

}  // namespace
}  // namespace switchboard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchboard;
  const ParseResult result = parse_command(fuzz::as_text(data, size));
  if (const auto* error = std::get_if<Error>(&result)) {
    fuzz::check_error(*error);
  } else {
    // Any seq will do; the input's size varies it without spending bytes on it.
    fuzz::check_command(std::get<Command>(result), Seq{size} * 0x9E3779B97F4A7C15ULL);
  }
  return 0;
}
