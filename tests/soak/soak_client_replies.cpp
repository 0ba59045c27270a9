// SoakClient, part 4: replies (ack, error, pong). Exactly one per command id and
// connection, a duplicate probe answered exactly like the original, and only error codes
// that a race can explain.
#include <charconv>
#include <utility>

#include "tests/soak/soak_client.hpp"

namespace switchboard::soak {
namespace {

// Errors a correct server may give a correct client that raced with another party or a
// timer. Anything else (bad_message, conflict, forbidden, …) means one of us is wrong.
bool legitimate_race(const std::string& command, const std::string& code, bool maybe_missing) {
  // Ended calls are remembered for --ended-retention (60 s), longer than any decision here
  // takes, so not_found is only plausible for a call we are not sure exists.
  if (code == "not_found") return maybe_missing;
  if (command == "call") return code == "invalid_state";  // this user is in an active call
  if (command == "ringing" || command == "answer") {
    return code == "already_answered" || code == "invalid_state";
  }
  if (command == "reject" || command == "hangup" || command == "signal") {
    return code == "invalid_state";  // the call ended meanwhile
  }
  return false;
}

}  // namespace

void SoakClient::on_reply(const std::string& type, const Json& m) {
  const std::string id = json_str(m, "id").value_or("");
  std::uint64_t key = 0;
  const auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), key);
  const auto it =
      ec == std::errc() && ptr == id.data() + id.size() ? pending_.find(key) : pending_.end();
  if (it == pending_.end()) {
    violation("`" + type + "` for id '" + id + "' which has no command waiting: " + m.dump());
    return;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  note("< " + type + " id=" + id + (p.expected ? " (probe)" : ""));
  if (p.expected) {
    if (*p.expected != m) {
      violation("duplicate " + p.type + " id=" + id + " answered " + m.dump() +
                ", the original got " + p.expected->dump());
    }
    return;
  }
  answered_.push_back({key, p, m, Clock::now()});
  if (answered_.size() > 64) answered_.pop_front();
  on_outcome(p, type, m);
}

void SoakClient::on_outcome(const Pending& p, const std::string& type, const Json& m) {
  Counters& c = report_.counters();
  if (type == "pong") {
    ++c.pongs;
    if (p.type != "ping") violation("pong for a " + p.type);
    return;
  }
  if (type == "error") {
    ++c.errors;
    on_error_outcome(p, m);
    return;
  }
  ++c.acks;
  if (p.type == "ping") violation("ping answered with an ack");
  CallView* v = p.call_id.empty() ? nullptr : find_call(p.call_id);
  if (p.type == "call") {
    ++c.calls_placed;
    if (json_str(m, "callId") != p.call_id) violation("call ack with another callId: " + m.dump());
    if (v != nullptr) v->confirmed = true;
  } else if (p.type == "answer") {
    ++c.calls_answered;
    if (v == nullptr) return;
    if (v->state == ViewState::ended) {
      // A resume replays events before the resent answer's ack: only an answered end fits.
      if (!answered_reason(v->end_reason)) {
        violation("answer to " + p.call_id + " acknowledged, but it ended " + v->end_reason);
      }
      return;
    }
    v->state = ViewState::active;
    v->mine_active = true;
    // A caller that is away now gets its `peer reconnecting` right after this ack.
    if (v->peer_link == CallView::PeerLink::unknown) v->peer_link = CallView::PeerLink::present;
    if (!v->hangup_armed) hangup_later(p.call_id, uniform_ms(rng_, 1'000, 5'000));
  }
}

void SoakClient::on_error_outcome(const Pending& p, const Json& m) {
  const std::string code = json_str(m, "code").value_or("?");
  ++report_.counters().errors_by_code[p.type + "/" + code];
  CallView* v = p.call_id.empty() ? nullptr : find_call(p.call_id);
  if (!legitimate_race(p.type, code, v == nullptr || !v->confirmed)) {
    violation("unexpected error for " + p.type + " " + p.call_id + ": " + m.dump());
  }
  if (v == nullptr) return;
  if (p.type == "call") {
    if (v->confirmed) {
      violation("call " + p.call_id + " failed (" + code + ") but its events arrived");
      return;
    }
    calls_.erase(p.call_id);
  } else if (p.type == "hangup" && !v->confirmed) {
    calls_.erase(p.call_id);  // an unconfirmed call that does not exist (any more)
  }
}

}  // namespace switchboard::soak
