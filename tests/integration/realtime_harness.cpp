#include "tests/integration/realtime_harness.hpp"

#include <utility>

#include <gtest/gtest.h>

namespace switchboard::testing {
namespace {

bool is_ref(const Json& value) {
  return value.is_null() || value.is_string();
}

// A text frame in `vsn`'s form: all five fields, refs null or strings, payload an object.
std::optional<PhxFrame> decode_text_frame(const std::string& raw, Vsn vsn) {
  PhxFrame frame;
  frame.raw = raw;
  const Json parsed = Json::parse(raw, nullptr, false);
  if (vsn == Vsn::v2) {
    if (!parsed.is_array() || parsed.size() != 5 || !parsed[2].is_string() ||
        !parsed[3].is_string()) {
      ADD_FAILURE() << "not a vsn 2.0.0 frame [join_ref, ref, topic, event, payload]: " << raw;
      return std::nullopt;
    }
    frame.join_ref = parsed[0];
    frame.ref = parsed[1];
    frame.topic = parsed[2].get<std::string>();
    frame.event = parsed[3].get<std::string>();
    frame.payload = parsed[4];
  } else {
    if (!parsed.is_object() || parsed.size() != 5 || !parsed.contains("join_ref") ||
        !parsed.contains("ref") || !parsed.value("topic", Json()).is_string() ||
        !parsed.value("event", Json()).is_string() || !parsed.contains("payload")) {
      ADD_FAILURE() << "not a vsn 1.0.0 frame {topic, event, payload, ref, join_ref}: " << raw;
      return std::nullopt;
    }
    frame.join_ref = parsed["join_ref"];
    frame.ref = parsed["ref"];
    frame.topic = parsed["topic"].get<std::string>();
    frame.event = parsed["event"].get<std::string>();
    frame.payload = parsed["payload"];
  }
  if (!is_ref(frame.join_ref) || !is_ref(frame.ref) || !frame.payload.is_object()) {
    ADD_FAILURE() << "refs must be strings or null and the payload an object: " << raw;
    return std::nullopt;
  }
  return frame;
}

// A binary kind-4 broadcast: kind, topic/event/meta lengths, encoding, then the fields.
std::optional<PhxFrame> decode_binary_frame(const std::string& raw) {
  PhxFrame frame;
  frame.binary = true;
  frame.raw = raw;
  const auto byte = [&raw](std::size_t i) { return static_cast<unsigned char>(raw[i]); };
  if (raw.size() < 5 || byte(0) != 4) {
    ADD_FAILURE() << "a binary frame must be a kind-4 broadcast (" << raw.size() << " bytes)";
    return std::nullopt;
  }
  const std::size_t topic = byte(1), event = byte(2), meta = byte(3);
  if (raw.size() < 5 + topic + event + meta) {
    ADD_FAILURE() << "binary frame shorter than its header says";
    return std::nullopt;
  }
  frame.encoding = byte(4);
  frame.topic = raw.substr(5, topic);
  frame.user_event = raw.substr(5 + topic, event);
  frame.meta = raw.substr(5 + topic + event, meta);
  frame.bytes = raw.substr(5 + topic + event + meta);
  frame.event = "broadcast";
  return frame;
}

Json null_or(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json();
}

}  // namespace

std::string sign_token(const std::string& sub, long exp_offset_s, const std::string& secret) {
  return mint_jwt(secret, sub, exp_offset_s, true, "HS256", sub.empty() ? "anon" : "authenticated");
}

server::Config realtime_config() {
  server::Config config = test_config();
  config.jwt_secret = kRealtimeSecret;
  return config;
}

std::string PhxFrame::broadcast_event() const {
  return payload.is_object() ? payload.value("event", "") : "";
}

const Json& PhxFrame::broadcast_payload() const {
  static const Json kNull;
  if (!payload.is_object() || !payload.contains("payload")) return kNull;
  return payload["payload"];
}

std::string binary_push(std::string_view join_ref, std::string_view ref, std::string_view topic,
                        std::string_view user_event, std::string_view meta, int encoding,
                        std::string_view payload) {
  std::string out{static_cast<char>(3),
                  static_cast<char>(join_ref.size()),
                  static_cast<char>(ref.size()),
                  static_cast<char>(topic.size()),
                  static_cast<char>(user_event.size()),
                  static_cast<char>(meta.size()),
                  static_cast<char>(encoding)};
  for (std::string_view part : {join_ref, ref, topic, user_event, meta, payload})
    out += part;
  return out;
}

Json status_of(const Json& reply) {
  return reply.value("status", Json());
}

Json channel_config(bool self, bool ack, bool is_private) {
  return Json{{"broadcast", {{"self", self}, {"ack", ack}}},
              {"presence", {{"key", ""}, {"enabled", false}}},
              {"postgres_changes", Json::array()},
              {"private", is_private}};
}

// ---- RealtimeClient ----------------------------------------------------------------------

ConnectResult RealtimeClient::connect(std::uint16_t port, const std::string& query,
                                      const std::string& prefix, bool send_vsn) {
  std::string full = query;
  if (send_vsn) {
    if (!full.empty()) full += "&";
    full += vsn_ == Vsn::v2 ? "vsn=2.0.0" : "vsn=1.0.0";
  }
  return ws_.connect(port, full, prefix + std::string(kRealtimePath));
}

bool RealtimeClient::push(const std::string& topic, const std::string& event, const Json& payload,
                          const Json& ref, const Json& join_ref) {
  Json frame;
  if (vsn_ == Vsn::v2) {
    frame = Json::array({join_ref, ref, topic, event, payload});
  } else {
    frame = Json{{"topic", topic},
                 {"event", event},
                 {"payload", payload},
                 {"ref", ref},
                 {"join_ref", join_ref}};
  }
  if (ref.is_string()) sent_join_refs_[ref.get<std::string>()] = join_ref;
  const bool sent = ws_.send_json(frame);
  EXPECT_TRUE(sent) << ws_.last_error();
  return sent;
}

std::string RealtimeClient::send(const std::string& topic, const std::string& event,
                                 const Json& payload) {
  const std::string ref = next_ref();
  push(topic, event, payload, ref, null_or(join_ref(topic)));
  return ref;
}

std::string RealtimeClient::broadcast(const std::string& topic, const std::string& event,
                                      const Json& payload) {
  return send(topic, "broadcast",
              Json{{"type", "broadcast"}, {"event", event}, {"payload", payload}});
}

std::string RealtimeClient::broadcast_binary(const std::string& topic, const std::string& event,
                                             std::string_view payload, int encoding,
                                             std::string_view meta) {
  const std::string ref = next_ref();
  const std::string joined = join_ref(topic).value_or("");
  sent_join_refs_[ref] = joined.empty() ? Json() : Json(joined);
  EXPECT_TRUE(ws_.send_binary(binary_push(joined, ref, topic, event, meta, encoding, payload)))
      << ws_.last_error();
  return ref;
}

std::optional<PhxFrame> RealtimeClient::recv(Millis timeout) {
  auto frame = ws_.recv_frame(timeout);
  if (!frame) return std::nullopt;
  if (frame->binary) return decode_binary_frame(frame->data);
  return decode_text_frame(frame->data, vsn_);
}

Json RealtimeClient::expect_reply(const std::string& topic, const std::string& ref,
                                  Millis timeout) {
  auto frame = recv(timeout);
  if (!frame) {
    ADD_FAILURE() << "expected a phx_reply to ref " << ref << " on " << topic << ", got nothing"
                  << (ws_.is_open() ? "" : " (connection closed)");
    return Json();
  }
  if (frame->binary || frame->event != "phx_reply" || frame->topic != topic ||
      frame->ref != Json(ref)) {
    ADD_FAILURE() << "expected a phx_reply to ref " << ref << " on " << topic << ", got "
                  << (frame->binary ? "a binary frame" : frame->raw);
    return Json();
  }
  if (auto sent = sent_join_refs_.find(ref); sent != sent_join_refs_.end()) {
    EXPECT_EQ(frame->join_ref, sent->second) << "a reply echoes the join_ref: " << frame->raw;
  }
  const Json status = frame->payload.value("status", Json());
  if (!(status == "ok" || status == "error") || !frame->payload.contains("response") ||
      frame->payload.size() != 2) {
    ADD_FAILURE() << "a phx_reply payload is {status: ok|error, response}: " << frame->raw;
    return Json();
  }
  return frame->payload;
}

Json RealtimeClient::expect_ok(const std::string& topic, const std::string& ref) {
  const Json reply = expect_reply(topic, ref);
  if (reply.is_null()) return Json();
  EXPECT_EQ(reply["status"], "ok") << reply.dump();
  return reply["response"];
}

Json RealtimeClient::expect_error(const std::string& topic, const std::string& ref) {
  const Json reply = expect_reply(topic, ref);
  if (reply.is_null()) return Json();
  EXPECT_EQ(reply["status"], "error") << reply.dump();
  const Json& response = reply["response"];
  EXPECT_TRUE(response.is_object() && response.value("reason", Json()).is_string())
      << "an error reply has a reason: " << reply.dump();
  return response;
}

Json RealtimeClient::expect_broadcast(const std::string& topic, const std::string& event,
                                      Millis timeout) {
  auto frame = recv(timeout);
  if (!frame) {
    ADD_FAILURE() << "expected broadcast '" << event << "' on " << topic << ", got nothing";
    return Json();
  }
  if (frame->binary || frame->event != "broadcast" || frame->topic != topic ||
      frame->broadcast_event() != event) {
    ADD_FAILURE() << "expected broadcast '" << event << "' on " << topic << ", got "
                  << (frame->binary ? "a binary frame" : frame->raw);
    return Json();
  }
  EXPECT_TRUE(frame->join_ref.is_null() && frame->ref.is_null())
      << "broadcasts carry null refs: " << frame->raw;
  EXPECT_EQ(frame->payload.value("type", ""), "broadcast") << frame->raw;
  EXPECT_EQ(frame->payload.size(), 3u) << "{type, event, payload}: " << frame->raw;
  return frame->broadcast_payload();
}

Json RealtimeClient::expect_signal(const std::string& type, Millis timeout) {
  const Json payload = expect_broadcast(calls_topic_, "call-signal", timeout);
  if (payload.is_null()) return Json();
  if (payload.value("type", "") != type) {
    ADD_FAILURE() << "expected call-signal " << type << ", got " << payload.dump();
    return Json();
  }
  for (const char* key : {"callId", "from", "to", "roomName"}) {
    EXPECT_TRUE(payload.value(key, Json()).is_string())
        << "a call-signal has " << key << ": " << payload.dump();
  }
  return payload;
}

void RealtimeClient::expect_silence(Millis window) {
  ws_.expect_silence(window);
}

Json RealtimeClient::join(const std::string& topic, const Json& config,
                          const std::optional<std::string>& access_token) {
  Json payload{{"config", config}};
  if (access_token) payload["access_token"] = *access_token;
  const std::string ref = next_ref();
  push(topic, "phx_join", payload, ref, ref);
  const std::optional<std::string> previous = join_ref(topic);
  join_refs_[topic] = ref;  // the reply echoes the join's own join_ref
  const Json reply = expect_reply(topic, ref);
  if (reply.value("status", "") != "ok") {
    if (previous) {
      join_refs_[topic] = *previous;
    } else {
      join_refs_.erase(topic);
    }
  }
  return reply;
}

void RealtimeClient::join_ok(const std::string& topic, const Json& config,
                             const std::optional<std::string>& access_token) {
  const Json reply = join(topic, config, access_token);
  EXPECT_EQ(reply, (Json{{"status", "ok"}, {"response", {{"postgres_changes", Json::array()}}}}))
      << "join " << topic;
}

void RealtimeClient::join_calls(const std::string& user,
                                const std::optional<std::string>& access_token) {
  calls_topic_ = "realtime:calls:" + user;
  join_ok(calls_topic_, channel_config(), access_token);
}

std::optional<std::string> RealtimeClient::join_ref(const std::string& topic) const {
  auto it = join_refs_.find(topic);
  if (it == join_refs_.end()) return std::nullopt;
  return it->second;
}

Json RealtimeClient::call_signal(const Json& payload, const std::string& topic) {
  const std::string& on = topic.empty() ? calls_topic_ : topic;
  const std::string ref = broadcast(on, "call-signal", payload);
  return expect_reply(on, ref);
}

std::string RealtimeClient::place_call(const std::string& to, Json extra) {
  Json payload = extra.is_object() ? std::move(extra) : Json::object();
  payload["type"] = "call";
  payload["to"] = to;
  const Json reply = call_signal(payload);
  EXPECT_EQ(reply.value("status", ""), "ok") << reply.dump();
  const Json response = reply.value("response", Json());
  EXPECT_TRUE(response.is_object() && response.value("callId", Json()).is_string()) << reply.dump();
  return response.is_object() ? response.value("callId", "") : "";
}

// ---- RealtimeTest ------------------------------------------------------------------------

std::unique_ptr<RealtimeClient> RealtimeTest::connect_rt(const std::string& apikey, Vsn vsn,
                                                         const std::string& extra) {
  auto client = std::make_unique<RealtimeClient>(vsn);
  std::string query = apikey.empty() ? "" : "apikey=" + apikey;
  query += extra;
  if (query.starts_with('&')) query.erase(0, 1);
  const ConnectResult result = client->connect(port(), query);
  EXPECT_TRUE(result.ok) << "realtime connect: status " << result.http_status << " "
                         << result.error;
  return client;
}

std::unique_ptr<RealtimeClient> RealtimeTest::connect_calls(const std::string& user, Vsn vsn,
                                                            const std::string& device) {
  const bool dev_mode = server().config().jwt_secret.empty();
  auto client =
      connect_rt(dev_mode ? "" : sign_token(user), vsn, device.empty() ? "" : "&device=" + device);
  client->join_calls(user);
  return client;
}

std::unique_ptr<WsTestClient> RealtimeTest::connect_native(const std::string& user,
                                                           const std::string& device) {
  return connect_query("token=" + sign_token(user) + "&device=" + device);
}

HttpResult RealtimeTest::post(const std::string& target, const std::string& body,
                              const std::string& bearer) {
  HttpRequest request;
  request.method = "POST";
  request.target = target;
  request.body = body;
  request.headers.emplace_back("Content-Type", "application/json");
  if (!bearer.empty()) request.headers.emplace_back("Authorization", "Bearer " + bearer);
  return http_request(port(), request);
}

HttpResult RealtimeTest::rest_broadcast(const std::string& user, const Json& messages) {
  return post("/realtime/v1/api/broadcast", Json{{"messages", messages}}.dump(), sign_token(user));
}

}  // namespace switchboard::testing
