#include "server/realtime_connection.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include <spdlog/spdlog.h>

#include "protocol/realtime_signals.hpp"

namespace switchboard::server {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kPhoenixTopic = "phoenix";

bool flag(const Json& object, std::string_view key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

std::variant<RealtimeUpgrade, AuthFailure> realtime_upgrade(const UpgradeQuery& query,
                                                            const Authenticator& auth) {
  RealtimeUpgrade upgrade;
  if (query.vsn) {
    auto vsn = phoenix::vsn_from_string(*query.vsn);
    if (!vsn) return AuthFailure{400, "unsupported vsn: use 1.0.0 or 2.0.0", "bad_vsn"};
    upgrade.vsn = *vsn;
  }
  if (!auth.dev_mode()) {
    if (!query.apikey || query.apikey->empty()) {
      return AuthFailure{401, "missing apikey parameter", "missing_token"};
    }
    auto verified = auth.verify(*query.apikey, TokenUse::apikey);
    if (auto* failure = std::get_if<AuthFailure>(&verified)) {
      return AuthFailure{401, "apikey: " + failure->message, failure->code};
    }
  }
  upgrade.apikey = query.apikey;
  if (query.auth.device) {
    if (!is_valid_id(*query.auth.device)) {
      return AuthFailure{400, "malformed device id: 1-128 characters of [A-Za-z0-9._~@+-]",
                         "bad_device_id"};
    }
    upgrade.device = query.auth.device;
  }
  return upgrade;
}

RealtimeConnection::RealtimeConnection(FrameSink& sink, SessionRegistry& registry,
                                       RealtimeUpgrade upgrade, std::string peer)
    : sink_(sink), registry_(registry), upgrade_(std::move(upgrade)), peer_(std::move(peer)) {}

RealtimeConnection::~RealtimeConnection() {
  on_closed(false, "destroyed");  // a no-op after the session's own on_closed
}

void RealtimeConnection::on_open() {
  opened_ = true;
  spdlog::debug("realtime {} open vsn={}", peer_,
                upgrade_.vsn == phoenix::Vsn::v2 ? "2.0.0" : "1.0.0");
}

void RealtimeConnection::on_text(std::string_view text) {
  if (auto m = decode(text, /*text=*/true)) handle(*m);
}

void RealtimeConnection::on_binary(std::string_view bytes) {
  if (auto m = decode(bytes, /*text=*/false)) handle(*m);
}

void RealtimeConnection::on_rate_limited(std::string_view frame, bool text) {
  // Decoded only to address the refusal: supabase-js settles the push's promise with it.
  if (auto m = decode(frame, text)) {
    fail(reply_to(*m), "rate_limited: too many messages per second, slow down");
  }
}

std::optional<phoenix::Message> RealtimeConnection::decode(std::string_view frame, bool text) {
  if (closed_) return std::nullopt;
  if (!text && upgrade_.vsn != phoenix::Vsn::v2) {
    fail(ReplyTo{std::nullopt, std::nullopt, std::string(kPhoenixTopic)},
         "binary frames need vsn=2.0.0");
    return std::nullopt;
  }
  auto decoded = text ? phoenix::decode_text(frame, upgrade_.vsn) : phoenix::decode_binary(frame);
  if (auto* error = std::get_if<phoenix::DecodeError>(&decoded)) {
    fail(ReplyTo{error->join_ref, error->ref, error->topic.value_or(std::string(kPhoenixTopic))},
         error->message);
    return std::nullopt;
  }
  return std::move(std::get<phoenix::Message>(decoded));
}

void RealtimeConnection::on_closed(bool clean, std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  for (const auto& [topic, channel] : channels_)
    registry_.topics().unsubscribe(channel.sub_topic, *this);
  channels_.clear();
  leave_engine(clean);
  if (opened_)
    spdlog::debug("realtime {} closed user={} reason={}", peer_, user_.value_or("-"), reason);
}

// ---- client messages ---------------------------------------------------------------------

void RealtimeConnection::handle(const phoenix::Message& m) {
  if (m.topic == kPhoenixTopic) {
    // The client closes the socket when a heartbeat goes unanswered for an interval.
    if (m.event == "heartbeat") return answer(reply_to(m), true, Json::object());
    return fail(reply_to(m), "unknown event on topic phoenix: " + m.event);
  }
  if (m.event == "phx_join") return on_join(m);
  if (m.event == "phx_leave") return on_leave(m);
  auto it = channels_.find(m.topic);
  if (it == channels_.end()) return fail(reply_to(m), "unmatched topic");
  if (m.event == "access_token") return on_access_token(m);
  if (m.event == "broadcast") return on_broadcast_push(m, it->second);
  if (m.event == "presence") {
    return fail(reply_to(m), "presence is not supported by Switchboard (broadcast only)");
  }
  fail(reply_to(m), "unsupported event: " + m.event);
}

void RealtimeConnection::on_join(const phoenix::Message& m) {
  // A refused join leaves the topic unjoined, whatever it was before: the client's channel is
  // errored now and will join again.
  auto refuse = [this, &m](std::string_view why) {
    if (auto it = channels_.find(m.topic); it != channels_.end()) forget_channel(it, false);
    fail(reply_to(m), why);
  };
  const Json& config = member(m.payload, "config");
  const Json& changes = member(config, "postgres_changes");
  if (changes.is_array() && !changes.empty()) {
    return refuse("postgres_changes is not supported by Switchboard (broadcast only)");
  }
  if (const Json& token = member(m.payload, "access_token"); token.is_string()) {
    token_ = token.get<std::string>();  // the client's current token, good or bad
  }
  const bool rejoin = channels_.contains(m.topic);
  if (!rejoin && channels_.size() >= kMaxChannels) {
    return refuse("too many channels on one connection (at most 100)");
  }
  Channel channel;
  channel.join_ref = m.join_ref;
  channel.sub_topic = std::string(realtime::sub_topic(m.topic));
  channel.self = flag(member(config, "broadcast"), "self");
  channel.ack = flag(member(config, "broadcast"), "ack");

  if (auto owner = realtime::calls_topic_user(m.topic)) {
    if (auto why = join_calls(m, std::move(channel), *owner)) refuse(*why);
    return;
  }
  if (flag(config, "private") && !registry_.auth().dev_mode() && !token_user()) {
    return refuse("private channels need a user token");
  }
  registry_.topics().subscribe(channel.sub_topic, *this);
  channels_[m.topic] = std::move(channel);
  answer(reply_to(m), true, join_response());
}

void RealtimeConnection::on_leave(const phoenix::Message& m) {
  answer(reply_to(m), true, Json::object());
  // Leaving the calls channel is the app leaving: its session ends, as on a clean close.
  if (auto it = channels_.find(m.topic); it != channels_.end()) forget_channel(it, true);
}

void RealtimeConnection::on_broadcast_push(const phoenix::Message& m, const Channel& channel) {
  const Json& event = member(m.payload, "event");
  if (!event.is_string() || event.get_ref<const std::string&>().empty()) {
    return fail(reply_to(m), "a broadcast needs a non-empty string event");
  }
  if (event.get_ref<const std::string&>() == realtime::kCallSignalEvent) return on_call_signal(m);
  BroadcastMessage message(channel.sub_topic, event.get<std::string>(),
                           m.binary_payload ? Json() : member(m.payload, "payload"),
                           m.binary_payload);
  const bool ack = channel.ack;  // publish() may close us and clear channels_
  const ReplyTo to = reply_to(m);
  registry_.topics().publish(message, this);
  if (ack) answer(to, true, Json::object());
}

// ---- plain broadcast ---------------------------------------------------------------------

void RealtimeConnection::on_broadcast(BroadcastMessage& message, bool from_self) {
  if (closed_) return;
  // Usually one channel; a raw Phoenix client may have joined "realtime:x" and "x" both.
  for (const auto& [topic, channel] : channels_) {
    if (channel.sub_topic != message.topic() || (from_self && !channel.self)) continue;
    auto frame = message.frame(upgrade_.vsn, topic);
    if (!frame.bytes) continue;  // raw bytes cannot reach a vsn 1.0.0 client
    if (frame.binary) {
      sink_.send_binary(std::move(frame.bytes));
    } else {
      sink_.send_text(std::move(frame.bytes));
    }
  }
}

// ---- helpers -----------------------------------------------------------------------------

const RealtimeConnection::Json& RealtimeConnection::member(const Json& object,
                                                           std::string_view key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// Supabase's join reply names the Postgres changes it set up; we set up none.
RealtimeConnection::Json RealtimeConnection::join_response() {
  return Json{{"postgres_changes", Json::array()}};
}

void RealtimeConnection::forget_channel(Channels::iterator it, bool clean) {
  const Channel channel = std::move(it->second);
  channels_.erase(it);
  const bool spelled_otherwise = std::any_of(channels_.begin(), channels_.end(), [&](auto& c) {
    return c.second.sub_topic == channel.sub_topic;
  });
  if (!spelled_otherwise) registry_.topics().unsubscribe(channel.sub_topic, *this);
  if (channel.calls) {
    calls_topic_.clear();
    calls_exp_.reset();
    sink_.set_deadline(std::nullopt);  // the token's deadline was the channel's
    leave_engine(clean);
  }
}

void RealtimeConnection::answer(const ReplyTo& to, bool ok, const Json& response) {
  send(phoenix::encode_reply(upgrade_.vsn, to.join_ref, to.ref, to.topic, ok, response));
}

void RealtimeConnection::fail(const ReplyTo& to, std::string_view reason) {
  answer(to, false, Json{{"reason", reason}});
}

void RealtimeConnection::send(std::string frame) {
  if (closed_) return;
  sink_.send_text(std::make_shared<const std::string>(std::move(frame)));
}

}  // namespace switchboard::server
