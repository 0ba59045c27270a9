// Protocol v1 on one WebSocket (`/v1/ws`, PROTOCOL.md): text frames are parsed here; commands go
// to the hub, which runs the engine, and the engine's events and answers come back encoded as
// protocol v1. The connection's token lifetime is its own business: it closes the socket with
// 4003 when the token expires, unless an `auth` command brought a fresher one first.
// Owned by its WebSocket session, which outlives it; io_context thread only. Borrows the
// Authenticator and the Hub, which outlive every session.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/engine.hpp"
#include "server/auth.hpp"
#include "server/connection.hpp"
#include "server/frame_sink.hpp"
#include "server/hub.hpp"

namespace switchboard::server {

class NativeConnection final : public ProtocolHandler, public Connection {
 public:
  // `identity`: as authenticated at the upgrade (its expires_at sets the first deadline).
  // `resume`: the client's `session` + `lastSeq`, already validated; handed to the engine.
  // `limits`: the configured `data` limits for the codec.
  NativeConnection(FrameSink& sink, Hub& hub, const Authenticator& auth, Identity identity,
                   std::optional<ResumeRequest> resume, std::string peer, CodecLimits limits);

  void on_open() override;
  void on_text(std::string_view text) override;
  void on_binary(std::string_view bytes) override;
  void on_rate_limited(std::string_view frame, bool text) override;
  void on_deadline() override;
  void on_closed(bool clean, std::string_view reason) override;

  void deliver(const Event& event, Seq seq, NativeBody& native) override;
  void reply(const Response& response) override;
  void close(CloseCode code, std::string_view reason) override;

 private:
  void on_auth(std::optional<std::string> id, const std::string& token);
  void send(std::string frame);

  FrameSink& sink_;
  Hub& hub_;
  const Authenticator& auth_;
  Identity identity_;  // expires_at: the latest exp a token of this connection carried
  std::optional<ResumeRequest> resume_;  // handed to the hub on open
  std::string peer_;
  CodecLimits limits_;
  ConnId conn_ = 0;
  bool opened_ = false;  // registered with the hub
  bool closed_ = false;
};

}  // namespace switchboard::server
