// The relay scenario's messages, built and read as text. At 100 000 messages a second a DOM
// parse and dump per message would make the bench, not the server, the bottleneck, so the
// hot path never builds a JSON tree: requests are concatenated, and deliveries are scanned for
// the few fields the bench needs. The payload's keys are "n", "r", "t", "z" in that order: the
// order Switchboard re-encodes an object in (sorted keys) and the order PeerJS keeps (it
// relays the client's JSON as sent). Anything the scanner does not recognise goes to the
// ordinary parsed path. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::bench {

// The envelope fields every message of both protocols starts with.
struct Peeked {
  std::optional<std::int64_t> seq;  // Switchboard events only
  std::string_view type;
};
// nullopt unless `text` starts like `{"seq":N,"type":"…"` or `{"type":"…"`.
std::optional<Peeked> peek(std::string_view text);

struct RelayPayload {
  std::int64_t n = 0;  // the exchange's number on its side
  bool reply = false;  // the echo of a request
  std::int64_t t = 0;  // the request's send time, steady-clock microseconds
  std::size_t padding = 0;
};
// The payload of a delivered `signal` (data) or PeerJS OFFER/ANSWER (payload).
std::optional<RelayPayload> scan_payload(std::string_view text);

// A Switchboard `signal` command on `call_id`, or a PeerJS OFFER (request) / ANSWER (reply)
// to peer `dst`, carrying `payload`.
std::string switchboard_signal(const std::string& call_id, const RelayPayload& payload);
std::string peerjs_message(const std::string& dst, const RelayPayload& payload);

}  // namespace switchboard::bench
