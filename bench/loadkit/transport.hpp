// The load-client kit's I/O (used by switchboard-bench and the soak test): event loops,
// asynchronous WebSocket client connections and a one-shot HTTP GET, to loopback addresses
// only. Beast and Asio stay inside transport.cpp, the one translation unit that includes them
// (each Beast TU costs ~10 s and 0.5 GB to build). A Loop and its connections are used only
// on the thread that runs the Loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bench/loadkit/common.hpp"

namespace switchboard::loadkit {

// One io_context run by one thread until stop().
class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void run();
  void stop();
  // Runs `fn` on the loop at `when` / after `delay` (never inline).
  void at(Clock::time_point when, std::function<void()> fn);
  void after(Millis delay, std::function<void()> fn) { at(Clock::now() + delay, std::move(fn)); }

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
  bool opened = false;               // the upgrade had succeeded
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

  // Connects to ws://host:port<target> (host: a loopback address literal such as 127.0.0.1
  // or 127.0.0.2); the handshake must finish within `timeout`.
  virtual void connect(const std::string& host, std::uint16_t port, std::string target,
                       Millis timeout) = 0;
  // Queues a text frame. Frames sent before the handshake completes wait for it; frames
  // queued while a write is in flight go out together in one send().
  virtual void send(std::string text) = 0;
  // Close handshake with 1000 once the queue is written (after the handshake, if it is still
  // running); ends with WsEnd::Kind::clean.
  virtual void close_clean() = 0;
  // Closes the TCP socket without a close frame: RST when `reset`, else FIN. Silent: no
  // callback fires afterwards.
  virtual void kill(bool reset) = 0;
};

// GET http://host:port<target>; `done` gets the status (0 on failure) and the body.
void http_get(Loop& loop, const std::string& host, std::uint16_t port, std::string target,
              Millis timeout, std::function<void(int status, std::string body)> done);

}  // namespace switchboard::loadkit
