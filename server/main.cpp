// switchboard: parse the configuration, set up logging, run the server until SIGINT/SIGTERM.
#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "server/config.hpp"
#include "server/logging.hpp"
#include "server/server.hpp"

namespace {

namespace net = boost::asio;
namespace sb = switchboard::server;

int print_and_exit(const sb::ExitNow& exit_now) {
  auto& out = exit_now.code == 0 ? std::cout : std::cerr;
  out << exit_now.message;
  if (!exit_now.message.empty() && exit_now.message.back() != '\n') out << '\n';
  return exit_now.code;
}

// Every connection is a file descriptor and the soft limit is often 1024; use what the
// administrator allows (the hard limit) before --max-connections can matter.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::warn("could not raise the open-file limit");
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = sb::parse_config(args, sb::process_environment());
  if (const auto* exit_now = std::get_if<sb::ExitNow>(&parsed)) return print_and_exit(*exit_now);
  const auto& config = std::get<sb::Config>(parsed);
  sb::setup_logging(config);
  raise_open_file_limit();

  try {
    sb::Server server(config);
    // Signals get their own tiny io_context and thread because Server keeps its io_context
    // private; stop() is documented as safe from any thread. Installed before start() so a
    // signal right after "listening on" is not lost.
    net::io_context signal_ioc(1);
    net::signal_set signals(signal_ioc, SIGINT, SIGTERM);
    std::function<void(const boost::system::error_code&, int)> on_signal;
    int signal_count = 0;
    on_signal = [&](const boost::system::error_code& ec, int signal_number) {
      if (ec) return;
      if (++signal_count > 1) {
        spdlog::warn("signal {} again: exiting now", signal_number);
        std::_Exit(1);
      }
      spdlog::info("signal {}: shutting down", signal_number);
      server.stop();
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    server.start();
    spdlog::info("listening on {}:{}", config.host, server.port());
    spdlog::default_logger()->flush();

    std::thread signal_thread([&signal_ioc] { signal_ioc.run(); });
    server.run();
    signal_ioc.stop();
    signal_thread.join();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  return 0;
}
