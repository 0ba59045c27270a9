// Wire format of Supabase Realtime (Phoenix channels) as @supabase/realtime-js 2.119 speaks
// it: vsn 1.0.0 JSON objects, vsn 2.0.0 JSON arrays plus the binary user-broadcast frames
// (client push kind 3, server broadcast kind 4). Pure functions; no I/O; no exceptions
// escape. Every malformed client frame becomes a DecodeError naming the field at fault.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace switchboard::phoenix {

using Json = nlohmann::json;

enum class Vsn { v1, v2 };

// The `vsn` query parameter; only the two versions the client ships are accepted.
std::optional<Vsn> vsn_from_string(std::string_view s);

// Topic, event, user event and refs: the binary format stores their lengths in one byte, so
// text frames are held to the same bound and every message stays binary-encodable.
inline constexpr std::size_t kMaxNameBytes = 255;
// Containers may nest this deep, the frame itself included (as in protocol/codec.cpp):
// dump() recurses once per level, so relaying a client's payload cannot exhaust the stack.
inline constexpr int kMaxNestingDepth = 32;

// One decoded client frame.
struct Message {
  std::optional<std::string> join_ref;
  std::optional<std::string> ref;
  std::string topic;
  std::string event;
  Json payload;  // always an object ({} when the client sent null or nothing)
  // Only for a binary kind-3 push with encoding 0: the raw user payload bytes. payload is
  // then {"type":"broadcast","event":<user_event>} (plus "meta") without a "payload" key.
  std::optional<std::string> binary_payload;
};

struct DecodeError {
  std::string message;  // meant for the client
  // Whatever could be read despite the error, so the server can still address a reply.
  std::optional<std::string> join_ref;
  std::optional<std::string> ref;
  std::optional<std::string> topic;
};

using Decoded = std::variant<Message, DecodeError>;

// A text frame: a JSON object (v1) or a 5-element JSON array (v2).
Decoded decode_text(std::string_view text, Vsn vsn);
// A binary frame (vsn 2 only). Clients send only kind 3 (user broadcast push); it decodes
// to what the equivalent text push means: event "broadcast", payload
// {"type":"broadcast","event":<user_event>,"payload":<user_payload>[,"meta":<meta>]}.
Decoded decode_binary(std::string_view bytes);

// A text frame for any server message (phx_reply, phx_close, broadcast, ...). Invalid UTF-8
// in the strings is replaced by U+FFFD rather than failing.
std::string encode(Vsn vsn, const std::optional<std::string>& join_ref,
                   const std::optional<std::string>& ref, std::string_view topic,
                   std::string_view event, const Json& payload);

// Event "phx_reply" with payload {"status":"ok"|"error","response":response}.
std::string encode_reply(Vsn vsn, const std::optional<std::string>& join_ref,
                         const std::optional<std::string>& ref, std::string_view topic, bool ok,
                         const Json& response);

// A broadcast as text: event "broadcast", payload
// {"type":"broadcast","event":user_event,"payload":user_payload}, join_ref and ref null.
std::string encode_broadcast_text(Vsn vsn, std::string_view topic, std::string_view user_event,
                                  const Json& user_payload);

// A broadcast as a binary kind-4 frame (vsn 2 only), meta empty. json_encoding false: the
// payload is raw bytes (encoding 0); true: the payload is JSON text (encoding 1), which the
// caller guarantees is valid (the client JSON.parse()s it and throws otherwise). nullopt
// when topic or user_event exceed kMaxNameBytes.
std::optional<std::string> encode_broadcast_binary(std::string_view topic,
                                                   std::string_view user_event,
                                                   std::string_view payload, bool json_encoding);

}  // namespace switchboard::phoenix
