#include "protocol/codec.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/codec_fields.hpp"
#include "protocol/codec_writer.hpp"

namespace switchboard {

namespace {

using codec_detail::FieldReader;
using codec_detail::ObjectWriter;

// Containers may nest this deep, the command object itself included. dump() recurses once
// per level, so a bound here keeps forwarding a client's `data` from exhausting the stack.
constexpr int kMaxNestingDepth = 32;
// How much of an unknown `type` is quoted back in the error message.
constexpr std::size_t kMaxQuotedTypeLength = 32;

// ---- parsing -----------------------------------------------------------------------------

// Feeds the parser the message while counting how much of it the parser has read, so the
// parser callback can cut the top-level `data` object out of the text verbatim. nlohmann
// reads one character at a time and never reads past a `{` or `}` before reporting it, so
// at object_start the last character read is the `{`, and at object_end the `}`.
class CountingInput {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingInput(const char* at, const char* begin, std::size_t* read)
      : at_(at), begin_(begin), read_(read) {}
  reference operator*() const { return *at_; }
  CountingInput& operator++() {
    ++at_;
    *read_ = static_cast<std::size_t>(at_ - begin_);
    return *this;
  }
  CountingInput operator++(int) {
    CountingInput before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingInput& other) const { return at_ == other.at_; }

 private:
  const char* at_;
  const char* begin_;
  std::size_t* read_;
};

// The parse of one command: the tree of everything but `data`, whose object is kept as the
// client's text (it is only ever relayed: building a tree of it and serialising it again was
// the relay path's biggest cost). Containers nested deeper than kMaxNestingDepth are dropped
// unbuilt (the parser itself is iterative) and reported.
struct ParsedCommand {
  Json root;
  std::optional<std::string_view> raw_data;
  bool too_deep = false;
};

ParsedCommand parse_json(std::string_view text) {
  ParsedCommand parsed;
  std::size_t read = 0;
  bool data_key = false;  // the last top-level key was "data"
  bool in_data = false;   // inside the top-level `data` object
  std::size_t data_begin = 0;
  const Json::parser_callback_t callback = [&](int depth, Json::parse_event_t event, Json& value) {
    using Event = Json::parse_event_t;
    // `depth` counts the enclosing containers: the command's own keys are at depth 1.
    if (event == Event::object_start || event == Event::array_start) {
      if (depth >= kMaxNestingDepth) {
        parsed.too_deep = true;
        return false;
      }
      if (depth == 1 && data_key && event == Event::object_start) {
        in_data = true;
        data_begin = read - 1;
      }
      data_key = false;
      return !in_data || depth == 1;
    }
    if (event == Event::object_end && depth == 1 && in_data) {
      in_data = false;
      parsed.raw_data = text.substr(data_begin, read - data_begin);
      return false;  // kept as text, not as a tree
    }
    if (depth == 1) {
      data_key =
          event == Event::key && value.is_string() && value.get_ref<const std::string&>() == "data";
      return true;
    }
    return !in_data;  // members of `data` are read (and validated) but never stored
  };
  const CountingInput first(text.data(), text.data(), &read);
  const CountingInput last(text.data() + text.size(), text.data(), &read);
  parsed.root = Json::parse(first, last, callback, /*allow_exceptions=*/false);
  return parsed;
}

CommandBody parse_call(FieldReader& fields, const CodecLimits& limits) {
  CallCommand call;
  call.to = fields.required_id("to");
  call.media = fields.optional_media("media", Media::audio);
  call.call_id = fields.optional_id("callId");
  call.room_name = fields.optional_room_name("roomName");
  call.timeout_ms = fields.optional_timeout_ms("timeoutMs");
  call.data = fields.optional_data("data", limits.call_data_bytes);
  return call;
}

CommandBody parse_ringing(FieldReader& fields, const CodecLimits& /*limits*/) {
  return RingingCommand{fields.required_id("callId")};
}

CommandBody parse_answer(FieldReader& fields, const CodecLimits& limits) {
  AnswerCommand answer;
  answer.call_id = fields.required_id("callId");
  answer.data = fields.optional_data("data", limits.call_data_bytes);
  return answer;
}

CommandBody parse_reject(FieldReader& fields, const CodecLimits& /*limits*/) {
  RejectCommand reject;
  reject.call_id = fields.required_id("callId");
  reject.reason = fields.optional_reject_reason("reason").value_or(RejectReason::declined);
  return reject;
}

CommandBody parse_hangup(FieldReader& fields, const CodecLimits& /*limits*/) {
  HangupCommand hangup;
  hangup.call_id = fields.required_id("callId");
  hangup.reason = fields.optional_text("reason", kMaxHangupReasonLength);
  return hangup;
}

CommandBody parse_signal(FieldReader& fields, const CodecLimits& limits) {
  SignalCommand signal;
  signal.call_id = fields.required_id("callId");
  signal.data = fields.required_data("data", limits.signal_data_bytes);
  return signal;
}

CommandBody parse_ping(FieldReader& /*fields*/, const CodecLimits& /*limits*/) {
  return PingCommand{};
}

CommandBody parse_auth(FieldReader& fields, const CodecLimits& /*limits*/) {
  return AuthCommand{fields.required_string("token", kMaxAuthTokenBytes)};
}

struct CommandType {
  std::string_view name;
  CommandBody (*parse)(FieldReader&, const CodecLimits&);
};

constexpr std::array<CommandType, 8> kCommandTypes{{
    {"call", parse_call},
    {"ringing", parse_ringing},
    {"answer", parse_answer},
    {"reject", parse_reject},
    {"hangup", parse_hangup},
    {"signal", parse_signal},
    {"ping", parse_ping},
    {"auth", parse_auth},
}};

Error not_json() {
  return Error{std::nullopt, ErrorCode::bad_json, "message is not valid JSON"};
}

Error bad_message(std::optional<std::string> id, std::string message) {
  return Error{std::move(id), ErrorCode::bad_message, std::move(message)};
}

// ---- encoding ----------------------------------------------------------------------------

// Room for an event's keys, punctuation and short fields on top of its strings and `data`.
constexpr std::size_t kEventOverheadBytes = 128;

std::size_t expected_size(std::size_t strings, const OpaqueJson& data) {
  return kEventOverheadBytes + strings + data.size();
}

// Optional fields are omitted when absent: a ringing call has no answeredAt, and a callee's
// call that still rings has no device yet.
std::string encode_snapshot(const CallSnapshot& c) {
  return ObjectWriter()
      .string("callId", c.call_id)
      .string("state", to_string(c.state))
      .string("role", to_string(c.role))
      .string("peer", c.peer)
      .string("media", to_string(c.media))
      .string("roomName", c.room_name)
      .optional_integer("expiresAt", c.expires_at)
      .optional_integer("answeredAt", c.answered_at)
      .optional_string("deviceId", c.device_id)
      .finish();
}

std::string encode(const WelcomeEvent& e) {
  return ObjectWriter("welcome")
      .string("userId", e.user_id)
      .string("deviceId", e.device_id)
      .string("sessionId", e.session_id)
      .integer("heartbeatMs", e.heartbeat_ms)
      .boolean("resumed", e.resumed)
      .integer("replayed", e.replayed)
      .integer("resumeWindowMs", e.resume_window_ms)
      .array("calls", e.calls, encode_snapshot)
      .finish();
}

std::string encode(const CallEvent& e) {
  const std::size_t strings = e.call_id.size() + e.from.size() + e.to.size() + e.room_name.size();
  return ObjectWriter("call", expected_size(strings, e.data))
      .string("callId", e.call_id)
      .string("from", e.from)
      .string("to", e.to)
      .string("media", to_string(e.media))
      .string("roomName", e.room_name)
      .data("data", e.data)
      .integer("expiresAt", e.expires_at)
      .integer("expiresInMs", e.expires_in_ms)
      .finish();
}

std::string encode(const RingingEvent& e) {
  return ObjectWriter("ringing").string("callId", e.call_id).string("from", e.from).finish();
}

std::string encode(const AnswerEvent& e) {
  const std::size_t strings = e.call_id.size() + e.from.size() + e.device_id.size();
  return ObjectWriter("answer", expected_size(strings, e.data))
      .string("callId", e.call_id)
      .string("from", e.from)
      .string("deviceId", e.device_id)
      .data("data", e.data)
      .finish();
}

std::string encode(const SignalEvent& e) {
  const std::size_t strings = e.call_id.size() + e.from.size() + e.from_device.size();
  return ObjectWriter("signal", expected_size(strings, e.data))
      .string("callId", e.call_id)
      .string("from", e.from)
      .string("fromDevice", e.from_device)
      .data("data", e.data)
      .finish();
}

std::string encode(const PeerEvent& e) {
  return ObjectWriter("peer")
      .string("callId", e.call_id)
      .string("userId", e.user_id)
      .string("state", to_string(e.state))
      .finish();
}

std::string encode(const EndedEvent& e) {
  ObjectWriter writer("ended");
  writer.string("callId", e.call_id).string("reason", to_string(e.reason));
  writer.optional_string("by", e.by);
  if (e.duration_ms) writer.integer("durationMs", *e.duration_ms);
  writer.optional_string("message", e.message);
  return writer.finish();
}

// A response id is echoed even when empty: it is the client's handle for matching.
void add_id(ObjectWriter& writer, const std::optional<std::string>& id) {
  if (id) writer.string("id", *id);
}

std::string encode(const Ack& ack) {
  ObjectWriter writer("ack");
  add_id(writer, ack.id);
  writer.optional_string("callId", ack.call_id);
  return writer.finish();
}

std::string encode(const Error& error) {
  ObjectWriter writer("error");
  add_id(writer, error.id);
  writer.string("code", to_string(error.code)).string("message", error.message);
  return writer.finish();
}

std::string encode(const Pong& pong) {
  ObjectWriter writer("pong");
  add_id(writer, pong.id);
  return writer.finish();
}

}  // namespace

ParseResult parse_command(std::string_view text, const CodecLimits& limits) {
  // A raw NUL is never valid JSON (inside strings it must be escaped), but nlohmann's lexer
  // takes it for the end of input and would accept `{...}\0garbage`.
  if (text.find('\0') != std::string_view::npos) return not_json();

  ParsedCommand parsed = parse_json(text);
  const Json& root = parsed.root;

  // Only a syntax error discards the root: depth refusals never touch level 1.
  if (root.is_discarded()) return not_json();
  if (!root.is_object()) return bad_message(std::nullopt, "message must be a JSON object");

  std::optional<std::string> id;
  if (const auto it = root.find("id"); it != root.end()) {
    const auto* text_id = it->get_ptr<const std::string*>();
    if (text_id == nullptr || codec_detail::utf8_length(*text_id) > kMaxCommandIdLength) {
      return bad_message(std::nullopt, "field 'id' must be a string of at most " +
                                           std::to_string(kMaxCommandIdLength) + " characters");
    }
    id = *text_id;
  }
  if (parsed.too_deep) {
    return bad_message(std::move(id),
                       "message nests deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  }

  const auto type_it = root.find("type");
  if (type_it == root.end()) return bad_message(std::move(id), "field 'type' is required");
  const auto* type = type_it->get_ptr<const std::string*>();
  if (type == nullptr) return bad_message(std::move(id), "field 'type' must be a string");

  for (const CommandType& command_type : kCommandTypes) {
    if (command_type.name != *type) continue;
    FieldReader fields(root, id, parsed.raw_data);
    CommandBody body = command_type.parse(fields, limits);
    if (fields.failed()) return fields.take_error();
    return Command{std::move(id), std::move(body)};
  }
  std::string message = "unknown type '";
  message += codec_detail::utf8_prefix(*type, kMaxQuotedTypeLength);
  message += "'";
  return Error{std::move(id), ErrorCode::unknown_type, std::move(message)};
}

std::string encode_event_body(const Event& event) {
  return std::visit([](const auto& e) { return encode(e); }, event);
}

std::string stamp_seq(std::string_view body, Seq seq) {
  // `{"seq":` plus at most 20 digits and a comma: the copy of `body` never reallocates.
  constexpr std::size_t kSeqFieldBytes = 28;
  std::string out;
  out.reserve(body.size() + kSeqFieldBytes);
  out += "{\"seq\":";
  out += std::to_string(seq);
  // Bodies come from encode_event_body: a compact object, "{}" at the very least.
  const std::size_t rest = body.empty() ? 0 : 1;
  std::string_view fields = body.substr(rest);
  const bool empty_object = fields.empty() || fields.front() == '}';
  if (empty_object) {
    out += '}';
  } else {
    out += ',';
    out += fields;
  }
  return out;
}

std::string encode_response(const Response& response) {
  return std::visit([](const auto& r) { return encode(r); }, response);
}

}  // namespace switchboard
