// Engine: the ordinary life of a call, one transition and one end reason at a time.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace switchboard::testing {
namespace {

TEST(EngineFlow, WelcomeCarriesIdentityAndHeartbeat) {
  CountingIdGenerator ids("g");
  EngineConfig config;
  config.heartbeat_ms = 1234;
  Engine engine(config, ids);
  auto actions = engine.handle(ConnectionOpened{7, "alice", "", std::nullopt}, TimePoint{});
  ASSERT_EQ(actions.size(), 1u);
  const auto& d = std::get<Deliver>(actions[0]);
  ASSERT_EQ(d.to.size(), 1u);
  EXPECT_EQ(d.to[0].conn, 7u);
  EXPECT_EQ(d.to[0].seq, 1u);
  const auto& w = std::get<WelcomeEvent>(*d.event);
  EXPECT_EQ(w.user_id, "alice");
  EXPECT_EQ(w.device_id, "g1");  // generated when the client gave none
  EXPECT_EQ(w.session_id, "g2");
  EXPECT_EQ(w.heartbeat_ms, 1234);
}

TEST(EngineFlow, CallForksToEveryCalleeDevice) {
  EngineHarness h;
  auto alice = h.connect("alice", "phone");
  auto bob_phone = h.connect("bob", "phone");
  auto bob_laptop = h.connect("bob", "laptop");
  CallCommand cmd;
  cmd.media = Media::video;
  cmd.room_name = "room-1";
  cmd.data = {{"topic", "hi"}};
  auto id = h.place_call(alice, "bob", cmd);
  ASSERT_FALSE(id.empty());
  for (auto conn : {bob_phone, bob_laptop}) {
    auto call = h.next_event<CallEvent>(conn);
    EXPECT_EQ(call.call_id, id);
    EXPECT_EQ(call.from, "alice");
    EXPECT_EQ(call.to, "bob");
    EXPECT_EQ(call.media, Media::video);
    EXPECT_EQ(call.room_name, "room-1");
    EXPECT_EQ(call.data.parsed()["topic"], "hi");
    EXPECT_EQ(call.expires_in_ms, 30'000);
    EXPECT_EQ(call.expires_at, to_epoch_ms(h.now()) + 30'000);
  }
  h.expect_all_quiet();
}

TEST(EngineFlow, RoomNameDefaultsToCallIdAndClientCallIdIsKept) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  CallCommand cmd;
  cmd.call_id = "my-call";
  EXPECT_EQ(h.place_call(alice, "bob", cmd), "my-call");
  auto call = h.next_event<CallEvent>(bob);
  EXPECT_EQ(call.room_name, "my-call");
  EXPECT_EQ(call.media, Media::audio);
}

TEST(EngineFlow, CallerHearsRingingOnceHoweverManyDevicesRing) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto b1 = h.connect("bob", "1");
  auto b2 = h.connect("bob", "2");
  auto id = h.place_call(alice, "bob");
  h.next_event<CallEvent>(b1);
  h.next_event<CallEvent>(b2);
  h.send(b1, RingingCommand{id});
  h.next_ack(b1);
  auto ringing = h.next_event<RingingEvent>(alice);
  EXPECT_EQ(ringing.call_id, id);
  EXPECT_EQ(ringing.from, "bob");
  h.send(b2, RingingCommand{id});
  h.next_ack(b2);
  h.expect_all_quiet();
}

TEST(EngineFlow, FullCallAnswerSignalHangup) {
  EngineHarness h;
  auto alice = h.connect("alice", "a");
  auto bob = h.connect("bob", "b");
  auto id = h.ring(alice, "bob", {bob});
  h.send(bob, AnswerCommand{id, {{"sdp", "answer"}}});
  h.next_ack(bob);
  auto answer = h.next_event<AnswerEvent>(alice);
  EXPECT_EQ(answer.from, "bob");
  EXPECT_EQ(answer.device_id, "b");
  EXPECT_EQ(answer.data.parsed()["sdp"], "answer");

  h.send(alice, SignalCommand{id, {{"ice", 1}}});
  h.next_ack(alice);
  auto s1 = h.next_event<SignalEvent>(bob);
  EXPECT_EQ(s1.from, "alice");
  EXPECT_EQ(s1.from_device, "a");
  EXPECT_EQ(s1.data.parsed()["ice"], 1);
  h.send(bob, SignalCommand{id, {{"ice", 2}}});
  h.next_ack(bob);
  EXPECT_EQ(h.next_event<SignalEvent>(alice).data.parsed()["ice"], 2);

  h.advance(Millis(42'000));  // active calls have no timeout
  h.send(bob, HangupCommand{id, "bye"});
  h.next_ack(bob);
  for (auto conn : {alice, bob}) {
    auto ended = h.next_ended(conn, EndReason::completed);
    EXPECT_EQ(ended.by, "bob");
    EXPECT_EQ(ended.duration_ms, 42'000);
    EXPECT_EQ(ended.message, "bye");
  }
  h.expect_all_quiet();
  ASSERT_EQ(h.changes().size(), 3u);
  EXPECT_EQ(h.changes()[0].state, CallState::ringing);
  EXPECT_EQ(h.changes()[1].state, CallState::active);
  EXPECT_EQ(h.changes()[2].state, CallState::ended);
  EXPECT_EQ(h.changes()[2].reason, EndReason::completed);
}

TEST(EngineFlow, RejectEndsEverywhere) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto b1 = h.connect("bob", "1");
  auto b2 = h.connect("bob", "2");
  auto id = h.place_call(alice, "bob");
  h.next_event<CallEvent>(b1);
  h.next_event<CallEvent>(b2);
  h.send(b1, RejectCommand{id, RejectReason::declined});
  h.next_ack(b1);
  EXPECT_EQ(h.next_ended(alice, EndReason::declined).by, "bob");
  h.next_ended(b1, EndReason::declined);
  h.next_ended(b2, EndReason::declined_elsewhere);
  h.expect_all_quiet();
}

TEST(EngineFlow, RejectBusyTellsTheCallerBusy) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto id = h.ring(alice, "bob", {bob});
  h.send(bob, RejectCommand{id, RejectReason::busy});
  h.next_ack(bob);
  h.next_ended(alice, EndReason::busy);
  h.next_ended(bob, EndReason::busy);
  h.expect_all_quiet();
}

TEST(EngineFlow, CallerHangupBeforeAnswerCancelsForEveryone) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto b1 = h.connect("bob", "1");
  auto b2 = h.connect("bob", "2");
  auto id = h.place_call(alice, "bob");
  h.next_event<CallEvent>(b1);
  h.next_event<CallEvent>(b2);
  h.send(alice, HangupCommand{id, std::nullopt});
  h.next_ack(alice);
  for (auto conn : {alice, b1, b2}) {
    auto ended = h.next_ended(conn, EndReason::canceled);
    EXPECT_EQ(ended.by, "alice");
    EXPECT_FALSE(ended.duration_ms.has_value());
  }
  h.expect_all_quiet();
}

TEST(EngineFlow, CalleeHangupBeforeAnswerDeclines) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto id = h.ring(alice, "bob", {bob});
  h.send(bob, HangupCommand{id, std::nullopt});
  h.next_ack(bob);
  h.next_ended(alice, EndReason::declined);
  h.next_ended(bob, EndReason::declined);
  h.expect_all_quiet();
}

TEST(EngineFlow, CallerHangupAfterAnswerCompletes) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto id = h.ring(alice, "bob", {bob});
  h.answer(bob, alice, id);
  h.advance(Millis(1500));
  h.send(alice, HangupCommand{id, std::nullopt});
  h.next_ack(alice);
  for (auto conn : {alice, bob}) {
    auto ended = h.next_ended(conn, EndReason::completed);
    EXPECT_EQ(ended.by, "alice");
    EXPECT_EQ(ended.duration_ms, 1500);
  }
  h.expect_all_quiet();
}

TEST(EngineFlow, BusyWhenCalleeIsInAnActiveCall) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto carol = h.connect("carol");
  auto id = h.ring(alice, "bob", {bob});
  h.answer(bob, alice, id);

  // Carol calls bob (busy as callee) and alice (busy as caller): ack with the id, then ended.
  for (const char* target : {"bob", "alice"}) {
    h.send(carol, CallCommand{target, Media::audio, std::nullopt, std::nullopt, std::nullopt, {}});
    auto ack = h.next_ack(carol);
    ASSERT_TRUE(ack.call_id.has_value());
    auto ended = h.next_ended(carol, EndReason::busy);
    EXPECT_EQ(ended.call_id, *ack.call_id);
    EXPECT_EQ(ended.by, target);
  }
  h.expect_all_quiet();
}

TEST(EngineFlow, CallerInActiveCallCannotPlaceAnother) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  h.connect("carol");
  auto id = h.ring(alice, "bob", {bob});
  h.answer(bob, alice, id);
  h.send(alice, CallCommand{"carol", Media::audio, std::nullopt, std::nullopt, std::nullopt, {}});
  h.next_error(alice, ErrorCode::invalid_state);
  h.send(bob, CallCommand{"carol", Media::audio, std::nullopt, std::nullopt, std::nullopt, {}});
  h.next_error(bob, ErrorCode::invalid_state);
  h.expect_all_quiet();
}

TEST(EngineFlow, UnavailableWhenCalleeHasNoDevice) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto id = h.place_call(alice, "nobody");
  ASSERT_FALSE(id.empty());
  auto ended = h.next_ended(alice, EndReason::unavailable);
  EXPECT_EQ(ended.call_id, id);
  h.expect_all_quiet();
}

TEST(EngineFlow, RingTimeoutEndsWithNoAnswer) {
  EngineConfig config;
  config.ring_timeout = Millis(10'000);
  EngineHarness h(config);
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto id = h.place_call(alice, "bob");
  EXPECT_EQ(h.next_event<CallEvent>(bob).expires_in_ms, 10'000);
  EXPECT_EQ(h.engine().next_deadline(), h.now() + Millis(10'000));
  h.advance(Millis(9'999));
  h.expect_all_quiet();
  h.advance(Millis(1));
  EXPECT_FALSE(h.next_ended(alice, EndReason::no_answer).by.has_value());
  h.next_ended(bob, EndReason::no_answer);
  h.expect_all_quiet();
}

TEST(EngineFlow, PerCallTimeoutOverridesTheDefault) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  CallCommand cmd;
  cmd.timeout_ms = 5'000;
  h.place_call(alice, "bob", cmd);
  EXPECT_EQ(h.next_event<CallEvent>(bob).expires_in_ms, 5'000);
  h.advance(Millis(5'000));
  h.next_ended(alice, EndReason::no_answer);
  h.next_ended(bob, EndReason::no_answer);
}

TEST(EngineFlow, PingIsAnsweredWithPong) {
  EngineHarness h;
  auto alice = h.connect("alice");
  h.send(alice, PingCommand{}, "p1");
  auto item = h.pop(alice);
  ASSERT_TRUE(item.has_value());
  const auto& pong = std::get<Pong>(std::get<Response>(*item));
  EXPECT_EQ(pong.id, "p1");
  h.expect_quiet(alice);
}

TEST(EngineFlow, CommandsWithoutIdGetNoAckButStillGetErrors) {
  EngineHarness h;
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  h.send(alice, CallCommand{"bob", Media::audio, "c1", std::nullopt, std::nullopt, {}},
         std::nullopt);
  h.next_event<CallEvent>(bob);
  h.expect_quiet(alice);
  h.send(alice, RingingCommand{"c1"}, std::nullopt);
  auto e = h.next_error(alice, ErrorCode::forbidden);
  EXPECT_FALSE(e.id.has_value());
}

}  // namespace
}  // namespace switchboard::testing
