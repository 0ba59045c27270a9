// Test driver for the call engine: a manual clock, deterministic ids, and one ordered inbox per
// connection (events and responses interleaved as the engine emitted them), so tests can
// assert exact ordering ("ack before ended") and that nothing extra arrived.
// Single-threaded, like the engine it drives.
#pragma once

#include <deque>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/engine.hpp"

namespace switchboard::testing {

struct Delivered {
  Seq seq = 0;
  Event event;
};
using InboxItem = std::variant<Delivered, Response>;

class EngineHarness {
 public:
  explicit EngineHarness(EngineConfig config = {});

  // Opens a connection and consumes its `welcome` (kept in last_welcome()).
  ConnId connect(const std::string& user, const std::string& device = "");
  // The client closes with a close frame: its session ends at once.
  void disconnect(ConnId conn);
  // The connection dies without a close frame: its session is held for resume.
  void drop(ConnId conn);
  // Reconnects the device of `old` asking to resume its session from the last seq the test
  // popped there (or `last_seq`); consumes the welcome and returns the new connection.
  ConnId resume(ConnId old, std::optional<Seq> last_seq = std::nullopt);
  const WelcomeEvent& last_welcome() const { return last_welcome_; }
  const std::string& session_of(ConnId conn) { return sessions_[conn]; }
  // `id` "" (the default) picks a fresh command id; std::nullopt sends none.
  void send(ConnId conn, CommandBody body, std::optional<std::string> id = "");
  // A command from `user` as a whole (the REST API's UserCommandReceived); its answer lands in
  // the inbox of connection kUserReplies.
  void send_as_user(const std::string& user, CommandBody body, std::optional<std::string> id = "");
  static constexpr ConnId kUserReplies = 0;
  // Advances the manual clock and lets due deadlines fire.
  void advance(Millis by);

  // Pop the next inbox item of `conn`, which must be of the given kind.
  template <class E>
  E next_event(ConnId conn);
  Ack next_ack(ConnId conn);
  Error next_error(ConnId conn, ErrorCode code);
  EndedEvent next_ended(ConnId conn, EndReason reason);
  // Asserts the inbox of `conn` is empty.
  void expect_quiet(ConnId conn);
  void expect_all_quiet();

  // Places a call from `caller` to user `to` and returns its id (consumes the ack).
  std::string place_call(ConnId caller, const std::string& to, CallCommand extra = {});
  // place_call(), then consumes the `call` event on each of the callee's `devices`.
  std::string ring(ConnId caller, const std::string& to, std::initializer_list<ConnId> devices);
  // `device` answers: consumes its ack and the caller's `answer` event.
  void answer(ConnId device, ConnId caller, const std::string& call_id);

  Engine& engine() { return engine_; }
  TimePoint now() const { return now_; }
  const std::vector<CallStateChanged>& changes() const { return changes_; }
  std::optional<CloseCode> closed_with(ConnId conn) const;
  std::optional<InboxItem> pop(ConnId conn);

 private:
  void absorb(Actions actions);

  CountingIdGenerator ids_;
  Engine engine_;
  TimePoint now_{Millis(1'700'000'000'000)};
  ConnId next_conn_ = 1;
  int next_command_ = 1;
  std::map<ConnId, std::deque<InboxItem>> inbox_;
  std::map<ConnId, Seq> last_seq_;    // highest seq delivered per connection
  std::map<ConnId, Seq> popped_seq_;  // highest seq the test consumed per connection
  std::map<ConnId, std::string> users_, devices_, sessions_;
  WelcomeEvent last_welcome_;
  ConnId open(const std::string& user, const std::string& device,
              std::optional<ResumeRequest> resume);
  std::map<ConnId, CloseCode> closed_;
  std::vector<CallStateChanged> changes_;
};

template <class E>
E EngineHarness::next_event(ConnId conn) {
  auto item = pop(conn);
  if (!item) {
    ADD_FAILURE() << "connection " << conn << ": expected an event, inbox empty";
    return E{};
  }
  auto* d = std::get_if<Delivered>(&*item);
  if (d == nullptr) {
    ADD_FAILURE() << "connection " << conn << ": expected an event, got a response";
    return E{};
  }
  auto* e = std::get_if<E>(&d->event);
  if (e == nullptr) {
    ADD_FAILURE() << "connection " << conn << ": event of another type (index " << d->event.index()
                  << ")";
    return E{};
  }
  return *e;
}

}  // namespace switchboard::testing
