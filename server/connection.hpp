// What the hub needs from a client connection of the call engine, so that the hub never sees
// Beast nor a dialect: each implementation speaks its own protocol (native protocol v1, or
// Supabase Realtime's call-signal broadcasts). Used on the server's io_context thread only.
#pragma once

#include <string>
#include <string_view>

#include "protocol/messages.hpp"
#include "protocol/types.hpp"

namespace switchboard::server {

// An event's protocol v1 encoding, made on first use and shared by every recipient of one
// Deliver: native connections stamp their seq on it; other dialects never ask for it.
class NativeBody {
 public:
  explicit NativeBody(const Event& event) : event_(event) {}
  const std::string& get();

 private:
  const Event& event_;
  std::string body_;
  bool encoded_ = false;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Queues one engine event. May close the connection (slow consumer), which calls
  // Hub::leave() re-entrantly; the hub queues that input until its current actions are done.
  virtual void deliver(const Event& event, Seq seq, NativeBody& native) = 0;
  // The answer to a command this connection sent.
  virtual void reply(const Response& response) = 0;
  // The engine has forgotten this connection (e.g. replaced by a newer one of the same
  // device): stop speaking for it, with `code` and `reason` where the dialect can say so.
  virtual void close(CloseCode code, std::string_view reason) = 0;
};

}  // namespace switchboard::server
