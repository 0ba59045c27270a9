// SoakClient, part 5: the device's random life. Places calls to random users (with its own
// callIds), rings/answers/rejects incoming ones, exchanges numbered signals in active calls,
// hangs up after a while, pings, probes idempotency with duplicate ids, and in the end phase
// hangs up or rejects whatever is still live.
#include <utility>
#include <vector>

#include "tests/soak/soak_client.hpp"

namespace switchboard::soak {

std::string SoakClient::send_command(const std::string& type, Json body,
                                     const std::string& call_id) {
  if (phase_ != Phase::online || !conn_) return {};
  const std::uint64_t key = ++next_key_;
  std::string id = std::to_string(key);
  body["type"] = type;
  body["id"] = id;
  Pending p{body.dump(), type, call_id, Clock::now(), std::nullopt};
  conn_->send(p.text);
  ++report_.counters().commands_sent;
  note("> " + type + " id=" + id + " " + call_id);
  pending_.emplace(key, std::move(p));

  if (kill_after_send_) {
    kill_after_send_ = false;
    ++report_.counters().kills_after_send;
    const bool reset = chance(rng_, 0.5);
    // Mostly a resume with a resend; sometimes an app restart, so the command's fate is
    // unknown and only the fresh session's snapshot tells.
    const bool resume = chance(rng_, 0.8);
    if (chance(rng_, 0.5)) {
      kill(reset, false);
      reconnect_after(uniform_ms(rng_, 20, 600), resume);
    } else {  // a few milliseconds later: the frame may be on the wire, or answered
      const std::uint64_t gen = gen_;
      ctx_.loop.after(uniform_ms(rng_, 0, 3), [this, gen, reset, resume] {
        if (gen != gen_ || phase_ != Phase::online) return;
        kill(reset, false);
        reconnect_after(uniform_ms(rng_, 20, 600), resume);
      });
    }
  }
  return id;
}

void SoakClient::tick() {
  if (final_) return;
  periodic_checks();
  if (phase_ == Phase::online && !ctx_.quiesce) {
    if (!has_active_call() && !has_ringing_outgoing() && chance(rng_, 0.2)) place_call();
    for (auto& [id, v] : calls_) {
      if (v.state == ViewState::active && v.mine_active && chance(rng_, 0.6)) send_signal(v);
    }
    if (chance(rng_, 0.02)) send_command("ping", Json::object(), {});
    if (chance(rng_, 0.04)) duplicate_probe();
  }
  ctx_.loop.after(uniform_ms(rng_, 100, 500), [this] { tick(); });
}

void SoakClient::place_call() {
  if (ctx_.users < 2) return;
  const std::string peer = "u" + std::to_string(pick(rng_, ctx_.users));
  if (peer == user_) return;
  const std::string id =
      ctx_.call_prefix + "." + user_ + "." + device_ + "." + std::to_string(++next_call_);
  Json body = {{"to", peer},
               {"callId", id},
               {"media", chance(rng_, 0.3) ? "video" : "audio"},
               {"data", {{"t", steady_us()}}}};
  if (chance(rng_, 0.3)) body["timeoutMs"] = uniform_ms(rng_, 5'000, 8'000).count();
  CallView v;
  v.id = id;
  v.role = CallRole::caller;
  v.peer = peer;
  calls_.emplace(id, std::move(v));
  send_command("call", std::move(body), id);
  if (chance(rng_, 0.2)) hangup_later(id, uniform_ms(rng_, 300, 3'000));  // a cancel, maybe
}

void SoakClient::send_signal(CallView& v) {
  if (phase_ != Phase::online) return;  // a number taken but never sent would look like a gap
  SignalSend& s = sent_[v.id];
  ++s.n;
  Json body = {{"callId", v.id}, {"data", {{"n", s.n}, {"e", s.epoch}, {"t", steady_us()}}}};
  send_command("signal", std::move(body), v.id);
}

// Sends an answered command again with its id: the server must answer it exactly as before
// and not run it again (a second signal would show up at the peer as a duplicate).
void SoakClient::duplicate_probe() {
  if (phase_ != Phase::online) return;  // an earlier command this tick may have killed it
  const auto now = Clock::now();
  const auto fresh_enough = ctx_.timings.resume_window * 4 / 10;
  std::vector<const Answered*> candidates;
  for (const Answered& a : answered_) {
    if (now - a.command.first_sent < fresh_enough && !pending_.contains(a.key)) {
      candidates.push_back(&a);
    }
  }
  if (candidates.empty()) return;
  const Answered& a = *candidates[pick(rng_, candidates.size())];
  Pending p = a.command;
  p.expected = a.reply;
  conn_->send(p.text);
  ++report_.counters().duplicate_probes;
  note("> probe " + p.type + " id=" + std::to_string(a.key));
  pending_.emplace(a.key, std::move(p));
}

void SoakClient::respond_later(const std::string& call_id) {
  ctx_.loop.after(uniform_ms(rng_, 30, 400), [this, call_id] {
    CallView* v = find_call(call_id);
    if (v == nullptr || v->state != ViewState::ringing || v->role != CallRole::callee) return;
    if (phase_ != Phase::online || ctx_.quiesce) return;
    if (chance(rng_, 0.7)) send_command("ringing", {{"callId", call_id}}, call_id);
    decide_later(call_id);
  });
}

void SoakClient::decide_later(const std::string& call_id) {
  ctx_.loop.after(uniform_ms(rng_, 200, 2'500), [this, call_id] {
    CallView* v = find_call(call_id);
    if (v == nullptr || v->state != ViewState::ringing || v->responded) return;
    if (phase_ != Phase::online || ctx_.quiesce) return;
    const double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    if (r < 0.55 && !has_active_call()) {
      v->responded = true;
      send_command("answer", {{"callId", call_id}, {"data", {{"sdp", "v=0"}}}}, call_id);
    } else if (r < 0.8) {
      v->responded = true;
      send_command("reject",
                   {{"callId", call_id}, {"reason", chance(rng_, 0.3) ? "busy" : "declined"}},
                   call_id);
    }  // else let it ring: another device, the ring timeout or the caller ends it
  });
}

void SoakClient::hangup_later(const std::string& call_id, Millis delay) {
  if (CallView* v = find_call(call_id)) v->hangup_armed = true;
  ctx_.loop.after(delay, [this, call_id] {
    CallView* v = find_call(call_id);
    if (v == nullptr || v->state == ViewState::ended) return;
    if (ctx_.quiesce || final_) return;  // the end phase hangs up by itself
    // Offline, or the peer is reconnecting (a real app shows "reconnecting…" and waits): the
    // server's grace period, not our hangup, should decide how the call ends.
    if (phase_ != Phase::online || v->peer_link == CallView::PeerLink::away) {
      hangup_later(call_id, Millis{300});
      return;
    }
    v->hangup_armed = false;
    if (v->role == CallRole::caller || v->mine_active) {
      hung_up_.insert(call_id);
      send_command("hangup", {{"callId", call_id}, {"reason", "soak"}}, call_id);
    }
  });
}

void SoakClient::settle_step() {
  if (phase_ != Phase::online || !pending_.empty()) return;
  for (auto& [id, v] : calls_) {
    if (v.state == ViewState::ended || v.settle_sent) continue;
    v.settle_sent = true;
    if (v.role == CallRole::caller || v.mine_active) {
      hung_up_.insert(id);
      send_command("hangup", {{"callId", id}, {"reason", "settle"}}, id);
    } else {
      send_command("reject", {{"callId", id}}, id);
    }
  }
}

bool SoakClient::settled() const {
  if (phase_ != Phase::online || !pending_.empty()) return false;
  for (const auto& [id, v] : calls_) {
    if (v.state != ViewState::ended) return false;
  }
  return true;
}

void SoakClient::final_close() {
  final_ = true;
  if (phase_ == Phase::online) {
    phase_ = Phase::closing;
    note("final close");
    conn_->close_clean();
    return;
  }
  if (phase_ == Phase::closing) return;
  if (conn_) {
    conn_->kill(true);
    conn_.reset();
    ++gen_;
  }
  phase_ = Phase::closed;
}

CallView* SoakClient::find_call(const std::string& call_id) {
  const auto it = calls_.find(call_id);
  return it == calls_.end() ? nullptr : &it->second;
}

bool SoakClient::has_active_call() const {
  for (const auto& [id, v] : calls_) {
    if (v.state == ViewState::active && v.mine_active) return true;
  }
  return false;
}

bool SoakClient::has_ringing_outgoing() const {
  for (const auto& [id, v] : calls_) {
    if (v.role == CallRole::caller && v.state == ViewState::ringing) return true;
  }
  return false;
}

}  // namespace switchboard::soak
