// Call semantics in the Supabase Realtime dialect (PROTOCOL.md "Supabase Realtime"): a
// `call-signal` broadcast payload such as {type:'call', from, to, callId, roomName} becomes an
// engine command, and engine events become `call-signal` payloads for the recipient's
// `calls:<userId>` topic. Pure functions; no I/O; no exceptions escape.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol/codec.hpp"
#include "protocol/messages.hpp"

namespace switchboard::realtime {

using Json = nlohmann::json;

// The broadcast event that carries calls; every other event is plain broadcast.
inline constexpr std::string_view kCallSignalEvent = "call-signal";

// The user whose inbox a topic is: "calls:alice" -> "alice" (realtime-js topics drop their
// "realtime:" prefix first). nullopt for every other topic, and for a malformed user id.
std::optional<std::string> calls_topic_user(std::string_view topic);

// The topic without realtime-js's "realtime:" prefix, as the REST API names topics.
std::string_view sub_topic(std::string_view topic);

// A `call-signal` payload from `sender` -> the engine command it means, or the error to
// answer. `from`, when present, must be the sender: the server decides who is speaking. The
// payload is checked exactly as a protocol v1 command (same fields, limits and messages);
// `cancel` means hangup and `busy` means reject with reason busy. `id` becomes the command id.
ParseResult command_from_signal(const Json& payload, std::string_view sender,
                                std::optional<std::string> id, const CodecLimits& limits = {});

// The `call-signal` payload that tells `recipient` about `event`: {type, callId, from, to,
// roomName, ...} with `from` the other party and `to` the recipient. Ends are `reject` when the
// callee declined and `hangup` (with `reason`) otherwise, so a client that only knows
// call/answer/reject/hangup still tears down. nullopt for events with no such form (welcome).
std::optional<Json> signal_from_event(const Event& event, std::string_view recipient);

// An engine response as the status and response of a phx_reply.
struct ReplyBody {
  bool ok = true;
  Json response = Json::object();
};
ReplyBody reply_from_response(const Response& response);

}  // namespace switchboard::realtime
