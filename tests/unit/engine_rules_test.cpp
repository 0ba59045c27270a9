// Engine: who may do what (errors by blame), signal routing, idempotent call ids, retention.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace switchboard::testing {
namespace {

CallCommand call_to(const std::string& to, std::optional<std::string> id = std::nullopt) {
  CallCommand c;
  c.to = to;
  c.call_id = std::move(id);
  return c;
}

TEST(EngineRules, SelfCallIsRefused) {
  EngineHarness h;
  auto alice = h.connect("alice", "1");
  h.connect("alice", "2");
  h.send(alice, call_to("alice"), "self");
  EXPECT_EQ(h.next_error(alice, ErrorCode::self_call).id, "self");
  h.expect_all_quiet();
}

TEST(EngineRules, UnknownCallIsNotFound) {
  EngineHarness h;
  auto alice = h.connect("alice");
  for (CommandBody body :
       {CommandBody{RingingCommand{"nope"}}, CommandBody{AnswerCommand{"nope", {}}},
        CommandBody{RejectCommand{"nope", RejectReason::declined}},
        CommandBody{HangupCommand{"nope", std::nullopt}}, CommandBody{SignalCommand{"nope", {}}}}) {
    h.send(alice, body);
    h.next_error(alice, ErrorCode::not_found);
  }
  h.expect_all_quiet();
}

TEST(EngineRules, NonPartiesAreForbiddenAndChangeNothing) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto mallory = h.connect("mallory");
  auto id = h.ring(alice, "bob", {bob});
  for (CommandBody body :
       {CommandBody{RingingCommand{id}}, CommandBody{AnswerCommand{id, {}}},
        CommandBody{RejectCommand{id, RejectReason::declined}},
        CommandBody{HangupCommand{id, std::nullopt}}, CommandBody{SignalCommand{id, {}}}}) {
    h.send(mallory, body);
    h.next_error(mallory, ErrorCode::forbidden);
  }
  h.expect_all_quiet();
  h.send(bob, AnswerCommand{id, {}});  // the call is intact
  h.next_ack(bob);
  h.next_event<AnswerEvent>(alice);
}

TEST(EngineRules, RolesAreEnforced) {
  EngineHarness h;
  auto alice = h.connect("alice", "a1");
  auto alice_tablet = h.connect("alice", "a2");
  auto bob = h.connect("bob");
  auto id = h.ring(alice, "bob", {bob});
  h.send(alice, RingingCommand{id});
  h.next_error(alice, ErrorCode::forbidden);
  h.send(alice, AnswerCommand{id, {}});
  h.next_error(alice, ErrorCode::forbidden);
  h.send(alice, RejectCommand{id, RejectReason::declined});
  h.next_error(alice, ErrorCode::forbidden);
  // Only the device that placed the call can cancel it or signal on it.
  h.send(alice_tablet, HangupCommand{id, std::nullopt});
  h.next_error(alice_tablet, ErrorCode::forbidden);
  h.send(alice_tablet, SignalCommand{id, {}});
  h.next_error(alice_tablet, ErrorCode::forbidden);
  h.expect_all_quiet();
}

TEST(EngineRules, LateCommandsOnEndedCallsGetPreciseErrorsThenNotFound) {
  EngineConfig config;
  config.ended_retention = Millis(60'000);
  EngineHarness h(config);
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto id = h.ring(alice, "bob", {bob});
  h.send(bob, RejectCommand{id, RejectReason::declined});
  h.next_ack(bob);
  h.next_ended(alice, EndReason::declined);
  h.next_ended(bob, EndReason::declined);

  h.send(bob, AnswerCommand{id, {}});
  auto e = h.next_error(bob, ErrorCode::invalid_state);
  EXPECT_NE(e.message.find("declined"), std::string::npos) << e.message;
  h.send(bob, RingingCommand{id});
  h.next_error(bob, ErrorCode::invalid_state);
  h.send(alice, HangupCommand{id, std::nullopt});
  h.next_error(alice, ErrorCode::invalid_state);
  h.send(alice, SignalCommand{id, {}});
  h.next_error(alice, ErrorCode::invalid_state);
  h.send(bob, RejectCommand{id, RejectReason::declined});
  h.next_error(bob, ErrorCode::invalid_state);

  h.advance(Millis(60'000));
  EXPECT_EQ(h.engine().call_count(), 0u);
  h.send(bob, AnswerCommand{id, {}});
  h.next_error(bob, ErrorCode::not_found);
  h.expect_all_quiet();
}

TEST(EngineRules, AnswerAfterACompletedCallIsAlreadyAnswered) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto id = h.ring(alice, "bob", {bob});
  h.answer(bob, alice, id);
  h.send(bob, RejectCommand{id, RejectReason::declined});
  h.next_error(bob, ErrorCode::invalid_state);
  h.send(bob, RingingCommand{id});
  h.next_error(bob, ErrorCode::already_answered);
  h.send(alice, HangupCommand{id, std::nullopt});
  h.next_ack(alice);
  h.next_ended(alice, EndReason::completed);
  h.next_ended(bob, EndReason::completed);
  h.send(bob, AnswerCommand{id, {}});
  h.next_error(bob, ErrorCode::already_answered);
  h.expect_all_quiet();
}

TEST(EngineRules, SignalsFollowTheCallLegsOnly) {
  EngineHarness h;
  auto alice = h.connect("alice", "a");
  auto b1 = h.connect("bob", "1");
  auto b2 = h.connect("bob", "2");
  auto b3_late = h.connect("carol");  // unrelated user
  auto id = h.place_call(alice, "bob");
  h.next_event<CallEvent>(b1);
  h.next_event<CallEvent>(b2);

  // Before the answer: caller -> every ringing device; a ringing device -> the caller.
  h.send(alice, SignalCommand{id, {{"offer", 1}}});
  h.next_ack(alice);
  h.next_event<SignalEvent>(b1);
  h.next_event<SignalEvent>(b2);
  h.send(b2, SignalCommand{id, {{"early", 1}}});
  h.next_ack(b2);
  EXPECT_EQ(h.next_event<SignalEvent>(alice).from_device, "2");
  h.expect_all_quiet();

  // After b1 answers: only alice <-> b1.
  h.answer(b1, alice, id);
  h.next_ended(b2, EndReason::answered_elsewhere);
  h.send(alice, SignalCommand{id, {{"x", 1}}});
  h.next_ack(alice);
  h.next_event<SignalEvent>(b1);
  h.send(b2, SignalCommand{id, {}});
  h.next_error(b2, ErrorCode::forbidden);
  h.send(b3_late, SignalCommand{id, {}});
  h.next_error(b3_late, ErrorCode::forbidden);
  h.send(b2, HangupCommand{id, std::nullopt});
  h.next_error(b2, ErrorCode::forbidden);
  h.expect_all_quiet();
}

TEST(EngineRules, RepeatedCallIdFromTheSameCallerIsTheSameCall) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto mallory = h.connect("mallory");
  EXPECT_EQ(h.place_call(alice, "bob", call_to("bob", "k1")), "k1");
  h.next_event<CallEvent>(bob);
  EXPECT_EQ(h.place_call(alice, "bob", call_to("bob", "k1")), "k1");
  h.expect_all_quiet();  // bob is not rung twice
  EXPECT_EQ(h.engine().call_count(), 1u);

  h.send(mallory, call_to("bob", "k1"));
  h.next_error(mallory, ErrorCode::conflict);
  h.expect_all_quiet();
}

TEST(EngineRules, AnsweringWhileInAnotherActiveCallIsRefused) {
  // Call waiting: bob has two ringing calls; answering the second while in the first fails.
  EngineHarness h;
  auto alice = h.connect("alice");
  auto carol = h.connect("carol");
  auto bob = h.connect("bob");
  auto first = h.place_call(alice, "bob");
  auto second = h.place_call(carol, "bob");
  h.next_event<CallEvent>(bob);
  h.next_event<CallEvent>(bob);
  h.answer(bob, alice, first);
  h.send(bob, AnswerCommand{second, {}});
  h.next_error(bob, ErrorCode::invalid_state);
  h.send(bob, RejectCommand{second, RejectReason::busy});
  h.next_ack(bob);
  h.next_ended(carol, EndReason::busy);
  h.next_ended(bob, EndReason::busy);
  h.expect_all_quiet();
}

TEST(EngineRules, NextDeadlineTracksRingAndRetentionTimers) {
  EngineConfig config;
  config.ring_timeout = Millis(10'000);
  config.ended_retention = Millis(60'000);
  EngineHarness h(config);
  EXPECT_FALSE(h.engine().next_deadline().has_value());
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto start = h.now();
  auto id = h.place_call(alice, "bob");
  EXPECT_EQ(h.engine().next_deadline(), start + Millis(10'000));
  h.advance(Millis(2'000));
  h.send(alice, HangupCommand{id, std::nullopt});
  EXPECT_EQ(h.engine().next_deadline(), start + Millis(62'000));
  h.advance(Millis(60'000));
  EXPECT_FALSE(h.engine().next_deadline().has_value());
  (void)bob;
}

// `auth` belongs to the connection (it holds the token's deadline): should one ever reach the
// engine, it is refused and changes nothing.
TEST(EngineRules, AuthIsNotTheEnginesBusiness) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto id = h.ring(alice, "bob", {bob});
  h.send(alice, AuthCommand{"aaa.bbb.ccc"}, "auth-1");
  const Error refused = h.next_error(alice, ErrorCode::unsupported);
  EXPECT_EQ(refused.id, "auth-1");
  EXPECT_EQ(refused.message, "auth is handled by the connection");
  h.send_as_user("bob", AuthCommand{"aaa.bbb.ccc"}, "auth-2");
  EXPECT_EQ(h.next_error(EngineHarness::kUserReplies, ErrorCode::unsupported).id, "auth-2");
  h.expect_all_quiet();
  h.send(bob, AnswerCommand{id, {}});  // the call is intact
  h.next_ack(bob);
  h.next_event<AnswerEvent>(alice);
}

}  // namespace
}  // namespace switchboard::testing
