// What the listener and every HTTP/WebSocket session share: the configuration, the
// authenticator, the hub, the Realtime broadcast topics, and the set of live sessions, so that
// shutdown can reach each one and learn when the last is gone. Use on the server's io_context
// thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_set>

#include "server/auth.hpp"
#include "server/config.hpp"
#include "server/hub.hpp"
#include "server/topic_registry.hpp"

namespace boost::asio::ssl {
class context;
}

namespace switchboard::server {

// A session that can be asked to wind down (close its socket or send a close frame).
class TrackedSession {
 public:
  virtual ~TrackedSession() = default;
  virtual void shut_down() = 0;
};

class SessionRegistry {
 public:
  // `tls`: the context new connections speak TLS with (wss://), or null for plain ones.
  SessionRegistry(const Config& config, const Authenticator& auth, Hub& hub, TopicRegistry& topics,
                  boost::asio::ssl::context* tls = nullptr)
      : config_(config), auth_(auth), hub_(hub), topics_(topics), tls_(tls) {}
  SessionRegistry(const SessionRegistry&) = delete;
  SessionRegistry& operator=(const SessionRegistry&) = delete;

  const Config& config() const { return config_; }
  const Authenticator& auth() const { return auth_; }
  Hub& hub() { return hub_; }
  TopicRegistry& topics() { return topics_; }
  boost::asio::ssl::context* tls() const { return tls_; }

  // Sessions register for their whole life (constructor to destructor).
  void add(TrackedSession& session) { sessions_.insert(&session); }
  void remove(TrackedSession& session);

  // WebSocket sessions, counted from the upgrade decision on, for --max-connections.
  std::size_t websocket_count() const { return websocket_count_; }
  void websocket_added() { ++websocket_count_; }
  void websocket_removed() { --websocket_count_; }

  // Counters for GET /metrics.
  std::uint64_t connections_total() const { return connections_total_; }
  void websocket_accepted() { ++connections_total_; }
  std::uint64_t upgrades_refused_total() const { return upgrades_refused_total_; }
  void upgrade_refused() { ++upgrades_refused_total_; }

  bool stopping() const { return stopping_; }
  // Asks every session to wind down; `on_empty` runs once no session is left (maybe now).
  void begin_shutdown(std::function<void()> on_empty);
  // Teardown: sessions destroyed from now on (with the io_context) notify nobody.
  void detach() { on_empty_ = nullptr; }

 private:
  const Config& config_;
  const Authenticator& auth_;
  Hub& hub_;
  TopicRegistry& topics_;
  boost::asio::ssl::context* tls_;
  std::unordered_set<TrackedSession*> sessions_;
  std::size_t websocket_count_ = 0;
  std::uint64_t connections_total_ = 0;
  std::uint64_t upgrades_refused_total_ = 0;
  bool stopping_ = false;
  std::function<void()> on_empty_;
};

}  // namespace switchboard::server
