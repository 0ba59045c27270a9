// Engine: multi-device races, disconnects, replacement, and "ended exactly once".
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace switchboard::testing {
namespace {

struct TwoDeviceCall {
  EngineHarness h;
  ConnId alice = 0, b1 = 0, b2 = 0;
  std::string id;

  explicit TwoDeviceCall(EngineConfig config = {}) : h(config) {
    alice = h.connect("alice", "a");
    b1 = h.connect("bob", "1");
    b2 = h.connect("bob", "2");
    id = h.place_call(alice, "bob");
    h.next_event<CallEvent>(b1);
    h.next_event<CallEvent>(b2);
  }
};

TEST(EngineRace, FirstAnswerWinsOthersGetAnsweredElsewhere) {
  TwoDeviceCall t;
  auto& h = t.h;
  // Two answers in the same tick: the first processed wins.
  h.send(t.b2, AnswerCommand{t.id, {}});
  h.send(t.b1, AnswerCommand{t.id, {}});
  h.next_ack(t.b2);
  EXPECT_EQ(h.next_event<AnswerEvent>(t.alice).device_id, "2");
  h.next_ended(t.b1, EndReason::answered_elsewhere);
  h.next_error(t.b1, ErrorCode::already_answered);
  h.expect_all_quiet();

  // The losing device is out of the call: a hangup later does not reach it again.
  h.send(t.alice, HangupCommand{t.id, std::nullopt});
  h.next_ack(t.alice);
  h.next_ended(t.alice, EndReason::completed);
  h.next_ended(t.b2, EndReason::completed);
  h.expect_all_quiet();
}

TEST(EngineRace, AnswerAtTheInstantOfTheRingTimeoutLoses) {
  EngineConfig config;
  config.ring_timeout = Millis(5'000);
  TwoDeviceCall t(config);
  auto& h = t.h;
  // The driver has not fired the timer yet when the answer arrives at exactly T.
  h.advance(Millis(4'999));
  h.expect_all_quiet();
  auto at_deadline = h.now() + Millis(1);
  Actions actions = h.engine().handle(
      CommandReceived{t.b1, Command{"late", AnswerCommand{t.id, {}}}}, at_deadline);
  // no_answer to all three, then the answer is refused.
  std::size_t ended = 0;
  bool refused = false;
  for (const auto& a : actions) {
    if (const auto* d = std::get_if<Deliver>(&a)) {
      const auto& e = std::get<EndedEvent>(*d->event);
      EXPECT_EQ(e.reason, EndReason::no_answer);
      ended += d->to.size();
    } else if (const auto* r = std::get_if<Reply>(&a)) {
      EXPECT_EQ(std::get<Error>(r->response).code, ErrorCode::invalid_state);
      refused = true;
    }
  }
  EXPECT_EQ(ended, 3u);
  EXPECT_TRUE(refused);
}

TEST(EngineRace, AnswerOneMillisecondBeforeTheTimeoutWins) {
  EngineConfig config;
  config.ring_timeout = Millis(5'000);
  TwoDeviceCall t(config);
  auto& h = t.h;
  h.advance(Millis(4'999));
  h.answer(t.b1, t.alice, t.id);
  h.next_ended(t.b2, EndReason::answered_elsewhere);
  h.advance(Millis(10'000));
  h.expect_all_quiet();  // the ring timer died with the answer
}

TEST(EngineRace, RejectWhileAnotherDeviceAnswers) {
  TwoDeviceCall t;
  auto& h = t.h;
  h.send(t.b1, RejectCommand{t.id, RejectReason::declined});
  h.send(t.b2, AnswerCommand{t.id, {}});
  h.next_ack(t.b1);
  h.next_ended(t.alice, EndReason::declined);
  h.next_ended(t.b1, EndReason::declined);
  h.next_ended(t.b2, EndReason::declined_elsewhere);
  h.next_error(t.b2, ErrorCode::invalid_state);
  h.expect_all_quiet();
}

TEST(EngineRace, AnswerWhileAnotherDeviceRejects) {
  TwoDeviceCall t;
  auto& h = t.h;
  h.send(t.b2, AnswerCommand{t.id, {}});
  h.send(t.b1, RejectCommand{t.id, RejectReason::declined});
  h.next_ack(t.b2);
  h.next_event<AnswerEvent>(t.alice);
  h.next_ended(t.b1, EndReason::answered_elsewhere);
  h.next_error(t.b1, ErrorCode::invalid_state);
  h.expect_all_quiet();
}

TEST(EngineRace, BothPartiesHangUpInTheSameTick) {
  TwoDeviceCall t;
  auto& h = t.h;
  h.answer(t.b1, t.alice, t.id);
  h.next_ended(t.b2, EndReason::answered_elsewhere);
  h.send(t.alice, HangupCommand{t.id, std::nullopt});
  h.send(t.b1, HangupCommand{t.id, std::nullopt});
  h.next_ack(t.alice);
  h.next_ended(t.alice, EndReason::completed);
  h.next_ended(t.b1, EndReason::completed);
  h.next_error(t.b1, ErrorCode::invalid_state);
  h.expect_all_quiet();
}

TEST(EngineRace, CallerDisconnectWhileRingingCancels) {
  TwoDeviceCall t;
  auto& h = t.h;
  h.disconnect(t.alice);
  EXPECT_EQ(h.next_ended(t.b1, EndReason::canceled).by, "alice");
  h.next_ended(t.b2, EndReason::canceled);
  h.expect_all_quiet();
}

TEST(EngineRace, CallerDisconnectWhileActiveLosesTheConnection) {
  TwoDeviceCall t;
  auto& h = t.h;
  h.answer(t.b1, t.alice, t.id);
  h.next_ended(t.b2, EndReason::answered_elsewhere);
  h.disconnect(t.alice);
  h.next_ended(t.b1, EndReason::connection_lost);
  h.expect_all_quiet();
  // Both users are free again.
  auto carol = h.connect("carol");
  h.place_call(carol, "bob");
  h.next_event<CallEvent>(t.b1);
  h.next_event<CallEvent>(t.b2);
}

TEST(EngineRace, AnsweringDeviceDisconnectLosesTheConnection) {
  TwoDeviceCall t;
  auto& h = t.h;
  h.answer(t.b1, t.alice, t.id);
  h.next_ended(t.b2, EndReason::answered_elsewhere);
  h.disconnect(t.b1);
  auto ended = h.next_ended(t.alice, EndReason::connection_lost);
  EXPECT_EQ(ended.by, "bob");
  EXPECT_EQ(ended.duration_ms, 0);
  h.expect_all_quiet();
}

TEST(EngineRace, RingingDeviceDisconnectOnlyStopsRingingThere) {
  TwoDeviceCall t;
  auto& h = t.h;
  h.disconnect(t.b1);
  h.expect_all_quiet();
  h.answer(t.b2, t.alice, t.id);
  h.expect_all_quiet();
}

TEST(EngineRace, LastRingingDeviceGoneStillRingsUntilTimeout) {
  EngineConfig config;
  config.ring_timeout = Millis(5'000);
  TwoDeviceCall t(config);
  auto& h = t.h;
  h.disconnect(t.b1);
  h.disconnect(t.b2);
  h.expect_all_quiet();
  // A device that comes back hears the call ring, with the time that is left, and can answer.
  h.advance(Millis(2'000));
  auto b3 = h.connect("bob", "3");
  ASSERT_EQ(h.last_welcome().calls.size(), 1u);
  EXPECT_EQ(h.last_welcome().calls[0].state, CallState::ringing);
  EXPECT_EQ(h.last_welcome().calls[0].role, Role::callee);
  EXPECT_FALSE(h.last_welcome().calls[0].device_id.has_value());
  EXPECT_EQ(h.next_event<CallEvent>(b3).expires_in_ms, 3'000);
  h.answer(b3, t.alice, t.id);
  h.expect_all_quiet();
}

TEST(EngineRace, ReplacedDeviceIsClosedAndTheNewConnectionKeepsItsCalls) {
  TwoDeviceCall t;
  auto& h = t.h;
  auto alice2 = h.connect("alice", "a");  // same device, no resume: a fresh session
  EXPECT_EQ(h.closed_with(t.alice), CloseCode::replaced);
  EXPECT_FALSE(h.last_welcome().resumed);
  ASSERT_EQ(h.last_welcome().calls.size(), 1u);
  EXPECT_EQ(h.last_welcome().calls[0].call_id, t.id);
  EXPECT_EQ(h.last_welcome().calls[0].role, Role::caller);
  EXPECT_EQ(h.last_welcome().calls[0].device_id, "a");
  h.expect_all_quiet();  // the call rings on: it is the same phone
  EXPECT_EQ(h.engine().connection_count(), 3u);
  h.drop(t.alice);  // the late close of the replaced socket is harmless
  EXPECT_EQ(h.engine().connection_count(), 3u);

  // The new connection is the caller now.
  h.answer(t.b1, alice2, t.id);
  h.next_ended(t.b2, EndReason::answered_elsewhere);
  h.send(alice2, HangupCommand{t.id, std::nullopt});
  h.next_ack(alice2);
  h.next_ended(alice2, EndReason::completed);
  h.next_ended(t.b1, EndReason::completed);
  h.expect_all_quiet();
}

TEST(EngineRace, EveryDeviceThatHadTheCallGetsExactlyOneEnded) {
  // Run every ending against a call with two ringing devices and count `ended` events.
  enum class How { answer_then_hangup, reject, cancel, timeout, caller_drop };
  for (How how :
       {How::answer_then_hangup, How::reject, How::cancel, How::timeout, How::caller_drop}) {
    TwoDeviceCall t;
    auto& h = t.h;
    switch (how) {
      case How::answer_then_hangup:
        h.send(t.b1, AnswerCommand{t.id, {}});
        h.send(t.b1, HangupCommand{t.id, std::nullopt});
        break;
      case How::reject:
        h.send(t.b1, RejectCommand{t.id, RejectReason::declined});
        break;
      case How::cancel:
        h.send(t.alice, HangupCommand{t.id, std::nullopt});
        break;
      case How::timeout:
        h.advance(Millis(30'000));
        break;
      case How::caller_drop:
        h.disconnect(t.alice);
        break;
    }
    h.advance(Millis(120'000));  // and the retention expiry: no more events
    for (ConnId conn : {t.alice, t.b1, t.b2}) {
      if (how == How::caller_drop && conn == t.alice) continue;
      int ended = 0;
      while (auto item = h.pop(conn)) {
        if (auto* d = std::get_if<Delivered>(&*item)) {
          ended += std::holds_alternative<EndedEvent>(d->event) ? 1 : 0;
        }
      }
      EXPECT_EQ(ended, 1) << "connection " << conn << " ending " << static_cast<int>(how);
    }
    EXPECT_EQ(h.engine().call_count(), 0u);
    EXPECT_FALSE(h.engine().next_deadline().has_value());
  }
}

}  // namespace
}  // namespace switchboard::testing
