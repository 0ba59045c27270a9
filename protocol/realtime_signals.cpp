#include "protocol/realtime_signals.hpp"

#include <type_traits>
#include <utility>
#include <variant>

namespace switchboard::realtime {
namespace {

constexpr std::string_view kRealtimePrefix = "realtime:";
constexpr std::string_view kCallsPrefix = "calls:";

// Dialect-only spellings of protocol v1 commands.
constexpr std::string_view kCancel = "cancel";  // the caller hangs up a ringing call
constexpr std::string_view kBusy = "busy";      // the callee rejects with reason busy

// The types a `call-signal` may carry; `ping` is the transport's business, not a signal's, and
// so is `auth` (a Realtime client refreshes its token with the `access_token` event).
bool is_call_command(std::string_view type) {
  return type == "call" || type == "ringing" || type == "answer" || type == "reject" ||
         type == "hangup" || type == "signal";
}

Error bad(std::optional<std::string> id, ErrorCode code, std::string message) {
  return Error{std::move(id), code, std::move(message)};
}

// {type, callId, from, to, roomName}: what every call-signal about a call starts with.
Json base(std::string_view type, const std::string& call_id, std::string_view from,
          std::string_view to, const std::string& room_name) {
  return Json{
      {"type", type}, {"callId", call_id}, {"from", from}, {"to", to}, {"roomName", room_name}};
}

void add_data(Json& payload, const OpaqueJson& data) {
  if (data.size() > 2) payload["data"] = data.parsed();  // "{}" says nothing
}

// The other party of the call, as seen by `recipient`.
std::string_view peer_of(const CallRef& call, std::string_view recipient) {
  return recipient == call.caller ? std::string_view(call.callee) : std::string_view(call.caller);
}

Json signal(const CallEvent& e, std::string_view /*recipient*/) {
  Json p = base("call", e.call_id, e.from, e.to, e.room_name);
  p["media"] = to_string(e.media);
  p["expiresAt"] = e.expires_at;
  p["expiresInMs"] = e.expires_in_ms;
  add_data(p, e.data);
  return p;
}

Json signal(const RingingEvent& e, std::string_view recipient) {
  return base("ringing", e.call_id, e.from, recipient, e.call.room_name);
}

Json signal(const AnswerEvent& e, std::string_view recipient) {
  Json p = base("answer", e.call_id, e.from, recipient, e.call.room_name);
  if (!e.device_id.empty()) p["deviceId"] = e.device_id;
  add_data(p, e.data);
  return p;
}

Json signal(const SignalEvent& e, std::string_view recipient) {
  Json p = base("signal", e.call_id, e.from, recipient, e.call.room_name);
  if (!e.from_device.empty()) p["fromDevice"] = e.from_device;
  add_data(p, e.data);
  return p;
}

Json signal(const PeerEvent& e, std::string_view recipient) {
  Json p = base("peer", e.call_id, e.user_id, recipient, e.call.room_name);
  p["state"] = to_string(e.state);
  return p;
}

Json signal(const EndedEvent& e, std::string_view recipient) {
  const bool rejected = e.reason == EndReason::declined;
  Json p = base(rejected ? "reject" : "hangup", e.call_id, peer_of(e.call, recipient), recipient,
                e.call.room_name);
  p["reason"] = to_string(e.reason);
  if (e.by) p["by"] = *e.by;
  if (e.duration_ms) p["durationMs"] = *e.duration_ms;
  if (e.message) p["message"] = *e.message;
  return p;
}

}  // namespace

std::string_view sub_topic(std::string_view topic) {
  if (topic.starts_with(kRealtimePrefix)) topic.remove_prefix(kRealtimePrefix.size());
  return topic;
}

std::optional<std::string> calls_topic_user(std::string_view topic) {
  topic = sub_topic(topic);
  if (!topic.starts_with(kCallsPrefix)) return std::nullopt;
  topic.remove_prefix(kCallsPrefix.size());
  if (!is_valid_id(topic)) return std::nullopt;
  return std::string(topic);
}

ParseResult command_from_signal(const Json& payload, std::string_view sender,
                                std::optional<std::string> id, const CodecLimits& limits) {
  if (!payload.is_object()) {
    return bad(std::move(id), ErrorCode::bad_message, "call-signal payload must be a JSON object");
  }
  Json command = payload;
  if (auto from = command.find("from"); from != command.end()) {
    if (!from->is_string() || from->get_ref<const std::string&>() != sender) {
      return bad(std::move(id), ErrorCode::forbidden,
                 "from must be your own user id (" + std::string(sender) + ")");
    }
    command.erase(from);
  }
  auto type = command.find("type");
  if (type == command.end() || !type->is_string()) {
    return bad(std::move(id), ErrorCode::bad_message, "call-signal payload needs a string type");
  }
  const std::string name = type->get<std::string>();
  if (name == kCancel) {
    *type = "hangup";
  } else if (name == kBusy) {
    *type = "reject";
    command["reason"] = "busy";
  } else if (!is_call_command(name)) {
    return bad(std::move(id), ErrorCode::unknown_type,
               "unknown call-signal type; use call, ringing, answer, reject, busy, hangup, "
               "cancel or signal");
  }
  // The command id is the transport's, never the payload's, and it is set after parsing: it
  // need not meet protocol v1's rules for ids, and every error must carry it.
  command.erase("id");
  ParseResult result =
      parse_command(command.dump(-1, ' ', false, Json::error_handler_t::replace), limits);
  std::visit([&id](auto& r) { r.id = std::move(id); }, result);
  return result;
}

std::optional<Json> signal_from_event(const Event& event, std::string_view recipient) {
  return std::visit(
      [recipient](const auto& e) -> std::optional<Json> {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, WelcomeEvent>) {
          return std::nullopt;  // a Realtime client has channels, not sessions
        } else {
          return signal(e, recipient);
        }
      },
      event);
}

ReplyBody reply_from_response(const Response& response) {
  return std::visit(
      [](const auto& r) -> ReplyBody {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, Error>) {
          return ReplyBody{false, Json{{"reason", r.message}, {"code", to_string(r.code)}}};
        } else if constexpr (std::is_same_v<T, Ack>) {
          ReplyBody body;
          if (r.call_id) body.response["callId"] = *r.call_id;
          return body;
        } else {
          return ReplyBody{};
        }
      },
      response);
}

}  // namespace switchboard::realtime
