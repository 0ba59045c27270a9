// What the hub needs from a client connection, so that the hub never sees Beast. Implemented
// by the WebSocket session; used on the server's io_context thread only.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "protocol/types.hpp"

namespace switchboard::server {

class Connection {
 public:
  virtual ~Connection() = default;
  // Queues one text frame. May close the connection (slow consumer), which calls
  // Hub::leave() re-entrantly; the hub queues that input until its current actions are done.
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  // Sends a close frame with `code` after what is already queued, then drops the connection.
  virtual void close(CloseCode code, std::string_view reason) = 0;
};

}  // namespace switchboard::server
