#include "engine_harness.hpp"

namespace switchboard::testing {

EngineHarness::EngineHarness(EngineConfig config) : ids_("id"), engine_(config, ids_) {}

ConnId EngineHarness::open(const std::string& user, const std::string& device,
                           std::optional<ResumeRequest> resume) {
  const ConnId conn = next_conn_++;
  absorb(engine_.handle(ConnectionOpened{conn, user, device, std::move(resume)}, now_));
  last_welcome_ = next_event<WelcomeEvent>(conn);
  EXPECT_EQ(last_welcome_.user_id, user);
  if (!device.empty()) {
    EXPECT_EQ(last_welcome_.device_id, device);
  }
  users_[conn] = user;
  devices_[conn] = last_welcome_.device_id;
  sessions_[conn] = last_welcome_.session_id;
  return conn;
}

ConnId EngineHarness::connect(const std::string& user, const std::string& device) {
  return open(user, device, std::nullopt);
}

ConnId EngineHarness::resume(ConnId old, std::optional<Seq> last_seq) {
  return open(users_[old], devices_[old],
              ResumeRequest{sessions_[old], last_seq.value_or(popped_seq_[old])});
}

void EngineHarness::disconnect(ConnId conn) {
  absorb(engine_.handle(ConnectionClosed{conn, true}, now_));
  closed_.emplace(conn, CloseCode::going_away);
}

void EngineHarness::drop(ConnId conn) {
  absorb(engine_.handle(ConnectionClosed{conn, false}, now_));
  closed_.emplace(conn, CloseCode::going_away);
}

void EngineHarness::send(ConnId conn, CommandBody body, std::optional<std::string> id) {
  if (id && id->empty()) id = "cmd" + std::to_string(next_command_++);
  absorb(engine_.handle(CommandReceived{conn, Command{std::move(id), std::move(body)}}, now_));
}

void EngineHarness::send_as_user(const std::string& user, CommandBody body,
                                 std::optional<std::string> id) {
  if (id && id->empty()) id = "cmd" + std::to_string(next_command_++);
  absorb(engine_.handle(UserCommandReceived{user, Command{std::move(id), std::move(body)}}, now_));
}

void EngineHarness::advance(Millis by) {
  now_ += by;
  // A driver only wakes when the deadline it was given is due; mimic that faithfully.
  if (auto d = engine_.next_deadline(); d && *d <= now_) absorb(engine_.handle_timeout(now_));
}

void EngineHarness::absorb(Actions actions) {
  for (auto& action : actions) {
    if (auto* d = std::get_if<Deliver>(&action)) {
      EXPECT_FALSE(d->to.empty()) << "a Deliver with no recipients";
      for (const Recipient& r : d->to) {
        EXPECT_FALSE(closed_.contains(r.conn)) << "event for closed connection " << r.conn;
        // A welcome sets the starting point (1, or lastSeq on resume); every later event on
        // the connection is exactly one more than the one before.
        if (!std::holds_alternative<WelcomeEvent>(*d->event)) {
          EXPECT_EQ(r.seq, last_seq_[r.conn] + 1) << "seq gap on connection " << r.conn;
        }
        last_seq_[r.conn] = r.seq;
        inbox_[r.conn].emplace_back(Delivered{r.seq, *d->event});
      }
    } else if (auto* r = std::get_if<Reply>(&action)) {
      inbox_[r->conn].emplace_back(r->response);
    } else if (auto* c = std::get_if<Close>(&action)) {
      closed_[c->conn] = c->code;
      inbox_.erase(c->conn);
    } else if (auto* s = std::get_if<CallStateChanged>(&action)) {
      changes_.push_back(*s);
    }
  }
}

std::optional<InboxItem> EngineHarness::pop(ConnId conn) {
  auto& q = inbox_[conn];
  if (q.empty()) return std::nullopt;
  InboxItem item = std::move(q.front());
  q.pop_front();
  if (const auto* d = std::get_if<Delivered>(&item)) popped_seq_[conn] = d->seq;
  return item;
}

Ack EngineHarness::next_ack(ConnId conn) {
  auto item = pop(conn);
  if (!item || !std::holds_alternative<Response>(*item) ||
      !std::holds_alternative<Ack>(std::get<Response>(*item))) {
    ADD_FAILURE() << "connection " << conn << ": expected an ack";
    if (item && std::holds_alternative<Response>(*item)) {
      if (auto* e = std::get_if<Error>(&std::get<Response>(*item))) {
        ADD_FAILURE() << "  got error " << to_string(e->code) << ": " << e->message;
      }
    }
    return {};
  }
  return std::get<Ack>(std::get<Response>(*item));
}

Error EngineHarness::next_error(ConnId conn, ErrorCode code) {
  auto item = pop(conn);
  if (!item || !std::holds_alternative<Response>(*item) ||
      !std::holds_alternative<Error>(std::get<Response>(*item))) {
    ADD_FAILURE() << "connection " << conn << ": expected error " << to_string(code);
    return {};
  }
  auto e = std::get<Error>(std::get<Response>(*item));
  EXPECT_EQ(to_string(e.code), to_string(code)) << e.message;
  EXPECT_FALSE(e.message.empty());
  return e;
}

EndedEvent EngineHarness::next_ended(ConnId conn, EndReason reason) {
  auto e = next_event<EndedEvent>(conn);
  EXPECT_EQ(to_string(e.reason), to_string(reason)) << "connection " << conn;
  return e;
}

void EngineHarness::expect_quiet(ConnId conn) {
  EXPECT_TRUE(inbox_[conn].empty())
      << "connection " << conn << " has " << inbox_[conn].size() << " unexpected item(s)";
}

void EngineHarness::expect_all_quiet() {
  for (auto& [conn, q] : inbox_)
    expect_quiet(conn);
}

std::string EngineHarness::place_call(ConnId caller, const std::string& to, CallCommand extra) {
  extra.to = to;
  send(caller, extra);
  return next_ack(caller).call_id.value_or("");
}

std::string EngineHarness::ring(ConnId caller, const std::string& to,
                                std::initializer_list<ConnId> devices) {
  std::string id = place_call(caller, to);
  for (ConnId device : devices)
    EXPECT_EQ(next_event<CallEvent>(device).call_id, id);
  return id;
}

void EngineHarness::answer(ConnId device, ConnId caller, const std::string& call_id) {
  send(device, AnswerCommand{call_id, {}});
  next_ack(device);
  EXPECT_EQ(next_event<AnswerEvent>(caller).call_id, call_id);
}

std::optional<CloseCode> EngineHarness::closed_with(ConnId conn) const {
  auto it = closed_.find(conn);
  if (it == closed_.end()) return std::nullopt;
  return it->second;
}

}  // namespace switchboard::testing
