// Fuzz target: the call engine (protocol/engine.hpp), driven only through its public API. The
// input is a program: two bytes of configuration (short timeouts, tiny replay buffers and
// limits, so that expiries, trimmed buffers and refusals are all within reach), then one step
// per opcode byte, whose arguments are the bytes after it:
//   0-2 connect      user u0-u3, device (or the engine's choice), maybe resuming a session
//                    seen earlier (or a made-up one) from around its last seq
//   3   disconnect   an open connection, cleanly (close frame) or as a drop
//   4-7 command      a Command struct from an open connection
//   8-9 text command the same, encoded as JSON and parsed by the codec first
//   10  user command UserCommandReceived (the Realtime REST API)
//   11-13 clock      advance by a step from a table or to the next deadline, firing the
//                    deadlines on the way like a driver's timer, or (late driver) not
//   14  timeout      handle_timeout(now)
//   15  stray        a close or a command for a connection that is closed or never existed
// Commands name calls the engine handed out, or made-up ids; calls may reuse a call id the
// engine still remembers (a retry, or a conflict). At the end every connection drops and the
// clock runs through every deadline: everything must end and be forgotten.
// EngineChecker (engine_checker.hpp) checks the invariants after every step.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "engine_checker.hpp"
#include "engine_text.hpp"
#include "fuzz_support.hpp"
#include "protocol/codec.hpp"

namespace switchboard::fuzz {
namespace {

constexpr std::size_t kMaxSteps = 400;
constexpr TimePoint kStart{Millis(1'700'000'000'000)};
// SWITCHBOARD_FUZZ_TRACE=1 prints every input and action (engine_text.hpp).
const bool kTrace = std::getenv("SWITCHBOARD_FUZZ_TRACE") != nullptr;
// A drained engine settles in a few dozen timer firings; far more means timers loop.
constexpr int kMaxDrainFirings = 10'000;
constexpr std::string_view kUsers[] = {"u0", "u1", "u2", "u3"};
constexpr std::string_view kDevices[] = {"", "d0", "d1", "d2"};
constexpr std::int64_t kClockSteps[] = {0, 1, 250, 499, 500, 1'000, 1'999, 2'000, 5'000, 60'000};
constexpr std::int64_t kResumeWindows[] = {1'000, 8'000, 20'000, 120'000};

EngineConfig make_config(ByteReader& in) {
  const unsigned a = in.byte();
  const unsigned b = in.byte();
  EngineConfig c;
  c.ring_timeout = Millis((a & 1U) != 0 ? 6'000 : 30'000);
  c.ended_retention = Millis((a & 2U) != 0 ? 1 : 3'000);
  c.resume_window = Millis(kResumeWindows[(a >> 2U) & 3U]);
  c.reconnect_grace = Millis((a & 16U) != 0 ? 500 : 4'000);
  c.caller_grace = Millis((a & 32U) != 0 ? 500 : 2'000);
  c.ring_offline = (a & 64U) != 0;
  c.heartbeat_ms = 1'000;
  c.resume_buffer = std::size_t{1} << (b & 3U);  // 1 to 8 events
  c.resume_buffer_bytes = (b & 4U) != 0 ? 600 : 4'096;
  c.remembered_commands = (b & 8U) != 0 ? 2 : 16;
  c.max_devices_per_user = 1 + ((b >> 4U) & 3U);
  c.max_ringing_per_user = 1 + ((b >> 6U) & 3U);
  return c;
}

class Program {
 public:
  explicit Program(ByteReader& in)
      : in_(in),
        config_(make_config(in)),
        engine_(config_, ids_),
        checker_(engine_, config_.ended_retention) {}

  void run() {
    for (std::size_t steps = 0; steps < kMaxSteps && !in_.empty(); ++steps)
      step();
    drain();
  }

 private:
  void step() {
    const std::size_t op = in_.below(16);
    if (op <= 2) {
      connect();
    } else if (op == 3) {
      disconnect();
    } else if (op <= 9) {
      const auto open = checker_.open_connections();
      if (open.empty()) return;
      const ConnId conn = open[in_.below(open.size())];
      Command cmd = make_command();
      if (op >= 8) cmd = reparse(cmd);
      feed(CommandReceived{conn, std::move(cmd)});
    } else if (op == 10) {
      feed(UserCommandReceived{user(), make_command()});
    } else if (op <= 13) {
      advance();
    } else if (op == 14) {
      timeout(now_);
    } else {
      stray();
    }
  }

  void connect() {
    ConnectionOpened in{next_conn_++, user(), std::string(kDevices[in_.below(4)]), {}};
    const unsigned how = in_.byte();
    const auto& seen = checker_.sessions();
    if ((how & 3U) == 0 && !seen.empty()) {
      const auto& s = seen[seen.size() - 1 - in_.below(std::min<std::size_t>(seen.size(), 8))];
      // Mostly the same user and device (a real resume), sometimes not.
      if ((how & 4U) == 0) in.user_id = s.user;
      if ((how & 8U) == 0) in.device_id = s.device;
      const Seq choices[] = {s.last_seq, s.last_seq - 1, s.last_seq + 1, 0, 1, Seq{1} << 40U};
      in.resume = ResumeRequest{s.id, choices[in_.below(std::size(choices))]};
    } else if ((how & 3U) == 1) {
      in.resume = ResumeRequest{"gone", in_.byte()};
    }
    feed(std::move(in));
  }

  void disconnect() {
    const auto open = checker_.open_connections();
    if (open.empty()) return;
    const ConnId conn = open[in_.below(open.size())];
    feed(ConnectionClosed{conn, (in_.byte() & 1U) != 0});
  }

  void stray() {
    const unsigned how = in_.byte();
    const ConnId conn = (how & 1U) != 0 ? next_conn_ + 1'000 : 1 + in_.below(next_conn_);
    const auto open = checker_.open_connections();
    if (std::find(open.begin(), open.end(), conn) != open.end()) return;
    if ((how & 2U) != 0) {
      feed(ConnectionClosed{conn, (how & 4U) != 0});
    } else {
      feed(CommandReceived{conn, Command{"stray", PingCommand{}}});
    }
  }

  void advance() {
    const unsigned how = in_.byte();
    TimePoint target = now_ + Millis(kClockSteps[how % std::size(kClockSteps)]);
    const auto deadline = engine_.next_deadline();
    if ((how & 0x30U) == 0x30U && deadline && *deadline >= now_) {
      // Exactly at the next deadline, or a millisecond before it: the races of the unit tests.
      target = *deadline - Millis((how & 0x40U) != 0 ? 1 : 0);
      target = std::max(target, now_);
    }
    const bool late_driver = (how & 0x80U) != 0;
    while (!late_driver) {
      const auto due = engine_.next_deadline();
      if (!due || *due > target) break;
      timeout(*due);
    }
    now_ = std::max(now_, target);
  }

  // Every connection drops; the clock runs through every deadline; a call still live then
  // (only one with both sides deviceless can be) is hung up by its caller, and the clock runs
  // on. Nothing may be left.
  void drain() {
    for (const ConnId conn : checker_.open_connections())
      feed(ConnectionClosed{conn, false});
    run_out_deadlines();
    for (const auto& [call_id, caller] : checker_.live_calls())
      feed(UserCommandReceived{caller, Command{std::nullopt, HangupCommand{call_id, {}}}});
    run_out_deadlines();
    checker_.check_drained();
  }

  void run_out_deadlines() {
    for (int i = 0; i < kMaxDrainFirings; ++i) {
      const auto due = engine_.next_deadline();
      if (!due) return;
      timeout(*due);
    }
    fail("deadlines keep coming after everything dropped");
  }

  Command make_command() {
    Command cmd{command_id(), PingCommand{}};
    const unsigned how = in_.byte();
    switch (how % 8) {
      case 0:
      case 1: {
        CallCommand call;
        call.to = user();
        call.media = (how & 8U) != 0 ? Media::video : Media::audio;
        call.call_id = new_call_id();
        if ((how & 16U) != 0) call.room_name = "room 1";
        const std::int64_t timeouts[] = {0, kMinCallTimeoutMs, 7'000, kMaxCallTimeoutMs};
        if (const auto t = timeouts[(how >> 5U) & 3U]; t != 0) call.timeout_ms = t;
        call.data = data();
        cmd.body = std::move(call);
        break;
      }
      case 2:
        cmd.body = RingingCommand{call_id()};
        break;
      case 3:
        cmd.body = AnswerCommand{call_id(), data()};
        break;
      case 4:
        cmd.body =
            RejectCommand{call_id(), (how & 8U) != 0 ? RejectReason::busy : RejectReason::declined};
        break;
      case 5:
        cmd.body = HangupCommand{
            call_id(), (how & 8U) != 0 ? std::optional<std::string>("bye") : std::nullopt};
        break;
      case 6:
        cmd.body = SignalCommand{call_id(), data()};
        break;
      default:
        break;  // ping
    }
    return cmd;
  }

  Command reparse(const Command& cmd) {
    const std::string text = to_text(cmd);
    ParseResult parsed = parse_command(text);
    if (auto* error = std::get_if<Error>(&parsed))
      fail("codec refused " + text + ": " + error->message);
    return std::get<Command>(std::move(parsed));
  }

  std::optional<std::string> command_id() {
    const std::size_t how = in_.below(8);
    if (how < 2) return std::nullopt;
    if (how == 2 && !recent_ids_.empty()) return recent_ids_[in_.below(recent_ids_.size())];
    std::string id = "c" + std::to_string(++commands_);
    recent_ids_.push_back(id);
    if (recent_ids_.size() > 8) recent_ids_.erase(recent_ids_.begin());
    return id;
  }

  // A call the engine handed out (recent ones first), or one that never existed.
  std::string call_id() {
    const auto& ids = checker_.call_ids();
    const unsigned how = in_.byte();
    if (ids.empty() || how >= 0xF0) return "nope";
    return ids[ids.size() - 1 - how % std::min<std::size_t>(ids.size(), 16)];
  }

  // For `call`: none (the engine picks), a fresh one, or one the engine still remembers.
  std::optional<std::string> new_call_id() {
    const std::size_t how = in_.below(4);
    if (how == 0) return std::nullopt;
    if (how == 1) {
      std::string id = call_id();
      if (checker_.call_remembered(id, now_)) return id;
    }
    return "k" + std::to_string(++calls_);
  }

  // Sizes that matter: none, small, and big enough to push events out of a small buffer.
  OpaqueJson data() {
    static const OpaqueJson kData[] = {{},
                                       OpaqueJson({{"n", 1}}),
                                       OpaqueJson({{"pad", std::string(300, 'x')}}),
                                       OpaqueJson({{"pad", std::string(2'000, 'y')}})};
    return kData[in_.below(std::size(kData))];
  }

  std::string user() { return std::string(kUsers[in_.below(std::size(kUsers))]); }

  void feed(Input input) {
    // handle() fires due deadlines before the input, in the same batch of actions; for a close
    // the checker could not tell their deliveries (still to an open connection) from the
    // close's own (which must not reach it), so those deadlines fire on their own first.
    if (const auto due = engine_.next_deadline();
        std::holds_alternative<ConnectionClosed>(input) && due && *due <= now_) {
      timeout(now_);
    }
    if (kTrace) std::fprintf(stderr, "%lld %s\n", ms(), describe(input).c_str());
    checker_.before(input);
    checker_.after(traced(engine_.handle(std::move(input), now_)), now_);
  }

  void timeout(TimePoint at) {
    now_ = std::max(now_, at);
    if (kTrace) std::fprintf(stderr, "%lld timeout\n", ms());
    checker_.after_timeout(traced(engine_.handle_timeout(now_)), now_);
  }

  Actions traced(Actions actions) const {
    if (kTrace) {
      for (const Action& action : actions)
        std::fprintf(stderr, "%s\n", describe(action).c_str());
    }
    return actions;
  }

  // Milliseconds since the program started, for the trace.
  long long ms() const { return (now_ - kStart).count(); }

  ByteReader& in_;
  EngineConfig config_;
  CountingIdGenerator ids_{"id"};
  Engine engine_;
  EngineChecker checker_;
  TimePoint now_ = kStart;
  ConnId next_conn_ = 1;
  int commands_ = 0;
  int calls_ = 0;
  std::vector<std::string> recent_ids_;
};

}  // namespace
}  // namespace switchboard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  switchboard::fuzz::ByteReader in(data, size);
  switchboard::fuzz::Program(in).run();
  return 0;
}
