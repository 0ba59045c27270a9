// `calls`: --pairs caller/callee pairs (users bc<i> and be<i>) running complete calls:
// call → incoming call → ringing → ringing → answer → answer → hangup → ended. Closed loop
// (one call in flight per pair) or --rate calls/s open loop over the pairs. One instance per
// thread, on its Loop's thread, owning that thread's pairs.
#include <memory>
#include <vector>

#include "bench/client.hpp"
#include "bench/pacing.hpp"
#include "bench/runner.hpp"

namespace switchboard::bench {
namespace {

constexpr int kMaxPendingHandshakes = 128;
// Fine enough that open-loop load arrives spread out, not in bursts of a millisecond's worth.
constexpr auto kPaceStep = Micros{100};

enum class Step { idle, inviting, ringing, answering, hanging, dead };

struct Pair {
  std::unique_ptr<Client> caller;
  std::unique_ptr<Client> callee;
  Step step = Step::idle;
  std::string call_id;
  Clock::time_point sent;  // when the command of the current step was sent
  bool caller_ended = false;
  bool callee_ended = false;
};

class CallsScenario final : public ThreadScenario {
 public:
  explicit CallsScenario(ThreadContext& ctx)
      : ctx_(ctx),
        opener_(kMaxPendingHandshakes),
        pacer_(ctx.options.rate / ctx.options.threads, ctx.window.start) {}

  void start() override {
    for (int i = 0; i < ctx_.options.pairs; ++i) {
      if (!ctx_.mine(i)) continue;
      const std::size_t p = pairs_.size();
      auto& pair = pairs_.emplace_back();
      pair.caller = make_client("bc" + std::to_string(i), p, true);
      pair.callee = make_client("be" + std::to_string(i), p, false);
      opener_.add([c = pair.caller.get()] { c->start(); });
      opener_.add([c = pair.callee.get()] { c->start(); });
    }
    if (ctx_.options.rate > 0) pace();
  }

  void tick(Clock::time_point now) override {
    const auto timeout = Millis{ctx_.options.timeout_ms};
    for (auto& pair : pairs_) {
      if (pair.step == Step::idle || pair.step == Step::dead) continue;
      if (now - pair.sent > timeout) {
        ctx_.stats.error(
            "timeout", pair.caller->id() + " step " + std::to_string(static_cast<int>(pair.step)));
        pair.step = Step::dead;  // its state is unknown now: leave it out of the run
      }
    }
  }

  void finish() override {
    drain_.stop(2 * pairs_.size());
    opener_.stop();
    for (auto& pair : pairs_) {
      pair.caller->close();
      pair.callee->close();
    }
  }

 private:
  std::unique_ptr<Client> make_client(std::string id, std::size_t p, bool caller) {
    Client::Handlers handlers;
    handlers.on_ready = [this, p] { on_ready(p); };
    handlers.on_message = [this, p, caller](const Json& m) {
      if (caller) {
        on_caller_message(pairs_[p], m);
      } else {
        on_callee_message(pairs_[p], m);
      }
    };
    handlers.on_end = [this, p, caller] {
      const Pair& pair = pairs_[p];
      if (!(caller ? pair.caller : pair.callee)->ready()) opener_.settled();
      drain_.client_ended();
    };
    return std::make_unique<Client>(ctx_.loop, ctx_.options, ctx_.stats, std::move(id),
                                    std::move(handlers));
  }

  void on_ready(std::size_t p) {
    opener_.settled();
    auto& pair = pairs_[p];
    if (pair.caller->ready() && pair.callee->ready() && ctx_.options.rate <= 0) place_call(pair);
  }

  void pace() {
    if (drain_.stopping()) return;
    for (auto n = pacer_.due(Clock::now()); n > 0; --n) {
      if (pairs_.empty()) break;
      auto& pair = pairs_[next_pair_++ % pairs_.size()];
      if (pair.step != Step::idle || !pair.caller->ready() || !pair.callee->ready()) {
        if (ctx_.window.measuring(Clock::now())) ctx_.stats.count("calls.skipped");
        continue;
      }
      place_call(pair);
    }
    ctx_.loop.at(Clock::now() + kPaceStep, [this] { pace(); });
  }

  void place_call(Pair& pair) {
    if (drain_.stopping()) return;
    pair.step = Step::inviting;
    pair.call_id.clear();
    pair.caller_ended = pair.callee_ended = false;
    pair.sent = Clock::now();
    pair.caller->send(Json{{"type", "call"}, {"to", pair.callee->id()}});
    if (ctx_.window.measuring(pair.sent)) ctx_.stats.count("calls.started");
  }

  void record(const char* leg, Clock::time_point now, const Pair& pair) {
    if (ctx_.window.measuring(now)) ctx_.stats.latencies[leg].record(us_between(pair.sent, now));
  }

  void unexpected(const Pair& pair, const Json& m) {
    if (pair.step == Step::dead) return;
    ctx_.stats.error("unexpected", m.dump());
  }

  void on_callee_message(Pair& pair, const Json& m) {
    if (drain_.stopping()) return;
    const auto now = Clock::now();
    const auto type = json_str(m, "type").value_or("");
    const auto call_id = json_str(m, "callId").value_or("");
    if (type == "call" && pair.step == Step::inviting) {
      record("invite_to_incoming", now, pair);
      pair.call_id = call_id;
      pair.step = Step::ringing;
      pair.sent = Clock::now();
      pair.callee->send(Json{{"type", "ringing"}, {"callId", call_id}});
    } else if (type == "ended" && pair.step == Step::hanging && call_id == pair.call_id) {
      if (json_str(m, "reason").value_or("") != "completed") return unexpected(pair, m);
      record("hangup_to_ended", now, pair);
      pair.callee_ended = true;
      maybe_completed(pair, now);
    } else {
      unexpected(pair, m);
    }
  }

  void on_caller_message(Pair& pair, const Json& m) {
    if (drain_.stopping()) return;
    const auto now = Clock::now();
    const auto type = json_str(m, "type").value_or("");
    const auto call_id = json_str(m, "callId").value_or("");
    if (type == "ringing" && pair.step == Step::ringing && call_id == pair.call_id) {
      record("ringing_to_ringing", now, pair);
      pair.step = Step::answering;
      pair.sent = Clock::now();
      pair.callee->send(Json{{"type", "answer"}, {"callId", call_id}});
    } else if (type == "answer" && pair.step == Step::answering && call_id == pair.call_id) {
      record("answer_to_answer", now, pair);
      pair.step = Step::hanging;
      pair.sent = Clock::now();
      pair.caller->send(Json{{"type", "hangup"}, {"callId", call_id}});
    } else if (type == "ended" && pair.step == Step::hanging && call_id == pair.call_id) {
      if (json_str(m, "reason").value_or("") != "completed") return unexpected(pair, m);
      pair.caller_ended = true;
      maybe_completed(pair, now);
    } else {
      unexpected(pair, m);
    }
  }

  void maybe_completed(Pair& pair, Clock::time_point now) {
    if (!pair.caller_ended || !pair.callee_ended) return;
    pair.step = Step::idle;
    if (ctx_.window.measuring(now)) ctx_.stats.count("calls.completed");
    if (ctx_.options.rate <= 0) place_call(pair);
  }

  ThreadContext& ctx_;
  Opener opener_;
  Pacer pacer_;
  std::vector<Pair> pairs_;  // handlers hold indices: a Pair may move, its Clients do not
  std::size_t next_pair_ = 0;
  Drain drain_{ctx_};
};

}  // namespace

std::unique_ptr<ThreadScenario> make_calls(ThreadContext& ctx) {
  return std::make_unique<CallsScenario>(ctx);
}

}  // namespace switchboard::bench
