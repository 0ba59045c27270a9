// Supabase Realtime on one WebSocket (`<any prefix>/realtime/v1/websocket`, PROTOCOL.md
// "Supabase Realtime"): Phoenix channels as @supabase/realtime-js 2.x speaks them. Plain topics
// are broadcast through the TopicRegistry. The connection's own `calls:<userId>` channel is its
// engine connection: `call-signal` broadcasts become engine commands, and engine events come
// back as `call-signal` broadcasts on that channel; it lives only as long as the token that
// authorised it (realtime_calls_channel.cpp). Owned by its WebSocket session, which outlives
// it; io_context thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include <nlohmann/json.hpp>

#include "protocol/phoenix_codec.hpp"
#include "server/auth.hpp"
#include "server/connection.hpp"
#include "server/frame_sink.hpp"
#include "server/session_registry.hpp"
#include "server/topic_registry.hpp"
#include "server/upgrade_query.hpp"

namespace switchboard::server {

// What the upgrade request settled for the connection.
struct RealtimeUpgrade {
  phoenix::Vsn vsn = phoenix::Vsn::v1;
  std::optional<std::string> apikey;  // verified already, unless in dev mode
  std::optional<std::string> device;  // ?device=: a reconnect with it takes its calls back
};

// Checks the query of a Realtime upgrade: `vsn` (1.0.0 when absent, as in Phoenix), `apikey`
// (required and verified unless in dev mode), an optional `device` id.
std::variant<RealtimeUpgrade, AuthFailure> realtime_upgrade(const UpgradeQuery& query,
                                                            const Authenticator& auth);

class RealtimeConnection final : public ProtocolHandler, public Connection, public TopicSubscriber {
 public:
  // Channels one connection may join: each is a map entry and a topic subscription.
  static constexpr std::size_t kMaxChannels = 100;

  RealtimeConnection(FrameSink& sink, SessionRegistry& registry, RealtimeUpgrade upgrade,
                     std::string peer);
  ~RealtimeConnection() override;
  RealtimeConnection(const RealtimeConnection&) = delete;
  RealtimeConnection& operator=(const RealtimeConnection&) = delete;

  // ProtocolHandler
  void on_open() override;
  void on_text(std::string_view text) override;
  void on_binary(std::string_view bytes) override;
  void on_rate_limited(std::string_view frame, bool text) override;
  // The calls channel's token expired: the channel ends as on Supabase (system + phx_close).
  void on_deadline() override;
  void on_closed(bool clean, std::string_view reason) override;

  // Connection (the engine's side: this connection's calls channel)
  void deliver(const Event& event, Seq seq, NativeBody& native) override;
  void reply(const Response& response) override;
  void close(CloseCode code, std::string_view reason) override;

  // TopicSubscriber
  void on_broadcast(BroadcastMessage& message, bool from_self) override;

 private:
  using Json = nlohmann::json;

  struct Channel {
    std::optional<std::string> join_ref;
    std::string sub_topic;  // without "realtime:"
    bool self = false;      // config.broadcast.self: hear our own broadcasts
    bool ack = false;       // config.broadcast.ack: acknowledge each broadcast
    bool calls = false;     // our calls:<userId> channel
  };
  // Where the answer to a message goes.
  struct ReplyTo {
    std::optional<std::string> join_ref;
    std::optional<std::string> ref;
    std::string topic;
  };

  // The frame as a Phoenix message, or nullopt after answering why it is not one.
  std::optional<phoenix::Message> decode(std::string_view frame, bool text);
  void handle(const phoenix::Message& m);
  void on_join(const phoenix::Message& m);
  void on_leave(const phoenix::Message& m);
  void on_access_token(const phoenix::Message& m);
  void on_broadcast_push(const phoenix::Message& m, const Channel& channel);
  void on_call_signal(const phoenix::Message& m);

  // Joins `channel` as this connection's calls channel for `owner`: nullopt once joined (and
  // answered), else why the join is refused.
  std::optional<std::string> join_calls(const phoenix::Message& m, Channel channel,
                                        const std::string& owner);
  // The user a `calls:<owner>` join may speak for (with its token's exp in JWT mode), or why not.
  std::variant<Identity, std::string> authorize_calls(const std::string& owner) const;
  // The calls channel lives until the token that vouches for it expires (exp + leeway); a
  // later exp moves the deadline, an earlier one never shortens it.
  void extend_calls_deadline(std::optional<double> exp);
  // The user behind this connection's credentials, when there is one.
  std::optional<std::string> token_user() const;
  using Channels = std::unordered_map<std::string, Channel>;
  // Drops the calls channel after its token went bad: the client hears phx_error and rejoins
  // (with a fresh token, if it has one); the engine holds the session as after a drop.
  void drop_calls_channel(std::string_view why, std::string_view event = "phx_error");
  // Forgets a channel: its topic subscription (unless another spelling of the topic still
  // needs it) and, for the calls channel, the engine connection (`clean`: the app left).
  void forget_channel(Channels::iterator it, bool clean);
  void leave_engine(bool clean);

  static const Json& member(const Json& object, std::string_view key);  // null when absent
  static Json join_response();

  void answer(const ReplyTo& to, bool ok, const Json& response);
  void fail(const ReplyTo& to, std::string_view reason);
  void send(std::string frame);
  static ReplyTo reply_to(const phoenix::Message& m) { return {m.join_ref, m.ref, m.topic}; }

  FrameSink& sink_;
  SessionRegistry& registry_;
  RealtimeUpgrade upgrade_;
  std::string peer_;

  Channels channels_;                   // by topic, as the client spells it
  std::optional<std::string> user_;     // fixed by the first calls:<userId> join
  std::optional<std::string> token_;    // the latest access_token the client sent
  std::string calls_topic_;             // the joined calls channel's topic; empty if none
  std::optional<double> calls_exp_;     // exp of its newest token; none in dev mode
  ConnId conn_ = 0;                     // the engine connection, while calls_topic_ is joined
  std::optional<ReplyTo> replying_to_;  // the call-signal the engine is running
  std::uint64_t commands_ = 0;
  bool opened_ = false;
  bool closed_ = false;
};

}  // namespace switchboard::server
