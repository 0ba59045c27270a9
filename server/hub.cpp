#include "server/hub.hpp"

#include <memory>
#include <utility>
#include <variant>

#include <spdlog/spdlog.h>

#include "protocol/codec.hpp"

namespace switchboard::server {

Hub::Hub(boost::asio::any_io_executor executor, EngineConfig config)
    : engine_(config, ids_), timer_(std::in_place, std::move(executor)) {}

Hub::~Hub() = default;

Hub::Opened Hub::open(Connection& connection, std::string user_id, std::string device_id,
                      std::optional<ResumeRequest> resume) {
  const ConnId conn = ++last_conn_;
  connections_.emplace(conn, Entry{&connection, device_id, {}, false});
  feed(ConnectionOpened{conn, std::move(user_id), std::move(device_id), std::move(resume)});
  auto it = connections_.find(conn);
  if (it == connections_.end()) return Opened{conn, {}, {}, false};
  return Opened{conn, it->second.device_id, it->second.session_id, it->second.resumed};
}

void Hub::on_text(ConnId conn, std::string_view text) {
  if (!connections_.contains(conn)) return;  // a frame that raced its connection's close
  auto parsed = parse_command(text);
  if (auto* error = std::get_if<Error>(&parsed)) {
    // The codec's verdict needs no engine state: answer straight away.
    send(conn, encode_response(std::move(*error)));
    return;
  }
  feed(CommandReceived{conn, std::move(std::get<Command>(parsed))});
}

void Hub::on_binary(ConnId conn) {
  if (!connections_.contains(conn)) return;
  send(conn, encode_response(Error{std::nullopt, ErrorCode::unsupported,
                                   "binary frames are not supported; send JSON text frames"}));
}

void Hub::leave(ConnId conn, bool clean) {
  if (connections_.erase(conn) == 0 || shut_down_) return;
  feed(ConnectionClosed{conn, clean});
}

void Hub::shutdown() {
  shut_down_ = true;
  pending_.clear();
  timer_.reset();
  armed_for_.reset();
}

void Hub::feed(Input input) {
  if (shut_down_) return;
  pending_.push_back(std::move(input));
  if (!draining_) drain();
}

void Hub::drain() {
  draining_ = true;
  while (!pending_.empty() && !shut_down_) {
    Input next = std::move(pending_.front());
    pending_.pop_front();
    execute(engine_.handle(std::move(next), clock_.now()));
  }
  draining_ = false;
  rearm();
}

void Hub::execute(Actions actions) {
  for (auto& action : actions) {
    std::visit([this](auto& a) { execute_one(a); }, action);
  }
}

void Hub::execute_one(Deliver& deliver) {
  const std::string body = encode_event_body(*deliver.event);
  const auto* welcome = std::get_if<WelcomeEvent>(deliver.event.get());
  for (const Recipient& to : deliver.to) {
    if (welcome != nullptr) {
      if (auto it = connections_.find(to.conn); it != connections_.end()) {
        it->second.device_id = welcome->device_id;
        it->second.session_id = welcome->session_id;
        it->second.resumed = welcome->resumed;
      }
    }
    send(to.conn, stamp_seq(body, to.seq));
  }
}

void Hub::execute_one(Reply& reply) {
  send(reply.conn, encode_response(reply.response));
}

void Hub::execute_one(Close& close) {
  auto it = connections_.find(close.conn);
  if (it == connections_.end()) return;
  Connection* connection = it->second.connection;
  connections_.erase(it);  // the engine has forgotten it already: no ConnectionClosed
  connection->close(close.code, close.reason);
}

void Hub::execute_one(CallStateChanged& change) {
  spdlog::info("call {} {} caller={} callee={} reason={} by={}", change.call_id,
               to_string(change.state), change.caller, change.callee,
               change.reason ? to_string(*change.reason) : std::string_view("-"),
               change.by ? std::string_view(*change.by) : std::string_view("-"));
}

void Hub::send(ConnId conn, std::string frame) {
  auto it = connections_.find(conn);
  if (it == connections_.end()) return;  // closed since the engine decided; nothing to do
  it->second.connection->send(std::make_shared<const std::string>(std::move(frame)));
}

void Hub::rearm() {
  if (!timer_) return;
  const auto deadline = engine_.next_deadline();
  if (deadline == armed_for_) return;
  armed_for_ = deadline;
  if (!deadline) {
    timer_->cancel();
    return;
  }
  timer_->expires_at(clock_.to_steady(*deadline));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    // Aborted waits were replaced by a newer one (or the hub shut down): `this` may be gone.
    if (ec == boost::asio::error::operation_aborted) return;
    on_timer();
  });
}

void Hub::on_timer() {
  armed_for_.reset();
  if (shut_down_) return;
  draining_ = true;
  execute(engine_.handle_timeout(clock_.now()));
  drain();
}

}  // namespace switchboard::server
