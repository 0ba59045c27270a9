// --spawn-server: a switchboard binary started as a child on 127.0.0.1:0, its port read from
// the "listening on HOST:PORT" line, the rest of its output drained by a thread (a full pipe
// would block the server). Owned and driven by the main thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <thread>

namespace switchboard::bench {

class SpawnedServer {
 public:
  SpawnedServer() = default;
  ~SpawnedServer();
  SpawnedServer(const SpawnedServer&) = delete;
  SpawnedServer& operator=(const SpawnedServer&) = delete;

  // False with `error` when it did not start listening within 10 s.
  bool start(const std::string& path, std::string& error);
  void stop();

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread drainer_;
};

}  // namespace switchboard::bench
