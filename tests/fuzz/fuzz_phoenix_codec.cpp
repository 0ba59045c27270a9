// Fuzz target: the same bytes as a Supabase Realtime text frame in vsn 1.0.0 (object) and
// 2.0.0 (array), and as a vsn 2.0.0 binary frame, into the Phoenix decoder
// (protocol/phoenix_codec.hpp). Checks that nothing crashes or hits UB, and that:
//  - a decoded message has a non-empty topic and event and refs of at most 255 bytes, and an
//    object payload; an error has a message and only fields that were themselves valid;
//  - text frames round-trip: what the server would encode from a decoded message decodes,
//    in either vsn, to the same message (the decoder's limits never refuse its own output);
//  - a binary push means what the equivalent text push means: its text form decodes to the
//    same message, and a raw payload relays byte for byte as a binary broadcast;
//  - every encoder produces valid JSON for anything a client could have sent.
#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_support.hpp"
#include "protocol/phoenix_codec.hpp"

namespace switchboard::fuzz {
namespace {

using phoenix::Decoded;
using phoenix::DecodeError;
using phoenix::Json;
using phoenix::kMaxNameBytes;
using phoenix::Message;
using phoenix::Vsn;

constexpr unsigned char kUserBroadcastKind = 4;

void check_name(const std::string& name, std::string_view what) {
  check(!name.empty() && name.size() <= kMaxNameBytes && is_valid_utf8(name), what);
}

void check_ref(const std::optional<std::string>& ref) {
  if (ref) check(ref->size() <= kMaxNameBytes && is_valid_utf8(*ref), "ref over 255 bytes");
}

void check_error(const DecodeError& error) {
  check(!error.message.empty() && is_valid_utf8(error.message), "decode error message");
  check_ref(error.join_ref);
  check_ref(error.ref);
  if (error.topic) check_name(*error.topic, "error topic");
}

void check_message(const Message& m) {
  check_name(m.topic, "topic");
  check_name(m.event, "event");
  check_ref(m.join_ref);
  check_ref(m.ref);
  check(m.payload.is_object(), "payload is not an object");
}

bool same(const Message& a, const Message& b) {
  return a.join_ref == b.join_ref && a.ref == b.ref && a.topic == b.topic && a.event == b.event &&
         a.payload == b.payload;
}

void check_json(const std::string& text) {
  check(!Json::parse(text, nullptr, /*allow_exceptions=*/false).is_discarded(),
        "encoder output is not JSON: ", text);
}

// The server's own encoding of `m` must decode to `m` in every vsn.
void check_round_trip(const Message& m) {
  for (const Vsn vsn : {Vsn::v1, Vsn::v2}) {
    const std::string text = phoenix::encode(vsn, m.join_ref, m.ref, m.topic, m.event, m.payload);
    const Decoded again = phoenix::decode_text(text, vsn);
    const auto* back = std::get_if<Message>(&again);
    if (back == nullptr) fail("own encoding refused: " + std::get<DecodeError>(again).message);
    check(same(m, *back), "text frame changed in a round trip: ", text);
    check(!back->binary_payload, "text frame decoded with a binary payload");
    // What a server sends back to the client about it.
    check_json(phoenix::encode_reply(vsn, m.join_ref, m.ref, m.topic, true, m.payload));
    check_json(phoenix::encode_broadcast_text(vsn, m.topic, m.event, m.payload));
  }
}

void text_frame(std::string_view text, Vsn vsn) {
  const Decoded decoded = phoenix::decode_text(text, vsn);
  if (const auto* error = std::get_if<DecodeError>(&decoded)) {
    check_error(*error);
    return;
  }
  const Message& m = std::get<Message>(decoded);
  check_message(m);
  check(!m.binary_payload, "text frame decoded with a binary payload");
  check_round_trip(m);
}

void binary_frame(std::string_view bytes) {
  const Decoded decoded = phoenix::decode_binary(bytes);
  if (const auto* error = std::get_if<DecodeError>(&decoded)) {
    check_error(*error);
    return;
  }
  const Message& m = std::get<Message>(decoded);
  check_message(m);
  check(m.event == "broadcast" && m.payload.value("type", "") == "broadcast", "binary push");
  const auto event = m.payload.find("event");
  check(event != m.payload.end() && event->is_string(), "binary push without a user event");
  const auto& user_event = event->get_ref<const std::string&>();
  // Byte 6 of the header is the payload encoding: 0 raw bytes, 1 JSON.
  const bool raw = static_cast<unsigned char>(bytes[6]) == 0;
  check(raw == m.binary_payload.has_value(), "binary payload present iff encoding 0");
  check(raw != m.payload.contains("payload"), "JSON payload present iff encoding 1");

  if (raw) {
    // Relayed to vsn 2.0.0 subscribers as a kind-4 frame: kind, topic length, event length,
    // meta length (none), encoding, then the three fields as they came.
    const auto relayed =
        phoenix::encode_broadcast_binary(m.topic, user_event, *m.binary_payload, false);
    check(relayed.has_value(), "binary broadcast refused for a decodable push");
    const std::string header{static_cast<char>(kUserBroadcastKind),
                             static_cast<char>(m.topic.size()),
                             static_cast<char>(user_event.size()), '\0', '\0'};
    check(*relayed == header + m.topic + user_event + *m.binary_payload, "binary relay bytes");
    return;
  }
  // The text push with the same fields means the same: it must decode to this very message.
  const std::string text = phoenix::encode(Vsn::v2, m.join_ref, m.ref, m.topic, m.event, m.payload);
  const Decoded as_text_push = phoenix::decode_text(text, Vsn::v2);
  const auto* back = std::get_if<Message>(&as_text_push);
  if (back == nullptr) {
    fail("binary push refused as text: " + std::get<DecodeError>(as_text_push).message);
  }
  check(same(m, *back), "binary push means something else as text: ", text);
  check(phoenix::encode_broadcast_binary(m.topic, user_event, m.payload.at("payload").dump(), true)
            .has_value(),
        "JSON binary broadcast refused for a decodable push");
}

}  // namespace
}  // namespace switchboard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchboard;
  const std::string_view bytes = fuzz::as_text(data, size);
  fuzz::text_frame(bytes, phoenix::Vsn::v1);
  fuzz::text_frame(bytes, phoenix::Vsn::v2);
  fuzz::binary_frame(bytes);
  const auto vsn = phoenix::vsn_from_string(bytes);
  fuzz::check(!vsn || bytes == "1.0.0" || bytes == "2.0.0", "unknown vsn accepted");
  return 0;
}
