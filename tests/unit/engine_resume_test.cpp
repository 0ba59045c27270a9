// Engine: sessions, resume and replay, snapshots, grace periods, re-delivery, idempotent
// commands (PROTOCOL.md "Reconnecting"). Every path runs on the manual clock.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace switchboard::testing {
namespace {

EngineConfig short_timers() {
  EngineConfig c;
  c.ring_timeout = Millis(30'000);
  c.resume_window = Millis(120'000);
  c.reconnect_grace = Millis(30'000);
  c.caller_grace = Millis(15'000);
  return c;
}

struct ActiveCall {
  EngineHarness h;
  ConnId alice = 0, bob = 0;
  std::string id;
  explicit ActiveCall(EngineConfig c = short_timers()) : h(c) {
    alice = h.connect("alice", "a");
    bob = h.connect("bob", "b");
    id = h.ring(alice, "bob", {bob});
    h.answer(bob, alice, id);
  }
};

TEST(EngineResume, FreshWelcomeCarriesResumeWindowAndAnEmptySnapshot) {
  EngineHarness h(short_timers());
  h.connect("alice", "a");
  EXPECT_FALSE(h.last_welcome().resumed);
  EXPECT_EQ(h.last_welcome().resume_window_ms, 120'000);
  EXPECT_TRUE(h.last_welcome().calls.empty());
}

TEST(EngineResume, MissedEventsAreReplayedInOrderExactlyOnce) {
  ActiveCall t;
  auto& h = t.h;
  h.send(t.alice, SignalCommand{t.id, {{"n", 0}}});
  h.next_ack(t.alice);
  h.next_event<SignalEvent>(t.bob);  // bob has processed everything so far
  const std::string session = h.session_of(t.bob);

  h.drop(t.bob);
  h.next_event<PeerEvent>(t.alice);
  for (int n = 1; n <= 5; ++n) {  // a burst while bob is away
    h.send(t.alice, SignalCommand{t.id, {{"n", n}}});
    h.next_ack(t.alice);
  }
  h.advance(Millis(10'000));
  auto bob2 = h.resume(t.bob);
  EXPECT_TRUE(h.last_welcome().resumed);
  EXPECT_EQ(h.last_welcome().session_id, session);
  EXPECT_EQ(h.last_welcome().replayed, 5);
  for (int n = 1; n <= 5; ++n)
    EXPECT_EQ(h.next_event<SignalEvent>(bob2).data.parsed()["n"], n);
  auto back = h.next_event<PeerEvent>(t.alice);
  EXPECT_EQ(back.state, PeerState::reconnected);
  EXPECT_EQ(back.user_id, "bob");
  h.expect_all_quiet();

  // Live events continue the same sequence.
  h.send(t.alice, SignalCommand{t.id, {{"n", 6}}});
  h.next_ack(t.alice);
  EXPECT_EQ(h.next_event<SignalEvent>(bob2).data.parsed()["n"], 6);
}

TEST(EngineResume, ResumeFromAnOlderSeqReplaysWhatTheClientNeverProcessed) {
  ActiveCall t;
  auto& h = t.h;
  // Frames were sent to bob but died with the socket before his app handled them.
  h.send(t.alice, SignalCommand{t.id, {{"n", 1}}});
  h.next_ack(t.alice);
  h.drop(t.bob);
  auto bob2 = h.resume(t.bob, 2);  // bob's app handled the welcome (1) and the call (2)
  EXPECT_TRUE(h.last_welcome().resumed);
  EXPECT_EQ(h.last_welcome().replayed, 1);
  h.next_event<SignalEvent>(bob2);  // the signal (seq 3): never processed, so replayed
  h.expect_quiet(bob2);
}

TEST(EngineResume, ReconnectRacingTheOtherPartysHangupStillEndsExactlyOnce) {
  ActiveCall t;
  auto& h = t.h;
  h.drop(t.alice);
  h.next_event<PeerEvent>(t.bob);
  h.send(t.bob, HangupCommand{t.id, std::nullopt});
  h.next_ack(t.bob);
  h.next_ended(t.bob, EndReason::completed);
  auto alice2 = h.resume(t.alice);
  EXPECT_TRUE(h.last_welcome().calls.empty());  // the call is over
  EXPECT_EQ(h.next_ended(alice2, EndReason::completed).by, "bob");
  h.expect_all_quiet();
}

TEST(EngineResume, AfterTheWindowTheClientGetsAFreshSessionAndASnapshot) {
  EngineConfig c = short_timers();
  c.reconnect_grace = Millis(200'000);  // keep the call alive past the resume window
  ActiveCall t(c);
  auto& h = t.h;
  const std::string old_session = h.session_of(t.alice);
  h.drop(t.alice);
  h.next_event<PeerEvent>(t.bob);
  h.advance(Millis(119'999));
  EXPECT_EQ(h.engine().stats().detached_sessions, 1u);
  h.advance(Millis(1));  // the session expires; its call ends as if alice had left
  EXPECT_EQ(h.engine().stats().sessions, 1u);
  h.next_ended(t.bob, EndReason::connection_lost);
  auto alice2 = h.resume(t.alice);
  EXPECT_FALSE(h.last_welcome().resumed);
  EXPECT_NE(h.last_welcome().session_id, old_session);
  EXPECT_EQ(h.last_welcome().device_id, "a");
  h.expect_all_quiet();
  (void)alice2;
}

TEST(EngineResume, OverflowedBufferMeansNoResumeButASnapshot) {
  EngineConfig c = short_timers();
  c.resume_buffer = 3;
  ActiveCall t(c);
  auto& h = t.h;
  h.drop(t.bob);
  h.next_event<PeerEvent>(t.alice);
  for (int n = 0; n < 5; ++n) {
    h.send(t.alice, SignalCommand{t.id, {{"n", n}}});
    h.next_ack(t.alice);
  }
  auto bob2 = h.resume(t.bob);
  const auto& w = h.last_welcome();
  EXPECT_FALSE(w.resumed);
  EXPECT_NE(w.session_id, h.session_of(t.bob));
  ASSERT_EQ(w.calls.size(), 1u);
  EXPECT_EQ(w.calls[0].call_id, t.id);
  EXPECT_EQ(w.calls[0].state, CallState::active);
  EXPECT_EQ(w.calls[0].role, Role::callee);
  EXPECT_EQ(w.calls[0].peer, "alice");
  EXPECT_EQ(w.calls[0].device_id, "b");
  EXPECT_EQ(w.calls[0].answered_at, to_epoch_ms(h.now()));
  EXPECT_FALSE(w.calls[0].expires_at.has_value());
  // Same device, new session: it is still the answering device of the call.
  EXPECT_EQ(h.next_event<PeerEvent>(t.alice).state, PeerState::reconnected);
  h.send(bob2, SignalCommand{t.id, {}});
  h.next_ack(bob2);
  h.next_event<SignalEvent>(t.alice);
  h.expect_all_quiet();
}

// The byte budget bounds what big signals can pin per session, whatever their count.
TEST(EngineResume, BufferOverItsByteBudgetMeansNoResumeButASnapshot) {
  EngineConfig c = short_timers();
  c.resume_buffer_bytes = 8 * 1024;
  ActiveCall t(c);
  auto& h = t.h;
  h.drop(t.bob);
  h.next_event<PeerEvent>(t.alice);
  const std::string sdp(3 * 1024, 'v');
  for (int n = 0; n < 3; ++n) {  // ~10 KB: the first one no longer fits
    h.send(t.alice, SignalCommand{t.id, {{"sdp", sdp}}});
    h.next_ack(t.alice);
  }
  h.resume(t.bob);
  EXPECT_FALSE(h.last_welcome().resumed);
  ASSERT_EQ(h.last_welcome().calls.size(), 1u);  // the call is still there, in the snapshot
}

TEST(EngineResume, SmallEventsWithinTheByteBudgetStillResume) {
  EngineConfig c = short_timers();
  c.resume_buffer_bytes = 8 * 1024;
  ActiveCall t(c);
  auto& h = t.h;
  h.drop(t.bob);
  h.next_event<PeerEvent>(t.alice);
  for (int n = 0; n < 10; ++n) {  // ICE candidates: small, many
    h.send(t.alice, SignalCommand{t.id, {{"candidate", "candidate:1 1 udp 2122260223 10.0.0.2"}}});
    h.next_ack(t.alice);
  }
  auto bob2 = h.resume(t.bob);
  EXPECT_TRUE(h.last_welcome().resumed);
  EXPECT_EQ(h.last_welcome().replayed, 10);
  for (int n = 0; n < 10; ++n)
    h.next_event<SignalEvent>(bob2);
}

TEST(EngineResume, ImpossibleResumesStartFresh) {
  EngineHarness h(short_timers());
  auto alice = h.connect("alice", "a");
  h.connect("mallory", "m");
  const std::string session = h.session_of(alice);
  h.drop(alice);
  struct Case {
    const char* user;
    const char* device;
    Seq last_seq;
  };
  for (Case c : {Case{"mallory", "m", 1}, Case{"alice", "other", 1}, Case{"alice", "a", 0},
                 Case{"alice", "a", 2}}) {
    auto actions = h.engine().handle(
        ConnectionOpened{1000 + c.last_seq, c.user, c.device, ResumeRequest{session, c.last_seq}},
        h.now());
    bool fresh_welcome = false;
    for (const auto& a : actions) {
      if (const auto* d = std::get_if<Deliver>(&a)) {
        if (const auto* w = std::get_if<WelcomeEvent>(d->event.get())) {
          fresh_welcome = !w->resumed && w->session_id != session && d->to[0].seq == 1;
        }
      }
    }
    EXPECT_TRUE(fresh_welcome) << c.user << "/" << c.device << "/" << c.last_seq;
    h.engine().handle(ConnectionClosed{1000 + c.last_seq, true}, h.now());
  }
}

TEST(EngineResume, CleanCloseEndsTheSessionAtOnce) {
  ActiveCall t;
  auto& h = t.h;
  h.disconnect(t.alice);
  h.next_ended(t.bob, EndReason::connection_lost);
  h.resume(t.alice);
  EXPECT_FALSE(h.last_welcome().resumed);
  EXPECT_TRUE(h.last_welcome().calls.empty());
}

TEST(EngineResume, ResumingWhileTheOldSocketLooksAliveReplacesIt) {
  ActiveCall t;
  auto& h = t.h;
  auto bob2 = h.resume(t.bob);  // the old socket never told us it died
  EXPECT_TRUE(h.last_welcome().resumed);
  EXPECT_EQ(h.closed_with(t.bob), CloseCode::replaced);
  h.send(t.alice, SignalCommand{t.id, {}});
  h.next_ack(t.alice);
  h.next_event<SignalEvent>(bob2);
  h.expect_all_quiet();
}

TEST(EngineGrace, ActivePartyThatDoesNotReturnLosesTheCall) {
  for (bool caller_drops : {true, false}) {
    ActiveCall t;
    auto& h = t.h;
    const ConnId gone = caller_drops ? t.alice : t.bob;
    const ConnId stays = caller_drops ? t.bob : t.alice;
    h.drop(gone);
    auto peer = h.next_event<PeerEvent>(stays);
    EXPECT_EQ(peer.state, PeerState::reconnecting);
    EXPECT_EQ(peer.user_id, caller_drops ? "alice" : "bob");
    EXPECT_EQ(peer.call_id, t.id);
    h.advance(Millis(29'999));
    h.expect_all_quiet();
    h.advance(Millis(1));
    auto ended = h.next_ended(stays, EndReason::connection_lost);
    EXPECT_EQ(ended.by, caller_drops ? "alice" : "bob");
    EXPECT_EQ(ended.duration_ms, 30'000);
    // The dropped device still learns how its call ended if it comes back in time.
    auto back = h.resume(gone);
    EXPECT_TRUE(h.last_welcome().resumed);
    h.next_ended(back, EndReason::connection_lost);
    h.expect_all_quiet();
  }
}

TEST(EngineGrace, ActivePartyBackInTimeKeepsTheCall) {
  ActiveCall t;
  auto& h = t.h;
  h.drop(t.alice);
  h.next_event<PeerEvent>(t.bob);
  h.advance(Millis(29'000));
  auto alice2 = h.resume(t.alice);
  EXPECT_EQ(h.next_event<PeerEvent>(t.bob).state, PeerState::reconnected);
  h.advance(Millis(60'000));
  h.expect_all_quiet();
  h.send(alice2, HangupCommand{t.id, std::nullopt});
  h.next_ack(alice2);
  h.next_ended(alice2, EndReason::completed);
  h.next_ended(t.bob, EndReason::completed);
}

TEST(EngineGrace, DroppedCallerKeepsTheCalleeRingingForTheCallerGrace) {
  EngineHarness h(short_timers());
  auto alice = h.connect("alice", "a");
  auto bob = h.connect("bob", "b");
  auto id = h.ring(alice, "bob", {bob});
  h.drop(alice);
  h.advance(Millis(14'999));
  h.expect_all_quiet();
  h.advance(Millis(1));
  EXPECT_EQ(h.next_ended(bob, EndReason::canceled).by, "alice");
  h.expect_all_quiet();
  (void)id;
}

TEST(EngineGrace, CallerBackInTimeKeepsRingingAndHearsTheAnswer) {
  EngineHarness h(short_timers());
  auto alice = h.connect("alice", "a");
  auto bob = h.connect("bob", "b");
  auto id = h.ring(alice, "bob", {bob});
  h.drop(alice);
  h.advance(Millis(5'000));
  // Bob answers while alice is away: he is told she is reconnecting.
  h.send(bob, AnswerCommand{id, {}});
  h.next_ack(bob);
  EXPECT_EQ(h.next_event<PeerEvent>(bob).state, PeerState::reconnecting);
  h.advance(Millis(5'000));
  auto alice2 = h.resume(alice);
  EXPECT_TRUE(h.last_welcome().resumed);
  EXPECT_EQ(h.next_event<AnswerEvent>(alice2).call_id, id);  // replayed
  EXPECT_EQ(h.next_event<PeerEvent>(bob).state, PeerState::reconnected);
  h.advance(Millis(60'000));
  h.expect_all_quiet();
}

TEST(EngineGrace, RingTimeoutStillAppliesWhileTheCallerIsAway) {
  EngineConfig c = short_timers();
  c.ring_timeout = Millis(10'000);
  EngineHarness h(c);
  auto alice = h.connect("alice", "a");
  auto bob = h.connect("bob", "b");
  h.ring(alice, "bob", {bob});
  h.drop(alice);
  h.advance(Millis(10'000));
  h.next_ended(bob, EndReason::no_answer);
  auto alice2 = h.resume(alice);
  h.next_ended(alice2, EndReason::no_answer);
}

TEST(EngineRedelivery, DroppedRingingDeviceGetsTheInvitationOnResume) {
  EngineHarness h(short_timers());
  auto alice = h.connect("alice", "a");
  auto bob = h.connect("bob", "b");
  h.drop(bob);
  h.advance(Millis(1'000));
  auto id = h.place_call(alice, "bob");  // bob's session is held: it counts as a device
  h.advance(Millis(4'000));
  auto bob2 = h.resume(bob);
  auto call = h.next_event<CallEvent>(bob2);
  EXPECT_EQ(call.call_id, id);
  EXPECT_EQ(call.expires_in_ms, 26'000);  // what is left, not what was left when sent
  h.answer(bob2, alice, id);
  h.expect_all_quiet();
}

TEST(EngineRedelivery, NewDeviceOfTheCalleeHearsARingingCall) {
  EngineHarness h(short_timers());
  auto alice = h.connect("alice", "a");
  auto bob_phone = h.connect("bob", "phone");
  auto id = h.ring(alice, "bob", {bob_phone});
  h.advance(Millis(7'000));
  auto bob_laptop = h.connect("bob", "laptop");
  auto call = h.next_event<CallEvent>(bob_laptop);
  EXPECT_EQ(call.call_id, id);
  EXPECT_EQ(call.expires_in_ms, 23'000);
  // It is a ringing device like the others: the answer elsewhere reaches it.
  h.answer(bob_phone, alice, id);
  h.next_ended(bob_laptop, EndReason::answered_elsewhere);
  h.expect_all_quiet();
}

TEST(EngineRedelivery, RingOfflineWaitsForADevice) {
  EngineConfig c = short_timers();
  c.ring_offline = true;
  EngineHarness h(c);
  auto alice = h.connect("alice", "a");
  auto id = h.place_call(alice, "bob");
  h.expect_all_quiet();  // no `unavailable`
  h.advance(Millis(20'000));
  auto bob = h.connect("bob", "b");
  EXPECT_EQ(h.next_event<CallEvent>(bob).expires_in_ms, 10'000);
  h.advance(Millis(10'000));
  h.next_ended(alice, EndReason::no_answer);
  h.next_ended(bob, EndReason::no_answer);
  (void)id;
}

TEST(EngineRedelivery, WithoutRingOfflineNoDeviceIsUnavailable) {
  EngineHarness h(short_timers());
  auto alice = h.connect("alice", "a");
  auto bob = h.connect("bob", "b");
  h.disconnect(bob);  // a clean goodbye: nothing held
  h.place_call(alice, "bob");
  h.next_ended(alice, EndReason::unavailable);
}

TEST(EngineIdempotency, ResentCommandGetsTheSameAnswerAndRunsOnce) {
  EngineHarness h(short_timers());
  auto alice = h.connect("alice", "a");
  auto bob = h.connect("bob", "b");
  CallCommand call;
  call.to = "bob";
  h.send(alice, call, "k1");
  const auto first = h.next_ack(alice);
  h.next_event<CallEvent>(bob);
  h.drop(alice);  // the ack may have been lost: the app resends after resuming
  auto alice2 = h.resume(alice);
  h.send(alice2, call, "k1");
  EXPECT_EQ(h.next_ack(alice2).call_id, first.call_id);
  h.expect_all_quiet();  // no second call
  EXPECT_EQ(h.engine().stats().ringing_calls, 1u);

  // Errors are remembered too.
  h.send(alice2, RingingCommand{"nope"}, "k2");
  h.next_error(alice2, ErrorCode::not_found);
  h.send(alice2, RingingCommand{"nope"}, "k2");
  h.next_error(alice2, ErrorCode::not_found);
}

TEST(EngineIdempotency, RememberedIdsAgeOutAfterTheWindow) {
  EngineHarness h(short_timers());
  auto alice = h.connect("alice", "a");
  h.send(alice, HangupCommand{"nope", std::nullopt}, "k");
  h.next_error(alice, ErrorCode::not_found);
  h.advance(Millis(121'000));
  h.send(alice, PingCommand{}, "k");  // a new command that reuses an old id runs
  auto item = h.pop(alice);
  ASSERT_TRUE(item.has_value());
  EXPECT_TRUE(std::holds_alternative<Pong>(std::get<Response>(*item)));
}

TEST(EngineStats, EverythingReturnsToZero) {
  ActiveCall t;
  auto& h = t.h;
  EXPECT_EQ(h.engine().stats().active_calls, 1u);
  h.drop(t.alice);
  h.drop(t.bob);
  h.advance(Millis(30'000));  // grace ends the call
  h.advance(Millis(90'000));  // resume windows end the sessions
  h.advance(Millis(60'000));  // retention forgets the call
  const auto st = h.engine().stats();
  EXPECT_EQ(st.connections, 0u);
  EXPECT_EQ(st.sessions, 0u);
  EXPECT_EQ(st.ringing_calls + st.active_calls + st.ended_calls, 0u);
  EXPECT_FALSE(h.engine().next_deadline().has_value());
}

}  // namespace
}  // namespace switchboard::testing
