// Engine: commands from a user as a whole (UserCommandReceived, what the Supabase REST API
// sends), whose calls get deviceless legs that stand for every session of that user.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace switchboard::testing {
namespace {

constexpr ConnId kRest = EngineHarness::kUserReplies;

std::string place_as_user(EngineHarness& h, const std::string& user, const std::string& to,
                          std::optional<std::string> call_id = std::nullopt) {
  CallCommand cmd;
  cmd.to = to;
  cmd.call_id = std::move(call_id);
  cmd.room_name = "room-9";
  h.send_as_user(user, cmd);
  return h.next_ack(kRest).call_id.value_or("");
}

TEST(EngineUserCommand, DevicelessCallRingsAndItsEventsReachEveryCallerDevice) {
  EngineHarness h;
  auto alice_phone = h.connect("alice", "phone");
  auto alice_laptop = h.connect("alice", "laptop");
  auto bob = h.connect("bob");
  const auto id = place_as_user(h, "alice", "bob", "c-1");
  EXPECT_EQ(id, "c-1");
  auto call = h.next_event<CallEvent>(bob);
  EXPECT_EQ(call.from, "alice");
  EXPECT_EQ(call.room_name, "room-9");

  h.send(bob, RingingCommand{id});
  h.next_ack(bob);
  for (auto conn : {alice_phone, alice_laptop}) {
    auto ringing = h.next_event<RingingEvent>(conn);
    EXPECT_EQ(ringing.call.caller, "alice");
    EXPECT_EQ(ringing.call.callee, "bob");
    EXPECT_EQ(ringing.call.room_name, "room-9");
  }
  h.send(bob, AnswerCommand{id, {}});
  h.next_ack(bob);
  for (auto conn : {alice_phone, alice_laptop}) {
    EXPECT_EQ(h.next_event<AnswerEvent>(conn).call_id, id);
  }
  // Any of alice's devices acts for the deviceless leg.
  h.send(alice_laptop, HangupCommand{id, std::nullopt});
  h.next_ack(alice_laptop);
  auto ended = h.next_ended(bob, EndReason::completed);
  EXPECT_EQ(ended.by, "alice");
  EXPECT_EQ(ended.call.caller, "alice");
  h.next_ended(alice_phone, EndReason::completed);
  h.next_ended(alice_laptop, EndReason::completed);
  h.expect_all_quiet();
}

TEST(EngineUserCommand, UserCommandsActForDeviceLegsOfTheirUser) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  const auto id = h.ring(alice, "bob", {bob});
  h.answer(bob, alice, id);
  h.send_as_user("alice", SignalCommand{id, {{"sdp", "x"}}});
  h.next_ack(kRest);
  auto signal = h.next_event<SignalEvent>(bob);
  EXPECT_EQ(signal.from, "alice");
  EXPECT_EQ(signal.from_device, "");
  EXPECT_EQ(signal.call.callee, "bob");
  h.send_as_user("alice", HangupCommand{id, std::nullopt});
  h.next_ack(kRest);
  h.next_ended(alice, EndReason::completed);
  h.next_ended(bob, EndReason::completed);
  h.expect_all_quiet();
}

TEST(EngineUserCommand, DevicelessAnswerKeepsEveryCalleeDeviceOnTheCall) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob_phone = h.connect("bob", "phone");
  auto bob_laptop = h.connect("bob", "laptop");
  const auto id = h.ring(alice, "bob", {bob_phone, bob_laptop});
  h.send_as_user("bob", AnswerCommand{id, {}});
  h.next_ack(kRest);
  EXPECT_EQ(h.next_event<AnswerEvent>(alice).device_id, "");
  h.expect_quiet(bob_phone);  // no answered_elsewhere: the answer was every device's
  h.send(alice, SignalCommand{id, {{"n", 1}}});
  h.next_ack(alice);
  h.next_event<SignalEvent>(bob_phone);
  h.next_event<SignalEvent>(bob_laptop);
  h.send(bob_phone, HangupCommand{id, std::nullopt});
  h.next_ack(bob_phone);
  h.next_ended(alice, EndReason::completed);
  h.next_ended(bob_phone, EndReason::completed);
  h.next_ended(bob_laptop, EndReason::completed);
  h.expect_all_quiet();
}

TEST(EngineUserCommand, RulesStillApply) {
  EngineHarness h;
  auto bob = h.connect("bob");
  auto carol = h.connect("carol");
  CallCommand self;
  self.to = "alice";
  h.send_as_user("alice", self);
  h.next_error(kRest, ErrorCode::self_call);
  h.send_as_user("alice", AnswerCommand{"nope", {}});
  h.next_error(kRest, ErrorCode::not_found);

  const auto id = place_as_user(h, "alice", "bob");
  h.next_event<CallEvent>(bob);
  h.send_as_user("carol", HangupCommand{id, std::nullopt});
  h.next_error(kRest, ErrorCode::forbidden);
  h.send_as_user("alice", AnswerCommand{id, {}});  // the caller cannot answer its own call
  h.next_error(kRest, ErrorCode::forbidden);
  // The same call id again from the same user is the same call; from another, a conflict.
  CallCommand again;
  again.to = "bob";
  again.call_id = id;
  h.send_as_user("alice", again);
  EXPECT_EQ(h.next_ack(kRest).call_id, id);
  h.send(carol, again);
  h.next_error(carol, ErrorCode::conflict);
  h.expect_all_quiet();
}

TEST(EngineUserCommand, DevicelessCallWithNobodyToRingEndsUnavailable) {
  EngineHarness h;
  auto alice = h.connect("alice");
  const auto id = place_as_user(h, "alice", "bob");
  EXPECT_EQ(h.next_ended(alice, EndReason::unavailable).call_id, id);
  h.expect_all_quiet();
}

TEST(EngineUserCommand, DevicelessRingingCallTimesOut) {
  EngineHarness h;
  auto bob = h.connect("bob");
  const auto id = place_as_user(h, "alice", "bob");  // alice has no device at all
  h.next_event<CallEvent>(bob);
  h.advance(Millis(30'000));
  EXPECT_EQ(h.next_ended(bob, EndReason::no_answer).call_id, id);
  h.expect_all_quiet();
}

TEST(EngineUserCommand, DevicelessLegEndsWhenItsUserLastSessionEnds) {
  EngineHarness h;
  auto alice_phone = h.connect("alice", "phone");
  auto alice_laptop = h.connect("alice", "laptop");
  auto bob = h.connect("bob");
  const auto ringing = place_as_user(h, "alice", "bob", "ringing-call");
  h.next_event<CallEvent>(bob);

  h.disconnect(alice_phone);  // alice still has her laptop: nothing ends
  h.expect_all_quiet();
  h.disconnect(alice_laptop);  // now she has left: her deviceless ringing call is canceled
  auto ended = h.next_ended(bob, EndReason::canceled);
  EXPECT_EQ(ended.call_id, ringing);
  EXPECT_EQ(ended.by, "alice");
  h.expect_all_quiet();
}

TEST(EngineUserCommand, DevicelessActiveLegIsLostWithItsUserLastSession) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  const auto id = h.ring(alice, "bob", {bob});
  h.send_as_user("bob", AnswerCommand{id, {}});
  h.next_ack(kRest);
  h.next_event<AnswerEvent>(alice);
  h.disconnect(bob);
  auto ended = h.next_ended(alice, EndReason::connection_lost);
  EXPECT_EQ(ended.by, "bob");
  h.expect_all_quiet();
}

TEST(EngineUserCommand, PeerEventsReachADevicelessLeg) {
  EngineHarness h;
  auto alice_phone = h.connect("alice", "phone");
  auto alice_laptop = h.connect("alice", "laptop");
  auto bob = h.connect("bob");
  const auto id = place_as_user(h, "alice", "bob");
  h.next_event<CallEvent>(bob);
  h.answer(bob, alice_phone, id);
  EXPECT_EQ(h.next_event<AnswerEvent>(alice_laptop).call_id, id);
  h.drop(bob);
  for (auto conn : {alice_phone, alice_laptop}) {
    auto peer = h.next_event<PeerEvent>(conn);
    EXPECT_EQ(peer.state, PeerState::reconnecting);
    EXPECT_EQ(peer.call.callee, "bob");
  }
  h.expect_all_quiet();
}

}  // namespace
}  // namespace switchboard::testing
