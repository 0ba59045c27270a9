// The Switchboard server: one io_context on one thread running the listener, every session
// and the hub (which owns the call engine). Beast stays out of this header.
//
// Threading: construct, start() and run() on one thread; stop() may be called from any
// thread (it posts to the io_context). Owns everything it creates.
#pragma once

#include <cstdint>
#include <memory>

#include "server/config.hpp"

namespace switchboard::server {

class Server {
 public:
  explicit Server(Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Throws std::runtime_error when the address cannot be bound
  // or the configuration is unsafe (dev auth on a non-loopback address without the flag).
  void start();
  // The bound port (useful with port 0). Valid after start().
  std::uint16_t port() const;
  // Runs the event loop on the calling thread until a stop() has finished.
  void run();
  // Graceful shutdown: stop accepting, close every client with 1001, let run() return
  // within config.shutdown_timeout. Safe from any thread and from signal-handling code
  // running on the io_context.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::server
