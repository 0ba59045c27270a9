// Supabase Realtime call-signal dialect: calls:<user> topics, call-signal payloads -> engine
// commands (through protocol v1's parse_command, so the same fields, limits and messages),
// engine events -> call-signal payloads for each recipient, and engine responses -> phx_reply
// bodies.
#include "protocol/realtime_signals.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace switchboard::realtime {
namespace {

// ---- helpers -------------------------------------------------------------------------------

Command command_ok(const Json& payload, std::string_view sender = "alice",
                   std::optional<std::string> id = "1") {
  ParseResult result = command_from_signal(payload, sender, std::move(id));
  if (const auto* error = std::get_if<Error>(&result)) {
    ADD_FAILURE() << "unexpected error " << to_string(error->code) << " (" << error->message
                  << ") for: " << payload.dump();
    return {};
  }
  return std::get<Command>(std::move(result));
}

Error command_error(const Json& payload, std::string_view sender = "alice",
                    std::optional<std::string> id = "1") {
  ParseResult result = command_from_signal(payload, sender, std::move(id));
  if (std::holds_alternative<Command>(result)) {
    ADD_FAILURE() << "expected an error for: " << payload.dump();
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

Json signal_or_fail(const Event& event, std::string_view recipient) {
  std::optional<Json> signal = signal_from_event(event, recipient);
  if (!signal) {
    ADD_FAILURE() << "no call-signal for event index " << event.index();
    return {};
  }
  return *std::move(signal);
}

// An object {"x":"xxx..."} whose compact text is exactly `bytes` long.
Json data_of_size(std::size_t bytes) {
  constexpr std::size_t kOverhead = 8;  // {"x":""}
  return Json{{"x", std::string(bytes - kOverhead, 'x')}};
}

const CallRef kCall{"alice", "bob", "room1"};

// ---- topics --------------------------------------------------------------------------------

TEST(RealtimeTopics, CallsTopicUserWithoutPrefix) {
  EXPECT_EQ(calls_topic_user("calls:alice"), "alice");
}

TEST(RealtimeTopics, CallsTopicUserWithRealtimePrefix) {
  EXPECT_EQ(calls_topic_user("realtime:calls:bob"), "bob");
}

TEST(RealtimeTopics, CallsTopicUserAcceptsEveryIdCharacter) {
  EXPECT_EQ(calls_topic_user("calls:A.z_0~9@x+y-w"), "A.z_0~9@x+y-w");
  const std::string longest(kMaxIdLength, 'u');
  EXPECT_EQ(calls_topic_user("calls:" + longest), longest);
}

TEST(RealtimeTopics, CallsTopicUserRefusesMalformedIds) {
  EXPECT_EQ(calls_topic_user("calls:"), std::nullopt);
  EXPECT_EQ(calls_topic_user("realtime:calls:"), std::nullopt);
  EXPECT_EQ(calls_topic_user("calls:al ice"), std::nullopt);
  EXPECT_EQ(calls_topic_user("calls:alice:phone"), std::nullopt);
  EXPECT_EQ(calls_topic_user("calls:alice/x"), std::nullopt);
  EXPECT_EQ(calls_topic_user("calls:" + std::string(kMaxIdLength + 1, 'u')), std::nullopt);
}

TEST(RealtimeTopics, CallsTopicUserRefusesOtherTopics) {
  EXPECT_EQ(calls_topic_user(""), std::nullopt);
  EXPECT_EQ(calls_topic_user("realtime:"), std::nullopt);
  EXPECT_EQ(calls_topic_user("room:lobby"), std::nullopt);
  EXPECT_EQ(calls_topic_user("realtime:room:lobby"), std::nullopt);
  EXPECT_EQ(calls_topic_user("Calls:alice"), std::nullopt);
  EXPECT_EQ(calls_topic_user("calls"), std::nullopt);
  EXPECT_EQ(calls_topic_user("xcalls:alice"), std::nullopt);
  EXPECT_EQ(calls_topic_user("phoenix"), std::nullopt);
}

TEST(RealtimeTopics, CallsTopicUserStripsOnlyOneRealtimePrefix) {
  EXPECT_EQ(calls_topic_user("realtime:realtime:calls:alice"), std::nullopt);
}

TEST(RealtimeTopics, SubTopicStripsTheRealtimePrefix) {
  EXPECT_EQ(sub_topic("realtime:calls:alice"), "calls:alice");
  EXPECT_EQ(sub_topic("realtime:room:lobby"), "room:lobby");
  EXPECT_EQ(sub_topic("realtime:"), "");
}

TEST(RealtimeTopics, SubTopicKeepsTopicsWithoutThePrefix) {
  EXPECT_EQ(sub_topic("calls:alice"), "calls:alice");
  EXPECT_EQ(sub_topic("room:lobby"), "room:lobby");
  EXPECT_EQ(sub_topic(""), "");
  EXPECT_EQ(sub_topic("realtime"), "realtime");
  EXPECT_EQ(sub_topic("xrealtime:calls:alice"), "xrealtime:calls:alice");
}

TEST(RealtimeTopics, SubTopicStripsOnlyOnePrefix) {
  EXPECT_EQ(sub_topic("realtime:realtime:x"), "realtime:x");
}

// ---- commands: the seed app's payloads, exactly as sent ------------------------------------

TEST(RealtimeCommands, SeedCallBecomesCallCommand) {
  const Command command = command_ok(
      {{"type", "call"}, {"from", "alice"}, {"to", "bob"}, {"callId", "c1"}, {"roomName", "r1"}});
  EXPECT_EQ(command.id, "1");
  const auto call = body_as<CallCommand>(command);
  EXPECT_EQ(call.to, "bob");
  EXPECT_EQ(call.call_id, "c1");
  EXPECT_EQ(call.room_name, "r1");
  EXPECT_EQ(call.media, Media::audio);
  EXPECT_EQ(call.timeout_ms, std::nullopt);
  EXPECT_EQ(call.data, OpaqueJson{});
}

TEST(RealtimeCommands, SeedAnswerBecomesAnswerCommand) {
  const Command command = command_ok({{"type", "answer"}, {"callId", "c1"}}, "bob");
  const auto answer = body_as<AnswerCommand>(command);
  EXPECT_EQ(answer.call_id, "c1");
  EXPECT_EQ(answer.data, OpaqueJson{});
}

TEST(RealtimeCommands, SeedRejectBecomesDeclinedReject) {
  const Command command = command_ok({{"type", "reject"}, {"callId", "c1"}}, "bob");
  const auto reject = body_as<RejectCommand>(command);
  EXPECT_EQ(reject.call_id, "c1");
  EXPECT_EQ(reject.reason, RejectReason::declined);
}

TEST(RealtimeCommands, SeedHangupBecomesHangupWithoutReason) {
  const Command command = command_ok({{"type", "hangup"}, {"callId", "c1"}});
  const auto hangup = body_as<HangupCommand>(command);
  EXPECT_EQ(hangup.call_id, "c1");
  EXPECT_EQ(hangup.reason, std::nullopt);
}

// ---- commands: every type and its fields ---------------------------------------------------

TEST(RealtimeCommands, CallWithoutFromIsAccepted) {
  const auto call = body_as<CallCommand>(command_ok({{"type", "call"}, {"to", "bob"}}));
  EXPECT_EQ(call.to, "bob");
  EXPECT_EQ(call.call_id, std::nullopt);
  EXPECT_EQ(call.room_name, std::nullopt);
}

TEST(RealtimeCommands, CallPassesMediaTimeoutAndData) {
  const auto call = body_as<CallCommand>(command_ok({{"type", "call"},
                                                     {"to", "bob"},
                                                     {"media", "video"},
                                                     {"timeoutMs", 45000},
                                                     {"data", {{"name", "Alice"}, {"n", 1}}}}));
  EXPECT_EQ(call.media, Media::video);
  EXPECT_EQ(call.timeout_ms, 45000);
  EXPECT_EQ(call.data, OpaqueJson(Json{{"name", "Alice"}, {"n", 1}}));
  EXPECT_EQ(call.data.parsed(), (Json{{"n", 1}, {"name", "Alice"}}));
}

TEST(RealtimeCommands, RingingBecomesRingingCommand) {
  const auto ringing = body_as<RingingCommand>(
      command_ok({{"type", "ringing"}, {"from", "bob"}, {"callId", "c1"}}, "bob"));
  EXPECT_EQ(ringing.call_id, "c1");
}

TEST(RealtimeCommands, AnswerPassesData) {
  const auto answer = body_as<AnswerCommand>(
      command_ok({{"type", "answer"}, {"callId", "c1"}, {"data", {{"sdp", "v=0"}}}}, "bob"));
  EXPECT_EQ(answer.data.parsed(), (Json{{"sdp", "v=0"}}));
}

TEST(RealtimeCommands, RejectPassesBusyReason) {
  const auto reject = body_as<RejectCommand>(
      command_ok({{"type", "reject"}, {"callId", "c1"}, {"reason", "busy"}}, "bob"));
  EXPECT_EQ(reject.reason, RejectReason::busy);
}

TEST(RealtimeCommands, HangupPassesReasonText) {
  const auto hangup = body_as<HangupCommand>(
      command_ok({{"type", "hangup"}, {"callId", "c1"}, {"reason", "battery low"}}));
  EXPECT_EQ(hangup.reason, "battery low");
}

TEST(RealtimeCommands, SignalPassesData) {
  const Json data = {{"candidate", "a=candidate:1"}, {"sdpMLineIndex", 0}};
  const auto signal =
      body_as<SignalCommand>(command_ok({{"type", "signal"}, {"callId", "c1"}, {"data", data}}));
  EXPECT_EQ(signal.call_id, "c1");
  EXPECT_EQ(signal.data.parsed(), data);
}

TEST(RealtimeCommands, UnknownExtraFieldsAreIgnored) {
  const auto answer = body_as<AnswerCommand>(command_ok(
      {{"type", "answer"}, {"callId", "c1"}, {"to", "alice"}, {"appField", {1, 2}}}, "bob"));
  EXPECT_EQ(answer.call_id, "c1");
}

// ---- commands: dialect aliases -------------------------------------------------------------

TEST(RealtimeCommands, CancelIsHangup) {
  const auto hangup = body_as<HangupCommand>(command_ok({{"type", "cancel"}, {"callId", "c1"}}));
  EXPECT_EQ(hangup.call_id, "c1");
  EXPECT_EQ(hangup.reason, std::nullopt);
}

TEST(RealtimeCommands, CancelPassesHangupReason) {
  const auto hangup = body_as<HangupCommand>(
      command_ok({{"type", "cancel"}, {"callId", "c1"}, {"reason", "changed my mind"}}));
  EXPECT_EQ(hangup.reason, "changed my mind");
}

TEST(RealtimeCommands, BusyIsRejectWithReasonBusy) {
  const auto reject =
      body_as<RejectCommand>(command_ok({{"type", "busy"}, {"callId", "c1"}}, "bob"));
  EXPECT_EQ(reject.call_id, "c1");
  EXPECT_EQ(reject.reason, RejectReason::busy);
}

TEST(RealtimeCommands, BusyOverridesAnyReason) {
  const auto reject = body_as<RejectCommand>(
      command_ok({{"type", "busy"}, {"callId", "c1"}, {"reason", "declined"}}, "bob"));
  EXPECT_EQ(reject.reason, RejectReason::busy);
}

TEST(RealtimeCommands, AliasesAreStillValidated) {
  EXPECT_EQ(command_error({{"type", "cancel"}}).code, ErrorCode::bad_message);
  EXPECT_EQ(command_error({{"type", "busy"}, {"callId", "c 1"}}, "bob").code,
            ErrorCode::bad_message);
}

// ---- commands: from ------------------------------------------------------------------------

TEST(RealtimeCommands, FromOfAnotherUserIsForbidden) {
  const Error error = command_error({{"type", "call"}, {"from", "mallory"}, {"to", "bob"}});
  EXPECT_EQ(error.code, ErrorCode::forbidden);
  EXPECT_EQ(error.id, "1");
  EXPECT_TRUE(contains(error.message, "alice")) << error.message;
}

TEST(RealtimeCommands, FromIsComparedExactly) {
  EXPECT_EQ(command_error({{"type", "hangup"}, {"from", "Alice"}, {"callId", "c1"}}).code,
            ErrorCode::forbidden);
  EXPECT_EQ(command_error({{"type", "hangup"}, {"from", ""}, {"callId", "c1"}}).code,
            ErrorCode::forbidden);
}

TEST(RealtimeCommands, NonStringFromIsForbidden) {
  for (const Json& from :
       {Json(nullptr), Json(1), Json(true), Json::array({"alice"}), Json{{"id", "alice"}}}) {
    const Error error = command_error({{"type", "hangup"}, {"from", from}, {"callId", "c1"}});
    EXPECT_EQ(error.code, ErrorCode::forbidden) << from.dump();
  }
}

// ---- commands: type ------------------------------------------------------------------------

TEST(RealtimeCommands, MissingTypeIsBadMessage) {
  const Error error = command_error({{"callId", "c1"}});
  EXPECT_EQ(error.code, ErrorCode::bad_message);
  EXPECT_EQ(error.id, "1");
}

TEST(RealtimeCommands, NonStringTypeIsBadMessage) {
  for (const Json& type : {Json(nullptr), Json(3), Json::array({"call"}), Json::object()}) {
    EXPECT_EQ(command_error({{"type", type}, {"callId", "c1"}}).code, ErrorCode::bad_message)
        << type.dump();
  }
}

TEST(RealtimeCommands, UnknownTypeIsUnknownType) {
  const Error error = command_error({{"type", "invite"}, {"callId", "c1"}});
  EXPECT_EQ(error.code, ErrorCode::unknown_type);
  EXPECT_EQ(error.id, "1");
  EXPECT_EQ(command_error({{"type", ""}}).code, ErrorCode::unknown_type);
  EXPECT_EQ(command_error({{"type", "CALL"}, {"to", "bob"}}).code, ErrorCode::unknown_type);
}

TEST(RealtimeCommands, PingIsUnknownType) {
  EXPECT_EQ(command_error({{"type", "ping"}}).code, ErrorCode::unknown_type);
  // Realtime clients refresh their token with the access_token event, never with a signal.
  EXPECT_EQ(command_error({{"type", "auth"}, {"token", "aaa.bbb.ccc"}}).code,
            ErrorCode::unknown_type);
}

TEST(RealtimeCommands, NonObjectPayloadIsBadMessage) {
  for (const Json& payload : {Json(nullptr), Json("call"), Json(1), Json(true),
                              Json::array({{{"type", "call"}, {"to", "bob"}}})}) {
    const Error error = command_error(payload);
    EXPECT_EQ(error.code, ErrorCode::bad_message) << payload.dump();
    EXPECT_EQ(error.id, "1") << payload.dump();
  }
}

// ---- commands: protocol v1 validation surfaces ---------------------------------------------

TEST(RealtimeCommands, BadCallIdIsBadMessageNamingTheField) {
  const Error error = command_error({{"type", "answer"}, {"callId", "c 1"}}, "bob");
  EXPECT_EQ(error.code, ErrorCode::bad_message);
  EXPECT_EQ(error.id, "1");
  EXPECT_TRUE(contains(error.message, "callId")) << error.message;
}

TEST(RealtimeCommands, MissingOrNonStringCallIdIsBadMessage) {
  EXPECT_EQ(command_error({{"type", "hangup"}}).code, ErrorCode::bad_message);
  EXPECT_EQ(command_error({{"type", "hangup"}, {"callId", 1}}).code, ErrorCode::bad_message);
  EXPECT_EQ(command_error({{"type", "call"}, {"to", "bob"}, {"callId", ""}}).code,
            ErrorCode::bad_message);
}

TEST(RealtimeCommands, CallFieldValidationIsProtocolV1s) {
  EXPECT_EQ(command_error({{"type", "call"}}).code, ErrorCode::bad_message);
  EXPECT_EQ(command_error({{"type", "call"}, {"to", "b b"}}).code, ErrorCode::bad_message);
  EXPECT_EQ(command_error({{"type", "call"}, {"to", "bob"}, {"media", "fax"}}).code,
            ErrorCode::bad_message);
  EXPECT_EQ(command_error({{"type", "call"}, {"to", "bob"}, {"roomName", ""}}).code,
            ErrorCode::bad_message);
  EXPECT_EQ(command_error({{"type", "call"}, {"to", "bob"}, {"timeoutMs", 4999}}).code,
            ErrorCode::bad_message);
  EXPECT_EQ(command_error({{"type", "call"}, {"to", "bob"}, {"timeoutMs", 120001}}).code,
            ErrorCode::bad_message);
  EXPECT_EQ(command_error({{"type", "call"}, {"to", "bob"}, {"data", "x"}}).code,
            ErrorCode::bad_message);
}

TEST(RealtimeCommands, RejectReasonMustBeDeclinedOrBusy) {
  EXPECT_EQ(command_error({{"type", "reject"}, {"callId", "c1"}, {"reason", "nope"}}, "bob").code,
            ErrorCode::bad_message);
}

TEST(RealtimeCommands, HangupReasonIsAtMost64Characters) {
  const std::string longest(kMaxHangupReasonLength, 'r');
  EXPECT_EQ(body_as<HangupCommand>(
                command_ok({{"type", "hangup"}, {"callId", "c1"}, {"reason", longest}}))
                .reason,
            longest);
  EXPECT_EQ(command_error({{"type", "hangup"}, {"callId", "c1"}, {"reason", longest + "r"}}).code,
            ErrorCode::bad_message);
}

TEST(RealtimeCommands, SignalRequiresObjectData) {
  EXPECT_EQ(command_error({{"type", "signal"}, {"callId", "c1"}}).code, ErrorCode::bad_message);
  EXPECT_EQ(command_error({{"type", "signal"}, {"callId", "c1"}, {"data", "sdp"}}).code,
            ErrorCode::bad_message);
}

TEST(RealtimeCommands, CallDataOver8KiBIsTooLarge) {
  const auto call = body_as<CallCommand>(
      command_ok({{"type", "call"}, {"to", "bob"}, {"data", data_of_size(kMaxCallDataBytes)}}));
  EXPECT_EQ(call.data.size(), kMaxCallDataBytes);
  const Error error = command_error(
      {{"type", "call"}, {"to", "bob"}, {"data", data_of_size(kMaxCallDataBytes + 1)}});
  EXPECT_EQ(error.code, ErrorCode::too_large);
  EXPECT_EQ(error.id, "1");
}

TEST(RealtimeCommands, AnswerDataOver8KiBIsTooLarge) {
  command_ok({{"type", "answer"}, {"callId", "c1"}, {"data", data_of_size(kMaxCallDataBytes)}},
             "bob");
  EXPECT_EQ(
      command_error(
          {{"type", "answer"}, {"callId", "c1"}, {"data", data_of_size(kMaxCallDataBytes + 1)}},
          "bob")
          .code,
      ErrorCode::too_large);
}

TEST(RealtimeCommands, SignalDataOver64KiBIsTooLarge) {
  const auto signal = body_as<SignalCommand>(command_ok(
      {{"type", "signal"}, {"callId", "c1"}, {"data", data_of_size(kMaxSignalDataBytes)}}));
  EXPECT_EQ(signal.data.size(), kMaxSignalDataBytes);
  const Error error = command_error(
      {{"type", "signal"}, {"callId", "c1"}, {"data", data_of_size(kMaxSignalDataBytes + 1)}});
  EXPECT_EQ(error.code, ErrorCode::too_large);
  EXPECT_EQ(error.id, "1");
}

// ---- commands: id --------------------------------------------------------------------------

TEST(RealtimeCommands, GivenIdBecomesCommandId) {
  EXPECT_EQ(command_ok({{"type", "hangup"}, {"callId", "c1"}}, "alice", "42").id, "42");
}

TEST(RealtimeCommands, PayloadIdIsOverriddenByGivenId) {
  EXPECT_EQ(command_ok({{"type", "hangup"}, {"callId", "c1"}, {"id", "evil"}}, "alice", "42").id,
            "42");
}

TEST(RealtimeCommands, PayloadIdIsIgnoredWithoutGivenId) {
  EXPECT_EQ(
      command_ok({{"type", "hangup"}, {"callId", "c1"}, {"id", "evil"}}, "alice", std::nullopt).id,
      std::nullopt);
}

TEST(RealtimeCommands, MalformedPayloadIdIsIgnored) {
  // A v1 command would be refused for a non-string or over-long id; here it is not the id.
  EXPECT_EQ(command_ok({{"type", "hangup"}, {"callId", "c1"}, {"id", 7}}, "alice", "42").id, "42");
  EXPECT_EQ(command_ok({{"type", "hangup"}, {"callId", "c1"}, {"id", std::string(100, 'i')}},
                       "alice", std::nullopt)
                .id,
            std::nullopt);
}

TEST(RealtimeCommands, NoIdGivesCommandWithoutId) {
  const Command command = command_ok({{"type", "call"}, {"to", "bob"}}, "alice", std::nullopt);
  EXPECT_EQ(command.id, std::nullopt);
  EXPECT_EQ(body_as<CallCommand>(command).to, "bob");
}

TEST(RealtimeCommands, ErrorsCarryTheGivenIdOrNone) {
  EXPECT_EQ(command_error(Json::array(), "alice", "9").id, "9");
  EXPECT_EQ(command_error({{"type", "ping"}}, "alice", "9").id, "9");
  EXPECT_EQ(command_error({{"type", "hangup"}, {"from", "bob"}}, "alice", "9").id, "9");
  EXPECT_EQ(command_error({{"type", "hangup"}}, "alice", "9").id, "9");
  EXPECT_EQ(command_error({{"type", "hangup"}, {"id", "evil"}}, "alice", std::nullopt).id,
            std::nullopt);
  EXPECT_EQ(command_error({{"type", "ping"}, {"id", "evil"}}, "alice", std::nullopt).id,
            std::nullopt);
}

// ---- events -> call-signal payloads --------------------------------------------------------

TEST(RealtimeEvents, WelcomeHasNoSignal) {
  WelcomeEvent welcome;
  welcome.user_id = "alice";
  welcome.device_id = "phone";
  welcome.session_id = "s1";
  EXPECT_EQ(signal_from_event(welcome, "alice"), std::nullopt);
}

TEST(RealtimeEvents, CallEventToCallee) {
  CallEvent e;
  e.call_id = "c1";
  e.from = "alice";
  e.to = "bob";
  e.media = Media::video;
  e.room_name = "room1";
  e.expires_at = 1'764'000'030'000;
  e.expires_in_ms = 30'000;
  EXPECT_EQ(signal_or_fail(e, "bob"), (Json{{"type", "call"},
                                            {"callId", "c1"},
                                            {"from", "alice"},
                                            {"to", "bob"},
                                            {"roomName", "room1"},
                                            {"media", "video"},
                                            {"expiresAt", 1'764'000'030'000},
                                            {"expiresInMs", 30'000}}));
}

TEST(RealtimeEvents, CallEventCarriesDataOnlyWhenNonEmpty) {
  CallEvent e;
  e.call_id = "c1";
  e.from = "alice";
  e.to = "bob";
  e.room_name = "c1";
  const Json without = signal_or_fail(e, "bob");
  EXPECT_FALSE(without.contains("data")) << without.dump();
  EXPECT_EQ(without["media"], "audio");

  e.data = OpaqueJson(Json{{"name", "Alice"}});
  EXPECT_EQ(signal_or_fail(e, "bob")["data"], (Json{{"name", "Alice"}}));
}

TEST(RealtimeEvents, RingingEventToCaller) {
  RingingEvent e;
  e.call_id = "c1";
  e.from = "bob";
  e.call = kCall;
  EXPECT_EQ(signal_or_fail(e, "alice"), (Json{{"type", "ringing"},
                                              {"callId", "c1"},
                                              {"from", "bob"},
                                              {"to", "alice"},
                                              {"roomName", "room1"}}));
}

TEST(RealtimeEvents, AnswerEventWithDeviceAndData) {
  AnswerEvent e;
  e.call_id = "c1";
  e.from = "bob";
  e.device_id = "laptop";
  e.data = OpaqueJson(Json{{"sdp", "v=0"}});
  e.call = kCall;
  EXPECT_EQ(signal_or_fail(e, "alice"), (Json{{"type", "answer"},
                                              {"callId", "c1"},
                                              {"from", "bob"},
                                              {"to", "alice"},
                                              {"roomName", "room1"},
                                              {"deviceId", "laptop"},
                                              {"data", {{"sdp", "v=0"}}}}));
}

TEST(RealtimeEvents, AnswerEventWithoutDeviceOrData) {
  AnswerEvent e;
  e.call_id = "c1";
  e.from = "bob";
  e.call = kCall;
  EXPECT_EQ(signal_or_fail(e, "alice"), (Json{{"type", "answer"},
                                              {"callId", "c1"},
                                              {"from", "bob"},
                                              {"to", "alice"},
                                              {"roomName", "room1"}}));
}

TEST(RealtimeEvents, SignalEventToEitherParty) {
  SignalEvent e;
  e.call_id = "c1";
  e.from = "alice";
  e.from_device = "phone";
  e.data = OpaqueJson(Json{{"candidate", "x"}});
  e.call = kCall;
  EXPECT_EQ(signal_or_fail(e, "bob"), (Json{{"type", "signal"},
                                            {"callId", "c1"},
                                            {"from", "alice"},
                                            {"to", "bob"},
                                            {"roomName", "room1"},
                                            {"fromDevice", "phone"},
                                            {"data", {{"candidate", "x"}}}}));

  e.from = "bob";
  e.from_device = "";
  e.data = OpaqueJson{};
  EXPECT_EQ(signal_or_fail(e, "alice"), (Json{{"type", "signal"},
                                              {"callId", "c1"},
                                              {"from", "bob"},
                                              {"to", "alice"},
                                              {"roomName", "room1"}}));
}

TEST(RealtimeEvents, PeerEventNamesTheOtherPartyAndState) {
  PeerEvent e;
  e.call_id = "c1";
  e.user_id = "bob";
  e.state = PeerState::reconnecting;
  e.call = kCall;
  EXPECT_EQ(signal_or_fail(e, "alice"), (Json{{"type", "peer"},
                                              {"callId", "c1"},
                                              {"from", "bob"},
                                              {"to", "alice"},
                                              {"roomName", "room1"},
                                              {"state", "reconnecting"}}));

  e.user_id = "alice";
  e.state = PeerState::reconnected;
  const Json to_bob = signal_or_fail(e, "bob");
  EXPECT_EQ(to_bob["from"], "alice");
  EXPECT_EQ(to_bob["to"], "bob");
  EXPECT_EQ(to_bob["state"], "reconnected");
}

TEST(RealtimeEvents, CompletedEndIsHangupFromCallersView) {
  EndedEvent e;
  e.call_id = "c1";
  e.reason = EndReason::completed;
  e.by = "bob";
  e.duration_ms = 61'234;
  e.call = kCall;
  EXPECT_EQ(signal_or_fail(e, "alice"), (Json{{"type", "hangup"},
                                              {"callId", "c1"},
                                              {"from", "bob"},
                                              {"to", "alice"},
                                              {"roomName", "room1"},
                                              {"reason", "completed"},
                                              {"by", "bob"},
                                              {"durationMs", 61'234}}));
}

TEST(RealtimeEvents, CompletedEndIsHangupFromCalleesView) {
  EndedEvent e;
  e.call_id = "c1";
  e.reason = EndReason::completed;
  e.by = "alice";
  e.duration_ms = 5;
  e.message = "bye";
  e.call = kCall;
  EXPECT_EQ(signal_or_fail(e, "bob"), (Json{{"type", "hangup"},
                                            {"callId", "c1"},
                                            {"from", "alice"},
                                            {"to", "bob"},
                                            {"roomName", "room1"},
                                            {"reason", "completed"},
                                            {"by", "alice"},
                                            {"durationMs", 5},
                                            {"message", "bye"}}));
}

TEST(RealtimeEvents, EndWithoutByDurationOrMessageOmitsThem) {
  EndedEvent e;
  e.call_id = "c1";
  e.reason = EndReason::no_answer;
  e.call = kCall;
  EXPECT_EQ(signal_or_fail(e, "alice"), (Json{{"type", "hangup"},
                                              {"callId", "c1"},
                                              {"from", "bob"},
                                              {"to", "alice"},
                                              {"roomName", "room1"},
                                              {"reason", "no_answer"}}));
}

TEST(RealtimeEvents, DeclinedEndIsRejectToBothParties) {
  EndedEvent e;
  e.call_id = "c1";
  e.reason = EndReason::declined;
  e.by = "bob";
  e.call = kCall;
  EXPECT_EQ(signal_or_fail(e, "alice"), (Json{{"type", "reject"},
                                              {"callId", "c1"},
                                              {"from", "bob"},
                                              {"to", "alice"},
                                              {"roomName", "room1"},
                                              {"reason", "declined"},
                                              {"by", "bob"}}));
  const Json to_callee = signal_or_fail(e, "bob");
  EXPECT_EQ(to_callee["type"], "reject");
  EXPECT_EQ(to_callee["from"], "alice");
  EXPECT_EQ(to_callee["to"], "bob");
}

TEST(RealtimeEvents, AnsweredElsewhereIsHangup) {
  EndedEvent e;
  e.call_id = "c1";
  e.reason = EndReason::answered_elsewhere;
  e.by = "bob";
  e.call = kCall;
  const Json signal = signal_or_fail(e, "bob");
  EXPECT_EQ(signal["type"], "hangup");
  EXPECT_EQ(signal["reason"], "answered_elsewhere");
  EXPECT_EQ(signal["from"], "alice");
  EXPECT_EQ(signal["to"], "bob");
  EXPECT_EQ(signal["by"], "bob");
}

TEST(RealtimeEvents, EveryOtherEndIsHangupWithSnakeCaseReason) {
  const std::pair<EndReason, std::string_view> reasons[] = {
      {EndReason::completed, "completed"},
      {EndReason::canceled, "canceled"},
      {EndReason::busy, "busy"},
      {EndReason::no_answer, "no_answer"},
      {EndReason::unavailable, "unavailable"},
      {EndReason::answered_elsewhere, "answered_elsewhere"},
      {EndReason::declined_elsewhere, "declined_elsewhere"},
      {EndReason::connection_lost, "connection_lost"},
  };
  for (const auto& [reason, name] : reasons) {
    EndedEvent e;
    e.call_id = "c1";
    e.reason = reason;
    e.call = kCall;
    for (const std::string_view recipient : {"alice", "bob"}) {
      const Json signal = signal_or_fail(e, recipient);
      EXPECT_EQ(signal["type"], "hangup") << name << " to " << recipient;
      EXPECT_EQ(signal["reason"], name) << name << " to " << recipient;
      EXPECT_EQ(signal["to"], recipient) << name;
      EXPECT_EQ(signal["from"], recipient == "alice" ? "bob" : "alice") << name;
    }
  }
}

// ---- responses -> phx_reply bodies ---------------------------------------------------------

TEST(RealtimeReplies, AckWithCallId) {
  const ReplyBody body = reply_from_response(Ack{"1", "c1"});
  EXPECT_TRUE(body.ok);
  EXPECT_EQ(body.response, (Json{{"callId", "c1"}}));
}

TEST(RealtimeReplies, AckWithoutCallIdIsEmptyObject) {
  const ReplyBody body = reply_from_response(Ack{"1", std::nullopt});
  EXPECT_TRUE(body.ok);
  EXPECT_TRUE(body.response.is_object());
  EXPECT_TRUE(body.response.empty());
}

TEST(RealtimeReplies, ErrorHasReasonAndCode) {
  const ReplyBody body =
      reply_from_response(Error{"1", ErrorCode::forbidden, "from must be your own user id"});
  EXPECT_FALSE(body.ok);
  EXPECT_EQ(body.response,
            (Json{{"reason", "from must be your own user id"}, {"code", "forbidden"}}));
}

TEST(RealtimeReplies, ErrorCodesAreSnakeCase) {
  const ReplyBody body = reply_from_response(Error{std::nullopt, ErrorCode::unknown_type, "x"});
  EXPECT_FALSE(body.ok);
  EXPECT_EQ(body.response["code"], "unknown_type");
}

TEST(RealtimeReplies, PongIsOkWithEmptyObject) {
  const ReplyBody body = reply_from_response(Pong{"1"});
  EXPECT_TRUE(body.ok);
  EXPECT_TRUE(body.response.is_object());
  EXPECT_TRUE(body.response.empty());
}

TEST(RealtimeReplies, CommandErrorRoundTripsToReply) {
  const ReplyBody body =
      reply_from_response(command_error({{"type", "call"}, {"from", "bob"}, {"to", "carol"}}));
  EXPECT_FALSE(body.ok);
  EXPECT_EQ(body.response["code"], "forbidden");
  EXPECT_TRUE(contains(body.response["reason"].get<std::string>(), "alice"));
}

}  // namespace
}  // namespace switchboard::realtime
