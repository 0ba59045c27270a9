// The soak client's I/O: one event loop, asynchronous WebSocket connections and a one-shot
// HTTP GET, all on 127.0.0.1 only. Beast and Asio stay inside transport.cpp (the one
// translation unit that includes them). Everything here runs on the Loop's single thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tests/soak/common.hpp"

namespace switchboard::soak {

// One io_context run by one thread until stop().
class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void run();
  void stop();
  // Runs `fn` on the loop after `delay` (never inline).
  void after(Millis delay, std::function<void()> fn);

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// How a connection ended (reported once, unless it was killed: a kill is silent).
struct WsEnd {
  enum class Kind {
    connect_failed,  // TCP connect or handshake failed without an HTTP answer
    refused,         // the upgrade got an HTTP status (http_status)
    clean,           // our close frame was answered
    server_closed,   // the server sent a close frame (close_code)
    dropped,         // reset, EOF or an error without a close frame
  };
  Kind kind = Kind::dropped;
  int http_status = 0;
  int close_code = 0;
  std::string detail;
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

  // Connects to ws://127.0.0.1:port<target>; the handshake must finish within `timeout`.
  virtual void connect(std::uint16_t port, std::string target, Millis timeout) = 0;
  // Queues a text frame (frames sent before the handshake completes wait for it).
  virtual void send(std::string text) = 0;
  // Close handshake with 1000 once the queue is written; ends with WsEnd::Kind::clean.
  virtual void close_clean() = 0;
  // Closes the TCP socket without a close frame (RST when `reset`, else FIN). Silent: no
  // callback fires afterwards.
  virtual void kill(bool reset) = 0;
};

// GET http://127.0.0.1:port<target>; `done` gets the status (0 on failure) and the body.
void http_get(Loop& loop, std::uint16_t port, std::string target, Millis timeout,
              std::function<void(int status, std::string body)> done);

}  // namespace switchboard::soak
