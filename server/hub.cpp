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
  // Closed while opening (the engine refused it: 4029, too many devices), so the engine never
  // knew it. Conn 0 tells the caller so: a Realtime calls channel must not keep a stale id.
  if (it == connections_.end()) return Opened{};
  return Opened{conn, it->second.device_id, it->second.session_id, it->second.resumed};
}

void Hub::command(ConnId conn, Command command) {
  if (!connections_.contains(conn)) return;
  feed(CommandReceived{conn, std::move(command)});
}

Response Hub::user_command(std::string user, Command command) {
  const auto id = command.id;
  user_reply_.reset();
  feed(UserCommandReceived{std::move(user), std::move(command)});
  // Requests arrive from their own sessions, never while the hub is carrying out actions, so
  // the engine has run the command by now. Should that ever change, the command still runs;
  // only its answer is lost, and the request is told it was accepted.
  Response answer = user_reply_.value_or(Response{Ack{id, std::nullopt}});
  user_reply_.reset();
  return answer;
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
  NativeBody native(*deliver.event);
  const auto* welcome = std::get_if<WelcomeEvent>(deliver.event.get());
  for (const Recipient& to : deliver.to) {
    auto it = connections_.find(to.conn);
    if (it == connections_.end()) continue;  // closed since the engine decided
    if (welcome != nullptr) {
      it->second.device_id = welcome->device_id;
      it->second.session_id = welcome->session_id;
      it->second.resumed = welcome->resumed;
    }
    // May close the connection and erase `it` (slow consumer): nothing touches it after.
    it->second.connection->deliver(*deliver.event, to.seq, native);
  }
}

void Hub::execute_one(Reply& reply) {
  if (reply.conn == 0) {  // UserCommandReceived's answer
    user_reply_ = std::move(reply.response);
    return;
  }
  if (Connection* connection = find(reply.conn)) connection->reply(reply.response);
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

Connection* Hub::find(ConnId conn) const {
  auto it = connections_.find(conn);
  return it == connections_.end() ? nullptr : it->second.connection;
}

const std::string& NativeBody::get() {
  if (!encoded_) {
    body_ = encode_event_body(event_);
    encoded_ = true;
  }
  return body_;
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
