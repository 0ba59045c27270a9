#include "server/topic_registry.hpp"

#include <algorithm>
#include <utility>

namespace switchboard::server {

BroadcastMessage::BroadcastMessage(std::string topic, std::string event, nlohmann::json payload,
                                   std::optional<std::string> binary)
    : topic_(std::move(topic)),
      event_(std::move(event)),
      payload_(std::move(payload)),
      binary_(std::move(binary)) {}

BroadcastMessage::Frame BroadcastMessage::frame(phoenix::Vsn vsn, std::string_view joined_topic) {
  for (const Encoded& e : encoded_) {
    if (e.vsn == vsn && e.joined_topic == joined_topic) return e.frame;
  }
  Frame frame;
  if (!binary_) {
    frame.bytes = std::make_shared<const std::string>(
        phoenix::encode_broadcast_text(vsn, joined_topic, event_, payload_));
  } else if (vsn == phoenix::Vsn::v2) {
    // vsn 1.0.0 clients parse every frame as JSON text: raw bytes cannot reach them.
    if (auto bytes = phoenix::encode_broadcast_binary(joined_topic, event_, *binary_, false)) {
      frame.bytes = std::make_shared<const std::string>(std::move(*bytes));
      frame.binary = true;
    }
  }
  encoded_.push_back(Encoded{vsn, std::string(joined_topic), frame});
  return frame;
}

void TopicRegistry::subscribe(const std::string& topic, TopicSubscriber& subscriber) {
  auto& subscribers = topics_[topic];
  if (std::find(subscribers.begin(), subscribers.end(), &subscriber) == subscribers.end()) {
    subscribers.push_back(&subscriber);
  }
}

void TopicRegistry::unsubscribe(const std::string& topic, TopicSubscriber& subscriber) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return;
  std::erase(it->second, &subscriber);
  if (it->second.empty()) topics_.erase(it);
}

std::size_t TopicRegistry::publish(BroadcastMessage& message, const TopicSubscriber* sender) {
  auto it = topics_.find(message.topic());
  if (it == topics_.end()) return 0;
  // A copy: a delivery can close its subscriber (slow consumer), which unsubscribes it and
  // would invalidate iteration over the live list. Closed subscribers ignore what follows.
  const std::vector<TopicSubscriber*> subscribers = it->second;
  for (TopicSubscriber* s : subscribers)
    s->on_broadcast(message, s == sender);
  return subscribers.size();
}

}  // namespace switchboard::server
