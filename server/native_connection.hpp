// Protocol v1 on one WebSocket (`/v1/ws`, PROTOCOL.md): text frames go to the hub, which parses
// them and runs the engine; the engine's events and answers come back encoded as protocol v1.
// Owned by its WebSocket session, which outlives it; io_context thread only.
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
  // `resume`: the client's `session` + `lastSeq`, already validated; handed to the engine.
  NativeConnection(FrameSink& sink, Hub& hub, Identity identity,
                   std::optional<ResumeRequest> resume, std::string peer);

  void on_open() override;
  void on_text(std::string_view text) override;
  void on_binary(std::string_view bytes) override;
  void on_rate_limited(std::string_view frame, bool text) override;
  void on_closed(bool clean, std::string_view reason) override;

  void deliver(const Event& event, Seq seq, NativeBody& native) override;
  void reply(const Response& response) override;
  void close(CloseCode code, std::string_view reason) override;

 private:
  void send(std::string frame);

  FrameSink& sink_;
  Hub& hub_;
  Identity identity_;
  std::optional<ResumeRequest> resume_;  // handed to the hub on open
  std::string peer_;
  ConnId conn_ = 0;
  bool opened_ = false;  // registered with the hub
  bool closed_ = false;
};

}  // namespace switchboard::server
