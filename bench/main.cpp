// switchboard-bench: a load generator for Switchboard (and, for comparison, PeerJS) on the
// loopback interface. Parses the command line, optionally spawns the server, runs the
// scenario on --threads event loops, prints the report. Exit: 0 no errors, 1 errors, 2 usage.
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "bench/loadkit/server_process.hpp"
#include "bench/options.hpp"
#include "bench/report.hpp"
#include "bench/runner.hpp"

namespace {

using namespace switchboard::bench;

// Thousands of connections need thousands of descriptors: take the hard limit.
void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

double cpu_seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

ScenarioFactory factory_for(const std::string& scenario) {
  if (scenario == "connect") return make_connect;
  if (scenario == "calls") return make_calls;
  if (scenario == "storm") return make_storm;
  return make_relay;
}

// A run that made no progress at all is a failure even if nothing reported an error.
void check_progress(const Options& o, Stats& stats) {
  const char* key = o.scenario == "connect" ? "connect.ready"
                    : o.scenario == "calls" ? "calls.completed"
                    : o.scenario == "storm" ? "storm.calls_alive"
                                            : "relay.exchanges";
  if (stats.counters[key] == 0) stats.error("no_progress", std::string(key) + " is 0");
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto parsed = parse_options(argc, argv, exit_code);
  if (!parsed) return exit_code;
  Options options = *parsed;
  raise_file_limit();

  switchboard::loadkit::ServerProcess server;
  if (!options.spawn_server.empty()) {
    std::string error;
    // Each bench connection sends far beyond what one phone may (the abuse limits'
    // defaults): lift them, so that the bench measures the server, not its rate limiter.
    const std::vector<std::string> args = {"--host",
                                           "127.0.0.1",
                                           "--port",
                                           "0",
                                           "--message-rate",
                                           "100000",
                                           "--message-burst",
                                           "1000000",
                                           "--max-ringing-per-user",
                                           "1000"};
    if (!server.start(options.spawn_server, args, Millis{10'000}, error)) {
      std::cerr << "switchboard-bench: --spawn-server: " << error << "\n";
      return 1;
    }
    options.port = server.port();
    if (options.server_pid == 0) options.server_pid = server.pid();
  }

  ProcessFigures figures;
  figures.rss_before_kb = read_rss_kb(options.server_pid);
  rusage before{};
  getrusage(RUSAGE_SELF, &before);

  Window window;
  window.start = Clock::now() + Millis{10};
  // connect ramps up as fast as it may: there is no steady state to warm up to.
  const double warmup = options.scenario == "connect" ? 0 : options.warmup_s;
  window.measure_from = window.start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(warmup));
  window.end = window.measure_from + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(options.duration_s));

  // CPU time of the server and of the bench over the measured window, for "CPU per message"
  // and to show whether the bench itself was the bottleneck.
  std::int64_t server_cpu_at_start = -1;
  double bench_cpu_at_start = 0;
  Clock::time_point window_opened;
  const auto own_cpu_s = [] {
    rusage now{};
    getrusage(RUSAGE_SELF, &now);
    return cpu_seconds(now.ru_utime) + cpu_seconds(now.ru_stime);
  };
  Probes probes;
  probes.at_measure_start = [&] {
    window_opened = Clock::now();
    server_cpu_at_start = read_cpu_us(options.server_pid);
    bench_cpu_at_start = own_cpu_s();
  };
  probes.at_end = [&] {
    figures.rss_after_kb = read_rss_kb(options.server_pid);
    const auto server_cpu = read_cpu_us(options.server_pid);
    figures.cpu_span_s = std::chrono::duration<double>(Clock::now() - window_opened).count();
    figures.bench_window_cpu_s = own_cpu_s() - bench_cpu_at_start;
    if (server_cpu >= 0 && server_cpu_at_start >= 0) {
      figures.server_cpu_us = server_cpu - server_cpu_at_start;
    }
  };
  Stats stats = run_threads(options, window, factory_for(options.scenario), probes);
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  figures.bench_user_s = cpu_seconds(after.ru_utime) - cpu_seconds(before.ru_utime);
  figures.bench_sys_s = cpu_seconds(after.ru_stime) - cpu_seconds(before.ru_stime);
  figures.wall_s = std::chrono::duration<double>(Clock::now() - window.start).count();
  server.stop(Millis{3'000});  // a no-op without --spawn-server

  check_progress(options, stats);
  const Json report = build_report(options, stats, figures);
  print_report(report);
  if (!options.json_file.empty()) {
    std::ofstream out(options.json_file);
    out << report.dump(2) << "\n";
    if (!out) {
      std::cerr << "switchboard-bench: cannot write " << options.json_file << "\n";
      return 1;
    }
  }
  return report["errors"].get<std::uint64_t>() == 0 ? 0 : 1;
}
