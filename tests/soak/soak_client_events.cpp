// SoakClient, part 3: the events the server sends, checked against the contract
// (PROTOCOL.md, "Reconnecting"): consecutive seqs per session, events only for calls this
// session holds and never after their `ended`, one `ended` per call, re-delivery after a
// fresh session, gap-free signal streams, `peer` states that alternate and a grace period
// that is honoured both ways.
#include <chrono>
#include <cstdlib>
#include <utility>

#include "tests/soak/soak_client.hpp"

namespace switchboard::soak {
namespace {

// Our calls ring at most 8 s (timeoutMs 5000-8000, or the server's 5 s default).
constexpr std::int64_t kMaxRingMs = 8'000;
constexpr Millis kExpiryTolerance{750};

// The server's outage is never longer than the client's; this covers timer granularity.
constexpr Millis kGraceMargin{250};

}  // namespace

void SoakClient::on_text(std::uint64_t gen, std::string&& text) {
  if (gen != gen_) return;
  const Json m = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded() || !m.is_object()) {
    violation("not a JSON object: " + text.substr(0, 200));
    return;
  }
  const std::optional<std::string> type = json_str(m, "type");
  if (!type) {
    violation("message without a type: " + text.substr(0, 200));
    return;
  }
  if (*type == "welcome") {
    on_welcome(m);
    return;
  }
  if (phase_ == Phase::connecting) {
    violation("`" + *type + "` before the welcome");
    return;
  }
  if (*type == "ack" || *type == "error" || *type == "pong") {
    if (m.contains("seq")) violation("a response with a seq: " + text);
    check_redelivery(type->c_str());
    on_reply(*type, m);
    return;
  }
  const std::optional<std::int64_t> seq = json_int(m, "seq");
  if (!seq) {
    violation("event without seq: " + text.substr(0, 200));
    return;
  }
  if (*seq != last_seq_ + 1) {
    violation("seq " + std::to_string(*seq) + " after " + std::to_string(last_seq_) + " (" + *type +
              ", " + (welcome_resumed_ ? "resumed" : "fresh") + " session)");
    if (*seq <= last_seq_) return;  // a duplicate: processing it again would only cascade
  }
  last_seq_ = *seq;
  ++report_.counters().events;
  on_event(*type, m);
}

void SoakClient::on_event(const std::string& type, const Json& m) {
  const std::optional<std::string> call_id = json_str(m, "callId");
  if (!call_id) {
    violation("`" + type + "` without callId: " + m.dump());
    return;
  }
  note("< " + type + " " + *call_id + " seq=" + std::to_string(last_seq_));
  if (type == "call") {
    on_call_event(m, *call_id);
    return;
  }
  check_redelivery(type.c_str());
  CallView* v = find_call(*call_id);
  if (v == nullptr) {
    violation("`" + type + "` for call " + *call_id + " that this session does not hold");
    return;
  }
  if (v->state == ViewState::ended) {
    violation("`" + type + "` for call " + *call_id + " after its `ended` (" + v->end_reason + ")");
    return;
  }
  v->confirmed = true;  // the server sends us its events, so it holds it for us
  if (type == "ringing" || type == "answer") {
    if (v->role != CallRole::caller) violation("`" + type + "` to the callee of " + *call_id);
    if (json_str(m, "from") != v->peer) violation("`" + type + "` from someone else");
  }
  if (type == "ringing") {
    if (v->ringing_seen) violation("a second `ringing` for " + *call_id);
    v->ringing_seen = true;
  } else if (type == "answer") {
    if (v->answer_seen) violation("a second `answer` for " + *call_id);
    v->answer_seen = true;
    v->peer_device = json_str(m, "deviceId").value_or("");
    v->state = ViewState::active;
    v->mine_active = true;
    v->peer_link = CallView::PeerLink::present;  // it just answered
    if (!v->hangup_armed) hangup_later(*call_id, uniform_ms(rng_, 1'000, 5'000));
  } else if (type == "signal") {
    on_signal_event(*v, m);
  } else if (type == "ended") {
    on_ended_event(*v, m);
  } else if (type == "peer") {
    on_peer_event(*v, m);
  } else {
    violation("unknown event type: " + m.dump());
  }
}

void SoakClient::on_call_event(const Json& m, const std::string& call_id) {
  const std::string from = json_str(m, "from").value_or("");
  if (json_str(m, "to") != user_ || from.empty() || from == user_) {
    violation("`call` with a bad from/to: " + m.dump());
  }
  CallView* v = find_call(call_id);
  if (v != nullptr) {
    if (v->state == ViewState::ended) {
      violation("`call` for " + call_id + " after its `ended` (" + v->end_reason + ")");
      return;
    }
    if (!v->await_redelivery) {
      violation("a second `call` event for " + call_id + " in one session");
      return;
    }
    v->await_redelivery = false;
  } else {
    check_redelivery("a new `call`");
    CallView fresh;
    fresh.id = call_id;
    fresh.role = CallRole::callee;
    fresh.peer = from;
    fresh.confirmed = true;
    v = &calls_.emplace(call_id, std::move(fresh)).first->second;
    const auto data = m.find("data");
    if (live_now() && data != m.end() && data->is_object()) {
      if (const auto t = json_int(*data, "t")) report_.latency_us(steady_us() - *t);
    }
  }
  // expiresInMs is what is left now, also in a replay, unless the call has ended meanwhile
  // (then the replay carries the original event and its `ended` right after it).
  const std::int64_t left = json_int(m, "expiresInMs").value_or(-1);
  const std::int64_t expires_at = json_int(m, "expiresAt").value_or(0);
  if (left < 0 || left > kMaxRingMs) violation("`call` with expiresInMs " + std::to_string(left));
  const auto now_ms =
      std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  if (left > 0 && std::abs(left - (expires_at - now_ms)) > kExpiryTolerance.count()) {
    v->stale_expiry = true;
  }
  if (!v->responded) respond_later(call_id);
}

void SoakClient::on_signal_event(CallView& v, const Json& m) {
  ++report_.counters().signals_received;
  if (json_str(m, "from") != v.peer) violation("signal from someone else: " + m.dump());
  if (v.role == CallRole::caller && !v.peer_device.empty() &&
      json_str(m, "fromDevice") != v.peer_device) {
    violation("signal from device other than the answering one (" + v.peer_device +
              "): " + m.dump());
  }
  const auto data = m.find("data");
  if (data == m.end() || !data->is_object()) {
    violation("signal without data object: " + m.dump());
    return;
  }
  const auto n = json_int(*data, "n");
  const auto e = json_int(*data, "e");
  if (!n || !e) {
    violation("signal data mangled: " + m.dump());
    return;
  }
  SignalTrack& track = v.incoming;
  if (track.seen) {
    if (*n <= track.n || *e < track.epoch) {
      violation("signal n=" + std::to_string(*n) + " e=" + std::to_string(*e) + " for " + v.id +
                " after n=" + std::to_string(track.n) + " e=" + std::to_string(track.epoch) +
                " (duplicate or reordered)");
    } else if (*e == track.epoch && *n != track.n + 1) {
      violation("signal gap for " + v.id + ": n=" + std::to_string(*n) +
                " after n=" + std::to_string(track.n) + " in epoch " + std::to_string(*e));
    }
  }
  if (!track.seen || *n > track.n) track = {true, *e, *n};
  if (live_now()) {
    if (const auto t = json_int(*data, "t")) report_.latency_us(steady_us() - *t);
  }
}

// `reconnecting` and `reconnected` alternate; after `reconnecting` the call waits at most
// the reconnect grace (checked in periodic_checks()).
void SoakClient::on_peer_event(CallView& v, const Json& m) {
  const std::string state = json_str(m, "state").value_or("");
  if (json_str(m, "userId") != v.peer || (state != "reconnecting" && state != "reconnected")) {
    violation("bad peer event: " + m.dump());
    return;
  }
  using Link = CallView::PeerLink;
  const Link now = state == "reconnecting" ? Link::away : Link::present;
  if (v.peer_link == now) violation("`peer " + state + "` twice in a row for " + v.id);
  if (now == Link::away && v.peer_link != Link::away) v.peer_away_since = Clock::now();
  v.peer_link = now;
}

// What must have happened by now, checked from the tick: a reconnecting peer is back or the
// call over; a `call` event with a stale expiresInMs was followed by its `ended`.
void SoakClient::periodic_checks() {
  if (phase_ != Phase::online || !live_now()) return;  // our own replay may still be coming
  const auto limit = ctx_.timings.reconnect_grace + Millis{1'000};
  for (auto& [id, v] : calls_) {
    if (v.stale_expiry && v.state != ViewState::ended) {
      violation("`call` " + id + " still rings but its event told a stale expiresInMs");
      v.stale_expiry = false;
    }
    if (v.state != ViewState::active || v.peer_link != CallView::PeerLink::away) continue;
    const auto waited = Clock::now() - v.peer_away_since;
    if (waited <= limit) continue;
    violation("peer of " + id + " reconnecting for " +
              std::to_string(std::chrono::duration_cast<Millis>(waited).count()) +
              " ms: neither `reconnected` nor `ended` within the grace");
    v.peer_link = CallView::PeerLink::unknown;
  }
}

void SoakClient::on_ended_event(CallView& v, const Json& m) {
  const std::string reason = json_str(m, "reason").value_or("");
  if (reason.empty()) violation("`ended` without reason: " + m.dump());
  if (v.state == ViewState::active && !answered_reason(reason)) {
    violation("active call " + v.id + " ended " + reason);
  }
  if (v.role == CallRole::caller &&
      (reason == "answered_elsewhere" || reason == "declined_elsewhere")) {
    violation("the caller got " + reason + " for " + v.id);
  }
  if (m.contains("durationMs") != answered_reason(reason)) {
    violation("`ended` " + reason + " with/without durationMs: " + m.dump());
  }
  check_grace(v, m);
  v.state = ViewState::ended;
  v.end_reason = reason;
  v.mine_active = false;
  Counters& c = report_.counters();
  ++c.calls_checked;
  if (v.role == CallRole::caller) ++c.ended_by_reason[reason];
}

// A call this device holds ends "because of" this user only by its own hangup or by a grace
// period running out while it was away; the latter needs an outage at least that long (the
// server's outage is never longer than the one measured here, from kill to welcome).
void SoakClient::check_grace(const CallView& v, const Json& ended) {
  if (json_str(ended, "by") != user_) return;
  const std::string reason = json_str(ended, "reason").value_or("");
  Millis grace{0};
  if (reason == "connection_lost") {
    grace = ctx_.timings.reconnect_grace;
  } else if (reason == "canceled" && v.role == CallRole::caller && !hung_up_.contains(v.id)) {
    grace = ctx_.timings.caller_grace;
  } else {
    return;
  }
  if (last_outage_ + kGraceMargin < grace) {
    violation("call " + v.id + " ended " + reason + " by this user, who was away only " +
              std::to_string(last_outage_.count()) + " ms (grace " + std::to_string(grace.count()) +
              " ms)");
  }
}

// After a fresh welcome, the `call` events for the snapshot's ringing calls come first.
void SoakClient::check_redelivery(const char* before) {
  for (auto& [id, v] : calls_) {
    if (!v.await_redelivery) continue;
    violation("snapshot lists ringing call " + id + " but its `call` was not re-delivered before " +
              before);
    v.await_redelivery = false;
  }
}

bool SoakClient::live_now() const {
  // Replayed events are old by design; their latency says nothing.
  return !welcome_resumed_ || Clock::now() - welcomed_at_ > Millis{500};
}

}  // namespace switchboard::soak
