// SoakClient, part 1: the connection lifecycle. Connects (fresh or resuming, with what the
// resume should get), notices unexpected ends, and runs the device's chaos: kills (RST or
// FIN, also mid-handshake or right after a send), outages past the grace periods or past the
// resume window, app restarts, clean closes.
#include "tests/soak/soak_client.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

namespace switchboard::soak {
namespace {

constexpr Millis kConnectTimeout{5'000};
constexpr std::size_t kHistory = 14;

}  // namespace

SoakClient::SoakClient(SoakContext& ctx, std::string user, std::string device, std::uint64_t seed)
    : ctx_(ctx),
      report_(ctx.report),
      user_(std::move(user)),
      device_(std::move(device)),
      rng_(seed) {}

void SoakClient::start(Millis delay) {
  ctx_.loop.after(delay, [this] {
    connect(false);
    ctx_.loop.after(uniform_ms(rng_, 200, 600), [this] { tick(); });
  });
  schedule_chaos();
}

void SoakClient::connect(bool resume) {
  const std::uint64_t gen = ++gen_;
  phase_ = Phase::connecting;
  resume_requested_ = resume && !session_id_.empty();
  if (!resume) session_id_.clear();  // an app restart: whatever the server kept is replaced
  expect_ = Expect::none;
  std::string target = "/v1/ws?user=" + user_ + "&device=" + device_;
  if (resume_requested_) {
    target += "&session=" + session_id_ + "&lastSeq=" + std::to_string(last_seq_);
    const auto away = Clock::now() - dropped_at_;
    const Millis window = ctx_.timings.resume_window;
    expect_ = Expect::unsure;
    if (!resume_uncertain_ && away + kResumeMargin < window) expect_ = Expect::ok;
    if (!resume_uncertain_ && away > window + kResumeMargin) expect_ = Expect::refused;
  }
  note("connect " + std::string(resume_requested_ ? "resume lastSeq=" : "fresh") +
       (resume_requested_ ? std::to_string(last_seq_) : ""));

  WsCallbacks callbacks;
  callbacks.on_open = [this, gen] { on_open(gen); };
  callbacks.on_text = [this, gen](std::string&& text) { on_text(gen, std::move(text)); };
  callbacks.on_end = [this, gen](const WsEnd& end) { on_end(gen, end); };
  conn_ = WsConnection::create(ctx_.loop, std::move(callbacks));
  conn_->connect("127.0.0.1", ctx_.port, target, kConnectTimeout);

  if (kill_in_handshake_) {
    kill_in_handshake_ = false;
    if (chance(rng_, 0.5)) {
      kill_on_open_ = true;  // after the upgrade, before the welcome is read
    } else {
      ctx_.loop.after(uniform_ms(rng_, 0, 4), [this, gen] {
        if (gen != gen_ || phase_ != Phase::connecting) return;
        const bool was_resume = resume_requested_;
        kill(chance(rng_, 0.5), /*handshaking=*/true);
        reconnect_after(uniform_ms(rng_, 20, 300), was_resume);
      });
    }
  }
}

void SoakClient::on_open(std::uint64_t gen) {
  if (gen != gen_) return;
  ++report_.counters().connects;
  if (!kill_on_open_) return;
  kill_on_open_ = false;
  const bool was_resume = resume_requested_;
  kill(chance(rng_, 0.5), /*handshaking=*/true);
  reconnect_after(uniform_ms(rng_, 20, 300), was_resume);
}

void SoakClient::on_end(std::uint64_t gen, const WsEnd& end) {
  if (gen != gen_) return;
  conn_.reset();
  ++gen_;
  if (end.kind == WsEnd::Kind::clean && phase_ == Phase::closing) {
    ++report_.counters().clean_closes;
    note("closed cleanly");
    if (final_) {
      phase_ = Phase::closed;
      return;
    }
    phase_ = Phase::offline;
    session_id_.clear();  // a close frame ends the session on the server at once
    closed_cleanly_ = true;
    reconnect_after(uniform_ms(rng_, 50, 500), false);
    return;
  }
  static constexpr const char* kKinds[] = {"connect failed", "upgrade refused", "clean close",
                                           "server closed", "dropped"};
  std::ostringstream what;
  what << "connection ended unexpectedly (" << kKinds[static_cast<int>(end.kind)]
       << (phase_ == Phase::connecting ? ", in the handshake" : "") << ", http=" << end.http_status
       << ", close=" << end.close_code << ", " << end.detail << ")";
  violation(what.str());
  const bool was_online = phase_ == Phase::online;
  // Our close frame may have ended the session already: do not count on resuming it.
  if (phase_ == Phase::closing) session_id_.clear();
  if (phase_ == Phase::connecting) {
    outage_uncertain_ = true;
    if (resume_requested_) resume_uncertain_ = true;
  }
  if (final_) {
    phase_ = Phase::closed;
    return;
  }
  phase_ = Phase::offline;
  if (was_online) {
    dropped_at_ = Clock::now();
    away_ = true;
  }
  reconnect_after(Millis{200}, true);
}

void SoakClient::kill(bool reset, bool handshaking) {
  if (!conn_) return;
  conn_->kill(reset);
  conn_.reset();
  ++gen_;
  Counters& c = report_.counters();
  ++c.kills;
  if (reset) ++c.kills_reset;
  if (handshaking) {
    ++c.kills_handshaking;
    // The server may have resumed (or replaced) the session before the socket died.
    if (resume_requested_) resume_uncertain_ = true;
    outage_uncertain_ = true;
  } else if (phase_ == Phase::online) {
    dropped_at_ = Clock::now();
    away_ = true;
  }
  note(std::string("kill ") + (reset ? "RST" : "FIN") + (handshaking ? " in handshake" : ""));
  phase_ = Phase::offline;
}

void SoakClient::reconnect_after(Millis delay, bool resume) {
  const std::uint64_t gen = gen_;
  ctx_.loop.after(delay, [this, gen, resume] {
    if (gen != gen_ || phase_ != Phase::offline || final_) return;
    connect(resume);
  });
}

void SoakClient::schedule_chaos() {
  std::exponential_distribution<double> next(1.0 / ctx_.chaos_mean_s);
  const double ms = std::clamp(next(rng_) * 1000.0, 50.0, 60'000.0);
  ctx_.loop.after(Millis{std::llround(ms)}, [this] { chaos_action(); });
}

void SoakClient::chaos_action() {
  if (!ctx_.chaos || final_) return;
  if (phase_ != Phase::online || kill_after_send_ || kill_in_handshake_) {
    schedule_chaos();
    return;
  }
  const bool reset = chance(rng_, 0.5);
  const int window_ms = static_cast<int>(ctx_.timings.resume_window.count());
  const double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  if (r < 0.30) {  // a blip: back within the grace periods
    kill(reset, false);
    reconnect_after(uniform_ms(rng_, 20, 800), true);
  } else if (r < 0.35) {  // past the grace periods but within the window: resumed, calls gone
    kill(reset, false);
    note("medium outage");
    const int grace_ms =
        static_cast<int>(std::max(ctx_.timings.reconnect_grace, ctx_.timings.caller_grace).count());
    reconnect_after(
        uniform_ms(rng_, grace_ms + 1'200, std::max(grace_ms + 1'200, window_ms - 1'200)), true);
  } else if (r < 0.55) {
    kill_after_send_ = true;
  } else if (r < 0.65) {  // gone past the resume window: the resume must be refused
    kill(reset, false);
    note("long outage");
    reconnect_after(uniform_ms(rng_, window_ms + 1'500, window_ms + 3'000), true);
  } else if (r < 0.75) {  // the app restarted: a fresh session takes the old one's place
    kill(reset, false);
    reconnect_after(uniform_ms(rng_, 20, 500), false);
  } else if (r < 0.85) {  // the user left and came back
    phase_ = Phase::closing;
    note("close cleanly");
    conn_->close_clean();
  } else {  // a flaky network: the next handshake dies too
    kill_in_handshake_ = true;
    kill(reset, false);
    reconnect_after(uniform_ms(rng_, 20, 400), true);
  }
  schedule_chaos();
}

void SoakClient::violation(const std::string& what) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(3);
  out << "[t=" << seconds_since_start() << "s " << user_ << "/" << device_
      << " session=" << session_id_.substr(0, 8) << " seq=" << last_seq_ << "] " << what
      << "\n      recent:";
  for (const std::string& h : history_)
    out << " | " << h;
  report_.violation(out.str());
}

void SoakClient::note(const std::string& what) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(3);
  out << seconds_since_start() << " " << what;
  history_.push_back(out.str());
  if (history_.size() > kHistory) history_.pop_front();
}

double SoakClient::seconds_since_start() const {
  return static_cast<double>(ms_between(ctx_.started, Clock::now())) / 1000.0;
}

std::string SoakClient::describe() const {
  std::ostringstream out;
  static constexpr const char* kPhases[] = {"offline", "connecting", "online", "closing", "closed"};
  out << user_ << "/" << device_ << " " << kPhases[static_cast<int>(phase_)]
      << " pending=" << pending_.size();
  for (const auto& [key, p] : pending_)
    out << " [" << key << " " << p.type << " " << p.call_id << "]";
  out << " live calls:";
  for (const auto& [id, v] : calls_) {
    if (v.state == ViewState::ended) continue;
    out << " " << id << "(" << to_string(v.state)
        << (v.role == CallRole::caller ? " caller" : " callee")
        << (v.confirmed ? "" : " unconfirmed") << (v.await_redelivery ? " awaiting-call" : "")
        << ")";
  }
  return out.str();
}

}  // namespace switchboard::soak
