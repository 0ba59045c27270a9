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

// Supabase's join reply names the Postgres changes it set up; we set up none.
Json join_response() {
  return Json{{"postgres_changes", Json::array()}};
}

bool flag(const Json& object, std::string_view key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

const Json& member(const Json& object, std::string_view key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
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
    if (!calls_topic_.empty() && calls_topic_ != m.topic) {
      return refuse("this connection has joined " + calls_topic_ + " already");
    }
    auto user = authorize_calls(*owner);
    if (auto* why = std::get_if<1>(&user)) return refuse(*why);
    channel.calls = true;
    user_ = std::get<0>(user);
    calls_topic_ = m.topic;
    registry_.topics().subscribe(channel.sub_topic, *this);  // the user's own plain events
    channels_[m.topic] = std::move(channel);
    answer(reply_to(m), true, join_response());  // joined before the first call-signal
    if (conn_ == 0) {
      // Announcing the engine connection rings this device for calls already ringing.
      auto opened = registry_.hub().open(*this, *user_, upgrade_.device.value_or(""), std::nullopt);
      conn_ = opened.conn;
      spdlog::info("conn {} open user={} device={} session={} realtime peer={}", conn_, *user_,
                   opened.device_id, opened.session_id, peer_);
    }
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

// realtime-js sends a fresh token to every joined channel when it refreshes one; a token that
// no longer vouches for this connection's user drops its calls channel.
void RealtimeConnection::on_access_token(const phoenix::Message& m) {
  const Json& token = member(m.payload, "access_token");
  if (!token.is_string()) return fail(reply_to(m), "access_token must be a string");
  if (registry_.auth().dev_mode()) return;
  // supabase-js pushes its anon key this way when the app set a user token by hand: a key
  // that names no user says nothing about the user, so it neither counts nor drops anything.
  if (auto claims = registry_.auth().verify(token.get<std::string>(), TokenUse::apikey);
      std::holds_alternative<TokenClaims>(claims) && !std::get<TokenClaims>(claims).sub) {
    return;
  }
  token_ = token.get<std::string>();
  if (calls_topic_.empty()) return;
  auto user = registry_.auth().user_of(*token_);
  if (auto* failure = std::get_if<AuthFailure>(&user)) {
    return drop_calls_channel(failure->message);
  }
  if (std::get<std::string>(user) != *user_) {
    drop_calls_channel("the new token is for another user");
  }
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

// A call-signal on any channel is a command: for this connection's engine session when it has
// joined its calls channel, else for its user as a whole (like the REST API).
void RealtimeConnection::on_call_signal(const phoenix::Message& m) {
  if (m.binary_payload) return fail(reply_to(m), "a call-signal payload must be JSON");
  std::optional<std::string> sender = conn_ != 0 ? user_ : token_user();
  if (!sender) {
    return fail(reply_to(m),
                "call-signal needs a user: join calls:<yourUserId> or send a user access token");
  }
  const std::string id = "rt" + std::to_string(++commands_);
  auto parsed = realtime::command_from_signal(member(m.payload, "payload"), *sender, id);
  if (auto* error = std::get_if<Error>(&parsed)) {
    const auto body = realtime::reply_from_response(*error);
    return answer(reply_to(m), false, body.response);
  }
  Command command = std::move(std::get<Command>(parsed));
  if (conn_ != 0) {
    replying_to_ = reply_to(m);
    registry_.hub().command(conn_, std::move(command));  // answers through reply()
    replying_to_.reset();
    return;
  }
  const auto body =
      realtime::reply_from_response(registry_.hub().user_command(*sender, std::move(command)));
  answer(reply_to(m), body.ok, body.response);
}

// ---- the engine's side -------------------------------------------------------------------

void RealtimeConnection::deliver(const Event& event, Seq /*seq*/, NativeBody& /*native*/) {
  if (closed_ || calls_topic_.empty() || !user_) return;
  // The end this connection just caused (its hangup or reject) is not news to it: the dialect
  // tells the other party only, as the seed app expects. Native clients get it as confirmation.
  if (const auto* ended = std::get_if<EndedEvent>(&event);
      ended != nullptr && replying_to_ && ended->by == user_) {
    return;
  }
  auto payload = realtime::signal_from_event(event, *user_);
  if (!payload) return;
  send(phoenix::encode_broadcast_text(upgrade_.vsn, calls_topic_, realtime::kCallSignalEvent,
                                      *payload));
}

void RealtimeConnection::reply(const Response& response) {
  if (closed_ || !replying_to_) return;
  const auto body = realtime::reply_from_response(response);
  answer(*replying_to_, body.ok, body.response);
}

// The engine forgot our connection: a newer connection of the same device took its place.
// phx_close, not phx_error: the client must not rejoin and take the device back in turn.
void RealtimeConnection::close(CloseCode /*code*/, std::string_view reason) {
  conn_ = 0;
  drop_calls_channel(reason, "phx_close");
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

std::variant<std::string, std::string> RealtimeConnection::authorize_calls(
    const std::string& owner) const {
  using Result = std::variant<std::string, std::string>;
  if (user_ && *user_ != owner) {
    return Result(std::in_place_index<1>,
                  "this connection speaks for " + *user_ + "; use another one for " + owner);
  }
  if (registry_.auth().dev_mode()) return Result(std::in_place_index<0>, owner);
  const std::optional<std::string>& token = token_ ? token_ : upgrade_.apikey;
  if (!token) {
    return Result(std::in_place_index<1>, "calls:" + owner + " needs a user token");
  }
  auto user = registry_.auth().user_of(*token);
  if (auto* failure = std::get_if<AuthFailure>(&user)) {
    return Result(std::in_place_index<1>,
                  "calls:" + owner + " needs a user token: " + failure->message);
  }
  if (std::get<std::string>(user) != owner) {
    return Result(std::in_place_index<1>,
                  "calls:" + owner + " belongs to user " + owner + ", not to the token's user");
  }
  return Result(std::in_place_index<0>, owner);
}

// A connection speaks for one user: once a calls channel fixed it, a token for anyone else
// does not count.
std::optional<std::string> RealtimeConnection::token_user() const {
  if (registry_.auth().dev_mode()) return user_;
  for (const auto* token : {&token_, &upgrade_.apikey}) {
    if (!*token) continue;
    auto user = registry_.auth().user_of(**token);
    auto* id = std::get_if<std::string>(&user);
    if (id != nullptr && (!user_ || *id == *user_)) return *id;
  }
  return std::nullopt;
}

void RealtimeConnection::drop_calls_channel(std::string_view why, std::string_view event) {
  if (calls_topic_.empty()) return;
  auto it = channels_.find(calls_topic_);
  if (it == channels_.end()) return;  // cannot happen: calls_topic_ is always a channel
  spdlog::info("realtime {}: dropping {}: {}", peer_, calls_topic_, why);
  const auto join_ref = it->second.join_ref;
  send(phoenix::encode(upgrade_.vsn, join_ref, join_ref, calls_topic_, event,
                       Json{{"reason", why}}));
  forget_channel(it, false);
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
    leave_engine(clean);
  }
}

void RealtimeConnection::leave_engine(bool clean) {
  if (conn_ == 0) return;
  const ConnId conn = conn_;
  conn_ = 0;
  registry_.hub().leave(conn, clean);  // a no-op when the engine closed it itself
  spdlog::info("conn {} closed user={} realtime peer={} {}", conn, user_.value_or("-"), peer_,
               clean ? "left" : "dropped");
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
