// switchboard_soak: starts the real server binary on 127.0.0.1 with short timings, runs a
// few hundred simulated devices through calls, signals and connection chaos, checks the
// reconnect/resume contract on everything they see, and exits 0 only without violations.
//
//   switchboard_soak --server PATH [--seconds N] [--clients N] [--seed N] [--chaos-mean S]
//
// Threads: the main thread runs the client Loop; a drain thread reads the server's output;
// a hard watchdog thread kills everything if the Loop itself wedges.
#include <sys/resource.h>

#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/loadkit/server_process.hpp"
#include "bench/loadkit/transport.hpp"
#include "tests/soak/report.hpp"
#include "tests/soak/scenario.hpp"

namespace {

namespace soak = switchboard::soak;
namespace loadkit = switchboard::loadkit;
using soak::Millis;

struct Options {
  std::string server;
  long long seconds = 20;
  long long clients = 300;
  std::uint64_t seed = 0;
  bool seed_given = false;
  double chaos_mean_s = 6.0;
};

const char* const kUsage =
    "usage: switchboard_soak --server PATH [--seconds N (20)] [--clients N (300)] "
    "[--seed N (random)] [--chaos-mean SECONDS (6)]\n";

bool parse(int argc, char** argv, Options& o) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help") return false;
    if (i + 1 >= args.size()) {
      std::cerr << "switchboard_soak: " << flag << " needs a value\n";
      return false;
    }
    const std::string& value = args[++i];
    char* end = nullptr;
    if (flag == "--server") {
      o.server = value;
    } else if (flag == "--seconds") {
      o.seconds = std::strtoll(value.c_str(), &end, 10);
    } else if (flag == "--clients") {
      o.clients = std::strtoll(value.c_str(), &end, 10);
    } else if (flag == "--seed") {
      o.seed = std::strtoull(value.c_str(), &end, 10);
      o.seed_given = true;
    } else if (flag == "--chaos-mean") {
      o.chaos_mean_s = std::strtod(value.c_str(), &end);
    } else {
      std::cerr << "switchboard_soak: unknown option " << flag << "\n";
      return false;
    }
    if (end != nullptr && *end != '\0') {
      std::cerr << "switchboard_soak: bad value for " << flag << ": " << value << "\n";
      return false;
    }
  }
  if (o.server.empty()) std::cerr << "switchboard_soak: --server is required\n";
  if (o.seconds < 1 || o.seconds > 3600) std::cerr << "switchboard_soak: --seconds 1-3600\n";
  if (o.clients < 2 || o.clients > 5000) std::cerr << "switchboard_soak: --clients 2-5000\n";
  if (!(o.chaos_mean_s >= 0.5)) std::cerr << "switchboard_soak: --chaos-mean >= 0.5\n";
  return !o.server.empty() && o.seconds >= 1 && o.seconds <= 3600 && o.clients >= 2 &&
         o.clients <= 5000 && o.chaos_mean_s >= 0.5;
}

std::string seconds_arg(Millis ms) {
  std::ostringstream out;
  out << static_cast<double>(ms.count()) / 1000.0;
  return out.str();
}

// Short timings so grace periods, ring timeouts and session expiry all happen within the run.
std::vector<std::string> server_args(const soak::SoakTimings& t) {
  return {"--host",
          "127.0.0.1",
          "--port",
          "0",
          "--heartbeat",
          "5",
          "--ring-timeout",
          seconds_arg(t.ring_timeout),
          "--resume-window",
          seconds_arg(t.resume_window),
          "--reconnect-grace",
          seconds_arg(t.reconnect_grace),
          "--caller-grace",
          seconds_arg(t.caller_grace),
          "--shutdown-timeout",
          "2",
          "--log-level",
          "info"};
}

// Each simulated device holds a socket; large --clients values need more than 1024.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

void print_server_output(const loadkit::ServerProcess& server, std::size_t last) {
  const auto lines = server.recent_lines();
  const std::size_t from = lines.size() > last ? lines.size() - last : 0;
  std::cout << "---- last server output ----\n";
  for (std::size_t i = from; i < lines.size(); ++i)
    std::cout << "  " << lines[i] << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--help") {
    std::cout << kUsage;
    return 0;
  }
  Options o;
  if (!parse(argc, argv, o)) {
    std::cerr << kUsage;
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  raise_open_file_limit();
  if (!o.seed_given) o.seed = std::random_device{}();
  const soak::SoakTimings timings;
  std::cout << "soak: seed=" << o.seed << " clients=" << o.clients << " seconds=" << o.seconds
            << " chaos-mean=" << o.chaos_mean_s << "s (replay with --seed " << o.seed << ")"
            << std::endl;

  loadkit::ServerProcess server;
  std::string error;
  if (!server.start(o.server, server_args(timings), Millis{10'000}, error)) {
    std::cout << "soak: could not start " << o.server << ": " << error << "\n";
    print_server_output(server, 20);
    return 2;
  }
  std::cout << "soak: server listening on 127.0.0.1:" << server.port() << std::endl;

  const auto started = soak::Clock::now();
  soak::Report report;
  loadkit::Loop loop;
  soak::SoakContext ctx{
      loop,    report,        server.port(), timings, 0, "s" + std::to_string(o.seed),
      started, o.chaos_mean_s};
  soak::ScenarioOptions options;
  options.clients = static_cast<std::size_t>(o.clients);
  options.chaos_time = Millis{o.seconds * 1'000};
  options.seed = o.seed;

  bool done = false;
  soak::Scenario scenario(ctx, options, [&] {
    done = true;
    loop.stop();
  });

  // Settling, closing and draining each have their own deadline; this is the sum, generously.
  const Millis budget =
      options.chaos_time + 2 * timings.resume_window + timings.ring_timeout + Millis{40'000};
  loop.after(budget, [&] {
    if (done) return;
    report.fatal("watchdog: the run did not finish within " + std::to_string(budget.count()) +
                 " ms");
    loop.stop();
  });
  // A dead server would only produce a flood of connection failures: stop at once.
  std::function<void()> check_server = [&] {
    if (done) return;
    if (!server.alive()) {
      report.fatal("the server process died during the run: " + server.stop(Millis{0}));
      loop.stop();
      return;
    }
    loop.after(Millis{500}, check_server);
  };
  loop.after(Millis{500}, check_server);

  std::mutex mutex;
  std::condition_variable cv;
  bool loop_returned = false;
  std::thread hard_watchdog([&] {
    std::unique_lock lock(mutex);
    if (cv.wait_for(lock, budget + Millis{20'000}, [&] { return loop_returned; })) return;
    std::cout << "soak: HARD WATCHDOG: the client loop is stuck; killing the server" << std::endl;
    server.kill_now();
    std::_Exit(3);
  });

  scenario.start();
  loop.run();
  {
    std::lock_guard lock(mutex);
    loop_returned = true;
  }
  cv.notify_all();
  hard_watchdog.join();

  const auto elapsed_ms = soak::ms_between(started, soak::Clock::now());
  if (!server.alive()) {
    const std::string how = server.stop(Millis{0});
    if (done) report.fatal("the server process died during the run: " + how);
  } else {
    const std::string how = server.stop(Millis{5'000});
    if (how != "exit 0") report.violation("the server did not shut down cleanly: " + how);
  }
  const auto sanitizer = server.sanitizer_lines();
  for (auto it = sanitizer.rbegin(); it != sanitizer.rend(); ++it)
    report.fatal("sanitizer output from the server: " + *it);
  report.note("server log lines at warning level or above: " +
              std::to_string(server.warning_lines()) + " (dev-mode auth warns once)");
  report.note("run took " + std::to_string(elapsed_ms) + " ms; seed " + std::to_string(o.seed));
  report.print(std::cout);
  if (!report.ok()) print_server_output(server, 30);
  return report.ok() ? 0 : 1;
}
