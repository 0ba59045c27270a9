#include "protocol/phoenix_codec.hpp"

#include <array>
#include <cstdint>
#include <utility>

namespace switchboard::phoenix {

namespace {

// serializer.js: KINDS and the payload encodings of the binary user-broadcast frames.
constexpr unsigned kUserBroadcastPush = 3;
constexpr unsigned kUserBroadcast = 4;
constexpr unsigned kBinaryEncoding = 0;
constexpr unsigned kJsonEncoding = 1;
// kind, five field lengths, encoding.
constexpr std::size_t kPushHeaderBytes = 7;
// A binary push's meta and user payload sit two containers down in the text frame it stands
// for (the frame, then its payload object), so they get the depth they would have there.
constexpr int kEmbeddedDepth = 2;

constexpr std::string_view kBroadcastEvent = "broadcast";
constexpr std::string_view kFrameShape =
    "expected a JSON array of 5 elements [join_ref, ref, topic, event, payload]";

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i++]);
    if (lead < 0x80) continue;
    if (lead < 0xC2 || lead > 0xF4) return false;
    std::size_t follow = lead >= 0xF0 ? 3 : (lead >= 0xE0 ? 2 : 1);
    if (s.size() - i < follow) return false;
    // The first continuation byte's range is what excludes the overlong forms (E0, F0),
    // the surrogates (ED) and code points above U+10FFFF (F4).
    unsigned lo = lead == 0xE0 ? 0xA0 : (lead == 0xF0 ? 0x90 : 0x80);
    unsigned hi = lead == 0xED ? 0x9F : (lead == 0xF4 ? 0x8F : 0xBF);
    for (; follow > 0; --follow, lo = 0x80, hi = 0xBF) {
      const auto byte = static_cast<unsigned char>(s[i++]);
      if (byte < lo || byte > hi) return false;
    }
  }
  return true;
}

struct ParsedJson {
  Json value;  // discarded on a syntax error
  bool too_deep = false;
};

// nlohmann's parser is iterative; containers past the depth limit are validated but never
// built, so neither this parse nor a later dump() of the result can recurse without bound.
ParsedJson parse_json(std::string_view text, int depth_offset) {
  ParsedJson parsed;
  // nlohmann's lexer takes a raw NUL for the end of input and would accept `{}\0garbage`;
  // a raw NUL is never valid JSON.
  if (text.find('\0') != std::string_view::npos) {
    parsed.value = Json(Json::value_t::discarded);
    return parsed;
  }
  const Json::parser_callback_t callback = [&](int depth, Json::parse_event_t event, Json&) {
    const bool opens =
        event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start;
    // `depth` counts the enclosing containers: the top-level value is at depth 0.
    if (opens && depth + depth_offset >= kMaxNestingDepth) {
      parsed.too_deep = true;
      return false;
    }
    return true;
  };
  parsed.value = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
  return parsed;
}

std::string dump(const Json& value) {
  if (value.is_discarded()) return "null";
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string quote(std::string_view s) {
  return dump(Json(s));
}

std::string too_deep_message(std::string_view what) {
  return std::string(what) + " nests deeper than " + std::to_string(kMaxNestingDepth) + " levels";
}

std::string too_long(std::size_t bytes) {
  return " is " + std::to_string(bytes) + " bytes long; at most " + std::to_string(kMaxNameBytes) +
         " are allowed";
}

// An error before any field could be read.
DecodeError failure(std::string message) {
  DecodeError error;
  error.message = std::move(message);
  return error;
}

// The first problem found in a frame; later ones are not reported.
void fail(std::optional<std::string>& error, std::string message) {
  if (!error) error = std::move(message);
}

// `value` is nullptr when the field is absent (v1 only).
std::optional<std::string> read_ref(const Json* value, std::string_view field,
                                    std::optional<std::string>& error) {
  if (value == nullptr || value->is_null()) return std::nullopt;
  const std::string quoted = "field '" + std::string(field) + "'";
  std::string ref;
  if (value->is_string()) {
    ref = value->get<std::string>();
  } else if (value->is_number_unsigned()) {
    ref = std::to_string(value->get<std::uint64_t>());
  } else if (value->is_number_integer()) {
    ref = std::to_string(value->get<std::int64_t>());
  } else {
    fail(error, quoted + " must be a string, an integer or null");
    return std::nullopt;
  }
  if (ref.size() <= kMaxNameBytes) return ref;
  fail(error, quoted + too_long(ref.size()));
  return std::nullopt;
}

// Topic or event: a non-empty string of at most kMaxNameBytes; "" when invalid.
std::string read_name(const Json* value, std::string_view field,
                      std::optional<std::string>& error) {
  const auto* text = value == nullptr ? nullptr : value->get_ptr<const std::string*>();
  std::string problem;
  if (value == nullptr) {
    problem = " is required";
  } else if (text == nullptr) {
    problem = " must be a string, not " + std::string(value->type_name());
  } else if (text->empty()) {
    problem = " must not be empty";
  } else if (text->size() > kMaxNameBytes) {
    problem = too_long(text->size());
  } else {
    return *text;
  }
  fail(error, "field '" + std::string(field) + "'" + problem);
  return {};
}

Json read_payload(Json* value, std::optional<std::string>& error) {
  if (value == nullptr || value->is_null()) return Json::object();
  if (!value->is_object()) {
    fail(error,
         "field 'payload' must be a JSON object or null, not " + std::string(value->type_name()));
    return Json::object();
  }
  return std::move(*value);
}

// The five fields of a text frame; nullptr for a field a v1 object leaves out.
struct FrameFields {
  Json* join_ref = nullptr;
  Json* ref = nullptr;
  Json* topic = nullptr;
  Json* event = nullptr;
  Json* payload = nullptr;
};

Json* find_member(Json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

Decoded read_frame(const FrameFields& fields, bool too_deep) {
  std::optional<std::string> error;
  Message message;
  message.join_ref = read_ref(fields.join_ref, "join_ref", error);
  message.ref = read_ref(fields.ref, "ref", error);
  message.topic = read_name(fields.topic, "topic", error);
  message.event = read_name(fields.event, "event", error);
  message.payload = read_payload(fields.payload, error);
  if (!error && too_deep) error = too_deep_message("frame");
  if (!error) return message;
  std::optional<std::string> topic;
  if (!message.topic.empty()) topic = std::move(message.topic);
  return DecodeError{std::move(*error), std::move(message.join_ref), std::move(message.ref),
                     std::move(topic)};
}

// A binary push's ref: the client writes null as zero bytes.
std::optional<std::string> binary_ref(std::string_view bytes) {
  if (bytes.empty() || !is_valid_utf8(bytes)) return std::nullopt;
  return std::string(bytes);
}

// join_ref, ref, topic, user event, meta: as many as the frame holds in full.
struct PushFields {
  std::array<std::string_view, 5> parts;
  std::size_t complete = 0;
};

DecodeError push_error(std::string message, const PushFields& fields) {
  DecodeError error = failure(std::move(message));
  if (fields.complete > 0) error.join_ref = binary_ref(fields.parts[0]);
  if (fields.complete > 1) error.ref = binary_ref(fields.parts[1]);
  if (fields.complete > 2) error.topic = binary_ref(fields.parts[2]);
  return error;
}

// The text payload goes in as is: callers serialise their payload once, straight into it.
std::string frame(Vsn vsn, const std::optional<std::string>& join_ref,
                  const std::optional<std::string>& ref, std::string_view topic,
                  std::string_view event, std::string_view payload_text) {
  const std::string join_ref_text = join_ref ? quote(*join_ref) : "null";
  const std::string ref_text = ref ? quote(*ref) : "null";
  if (vsn == Vsn::v2) {
    return "[" + join_ref_text + "," + ref_text + "," + quote(topic) + "," + quote(event) + "," +
           std::string(payload_text) + "]";
  }
  return "{\"topic\":" + quote(topic) + ",\"event\":" + quote(event) +
         ",\"payload\":" + std::string(payload_text) + ",\"ref\":" + ref_text +
         ",\"join_ref\":" + join_ref_text + "}";
}

// Parses meta or the JSON user payload of a push into `out`; returns the error, if any.
std::optional<std::string> parse_embedded(std::string_view text, std::string_view field,
                                          Json& out) {
  ParsedJson parsed = parse_json(text, kEmbeddedDepth);
  const std::string quoted = "field '" + std::string(field) + "'";
  if (parsed.value.is_discarded()) return quoted + " is not valid JSON";
  if (parsed.too_deep) return too_deep_message(quoted);
  out = std::move(parsed.value);
  return std::nullopt;
}

}  // namespace

std::optional<Vsn> vsn_from_string(std::string_view s) {
  if (s == "1.0.0") return Vsn::v1;
  if (s == "2.0.0") return Vsn::v2;
  return std::nullopt;
}

Decoded decode_text(std::string_view text, Vsn vsn) {
  if (!is_valid_utf8(text)) return failure("frame is not valid UTF-8");
  ParsedJson parsed = parse_json(text, 0);
  Json& root = parsed.value;
  if (root.is_discarded()) return failure("frame is not valid JSON");
  FrameFields fields;
  if (vsn == Vsn::v2) {
    if (!root.is_array() || root.size() != 5) {
      std::string got = std::string(root.type_name());
      if (root.is_array())
        got = std::to_string(root.size()) + (root.size() == 1 ? " element" : " elements");
      return failure(std::string(kFrameShape) + ", got " + got);
    }
    auto& items = root.get_ref<Json::array_t&>();
    fields = {&items[0], &items[1], &items[2], &items[3], &items[4]};
  } else {
    if (!root.is_object()) {
      return failure("expected a JSON object {topic, event, payload, ref, join_ref}, got " +
                     std::string(root.type_name()));
    }
    fields = {find_member(root, "join_ref"), find_member(root, "ref"), find_member(root, "topic"),
              find_member(root, "event"), find_member(root, "payload")};
  }
  return read_frame(fields, parsed.too_deep);
}

Decoded decode_binary(std::string_view bytes) {
  if (bytes.empty()) return failure("binary frame is empty");
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (byte(0) != kUserBroadcastPush) {
    return failure("binary frame kind " + std::to_string(byte(0)) +
                   " is not supported; only 3 (user broadcast push) is accepted");
  }
  if (bytes.size() < kPushHeaderBytes) {
    return failure("binary frame is " + std::to_string(bytes.size()) +
                   " bytes long, shorter than its 7-byte header");
  }
  PushFields fields;
  std::size_t offset = kPushHeaderBytes;
  std::size_t declared = 0;
  for (std::size_t i = 0; i < fields.parts.size(); ++i)
    declared += byte(1 + i);
  for (std::size_t i = 0; i < fields.parts.size() && offset + byte(1 + i) <= bytes.size(); ++i) {
    fields.parts[i] = bytes.substr(offset, byte(1 + i));
    offset += byte(1 + i);
    fields.complete = i + 1;
  }
  if (fields.complete < fields.parts.size()) {
    return push_error("binary frame header declares " + std::to_string(declared) +
                          " bytes of join_ref, ref, topic, event and meta but only " +
                          std::to_string(bytes.size() - kPushHeaderBytes) + " follow it",
                      fields);
  }
  const unsigned encoding = byte(6);
  if (encoding != kBinaryEncoding && encoding != kJsonEncoding) {
    return push_error("binary frame payload encoding " + std::to_string(encoding) +
                          " is unknown; expected 0 (binary) or 1 (JSON)",
                      fields);
  }
  const auto& [join_ref, ref, topic, user_event, meta] = fields.parts;
  constexpr std::array<std::string_view, 4> kNames{"join_ref", "ref", "topic", "event"};
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (!is_valid_utf8(fields.parts[i])) {
      return push_error("field '" + std::string(kNames[i]) + "' is not valid UTF-8", fields);
    }
  }
  if (topic.empty()) return push_error("field 'topic' must not be empty", fields);

  Message message;
  message.join_ref = binary_ref(join_ref);
  message.ref = binary_ref(ref);
  message.topic = std::string(topic);
  message.event = std::string(kBroadcastEvent);
  message.payload = {{"type", kBroadcastEvent}, {"event", user_event}};
  if (!meta.empty()) {
    Json parsed_meta;
    if (auto error = parse_embedded(meta, "meta", parsed_meta)) {
      return push_error(std::move(*error), fields);
    }
    if (!parsed_meta.is_object()) return push_error("field 'meta' must be a JSON object", fields);
    message.payload["meta"] = std::move(parsed_meta);
  }
  const std::string_view payload = bytes.substr(offset);
  if (encoding == kBinaryEncoding) {
    message.binary_payload = std::string(payload);
    return message;
  }
  Json user_payload;
  if (auto error = parse_embedded(payload, "payload", user_payload)) {
    return push_error(std::move(*error), fields);
  }
  message.payload["payload"] = std::move(user_payload);
  return message;
}

std::string encode(Vsn vsn, const std::optional<std::string>& join_ref,
                   const std::optional<std::string>& ref, std::string_view topic,
                   std::string_view event, const Json& payload) {
  return frame(vsn, join_ref, ref, topic, event, dump(payload));
}

// The caller's JSON is serialised straight into the payload text, never copied into a tree.
std::string encode_reply(Vsn vsn, const std::optional<std::string>& join_ref,
                         const std::optional<std::string>& ref, std::string_view topic, bool ok,
                         const Json& response) {
  const std::string payload = std::string(ok ? R"({"status":"ok")" : R"({"status":"error")") +
                              ",\"response\":" + dump(response) + "}";
  return frame(vsn, join_ref, ref, topic, "phx_reply", payload);
}

std::string encode_broadcast_text(Vsn vsn, std::string_view topic, std::string_view user_event,
                                  const Json& user_payload) {
  const std::string payload = R"({"type":"broadcast","event":)" + quote(user_event) +
                              ",\"payload\":" + dump(user_payload) + "}";
  return frame(vsn, std::nullopt, std::nullopt, topic, kBroadcastEvent, payload);
}

std::optional<std::string> encode_broadcast_binary(std::string_view topic,
                                                   std::string_view user_event,
                                                   std::string_view payload, bool json_encoding) {
  if (topic.size() > kMaxNameBytes || user_event.size() > kMaxNameBytes) return std::nullopt;
  // kind, topic length, user event length, meta length (no meta), encoding.
  std::string out{static_cast<char>(kUserBroadcast), static_cast<char>(topic.size()),
                  static_cast<char>(user_event.size()), '\0',
                  static_cast<char>(json_encoding ? kJsonEncoding : kBinaryEncoding)};
  out.reserve(out.size() + topic.size() + user_event.size() + payload.size());
  out += topic;
  out += user_event;
  out += payload;
  return out;
}

}  // namespace switchboard::phoenix
