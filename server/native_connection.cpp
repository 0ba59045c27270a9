#include "server/native_connection.hpp"

#include <memory>
#include <utility>

#include <spdlog/spdlog.h>

#include "protocol/codec.hpp"

namespace switchboard::server {

NativeConnection::NativeConnection(FrameSink& sink, Hub& hub, Identity identity,
                                   std::optional<ResumeRequest> resume, std::string peer)
    : sink_(sink),
      hub_(hub),
      identity_(std::move(identity)),
      resume_(std::move(resume)),
      peer_(std::move(peer)) {}

void NativeConnection::on_open() {
  const bool asked_to_resume = resume_.has_value();
  auto opened = hub_.open(*this, identity_.user_id, identity_.device_id, std::move(resume_));
  conn_ = opened.conn;
  identity_.device_id = std::move(opened.device_id);
  opened_ = true;
  spdlog::info("conn {} open user={} device={} session={} {} peer={}", conn_, identity_.user_id,
               identity_.device_id, opened.session_id,
               opened.resumed    ? "resumed"
               : asked_to_resume ? "fresh (resume refused)"
                                 : "fresh",
               peer_);
}

void NativeConnection::on_text(std::string_view text) {
  if (opened_ && !closed_) hub_.on_text(conn_, text);
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
    auto parsed = parse_command(frame);
    if (auto* command = std::get_if<Command>(&parsed)) {
      id = std::move(command->id);
    } else {
      id = std::move(std::get<Error>(parsed).id);
    }
  }
  reply(Error{std::move(id), ErrorCode::rate_limited,
              "too many messages per second: slow down, then send it again"});
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
