// The bench's I/O: one event loop per thread and asynchronous WebSocket client connections
// to the loopback interface. Beast and Asio stay inside transport.cpp, the one translation
// unit that includes them. A Loop and its connections are used only on the Loop's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bench/common.hpp"

namespace switchboard::bench {

// One io_context run by one thread until stop().
class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void run();
  void stop();
  // Runs `fn` on the loop at `when` (never inline).
  void at(Clock::time_point when, std::function<void()> fn);

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// How a connection ended (reported once, unless it was killed: a kill is silent).
struct WsEnd {
  bool opened = false;  // the upgrade had succeeded
  int http_status = 0;  // the upgrade was refused with this status
  int close_code = 0;   // the server sent a close frame
  bool clean = false;   // our close frame was answered
  std::string detail;
  std::uint64_t frames_written = 0;  // WebSocket frames (and the upgrade request) written
  std::uint64_t send_calls = 0;      // the socket writes that carried them
};

struct WsCallbacks {
  std::function<void()> on_open;               // handshake done
  std::function<void(std::string&&)> on_text;  // one text frame
  std::function<void(const WsEnd&)> on_end;    // the connection is over
};

class WsConnection {
 public:
  static std::shared_ptr<WsConnection> create(Loop& loop, WsCallbacks callbacks);
  virtual ~WsConnection() = default;

  // Connects to ws://host:port<target> (host: a loopback address literal); the handshake
  // must finish within `timeout`.
  virtual void connect(const std::string& host, std::uint16_t port, std::string target,
                       Millis timeout) = 0;
  // Queues a text frame; frames queued while a write is in flight go out as one batch.
  virtual void send(std::string text) = 0;
  // Close handshake with 1000 once the queue is written.
  virtual void close_clean() = 0;
  // Closes the TCP socket without a close frame. Silent: no callback fires afterwards.
  virtual void kill() = 0;
};

}  // namespace switchboard::bench
