// `storm`: --pairs pairs in active calls (users bs<i>a calling bs<i>b); once the warm-up is
// over, every client drops at once (its TCP connection cut without a close frame: half of them
// by RST, half by FIN, alternating within each pair) and resumes with `session` +
// `lastSeq`. Reports the time until each and all are back; the Clients check every event's
// seq (lost or duplicated events are errors), and a signal per pair after the storm checks
// that the calls survived. One instance per thread, on its Loop's thread.
#include <memory>
#include <vector>

#include "bench/client.hpp"
#include "bench/pacing.hpp"
#include "bench/runner.hpp"

namespace switchboard::bench {
namespace {

constexpr int kMaxPendingHandshakes = 256;

struct Pair {
  std::unique_ptr<Client> a;  // the caller
  std::unique_ptr<Client> b;  // the callee
  std::string call_id;
  bool active = false;
  bool checked = false;  // the signal after the storm arrived
};

class StormScenario final : public ThreadScenario {
 public:
  explicit StormScenario(ThreadContext& ctx) : ctx_(ctx), opener_(kMaxPendingHandshakes) {}

  void start() override {
    for (int i = 0; i < ctx_.options.pairs; ++i) {
      if (!ctx_.mine(i)) continue;
      const std::size_t p = pairs_.size();
      auto& pair = pairs_.emplace_back();
      const std::string base = "bs" + std::to_string(i);
      pair.a = make_client(base + "a", p, true);
      pair.b = make_client(base + "b", p, false);
      opener_.add([c = pair.a.get()] { c->start(); });
      opener_.add([c = pair.b.get()] { c->start(); });
    }
  }

  void tick(Clock::time_point now) override {
    if (stormed_ || now < ctx_.window.measure_from) return;
    for (const auto& pair : pairs_) {
      if (!pair.active) return;  // the storm waits until every call is up
    }
    stormed_ = true;
    storm_at_ = Clock::now();
    bool reset = true;
    for (auto& pair : pairs_) {
      pair.a->drop(reset);
      pair.b->drop(!reset);
      reset = !reset;
    }
    ctx_.stats.count("storm.dropped", 2 * pairs_.size());
    ctx_.stats.count("storm.cut_by_rst", pairs_.size());
    for (auto& pair : pairs_) {
      opener_.add([c = pair.a.get()] { c->resume(); });
      opener_.add([c = pair.b.get()] { c->resume(); });
    }
  }

  void finish() override {
    drain_.stop(2 * pairs_.size());
    opener_.stop();
    if (!stormed_) ctx_.stats.error("storm_not_run", "not every call was up in time");
    if (stormed_ && back_ < 2 * pairs_.size()) {
      ctx_.stats.error("not_back", std::to_string(2 * pairs_.size() - back_) + " clients");
    }
    for (const auto& pair : pairs_) {
      if (stormed_ && !pair.checked) ctx_.stats.error("call_lost", pair.a->id());
    }
    for (auto& pair : pairs_) {
      pair.a->close();
      pair.b->close();
    }
  }

 private:
  std::unique_ptr<Client> make_client(std::string id, std::size_t p, bool is_a) {
    Client::Handlers handlers;
    handlers.on_ready = [this, p] { on_ready(pairs_[p]); };
    handlers.on_message = [this, p, is_a](const Json& m) { on_message(pairs_[p], is_a, m); };
    handlers.on_end = [this, p, is_a] {
      const Pair& pair = pairs_[p];
      if (!(is_a ? pair.a : pair.b)->ready()) opener_.settled();
      drain_.client_ended();
    };
    return std::make_unique<Client>(ctx_.loop, ctx_.options, ctx_.stats, std::move(id),
                                    std::move(handlers));
  }

  void on_ready(Pair& pair) {
    opener_.settled();
    if (stormed_) {
      const auto now = Clock::now();
      ctx_.stats.latencies["storm_back"].record(us_between(storm_at_, now));
      if (++back_ == 2 * pairs_.size()) {
        ctx_.stats.maxima["storm.all_back_us"] = us_between(storm_at_, now);
      }
      // Once both sides are back, the caller checks the call still relays.
      if (pair.a->ready() && pair.b->ready()) {
        pair.a->send(Json{{"type", "signal"}, {"callId", pair.call_id}, {"data", {{"k", 1}}}});
      }
      return;
    }
    if (pair.a->ready() && pair.b->ready()) {
      pair.a->send(Json{{"type", "call"}, {"to", pair.b->id()}});
    }
  }

  void on_message(Pair& pair, bool is_a, const Json& m) {
    if (drain_.stopping()) return;
    const auto type = json_str(m, "type").value_or("");
    const auto call_id = json_str(m, "callId").value_or("");
    if (type == "ack" || type == "ringing" || type == "peer") return;
    if (type == "call" && !is_a && !pair.active) {
      pair.call_id = call_id;
      pair.b->send(Json{{"type", "answer"}, {"callId", call_id}});
      return;
    }
    if (type == "answer" && is_a && call_id == pair.call_id) {
      pair.active = true;
      return;
    }
    if (type == "signal" && !is_a && stormed_ && !pair.checked) {
      pair.checked = true;
      ctx_.stats.count("storm.calls_alive");
      return;
    }
    ctx_.stats.error("unexpected", m.dump());
  }

  ThreadContext& ctx_;
  Opener opener_;
  std::vector<Pair> pairs_;  // handlers hold indices: a Pair may move, its Clients do not
  Clock::time_point storm_at_;
  std::size_t back_ = 0;
  bool stormed_ = false;
  Drain drain_{ctx_};
};

}  // namespace

std::unique_ptr<ThreadScenario> make_storm(ThreadContext& ctx) {
  return std::make_unique<StormScenario>(ctx);
}

}  // namespace switchboard::bench
