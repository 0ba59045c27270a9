// The seam between a WebSocket session (Beast, websocket_session.cpp) and the protocol spoken
// on it (native_connection.*, realtime_connection.*), so that protocol code never sees Beast.
// The session owns its handler and outlives it; both live on the server's io_context thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/types.hpp"

namespace switchboard::server {

// What a protocol handler may do with its socket.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // Queues one frame, written at the end of this turn of the event loop with whatever else
  // was queued. Over the send queue limit the session closes itself with 4008 (and the
  // handler hears on_closed). Ignored once closing.
  virtual void send_text(std::shared_ptr<const std::string> frame) = 0;
  virtual void send_binary(std::shared_ptr<const std::string> frame) = 0;
  // Sends a close frame after what is queued, then drops the connection.
  virtual void close(CloseCode code, std::string_view reason) = 0;
  // Calls the handler's on_deadline() once at `when` (wall clock: a token's expiry), replacing
  // any earlier request; nullopt cancels. A time already past fires at the end of this turn.
  virtual void set_deadline(std::optional<std::chrono::system_clock::time_point> when) = 0;
};

// A protocol spoken on one WebSocket.
class ProtocolHandler {
 public:
  virtual ~ProtocolHandler() = default;
  // The handshake is done; frames may be sent.
  virtual void on_open() = 0;
  virtual void on_text(std::string_view text) = 0;
  virtual void on_binary(std::string_view bytes) = 0;
  // A frame over the connection's message rate (--message-rate, --message-burst): answer it
  // with the dialect's `rate_limited` error and do nothing else with it.
  virtual void on_rate_limited(std::string_view frame, bool text) = 0;
  // The time given to FrameSink::set_deadline() has come.
  virtual void on_deadline() = 0;
  // The connection is over or closing, exactly once. `clean` only when the client sent a
  // close frame (it chose to leave); any other end (reset, timeout, our own close) is a drop.
  // `reason` is for the log.
  virtual void on_closed(bool clean, std::string_view reason) = 0;
};

}  // namespace switchboard::server
