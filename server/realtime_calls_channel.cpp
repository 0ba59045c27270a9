// RealtimeConnection's calls channel (`calls:<userId>`, PROTOCOL.md "Calls on calls:<userId>"):
// joining it opens the engine connection, `call-signal` broadcasts become engine commands and
// engine events come back on it, and it lives only as long as the token that authorised it.
// The rest of the connection (Phoenix framing, plain broadcast) is realtime_connection.cpp.
#include <memory>
#include <utility>

#include <spdlog/spdlog.h>

#include "protocol/realtime_signals.hpp"
#include "server/realtime_connection.hpp"

namespace switchboard::server {

// ---- joining and tokens ------------------------------------------------------------------

std::optional<std::string> RealtimeConnection::join_calls(const phoenix::Message& m,
                                                          Channel channel,
                                                          const std::string& owner) {
  if (!calls_topic_.empty() && calls_topic_ != m.topic) {
    return "this connection has joined " + calls_topic_ + " already";
  }
  auto granted = authorize_calls(owner);
  if (auto* why = std::get_if<std::string>(&granted)) return std::move(*why);
  auto& identity = std::get<Identity>(granted);
  channel.calls = true;
  user_ = std::move(identity.user_id);
  calls_topic_ = m.topic;
  registry_.topics().subscribe(channel.sub_topic, *this);  // the user's own plain events
  channels_[m.topic] = std::move(channel);
  // A (re)join is authorised by the token it presents: its exp is the channel's deadline now.
  // Armed before the engine hears of us: should it refuse the device, dropping the channel
  // disarms it again.
  calls_exp_.reset();
  extend_calls_deadline(identity.expires_at);
  answer(reply_to(m), true, join_response());  // joined before the first call-signal
  if (conn_ == 0) {
    // Announcing the engine connection rings this device for calls already ringing.
    auto opened = registry_.hub().open(*this, *user_, upgrade_.device.value_or(""), std::nullopt);
    conn_ = opened.conn;
    spdlog::info("conn {} open user={} device={} session={} realtime peer={}", conn_, *user_,
                 opened.device_id, opened.session_id, peer_);
  }
  return std::nullopt;
}

// realtime-js sends a fresh token to every joined channel when it refreshes one; a token that
// no longer vouches for this connection's user drops its calls channel, and a fresher one for
// the same user keeps it past the old token's expiry.
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
  auto user = registry_.auth().user_in(*token_);
  if (auto* failure = std::get_if<AuthFailure>(&user)) {
    return drop_calls_channel(failure->message);
  }
  const auto& identity = std::get<Identity>(user);
  if (identity.user_id != *user_) return drop_calls_channel("the new token is for another user");
  extend_calls_deadline(identity.expires_at);
}

void RealtimeConnection::extend_calls_deadline(std::optional<double> exp) {
  if (!exp || (calls_exp_ && *exp <= *calls_exp_)) return;
  calls_exp_ = exp;
  sink_.set_deadline(registry_.auth().valid_until(*exp));
}

// What Supabase Realtime does when a channel's token expires (RealtimeChannel's
// shutdown_response): a `system` message with status "error" on the channel (realtime-js hands
// it to the app's `system` listeners), then the channel stops, which Phoenix tells the client
// with phx_close (realtime-js closes the channel and does not rejoin on its own). The engine
// sees a drop: a join with a fresh token takes the session and its calls back.
void RealtimeConnection::on_deadline() {
  if (closed_ || calls_topic_.empty()) return;  // left since: nothing to expire
  auto it = channels_.find(calls_topic_);
  if (it == channels_.end()) return;  // cannot happen: calls_topic_ is always a channel
  const std::string message =
      "Access token has expired: join " + it->second.sub_topic + " again with a fresh token";
  // Phoenix pushes carry the channel's join_ref and no ref.
  send(phoenix::encode(upgrade_.vsn, it->second.join_ref, std::nullopt, calls_topic_, "system",
                       Json{{"status", "error"},
                            {"message", message},
                            {"extension", "system"},
                            {"channel", it->second.sub_topic}}));
  drop_calls_channel(message, "phx_close");
}

std::variant<Identity, std::string> RealtimeConnection::authorize_calls(
    const std::string& owner) const {
  if (user_ && *user_ != owner) {
    return "this connection speaks for " + *user_ + "; use another one for " + owner;
  }
  if (registry_.auth().dev_mode()) return Identity{owner, {}, std::nullopt};
  const std::optional<std::string>& token = token_ ? token_ : upgrade_.apikey;
  if (!token) return "calls:" + owner + " needs a user token";
  auto user = registry_.auth().user_in(*token);
  if (auto* failure = std::get_if<AuthFailure>(&user)) {
    return "calls:" + owner + " needs a user token: " + failure->message;
  }
  if (std::get<Identity>(user).user_id != owner) {
    return "calls:" + owner + " belongs to user " + owner + ", not to the token's user";
  }
  return std::move(std::get<Identity>(user));
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

void RealtimeConnection::leave_engine(bool clean) {
  if (conn_ == 0) return;
  const ConnId conn = conn_;
  conn_ = 0;
  registry_.hub().leave(conn, clean);  // a no-op when the engine closed it itself
  spdlog::info("conn {} closed user={} realtime peer={} {}", conn, user_.value_or("-"), peer_,
               clean ? "left" : "dropped");
}

// ---- commands and the engine's side --------------------------------------------------------

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
  auto parsed = realtime::command_from_signal(member(m.payload, "payload"), *sender, id,
                                              codec_limits(registry_.config()));
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

}  // namespace switchboard::server
