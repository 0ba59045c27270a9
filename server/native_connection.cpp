#include "server/native_connection.hpp"

#include <memory>
#include <utility>
#include <variant>

#include <spdlog/spdlog.h>

#include "protocol/codec.hpp"

namespace switchboard::server {

NativeConnection::NativeConnection(FrameSink& sink, Hub& hub, const Authenticator& auth,
                                   Identity identity, std::optional<ResumeRequest> resume,
                                   std::string peer, CodecLimits limits)
    : sink_(sink),
      hub_(hub),
      auth_(auth),
      identity_(std::move(identity)),
      resume_(std::move(resume)),
      peer_(std::move(peer)),
      limits_(limits) {}

void NativeConnection::on_open() {
  const bool asked_to_resume = resume_.has_value();
  auto opened = hub_.open(*this, identity_.user_id, identity_.device_id, std::move(resume_));
  if (opened.conn == 0) {
    // Refused by the engine (too many devices): the socket is closing with 4029 already.
    closed_ = true;
    spdlog::info("conn refused user={} device={} peer={}: too many devices", identity_.user_id,
                 identity_.device_id, peer_);
    return;
  }
  conn_ = opened.conn;
  identity_.device_id = std::move(opened.device_id);
  opened_ = true;
  // The upgrade checked the token against exp + leeway; the connection lives by the same rule.
  if (identity_.expires_at) sink_.set_deadline(auth_.valid_until(*identity_.expires_at));
  spdlog::info("conn {} open user={} device={} session={} {} peer={}", conn_, identity_.user_id,
               identity_.device_id, opened.session_id,
               opened.resumed    ? "resumed"
               : asked_to_resume ? "fresh (resume refused)"
                                 : "fresh",
               peer_);
}

void NativeConnection::on_text(std::string_view text) {
  if (!opened_ || closed_) return;
  auto parsed = parse_command(text, limits_);
  if (auto* error = std::get_if<Error>(&parsed)) {
    // The codec's verdict needs no engine state: answer straight away.
    reply(*error);
    return;
  }
  auto& command = std::get<Command>(parsed);
  if (auto* auth = std::get_if<AuthCommand>(&command.body)) {
    on_auth(std::move(command.id), auth->token);
    return;
  }
  hub_.command(conn_, std::move(command));
}

void NativeConnection::on_binary(std::string_view /*bytes*/) {
  if (closed_) return;
  reply(Error{std::nullopt, ErrorCode::unsupported,
              "binary frames are not supported; send JSON text frames"});
}

void NativeConnection::on_rate_limited(std::string_view frame, bool text) {
  if (closed_) return;
  // The command's id, when it has one, tells the client which command to send again later.
  std::optional<std::string> id;
  if (text) {
    auto parsed = parse_command(frame, limits_);
    if (auto* command = std::get_if<Command>(&parsed)) {
      id = std::move(command->id);
    } else {
      id = std::move(std::get<Error>(parsed).id);
    }
  }
  reply(Error{std::move(id), ErrorCode::rate_limited,
              "too many messages per second: slow down, then send it again"});
}

// PROTOCOL.md "Token expiry". Every refusal leaves the connection open and its deadline as it
// was: a client whose refresh went wrong still has until the old expiry to try again.
void NativeConnection::on_auth(std::optional<std::string> id, const std::string& token) {
  if (auth_.dev_mode()) {
    reply(Error{std::move(id), ErrorCode::unsupported, "dev mode has no tokens"});
    return;
  }
  auto verified = auth_.user_in(token);
  if (auto* failure = std::get_if<AuthFailure>(&verified)) {
    reply(Error{std::move(id), ErrorCode::unauthorized, std::move(failure->message)});
    return;
  }
  const Identity& fresh = std::get<Identity>(verified);
  if (fresh.user_id != identity_.user_id) {
    // A connection speaks for one user for its whole life: the engine has its session filed
    // under that user, so another user's token cannot take it over.
    reply(Error{std::move(id), ErrorCode::forbidden, "token is for another user"});
    return;
  }
  // A token that expires before the current one is still valid and is acknowledged, but it
  // never shortens the connection's life: the client may send its tokens in any order.
  if (fresh.expires_at && (!identity_.expires_at || *fresh.expires_at > *identity_.expires_at)) {
    identity_.expires_at = fresh.expires_at;
    sink_.set_deadline(auth_.valid_until(*fresh.expires_at));
    spdlog::debug("conn {} token refreshed user={} exp={}", conn_, identity_.user_id,
                  *fresh.expires_at);
  }
  if (id) reply(Ack{std::move(id), std::nullopt});
}

// The token expired without a refresh. Our own close is a drop for the engine (on_closed with
// clean = false): the session is held for resume, so the client reconnects with a fresh token
// and resumes where it was.
void NativeConnection::on_deadline() {
  if (closed_) return;
  spdlog::info("conn {} token expired user={} device={} peer={}", conn_, identity_.user_id,
               identity_.device_id, peer_);
  sink_.close(CloseCode::token_expired, "token expired");
}

void NativeConnection::on_closed(bool clean, std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  if (!opened_) return;
  // A no-op when the engine closed this connection itself.
  hub_.leave(conn_, clean);
  spdlog::info("conn {} closed user={} device={} peer={} reason={}", conn_, identity_.user_id,
               identity_.device_id, peer_, reason);
}

void NativeConnection::deliver(const Event& /*event*/, Seq seq, NativeBody& native) {
  send(stamp_seq(native.get(), seq));
}

void NativeConnection::reply(const Response& response) {
  send(encode_response(response));
}

void NativeConnection::close(CloseCode code, std::string_view reason) {
  sink_.close(code, reason);
}

void NativeConnection::send(std::string frame) {
  sink_.send_text(std::make_shared<const std::string>(std::move(frame)));
}

}  // namespace switchboard::server
