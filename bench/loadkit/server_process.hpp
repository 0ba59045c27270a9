// The switchboard binary under test as a child process: started with its output on a pipe,
// its port read from the "listening on HOST:PORT" log line, the rest of its output drained
// by a thread into a short ring of recent lines. start()/alive()/stop() belong to the main
// thread; kill_now() may be called from any thread (the hard watchdog).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/loadkit/common.hpp"

namespace switchboard::loadkit {

class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();  // stops the child if it still runs
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Runs `path args…` and waits up to `timeout` for its port; false (with `error`) otherwise.
  bool start(const std::string& path, const std::vector<std::string>& args, Millis timeout,
             std::string& error);
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  bool alive();
  // SIGTERM, then SIGKILL after `grace`. Returns how it ended, e.g. "exit 0" or "signal 9".
  std::string stop(Millis grace);
  void kill_now();

  std::vector<std::string> recent_lines() const;
  std::size_t warning_lines() const;  // log lines at warn level or above
  // Lines from a sanitizer (ASan, UBSan, TSan) in the server's output: always a bug.
  std::vector<std::string> sanitizer_lines() const;

 private:
  void drain(std::string pending);
  void add_line(std::string line);
  bool reap(bool block);

  std::atomic<pid_t> pid_{-1};
  int fd_ = -1;
  std::uint16_t port_ = 0;
  bool exited_ = false;
  int status_ = 0;
  std::thread drainer_;
  mutable std::mutex mutex_;
  std::deque<std::string> lines_;       // guarded by mutex_
  std::size_t warnings_ = 0;            // guarded by mutex_
  std::vector<std::string> sanitizer_;  // guarded by mutex_
};

}  // namespace switchboard::loadkit
