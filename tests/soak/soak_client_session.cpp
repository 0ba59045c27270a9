// SoakClient, part 2: the session. Checks each welcome against what the connection asked
// for, resends unanswered commands with their original ids after a resume, drops them when
// the session is lost, and rebuilds the calls from the snapshot after a fresh start.
#include <algorithm>

#include "tests/soak/soak_client.hpp"

namespace switchboard::soak {

void SoakClient::on_welcome(const Json& m) {
  if (phase_ != Phase::connecting) {
    violation("a second welcome on one connection");
    return;
  }
  const std::string sid = json_str(m, "sessionId").value_or("");
  const std::int64_t seq = json_int(m, "seq").value_or(-1);
  const std::optional<bool> resumed = json_bool(m, "resumed");
  const auto calls = m.find("calls");
  if (sid.empty() || !resumed || calls == m.end() || !calls->is_array()) {
    violation("malformed welcome: " + m.dump());
    return;
  }
  if (json_str(m, "userId") != user_ || json_str(m, "deviceId") != device_) {
    violation("welcome names another user/device: " + m.dump());
  }
  Counters& c = report_.counters();
  const auto away_ms = ms_between(dropped_at_, Clock::now());
  if (*resumed) {
    ++c.resumes_ok;
    if (!resume_requested_) {
      violation("resumed:true without asking to resume");
    } else {
      if (sid != session_id_) violation("resumed another session: " + sid);
      if (seq != last_seq_) {
        violation("resumed welcome.seq " + std::to_string(seq) + " != lastSeq " +
                  std::to_string(last_seq_));
      }
      if (expect_ == Expect::refused) {
        violation("resumed after " + std::to_string(away_ms) + " ms away (window " +
                  std::to_string(ctx_.timings.resume_window.count()) + " ms)");
      }
    }
  } else {
    ++c.fresh_sessions;
    if (resume_requested_) {
      ++c.resumes_refused;
      if (expect_ == Expect::ok) {
        violation("resume refused after only " + std::to_string(away_ms) + " ms away");
      }
      if (sid == session_id_) violation("a refused resume kept the session id");
    }
    if (seq != 1) violation("fresh welcome.seq is " + std::to_string(seq));
  }
  note(std::string("welcome ") + (*resumed ? "resumed" : "fresh") + " seq=" + std::to_string(seq) +
       " calls=" + std::to_string(calls->size()));
  phase_ = Phase::online;
  welcomed_at_ = Clock::now();
  last_outage_ = away_ ? std::chrono::duration_cast<Millis>(welcomed_at_ - dropped_at_) : Millis{0};
  last_outage_certain_ = !outage_uncertain_;
  away_ = false;
  outage_uncertain_ = false;
  welcome_resumed_ = *resumed;
  resume_uncertain_ = false;
  session_id_ = sid;
  last_seq_ = seq;
  check_outage_snapshot(*calls);
  if (*resumed) {
    resend_pending();
  } else {
    drop_pending();
    answered_.clear();  // command ids are remembered per session
    adopt_snapshot(*calls, closed_cleanly_);
  }
  closed_cleanly_ = false;
}

// A fresh session rebuilds from the snapshot: the calls this device holds (as the caller or
// the answering device) and those ringing for its user, which must also be re-delivered.
void SoakClient::adopt_snapshot(const Json& calls, bool after_clean_close) {
  std::map<std::string, CallView> fresh;
  for (const Json& e : calls) {
    const std::string id = json_str(e, "callId").value_or("");
    const std::string state = json_str(e, "state").value_or("");
    const std::string role = json_str(e, "role").value_or("");
    const std::optional<std::string> holder = json_str(e, "deviceId");
    if (id.empty() || (state != "ringing" && state != "active") ||
        (role != "caller" && role != "callee")) {
      violation("malformed snapshot entry: " + e.dump());
      continue;
    }
    const bool mine = holder == device_;
    const bool ringing_for_me = role == "callee" && state == "ringing";
    if (ringing_for_me && holder) violation("snapshot: a ringing incoming call names a device");
    if (!mine && !ringing_for_me) continue;  // another device of this user holds it
    if (mine && after_clean_close) {
      violation("call " + id + " still held by this device after its clean close");
    }
    CallView v;
    const auto old = calls_.find(id);
    if (old != calls_.end()) {
      if (mine && old->second.state == ViewState::ended) {
        violation("snapshot lists call " + id + " which ended (" + old->second.end_reason +
                  ") in the previous session");
      }
      v.peer_device = old->second.peer_device;
      v.responded = old->second.responded;
      v.hangup_armed = old->second.hangup_armed;
    }
    v.id = id;
    v.role = role == "caller" ? CallRole::caller : CallRole::callee;
    v.peer = json_str(e, "peer").value_or("");
    v.state = state == "active" ? ViewState::active : ViewState::ringing;
    v.confirmed = true;
    v.mine_active = mine && state == "active";
    v.await_redelivery = ringing_for_me;
    if (v.mine_active && !v.hangup_armed) hangup_later(id, uniform_ms(rng_, 500, 3'000));
    fresh.emplace(id, std::move(v));
  }
  calls_ = std::move(fresh);
}

// Away longer than every grace period: whatever this device held has ended by now, whether
// the session was resumed or not (nothing new can attach to a device while it is away).
void SoakClient::check_outage_snapshot(const Json& calls) {
  const Millis grace = std::max(ctx_.timings.reconnect_grace, ctx_.timings.caller_grace);
  if (!last_outage_certain_ || last_outage_ <= grace + kResumeMargin) return;
  for (const Json& e : calls) {
    if (json_str(e, "deviceId") != device_) continue;
    violation("call " + json_str(e, "callId").value_or("?") + " (" +
              json_str(e, "state").value_or("?") + ") still held by this device after " +
              std::to_string(last_outage_.count()) + " ms away");
  }
}

void SoakClient::resend_pending() {
  const auto now = Clock::now();
  // The server remembers ids for the resume window from when it first answered; keep well
  // inside it so a resend is never executed a second time.
  const auto max_age = ctx_.timings.resume_window * 6 / 10;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.first_sent > max_age) {
      ++report_.counters().commands_dropped;
      if (it->second.type == "signal") ++sent_[it->second.call_id].epoch;
      it = pending_.erase(it);
      continue;
    }
    conn_->send(it->second.text);
    ++report_.counters().commands_resent;
    note("resend " + it->second.type + " id=" + std::to_string(it->first));
    ++it;
  }
}

// The session is gone: whether these commands ran is unknown, and resending them in a new
// session would run them again.
void SoakClient::drop_pending() {
  for (const auto& [key, p] : pending_) {
    ++report_.counters().commands_dropped;
    if (p.type == "signal") ++sent_[p.call_id].epoch;
  }
  pending_.clear();
}

}  // namespace switchboard::soak
