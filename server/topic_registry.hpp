// Plain Supabase Realtime broadcast (PROTOCOL.md "Supabase Realtime"): who subscribes to which
// topic on this server, and fan-out of one message to them. Every frame is encoded once per
// protocol version and topic spelling and shared by its recipients. Subscribers are borrowed and
// must unsubscribe before they die. Single-threaded: the server's io_context thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/phoenix_codec.hpp"

namespace switchboard::server {

// One broadcast on its way to subscribers, with its encodings made on first use.
class BroadcastMessage {
 public:
  // `topic` without the "realtime:" prefix; a JSON payload, or raw bytes (`binary`).
  BroadcastMessage(std::string topic, std::string event, nlohmann::json payload,
                   std::optional<std::string> binary = std::nullopt);

  const std::string& topic() const { return topic_; }
  const std::string& event() const { return event_; }

  struct Frame {
    std::shared_ptr<const std::string> bytes;  // null: this client cannot receive it
    bool binary = false;
  };
  // The frame for a subscriber of `vsn` that joined as `joined_topic` (its own spelling of the
  // topic). Raw bytes only reach vsn 2.0.0 clients, as a binary kind-4 frame.
  Frame frame(phoenix::Vsn vsn, std::string_view joined_topic);

 private:
  struct Encoded {
    phoenix::Vsn vsn;
    std::string joined_topic;
    Frame frame;
  };
  std::string topic_;
  std::string event_;
  nlohmann::json payload_;
  std::optional<std::string> binary_;
  std::vector<Encoded> encoded_;  // usually one or two entries
};

class TopicSubscriber {
 public:
  virtual ~TopicSubscriber() = default;
  // `from_self`: this subscriber sent it (it decides whether it wants its own messages).
  virtual void on_broadcast(BroadcastMessage& message, bool from_self) = 0;
};

class TopicRegistry {
 public:
  // Idempotent. `topic` without the "realtime:" prefix.
  void subscribe(const std::string& topic, TopicSubscriber& subscriber);
  void unsubscribe(const std::string& topic, TopicSubscriber& subscriber);
  // Delivers to every subscriber of the message's topic; `sender` (may be null) is told the
  // message is its own. Returns how many subscribers were offered it.
  std::size_t publish(BroadcastMessage& message, const TopicSubscriber* sender);

 private:
  std::unordered_map<std::string, std::vector<TopicSubscriber*>> topics_;
};

}  // namespace switchboard::server
