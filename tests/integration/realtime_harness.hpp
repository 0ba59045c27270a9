// Test side of Supabase Realtime (PROTOCOL.md "Supabase Realtime"): a Phoenix channels client
// over WsTestClient that speaks vsn 1.0.0 or 2.0.0 and decodes every server frame strictly
// (so the wire format itself is under test), JWT minting, and a fixture for the Realtime
// integration tests. Client frames are built here by hand, not with the server's encoder.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/phoenix_codec.hpp"
#include "tests/integration/test_server.hpp"
#include "tests/integration/ws_test_client.hpp"

namespace switchboard::testing {

using phoenix::Vsn;

inline constexpr const char* kRealtimeSecret = "realtime-test-secret-0123456789abcdef";
inline constexpr std::string_view kRealtimePath = "/realtime/v1/websocket";

// An HS256 token signed with `secret`: `sub` unless empty (an anon key has none), `exp` now +
// exp_offset_s (negative: expired).
std::string sign_token(const std::string& sub, long exp_offset_s = 300,
                       const std::string& secret = kRealtimeSecret);

// test_config() with kRealtimeSecret: JWT mode.
server::Config realtime_config();

// A server frame, decoded. Text frames fill join_ref/ref/topic/event/payload; a binary kind-4
// broadcast fills topic, user_event, meta, encoding and bytes (event is "broadcast").
struct PhxFrame {
  bool binary = false;
  Json join_ref;  // null or a string
  Json ref;       // null or a string
  std::string topic;
  std::string event;
  Json payload;
  std::string user_event;  // binary
  std::string meta;        // binary
  int encoding = -1;       // binary: 0 raw bytes, 1 JSON
  std::string bytes;       // binary: the payload as sent
  std::string raw;         // the frame as received

  // A broadcast's user event and payload, whichever the frame's form (text only).
  std::string broadcast_event() const;
  const Json& broadcast_payload() const;
};

// A binary kind-3 push (realtime-js serializer.js): kind, five lengths, encoding, then the
// join_ref, ref, topic, user event and meta bytes, then the payload.
std::string binary_push(std::string_view join_ref, std::string_view ref, std::string_view topic,
                        std::string_view user_event, std::string_view meta, int encoding,
                        std::string_view payload);

// The broadcast config realtime-js sends on join.
Json channel_config(bool self = false, bool ack = false, bool is_private = false);

// A reply payload's "status" ("ok" / "error"), null when it has none.
Json status_of(const Json& reply);

class RealtimeClient {
 public:
  explicit RealtimeClient(Vsn vsn) : vsn_(vsn) {}

  // Upgrades at `prefix` + /realtime/v1/websocket with `query` (plus vsn, unless `send_vsn`
  // is false: then the server assumes 1.0.0, and this client had better be v1).
  ConnectResult connect(std::uint16_t port, const std::string& query,
                        const std::string& prefix = "", bool send_vsn = true);

  Vsn vsn() const { return vsn_; }
  WsTestClient& ws() { return ws_; }
  std::string next_ref() { return std::to_string(++last_ref_); }

  // One text frame in this client's vsn. Refs are JSON: a string, or null.
  bool push(const std::string& topic, const std::string& event, const Json& payload,
            const Json& ref, const Json& join_ref);
  // Pushes with a fresh ref and the topic's join_ref (null if not joined); returns the ref.
  std::string send(const std::string& topic, const std::string& event, const Json& payload);
  // A text broadcast {type:"broadcast", event, payload}; returns the ref.
  std::string broadcast(const std::string& topic, const std::string& event, const Json& payload);
  // A binary kind-3 broadcast with a fresh ref; returns it.
  std::string broadcast_binary(const std::string& topic, const std::string& event,
                               std::string_view payload, int encoding = 0,
                               std::string_view meta = "");

  // The next frame, decoded; nullopt on timeout. A frame of the wrong shape fails the test.
  std::optional<PhxFrame> recv(Millis timeout = kDefaultTimeout);
  // The next frame must be a phx_reply on `topic` echoing `ref` (and the join_ref sent with it);
  // returns its payload {status, response}, or null (and a test failure).
  Json expect_reply(const std::string& topic, const std::string& ref,
                    Millis timeout = kDefaultTimeout);
  // expect_reply() with status ok: the response.
  Json expect_ok(const std::string& topic, const std::string& ref);
  // expect_reply() with status error: the response (which has a string reason).
  Json expect_error(const std::string& topic, const std::string& ref);
  // The next frame must be a text broadcast of `event` on `topic` with null refs; returns
  // the user payload (null on failure).
  Json expect_broadcast(const std::string& topic, const std::string& event,
                        Millis timeout = kDefaultTimeout);
  // The next frame must be a call-signal broadcast of this type on the joined calls topic.
  Json expect_signal(const std::string& type, Millis timeout = kDefaultTimeout);
  void expect_silence(Millis window = kSilenceWindow);

  // phx_join with {config, access_token?}: sends it with ref = join_ref, returns the reply
  // payload. On ok the join_ref is remembered for later pushes on the topic.
  Json join(const std::string& topic, const Json& config = channel_config(),
            const std::optional<std::string>& access_token = std::nullopt);
  // join() that must succeed (response {"postgres_changes":[]}).
  void join_ok(const std::string& topic, const Json& config = channel_config(),
               const std::optional<std::string>& access_token = std::nullopt);
  // join_ok() on realtime:calls:<user>; later call-signals are expected there.
  void join_calls(const std::string& user,
                  const std::optional<std::string>& access_token = std::nullopt);
  const std::string& calls_topic() const { return calls_topic_; }
  std::optional<std::string> join_ref(const std::string& topic) const;

  // A call-signal on `topic` (the calls topic when empty); returns the reply payload.
  Json call_signal(const Json& payload, const std::string& topic = "");
  // call-signal `call` to `to` that must succeed; returns the callId.
  std::string place_call(const std::string& to, Json extra = Json::object());

 private:
  Vsn vsn_;
  WsTestClient ws_;
  int last_ref_ = 0;
  std::map<std::string, std::string> join_refs_;
  std::map<std::string, Json> sent_join_refs_;  // by ref: what a reply must echo
  std::string calls_topic_;
};

class RealtimeTest : public IntegrationTest {
 protected:
  // A JWT-mode server (realtime_config()) unless told otherwise.
  void start_realtime(server::Config config = realtime_config()) { start_server(config); }

  // A connected Realtime client authenticated with `apikey`; `extra` is appended to the
  // query (e.g. "&device=d1").
  std::unique_ptr<RealtimeClient> connect_rt(const std::string& apikey, Vsn vsn = Vsn::v2,
                                             const std::string& extra = "");
  // A client for `user` (its own token as the apikey) that has joined calls:<user>.
  std::unique_ptr<RealtimeClient> connect_calls(const std::string& user, Vsn vsn = Vsn::v2,
                                                const std::string& device = "");
  // A native client for `user` in JWT mode (connect() is dev mode's).
  std::unique_ptr<WsTestClient> connect_native(const std::string& user, const std::string& device);

  // POST `target` with `body` and, unless empty, Authorization: Bearer <bearer>.
  HttpResult post(const std::string& target, const std::string& body,
                  const std::string& bearer = "");
  // POST /realtime/v1/api/broadcast {"messages":[...]} as `user` (their token).
  HttpResult rest_broadcast(const std::string& user, const Json& messages);
};

}  // namespace switchboard::testing
