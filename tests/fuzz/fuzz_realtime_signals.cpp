// Fuzz target: Supabase Realtime call signals (protocol/realtime_signals.hpp). The first byte
// picks the sender and the transport's command id; the rest is a `call-signal` payload (its
// JSON when it parses, else the text as a JSON string) and also a topic name. Checks that
// nothing crashes or hits UB, and that:
//  - command_from_signal always carries the given id, refuses a `from` other than the sender
//    with `forbidden`, never yields `bad_json` (it re-serialises a parsed payload) nor a ping,
//    and maps `cancel` to hangup and `busy` to reject with reason busy;
//  - every event built from an accepted command (with the client's `data`, hangup text and
//    room name) becomes a call-signal payload with the right type, callId, from, to and data;
//  - an answer becomes a phx_reply body carrying the error's code and message;
//  - calls_topic_user() only ever names a valid user id, and sub_topic() is a suffix.
#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_support.hpp"
#include "protocol/realtime_signals.hpp"

namespace switchboard::fuzz {
namespace {

using realtime::Json;

constexpr std::string_view kSenders[] = {"alice", "bob", "u0", "a.b-c_d~e@f+g"};
const std::optional<std::string> kIds[] = {std::nullopt, "1", "", "rest"};

// Payloads reach command_from_signal from the Phoenix decoder, which refuses containers
// nested deeper than phoenix::kMaxNestingDepth (the payload sits two levels down in a frame),
// so deeper ones are not what the server passes in.
constexpr int kMaxPayloadDepth = 30;

Json payload_of(std::string_view text) {
  bool too_deep = false;
  const Json::parser_callback_t limit = [&too_deep](int depth, Json::parse_event_t event, Json&) {
    const bool opens =
        event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start;
    if (opens && depth >= kMaxPayloadDepth) too_deep = true;
    return !too_deep;
  };
  if (text.find('\0') == std::string_view::npos) {
    Json parsed = Json::parse(text.begin(), text.end(), limit, /*allow_exceptions=*/false);
    if (!parsed.is_discarded() && !too_deep) return parsed;
  }
  return Json(std::string(text));  // not an object: refused before anything reads it
}

void check_signal(const Event& event, std::string_view recipient, std::string_view type,
                  std::string_view call_id, const OpaqueJson* data) {
  const std::optional<Json> payload = realtime::signal_from_event(event, recipient);
  check(payload.has_value(), "call event without a call-signal form");
  check(payload->value("type", "") == type, "call-signal of another type");
  check(payload->value("callId", "") == call_id, "call-signal callId");
  check(payload->value("to", "") == recipient, "call-signal to");
  check(payload->value("from", "") != recipient, "call-signal from the recipient itself");
  if (data != nullptr && data->size() > 2) {
    check(payload->contains("data") && payload->at("data") == data->parsed(), "data changed");
  }
  // What the server sends: the payload's JSON, which must serialise without errors.
  check(!payload->dump().empty(), "empty call-signal");
}

void check_command(const Command& cmd, std::string_view sender, const Json& payload) {
  const std::string type = payload.value("type", "");
  const CallRef ref{std::string(sender), "peer", "room"};
  if (const auto* call = std::get_if<CallCommand>(&cmd.body)) {
    check(type == "call", "call from another type");
    check(is_valid_id(call->to), "bad to accepted");
    const std::string id = call->call_id.value_or("c1");
    const std::string room = call->room_name.value_or(id);
    const CallEvent event{id, std::string(sender), call->to, call->media, room, call->data, 1, 2};
    if (call->to != sender) check_signal(event, call->to, "call", id, &call->data);
  } else if (const auto* answer = std::get_if<AnswerCommand>(&cmd.body)) {
    check(type == "answer", "answer from another type");
    const AnswerEvent event{answer->call_id, "peer", "d", answer->data, ref};
    check_signal(event, sender, "answer", answer->call_id, &answer->data);
  } else if (const auto* signal = std::get_if<SignalCommand>(&cmd.body)) {
    check(type == "signal", "signal from another type");
    const SignalEvent event{signal->call_id, "peer", "d", signal->data, ref};
    check_signal(event, sender, "signal", signal->call_id, &signal->data);
  } else if (const auto* hangup = std::get_if<HangupCommand>(&cmd.body)) {
    check(type == "hangup" || type == "cancel", "hangup from another type");
    const EndedEvent event{hangup->call_id, EndReason::completed, "peer", 1, hangup->reason, ref};
    check_signal(event, sender, "hangup", hangup->call_id, nullptr);
  } else if (const auto* reject = std::get_if<RejectCommand>(&cmd.body)) {
    check(type == "reject" || type == "busy", "reject from another type");
    check(type != "busy" || reject->reason == RejectReason::busy, "busy is not reject busy");
    const EndedEvent event{reject->call_id, EndReason::declined, "peer", {}, {}, ref};
    check_signal(event, sender, "reject", reject->call_id, nullptr);
  } else if (const auto* ringing = std::get_if<RingingCommand>(&cmd.body)) {
    check(type == "ringing", "ringing from another type");
    check_signal(RingingEvent{ringing->call_id, "peer", ref}, sender, "ringing", ringing->call_id,
                 nullptr);
  } else {
    fail("a call-signal became a command that is not about calls");
  }
  const auto reply = realtime::reply_from_response(Ack{cmd.id, "c1"});
  check(reply.ok && reply.response.value("callId", "") == "c1", "ack reply");
}

void check_result(const ParseResult& result, const Json& payload, std::string_view sender,
                  const std::optional<std::string>& id) {
  const auto from = payload.is_object() ? payload.find("from") : payload.end();
  const bool foreign_from = from != payload.end() &&
                            (!from->is_string() || from->get_ref<const std::string&>() != sender);
  if (const auto* error = std::get_if<Error>(&result)) {
    check(error->id == id, "error without the transport's id");
    check(error->code != ErrorCode::bad_json, "a parsed payload became bad_json");
    check(!foreign_from || error->code == ErrorCode::forbidden, "foreign from not forbidden");
    check(!error->message.empty() && is_valid_utf8(error->message), "error message");
    const auto reply = realtime::reply_from_response(*error);
    check(!reply.ok && reply.response.value("reason", "") == error->message &&
              reply.response.value("code", "") == to_string(error->code),
          "error reply body");
    return;
  }
  check(!foreign_from, "a call-signal from someone else was accepted");
  const Command& cmd = std::get<Command>(result);
  check(cmd.id == id, "command without the transport's id");
  check_command(cmd, sender, payload);
}

}  // namespace
}  // namespace switchboard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchboard;
  fuzz::ByteReader in(data, size);
  const std::uint8_t pick = in.byte();
  const std::string_view sender = fuzz::kSenders[pick % std::size(fuzz::kSenders)];
  const std::optional<std::string>& id = fuzz::kIds[(pick / 4U) % std::size(fuzz::kIds)];
  const std::string_view text = in.rest();

  const realtime::Json payload = fuzz::payload_of(text);
  fuzz::check_result(realtime::command_from_signal(payload, sender, id), payload, sender, id);

  if (const auto user = realtime::calls_topic_user(text)) {
    fuzz::check(is_valid_id(*user), "calls topic of an invalid user id");
  }
  const std::string_view sub = realtime::sub_topic(text);
  fuzz::check(text.ends_with(sub), "sub_topic is not a suffix");
  fuzz::check(!realtime::signal_from_event(WelcomeEvent{}, sender), "welcome as a call-signal");
  return 0;
}
