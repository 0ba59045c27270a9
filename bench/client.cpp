#include "bench/client.hpp"

#include <random>
#include <utility>

#include "bench/relay_wire.hpp"

namespace switchboard::bench {
namespace {

std::string random_token() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng());
}

}  // namespace

Client::Client(Loop& loop, const Options& options, Stats& stats, std::string id, Handlers handlers)
    : loop_(loop),
      options_(options),
      stats_(stats),
      id_(std::move(id)),
      handlers_(std::move(handlers)) {}

void Client::start() {
  connection_ = WsConnection::create(
      loop_, {[this] { on_open(); }, [this](std::string&& text) { on_text(std::move(text)); },
              [this](const WsEnd& end) { on_end(end); }});
  std::string target =
      options_.target == Target::peerjs
          ? "/peerjs?key=" + options_.peerjs_key + "&id=" + id_ + "&token=" + random_token()
          : "/v1/ws?user=" + id_ + "&device=d";
  if (resuming_) target += "&session=" + session_ + "&lastSeq=" + std::to_string(last_seq_);
  started_ = Clock::now();
  stats_.count("connect.attempts");
  connection_->connect(options_.host, options_.port, std::move(target),
                       Millis{options_.timeout_ms});
}

void Client::send_text(std::string text) {
  if (connection_ && !ended_) connection_->send(std::move(text));
}

void Client::close() {
  if (closing_ || ended_) return;
  closing_ = true;
  if (connection_) return connection_->close_clean();
  ended_ = true;  // never started: it ends here
  if (handlers_.on_end) handlers_.on_end();
}

void Client::heartbeat() {
  if (options_.target == Target::peerjs && ready_ && !closing_) {
    send_text(R"({"type":"HEARTBEAT"})");
  }
}

void Client::drop(bool reset) {
  if (!connection_ || ended_ || closing_) return;
  connection_->kill(reset);
  connection_.reset();
  ready_ = false;
}

void Client::resume() {
  if (ended_ || closing_) return;
  resuming_ = !session_.empty();
  start();
}

// Every event carries the next seq of the session (PROTOCOL.md, Server → client events): a
// gap is an event lost, a repeat one delivered twice.
void Client::check_seq(std::int64_t seq) {
  if (options_.target == Target::peerjs) return;
  if (seq <= last_seq_) {
    stats_.error("seq_duplicate",
                 id_ + ": seq " + std::to_string(seq) + " after " + std::to_string(last_seq_));
    return;
  }
  if (seq > last_seq_ + 1) {
    stats_.count("events.lost", static_cast<std::uint64_t>(seq - last_seq_ - 1));
    stats_.error("seq_gap",
                 id_ + ": seq " + std::to_string(seq) + " after " + std::to_string(last_seq_));
  }
  last_seq_ = seq;
}

bool Client::relay_fast_path(std::string_view text) {
  if (!handlers_.on_relay || !ready_) return false;
  const auto peeked = peek(text);
  if (!peeked) return false;
  if (peeked->type != "signal" && peeked->type != "OFFER" && peeked->type != "ANSWER") {
    return false;
  }
  if (peeked->seq) check_seq(*peeked->seq);
  handlers_.on_relay(text);
  return true;
}

void Client::on_welcome(const Json& welcome) {
  session_ = json_str(welcome, "sessionId").value_or("");
  const auto seq = json_int(welcome, "seq").value_or(0);
  resumed_ = json_bool(welcome, "resumed").value_or(false);
  if (resuming_) {
    if (!resumed_) stats_.error("not_resumed", id_);
    if (resumed_ && seq != last_seq_) stats_.error("resume_seq", welcome.dump());
    // The events that follow at once from the replay buffer; check_seq() sees each of them.
    const auto replayed = json_int(welcome, "replayed").value_or(0);
    if (resumed_ && replayed > 0)
      stats_.count("resume.replayed", static_cast<std::uint64_t>(replayed));
  }
  last_seq_ = seq;
  resuming_ = false;
}

void Client::on_open() {
  const auto now = Clock::now();
  stats_.count("connect.upgraded");
  // Handshake latency covers the whole run (connect has no warm-up to exclude).
  stats_.latencies["handshake"].record(us_between(started_, now));
}

void Client::on_text(std::string&& text) {
  if (relay_fast_path(text)) return;
  Json message = Json::parse(text, nullptr, false);
  if (message.is_discarded() || !message.is_object()) {
    stats_.error("bad_json", text);
    return;
  }
  const auto type = json_str(message, "type").value_or("");
  if (!ready_ && (type == "welcome" || type == "OPEN")) {
    if (type == "welcome") on_welcome(message);
    ready_ = true;
    stats_.latencies["ready"].record(us_between(started_, Clock::now()));
    if (handlers_.on_ready) handlers_.on_ready();
    return;
  }
  if (type == "error" || type == "ERROR" || type == "ID-TAKEN" || type == "INVALID-KEY") {
    stats_.error("server_error", text);
    return;
  }
  if (type == "pong") return;
  if (const auto seq = json_int(message, "seq")) check_seq(*seq);
  if (handlers_.on_message) handlers_.on_message(message);
}

void Client::on_end(const WsEnd& end) {
  ended_ = true;
  stats_.count("ws.frames_written", end.frames_written);
  stats_.count("ws.send_calls", end.send_calls);
  if (!closing_) {
    if (!end.opened) {
      stats_.error(end.http_status != 0 ? "upgrade_refused" : "connect_failed",
                   id_ + ": " + std::to_string(end.http_status) + " " + end.detail);
    } else {
      stats_.error("closed",
                   id_ + ": close code " + std::to_string(end.close_code) + " " + end.detail);
    }
  }
  if (handlers_.on_end) handlers_.on_end();
}

}  // namespace switchboard::bench
