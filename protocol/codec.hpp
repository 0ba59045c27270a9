// Text <-> typed message conversion for protocol v1 (PROTOCOL.md). Pure functions: no I/O,
// no exceptions escape, every malformed input becomes a typed Error naming what is wrong.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "protocol/messages.hpp"

namespace switchboard {

// A client text frame decoded: either a command, or the error to send back (carrying the
// command's `id` whenever one could be read, so clients can match it).
using ParseResult = std::variant<Command, Error>;

ParseResult parse_command(std::string_view text, const CodecLimits& limits = {});

// Events fan out to several connections, each with its own `seq`. The body is encoded once
// (a JSON object without `seq`) and stamped per recipient, which costs one copy, not one
// JSON serialisation, per recipient.
std::string encode_event_body(const Event& event);
std::string stamp_seq(std::string_view body, Seq seq);  // -> {"seq":N,...body}
inline std::string encode_event(const Event& event, Seq seq) {
  return stamp_seq(encode_event_body(event), seq);
}

// ack / error / pong; one JSON object, no trailing newline.
std::string encode_response(const Response& response);

}  // namespace switchboard
