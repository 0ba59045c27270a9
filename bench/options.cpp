// Boost.Program_options may throw while parsing: that happens once at start-up, before any
// connection exists, so exceptions are fine here.
#include "bench/options.hpp"

#include <exception>
#include <iostream>

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>

namespace switchboard::bench {
namespace {

namespace po = boost::program_options;

// A load generator must never be pointed at someone else's machine by accident.
bool is_loopback(const std::string& host) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace

const char* target_name(Target target) {
  return target == Target::peerjs ? "peerjs" : "switchboard";
}

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  Options o;
  std::string target = "switchboard";
  int port = 0;
  po::options_description desc(
      "usage: switchboard-bench connect|calls|relay|storm [options]\n"
      "Load generator for Switchboard (or PeerJS) on the loopback interface");
  desc.add_options()                                                                     //
      ("help,h", "this text")                                                            //
      ("target", po::value(&target), "switchboard | peerjs")                             //
      ("host", po::value(&o.host), "loopback address of the server (127.x.x.x or ::1)")  //
      ("port", po::value(&port), "server port")                                          //
      ("spawn-server", po::value(&o.spawn_server),
       "start this switchboard binary on 127.0.0.1:0 for the run")                         //
      ("threads", po::value(&o.threads), "client threads, each with its own event loop")   //
      ("duration", po::value(&o.duration_s), "seconds measured (after the warm-up)")       //
      ("warmup", po::value(&o.warmup_s), "seconds of load excluded from the statistics")   //
      ("connections", po::value(&o.connections), "connect: connections to open and hold")  //
      ("rate", po::value(&o.rate),
       "connect: connections/s; calls: calls/s; relay: exchanges/s (0: as fast as "
       "possible / closed loop)")                                                 //
      ("pairs", po::value(&o.pairs), "calls, relay, storm: caller/callee pairs")  //
      ("in-flight", po::value(&o.in_flight),
       "relay: outstanding exchanges per side (closed loop)")                     //
      ("timeout-ms", po::value(&o.timeout_ms), "handshake and per-step timeout")  //
      ("server-pid", po::value(&o.server_pid), "read this process's VmRSS")       //
      ("json", po::value(&o.json_file), "write every figure to this JSON file")   //
      ("peerjs-key", po::value(&o.peerjs_key), "PeerJS API key")                  //
      ("seed", po::value(&o.seed), "random seed for payload sizes")               //
      ("scenario", po::value(&o.scenario), "connect | calls | relay | storm");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      exit_code = 0;
      return std::nullopt;
    }
  } catch (const std::exception& e) {
    std::cerr << "switchboard-bench: " << e.what() << "\n" << desc << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  std::string problem;
  if (o.scenario != "connect" && o.scenario != "calls" && o.scenario != "relay" &&
      o.scenario != "storm") {
    problem = "the scenario must be connect, calls, relay or storm";
  } else if (target != "switchboard" && target != "peerjs") {
    problem = "--target must be switchboard or peerjs";
  } else if (!is_loopback(o.host)) {
    problem = "--host must be a loopback address (127.x.x.x or ::1)";
  } else if (o.spawn_server.empty() && (port <= 0 || port > 65535)) {
    problem = "--port (1-65535) or --spawn-server is required";
  } else if (!o.spawn_server.empty() && target == "peerjs") {
    problem = "--spawn-server starts switchboard only";
  } else if (target == "peerjs" && (o.scenario == "calls" || o.scenario == "storm")) {
    problem = "PeerJS has no calls nor sessions: use connect or relay";
  } else if (o.threads < 1 || o.threads > 64 || o.duration_s <= 0 || o.duration_s > 3600 ||
             o.warmup_s < 0 || o.warmup_s > 600 || o.connections < 1 || o.connections > 1'000'000 ||
             o.rate < 0 || o.pairs < 1 || o.pairs > 500'000 || o.in_flight < 1 ||
             o.in_flight > 1000 || o.timeout_ms < 100) {
    problem = "a numeric option is out of range";
  }
  if (!problem.empty()) {
    std::cerr << "switchboard-bench: " << problem << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  o.target = target == "peerjs" ? Target::peerjs : Target::switchboard;
  o.port = static_cast<std::uint16_t>(port);
  return o;
}

}  // namespace switchboard::bench
