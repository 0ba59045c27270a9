// Graceful shutdown: in-process stop() and SIGTERM/SIGINT to the real binary both close
// every client with 1001 and finish promptly (the binary with exit status 0).
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/test_server.hpp"

extern char** environ;

namespace switchboard::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A child process with stdout and stderr captured through one pipe. Killed (SIGKILL) and
// reaped on destruction if still running. Test-thread only.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }

  bool spawn(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    std::vector<std::string> storage = args;
    std::vector<char*> argv;
    for (auto& arg : storage)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    fd_ = fds[0];
    if (rc != 0) pid_ = -1;
    return rc == 0;
  }

  // Reads output until it contains `prefix` followed by a number; returns that number's
  // text. (No std::regex: GCC 12 warns inside it under -O2 with sanitizers.)
  std::optional<std::string> read_number_after(const std::string& prefix, Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto at = output_.find(prefix);
      if (at != std::string::npos) {
        const auto begin = at + prefix.size();
        const auto end = output_.find_first_not_of("0123456789", begin);
        // Only once the number is complete (something follows it).
        if (end != std::string::npos && end > begin) return output_.substr(begin, end - begin);
      }
      if (!read_some(deadline)) return std::nullopt;
    }
  }

  // Waits for the exit (reading output meanwhile); the wait status, or nullopt on timeout.
  std::optional<int> wait_exit(Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    while (read_some(deadline)) {
    }
    while (pid_ > 0) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        return status;
      }
      if (done < 0 || Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(Millis{10});
    }
    return std::nullopt;
  }

  bool send_signal(int sig) const { return pid_ > 0 && ::kill(pid_, sig) == 0; }
  const std::string& output() const { return output_; }

 private:
  // One read, bounded by the deadline; false at EOF, on error or past the deadline.
  bool read_some(Clock::time_point deadline) {
    if (fd_ < 0) return false;
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready <= 0) return false;
    char buffer[4096];
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) {
      ::close(fd_);
      fd_ = -1;
      return false;
    }
    output_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
};

using ShutdownTest = IntegrationTest;

TEST_F(ShutdownTest, StopClosesClientsWith1001) {
  start_server();
  auto alice = connect("alice", "a1");
  auto bob = connect("bob", "b1");
  establish_call(*alice, *bob, "bob");
  const std::uint16_t bound = port();
  const auto started = Clock::now();
  server().request_stop();
  for (auto* client : {alice.get(), bob.get()}) {
    const CloseResult closed = client->wait_close();
    ASSERT_TRUE(closed.closed) << "client still open after stop()";
    ASSERT_TRUE(closed.code.has_value()) << closed.error;
    EXPECT_EQ(*closed.code, 1001);
  }
  EXPECT_TRUE(server().join(Millis{5'000}));
  EXPECT_LT(Clock::now() - started, Millis{3'000});
  WsTestClient late;
  EXPECT_FALSE(late.connect(bound, "user=carol", "/v1/ws", Millis{1'000}).ok);
}

TEST_F(ShutdownTest, SilentClientDoesNotHoldShutdownPastItsTimeout) {
  server::Config config = test_config();
  config.shutdown_timeout = Millis{500};
  start_server(config);
  auto silent = connect("alice", "a1");  // never reads again, so never answers the close
  const auto started = Clock::now();
  server().request_stop();
  EXPECT_TRUE(server().join(Millis{3'000}));
  EXPECT_LT(Clock::now() - started, Millis{2'000});
  // run() gave up on the handshake; the socket itself closes with the Server object. The
  // client still finds the close frame once it reads.
  destroy_server();
  const CloseResult closed = silent->wait_close(Millis{1'000});
  EXPECT_TRUE(closed.closed);
  if (closed.code) {
    EXPECT_EQ(*closed.code, 1001);
  }
}

void expect_graceful_exit_on(int sig) {
  ChildProcess child;
  ASSERT_TRUE(child.spawn({SWITCHBOARD_BINARY, "--port", "0"})) << SWITCHBOARD_BINARY;
  const auto port_text = child.read_number_after("listening on 127.0.0.1:", Millis{5'000});
  ASSERT_TRUE(port_text.has_value()) << "no listening line; output:\n" << child.output();
  const auto port = static_cast<std::uint16_t>(std::stoi(*port_text));
  ASSERT_NE(port, 0);

  WsTestClient client;
  ASSERT_TRUE(client.connect(port, "user=alice&device=a1").ok);
  client.expect_type("welcome");
  EXPECT_EQ(http_get(port, "/healthz").status, 200);

  ASSERT_TRUE(child.send_signal(sig));
  const CloseResult closed = client.wait_close(Millis{5'000});
  EXPECT_TRUE(closed.closed) << "client still open after the signal";
  ASSERT_TRUE(closed.code.has_value()) << closed.error << "\n" << child.output();
  EXPECT_EQ(*closed.code, 1001);

  const auto status = child.wait_exit(Millis{5'000});
  ASSERT_TRUE(status.has_value()) << "still running; output:\n" << child.output();
  ASSERT_TRUE(WIFEXITED(*status)) << "status " << *status << "\n" << child.output();
  EXPECT_EQ(WEXITSTATUS(*status), 0) << child.output();
}

TEST(ShutdownBinaryTest, SigtermClosesClientsAndExitsZero) {
  expect_graceful_exit_on(SIGTERM);
}

TEST(ShutdownBinaryTest, SigintClosesClientsAndExitsZero) {
  expect_graceful_exit_on(SIGINT);
}

}  // namespace
}  // namespace switchboard::testing
