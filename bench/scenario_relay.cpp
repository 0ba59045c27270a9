// `relay`: --pairs pairs in active calls (call + answer; for PeerJS two peers) exchanging
// opaque messages of 200–1200 bytes. Each side keeps --in-flight exchanges outstanding
// (closed loop) or --rate exchanges/s are spread over all sides (open loop). An exchange is a
// request (Switchboard `signal` / PeerJS OFFER) echoed back by the other side (`signal` /
// ANSWER); its round trip is timed. One instance per thread, on its Loop's thread.
#include <memory>
#include <random>
#include <vector>

#include "bench/client.hpp"
#include "bench/pacing.hpp"
#include "bench/relay_wire.hpp"
#include "bench/runner.hpp"

namespace switchboard::bench {
namespace {

constexpr int kMaxPendingHandshakes = 128;
// Fine enough that open-loop load arrives spread out, not in bursts of a millisecond's worth.
constexpr auto kPaceStep = Micros{100};
constexpr auto kHeartbeat = Millis{5000};
constexpr int kMaxOutstandingOpenLoop = 64;
constexpr int kMinBytes = 200;
constexpr int kMaxBytes = 1200;
constexpr int kEnvelopeBytes = 40;  // the payload object without its padding, about

struct Side {
  std::unique_ptr<Client> client;
  int outstanding = 0;
  std::int64_t counter = 0;
  Clock::time_point progress;  // last send or reply: the timeout runs from here
};

struct Pair {
  Side a;  // the caller
  Side b;  // the callee
  std::string call_id;
  bool active = false;
};

class RelayScenario final : public ThreadScenario {
 public:
  explicit RelayScenario(ThreadContext& ctx)
      : ctx_(ctx),
        peerjs_(ctx.options.target == Target::peerjs),
        opener_(kMaxPendingHandshakes),
        pacer_(ctx.options.rate / ctx.options.threads, ctx.window.start),
        rng_(ctx.options.seed + static_cast<std::uint64_t>(ctx.index)) {}

  void start() override {
    for (int i = 0; i < ctx_.options.pairs; ++i) {
      if (!ctx_.mine(i)) continue;
      const std::size_t p = pairs_.size();
      auto& pair = pairs_.emplace_back();
      const std::string base = "br" + std::to_string(i);
      pair.a.client = make_client(base + "a", p, true);
      pair.b.client = make_client(base + "b", p, false);
      opener_.add([c = pair.a.client.get()] { c->start(); });
      opener_.add([c = pair.b.client.get()] { c->start(); });
    }
    last_heartbeat_ = Clock::now();
    if (ctx_.options.rate > 0) pace();
  }

  void tick(Clock::time_point now) override {
    if (now - last_heartbeat_ >= kHeartbeat) {
      last_heartbeat_ = now;
      for (auto& pair : pairs_) {
        pair.a.client->heartbeat();
        pair.b.client->heartbeat();
      }
    }
    const auto timeout = Millis{ctx_.options.timeout_ms};
    for (auto& pair : pairs_) {
      for (Side* side : {&pair.a, &pair.b}) {
        if (side->outstanding > 0 && now - side->progress > timeout) {
          ctx_.stats.error("timeout",
                           side->client->id() + ": " + std::to_string(side->outstanding) + " lost");
          side->outstanding = 0;  // given up: the closed loop stops for this side
        }
      }
      if (!pair.active && pair.a.client->ready() && pair.b.client->ready() &&
          now - pair.a.progress > timeout) {
        ctx_.stats.error("timeout", pair.a.client->id() + ": call set-up");
        pair.a.progress = now;
      }
    }
  }

  void finish() override {
    drain_.stop(2 * pairs_.size());
    ctx_.stats.count("relay.delivered", delivered_);
    ctx_.stats.count("relay.exchanges", exchanges_);
    ctx_.stats.latencies["round_trip"].merge(round_trip_);
    opener_.stop();
    for (auto& pair : pairs_) {
      pair.a.client->close();
      pair.b.client->close();
    }
  }

 private:
  std::unique_ptr<Client> make_client(std::string id, std::size_t p, bool is_a) {
    Client::Handlers handlers;
    handlers.on_ready = [this, p] { on_ready(p); };
    handlers.on_message = [this, p, is_a](const Json& m) { on_message(pairs_[p], is_a, m); };
    handlers.on_relay = [this, p, is_a](std::string_view text) {
      on_relay_text(pairs_[p], is_a, text);
    };
    handlers.on_end = [this, p, is_a] {
      const Pair& pair = pairs_[p];
      if (!(is_a ? pair.a : pair.b).client->ready()) opener_.settled();
      drain_.client_ended();
    };
    return std::make_unique<Client>(ctx_.loop, ctx_.options, ctx_.stats, std::move(id),
                                    std::move(handlers));
  }

  void on_ready(std::size_t p) {
    opener_.settled();
    auto& pair = pairs_[p];
    if (!pair.a.client->ready() || !pair.b.client->ready()) return;
    pair.a.progress = Clock::now();
    if (peerjs_) return activate(pair);
    pair.a.client->send(Json{{"type", "call"}, {"to", pair.b.client->id()}});
  }

  // The closed loop starts once every pair of this thread is up: load during the set-up
  // would starve the remaining handshakes (a single-threaded server then refuses some), and
  // the warm-up should see the full load.
  void activate(Pair& pair) {
    pair.active = true;
    if (ctx_.options.rate > 0 || ++active_ < pairs_.size()) return;
    for (auto& each : pairs_) {
      for (int k = 0; k < ctx_.options.in_flight; ++k) {
        send_request(each, each.a);
        send_request(each, each.b);
      }
    }
  }

  void pace() {
    if (drain_.stopping()) return;
    for (auto n = pacer_.due(Clock::now()); n > 0 && !pairs_.empty(); --n) {
      const std::size_t slot = next_side_++ % (2 * pairs_.size());
      auto& pair = pairs_[slot / 2];
      Side& side = slot % 2 == 0 ? pair.a : pair.b;
      if (!pair.active || side.outstanding >= kMaxOutstandingOpenLoop) {
        if (ctx_.window.measuring(Clock::now())) ctx_.stats.count("relay.skipped");
        continue;
      }
      send_request(pair, side);
    }
    ctx_.loop.at(Clock::now() + kPaceStep, [this] { pace(); });
  }

  void send_to_peer(Pair& pair, Side& from, const RelayPayload& payload) {
    Side& to = &from == &pair.a ? pair.b : pair.a;
    from.client->send_text(peerjs_ ? peerjs_message(to.client->id(), payload)
                                   : switchboard_signal(pair.call_id, payload));
  }

  void send_request(Pair& pair, Side& side) {
    if (drain_.stopping()) return;
    ++side.outstanding;
    side.progress = Clock::now();
    RelayPayload payload;
    payload.n = side.counter++;
    payload.t = steady_us();
    payload.padding = static_cast<std::size_t>(
        std::uniform_int_distribution<int>(kMinBytes, kMaxBytes)(rng_) - kEnvelopeBytes);
    send_to_peer(pair, side, payload);
  }

  void on_relay_text(Pair& pair, bool is_a, std::string_view text) {
    if (drain_.stopping()) return;
    const auto payload = scan_payload(text);
    if (!payload) return ctx_.stats.error("unexpected", std::string(text));
    on_relayed(pair, is_a ? pair.a : pair.b, *payload);
  }

  void on_message(Pair& pair, bool is_a, const Json& m) {
    if (drain_.stopping()) return;
    const auto type = json_str(m, "type").value_or("");
    if (peerjs_) return ctx_.stats.error("unexpected", m.dump());
    const auto call_id = json_str(m, "callId").value_or("");
    if (type == "ack" || type == "ringing") return;
    if (type == "call" && !is_a && !pair.active) {
      pair.call_id = call_id;
      pair.b.client->send(Json{{"type", "answer"}, {"callId", call_id}});
      return;
    }
    if (type == "answer" && is_a && !pair.active && call_id == pair.call_id) {
      return activate(pair);
    }
    ctx_.stats.error("unexpected", m.dump());
  }

  void on_relayed(Pair& pair, Side& self, RelayPayload payload) {
    const auto now = Clock::now();
    const bool measuring = ctx_.window.measuring(now);
    if (measuring) ++delivered_;
    if (!payload.reply) {
      payload.reply = true;
      return send_to_peer(pair, self, payload);
    }
    const auto sent = payload.t;
    if (self.outstanding <= 0) return;  // a late echo after a timeout
    --self.outstanding;
    self.progress = now;
    if (measuring) {
      ++exchanges_;
      round_trip_.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, steady_us() - sent)));
    }
    if (ctx_.options.rate <= 0) send_request(pair, self);
  }

  ThreadContext& ctx_;
  bool peerjs_;
  Opener opener_;
  Pacer pacer_;
  std::mt19937_64 rng_;
  std::vector<Pair> pairs_;  // handlers hold indices: a Pair may move, its Clients do not
  std::size_t next_side_ = 0;
  std::size_t active_ = 0;  // pairs with their call up
  // Measured in the window; kept here on the hot path, added to the Stats by finish().
  std::uint64_t delivered_ = 0;
  std::uint64_t exchanges_ = 0;
  Histogram round_trip_;
  Clock::time_point last_heartbeat_;
  Drain drain_{ctx_};
};

}  // namespace

std::unique_ptr<ThreadScenario> make_relay(ThreadContext& ctx) {
  return std::make_unique<RelayScenario>(ctx);
}

}  // namespace switchboard::bench
