// fork/exec rather than posix_spawn so the child can ask for SIGKILL when its parent dies
// (PR_SET_PDEATHSIG): a crashed soak or bench must not leave a server behind. The fork happens
// before the parent starts any thread, and the child only calls async-signal-safe functions.
#include "bench/loadkit/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <system_error>
#include <utility>

namespace switchboard::loadkit {
namespace {

constexpr std::size_t kLinesKept = 200;
constexpr std::size_t kSanitizerLinesKept = 20;
constexpr std::string_view kListening = "listening on ";

std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

// The port from "… listening on 127.0.0.1:40123", or 0.
std::uint16_t listening_port(const std::string& line) {
  const auto at = line.find(kListening);
  if (at == std::string::npos) return 0;
  const auto colon = line.rfind(':');
  if (colon == std::string::npos || colon < at) return 0;
  std::uint16_t port = 0;
  const char* begin = line.data() + colon + 1;
  const char* end = line.data() + line.size();
  while (end > begin && (end[-1] == '\r' || end[-1] == ' '))
    --end;
  const auto [ptr, ec] = std::from_chars(begin, end, port);
  return ec == std::errc() && ptr == end ? port : 0;
}

}  // namespace

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exited_) stop(Millis{3'000});
  if (drainer_.joinable()) drainer_.join();
  if (fd_ >= 0) close(fd_);
}

bool ServerProcess::start(const std::string& path, const std::vector<std::string>& args,
                          Millis timeout, std::string& error) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    error = "pipe: " + errno_text();
    return false;
  }
  std::vector<std::string> owned{path};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(owned.size() + 1);
  for (std::string& a : owned)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) {
    error = "fork: " + errno_text();
    close(fds[0]);
    close(fds[1]);
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

  // Read lines until the port shows up, the child dies or the deadline passes.
  const auto deadline = Clock::now() + timeout;
  std::string buffer;
  for (;;) {
    const auto left = ms_between(Clock::now(), deadline);
    if (left <= 0) {
      error = "no \"listening on\" line within " + std::to_string(timeout.count()) + " ms";
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) {
      error = "poll: " + errno_text();
      return false;
    }
    char chunk[4096];
    const ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n == 0) {
      reap(true);
      error = "the server exited before listening";
      if (WIFEXITED(status_) && WEXITSTATUS(status_) == 127) error += " (could not execute it?)";
      return false;
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      error = "read: " + errno_text();
      return false;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      const std::uint16_t port = listening_port(line);
      add_line(std::move(line));
      if (port != 0) {
        port_ = port;
        drainer_ =
            std::thread([this, rest = std::move(buffer)]() mutable { drain(std::move(rest)); });
        return true;
      }
    }
  }
}

// Keeps the pipe empty (a full pipe would block the server's logging) until the child exits.
void ServerProcess::drain(std::string pending) {
  char chunk[8192];
  for (;;) {
    const ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(chunk, static_cast<std::size_t>(n));
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      add_line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) add_line(std::move(pending));
}

void ServerProcess::add_line(std::string line) {
  const bool warning = line.find(" warning ") != std::string::npos ||
                       line.find(" error ") != std::string::npos ||
                       line.find(" critical ") != std::string::npos;
  const bool sanitizer = line.find("Sanitizer") != std::string::npos ||
                         line.find("runtime error:") != std::string::npos;
  std::lock_guard lock(mutex_);
  if (warning) ++warnings_;
  if (sanitizer && sanitizer_.size() < kSanitizerLinesKept) sanitizer_.push_back(line);
  lines_.push_back(std::move(line));
  if (lines_.size() > kLinesKept) lines_.pop_front();
}

bool ServerProcess::reap(bool block) {
  if (exited_) return true;
  if (pid_ <= 0) return true;
  const pid_t r = waitpid(pid_, &status_, block ? 0 : WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    exited_ = true;
    return true;
  }
  return false;
}

bool ServerProcess::alive() {
  return pid_ > 0 && !reap(false);
}

std::string ServerProcess::stop(Millis grace) {
  if (pid_ <= 0) return "not started";
  if (!reap(false)) {
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + grace;
    while (!reap(false) && Clock::now() < deadline)
      usleep(10'000);
    if (!exited_) {
      ::kill(pid_, SIGKILL);
      reap(true);
      if (drainer_.joinable()) drainer_.join();
      return "killed with SIGKILL after ignoring SIGTERM for " + std::to_string(grace.count()) +
             " ms";
    }
  }
  if (drainer_.joinable()) drainer_.join();
  if (WIFEXITED(status_)) return "exit " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return "signal " + std::to_string(WTERMSIG(status_));
  return "unknown status";
}

void ServerProcess::kill_now() {
  const pid_t pid = pid_;
  if (pid > 0) ::kill(pid, SIGKILL);
}

std::vector<std::string> ServerProcess::recent_lines() const {
  std::lock_guard lock(mutex_);
  return {lines_.begin(), lines_.end()};
}

std::size_t ServerProcess::warning_lines() const {
  std::lock_guard lock(mutex_);
  return warnings_;
}

std::vector<std::string> ServerProcess::sanitizer_lines() const {
  std::lock_guard lock(mutex_);
  return sanitizer_;
}

}  // namespace switchboard::loadkit
