// fork/exec before any other thread exists; the child asks for SIGKILL when the bench dies
// (PR_SET_PDEATHSIG) so a crashed bench never leaves a server behind.
#include "bench/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <vector>

namespace switchboard::bench {
namespace {

constexpr std::string_view kListening = "listening on ";

std::uint16_t listening_port(const std::string& line) {
  const auto at = line.find(kListening);
  const auto colon = line.rfind(':');
  if (at == std::string::npos || colon == std::string::npos || colon < at) return 0;
  const char* begin = line.data() + colon + 1;
  const char* end = line.data() + line.size();
  while (end > begin && (end[-1] == '\r' || end[-1] == ' '))
    --end;
  std::uint16_t port = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, port);
  return ec == std::errc() && ptr == end ? port : 0;
}

}  // namespace

SpawnedServer::~SpawnedServer() {
  stop();
}

bool SpawnedServer::start(const std::string& path, std::string& error) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    error = "pipe failed";
    return false;
  }
  std::vector<std::string> args{path, "--host", "127.0.0.1", "--port", "0"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    error = "fork failed";
    return false;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  close(fds[1]);
  fd_ = fds[0];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string buffer;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char chunk[4096];
    const ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
      const std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      port_ = listening_port(line);
      if (port_ != 0) {
        drainer_ = std::thread([fd = fd_] {
          char sink[8192];
          for (;;) {
            const ssize_t got = read(fd, sink, sizeof sink);
            if (got > 0 || (got < 0 && errno == EINTR)) continue;
            break;
          }
        });
        return true;
      }
    }
  }
  error = "the server did not print \"listening on\" within 10 s";
  return false;
}

void SpawnedServer::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    bool reaped = false;
    for (int i = 0; i < 50 && !reaped; ++i) {
      reaped = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!reaped) usleep(100'000);
    }
    if (!reaped) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  if (drainer_.joinable()) drainer_.join();
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

}  // namespace switchboard::bench
