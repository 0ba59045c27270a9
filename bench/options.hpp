// The command line of switchboard-bench, parsed once on the main thread into a plain value
// that every thread then reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace switchboard::bench {

enum class Target { switchboard, peerjs };

struct Options {
  std::string scenario;  // connect | calls | relay | storm
  Target target = Target::switchboard;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string spawn_server;  // path of a switchboard binary to start on 127.0.0.1:0
  int threads = 1;
  double duration_s = 10;
  double warmup_s = 1;
  int connections = 1000;
  double rate = 0;  // 0: as fast as possible (connect), closed loop (calls, relay)
  int pairs = 100;
  int in_flight = 1;
  int timeout_ms = 5000;
  long server_pid = 0;
  std::string json_file;
  std::string peerjs_key = "peerjs";
  std::uint64_t seed = 1;
};

// Parses argv; on bad usage (or --help) prints to stderr/stdout and returns nullopt with
// `exit_code` set (2 for bad usage, 0 for --help).
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

const char* target_name(Target target);

}  // namespace switchboard::bench
