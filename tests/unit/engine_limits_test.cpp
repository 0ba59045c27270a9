// Engine: per-user abuse limits. A connection that would give its user more sessions than
// EngineConfig::max_devices_per_user is closed with 4029 before it is registered; a `call`
// from a user with max_ringing_per_user calls still ringing is refused with `rate_limited`.
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace switchboard::testing {
namespace {

constexpr ConnId kRest = EngineHarness::kUserReplies;

EngineConfig limits(std::size_t devices, std::size_t ringing) {
  EngineConfig c;
  c.max_devices_per_user = devices;
  c.max_ringing_per_user = ringing;
  return c;
}

CallCommand call_to(const std::string& to, std::optional<std::int64_t> timeout_ms = std::nullopt) {
  CallCommand c;
  c.to = to;
  c.timeout_ms = timeout_ms;
  return c;
}

// Opens a connection the engine must refuse (the harness cannot connect() it: there is no
// welcome to consume). Its only action is the 4029 Close, and it leaves no trace.
void expect_refused(EngineHarness& h, std::size_t limit, const std::string& user,
                    const std::string& device, std::optional<ResumeRequest> resume = std::nullopt) {
  static ConnId next = 1'000;  // far above the harness's own conn ids
  const ConnId conn = next++;
  const auto before = h.engine().stats();
  Actions out = h.engine().handle(ConnectionOpened{conn, user, device, std::move(resume)}, h.now());
  ASSERT_EQ(out.size(), 1U) << "a refused connection gets its Close and nothing else";
  const auto* close = std::get_if<Close>(out.data());
  ASSERT_NE(close, nullptr);
  EXPECT_EQ(close->conn, conn);
  EXPECT_EQ(close->code, CloseCode::too_many);
  EXPECT_EQ(close->reason, "too many devices for this user (limit " + std::to_string(limit) + ")");
  EXPECT_EQ(h.engine().stats().connections, before.connections);
  EXPECT_EQ(h.engine().stats().sessions, before.sessions);
  // The driver owes no ConnectionClosed; one that comes anyway changes nothing.
  EXPECT_TRUE(h.engine().handle(ConnectionClosed{conn, false}, h.now()).empty());
  EXPECT_EQ(h.engine().stats().sessions, before.sessions);
}

// ---- devices per user --------------------------------------------------------------------

TEST(EngineLimits, TheDeviceOverTheLimitIsClosedWith4029AndNeverRegistered) {
  EngineHarness h(limits(3, 5));
  std::vector<ConnId> alice;
  for (const char* device : {"a1", "a2", "a3"})
    alice.push_back(h.connect("alice", device));
  EXPECT_EQ(h.engine().stats().sessions, 3U);
  expect_refused(h, 3, "alice", "a4");
  expect_refused(h, 3, "alice", "");  // a device id the engine would make up is new too
  h.expect_all_quiet();

  // Nothing reaches it later either: a call rings the three held devices only.
  auto bob = h.connect("bob");
  h.place_call(bob, "alice");
  for (ConnId device : alice)
    h.next_event<CallEvent>(device);
  h.expect_all_quiet();
}

TEST(EngineLimits, ADetachedSessionStillCounts) {
  EngineHarness h(limits(2, 5));
  h.connect("alice", "a1");
  h.drop(h.connect("alice", "a2"));
  EXPECT_EQ(h.engine().stats().detached_sessions, 1U);
  expect_refused(h, 2, "alice", "a3");
}

TEST(EngineLimits, ResumingAnOwnSessionIsNeverRefused) {
  EngineHarness h(limits(2, 5));
  h.connect("alice", "a1");
  auto a2 = h.connect("alice", "a2");
  h.drop(a2);
  auto back = h.resume(a2);
  EXPECT_TRUE(h.last_welcome().resumed);
  EXPECT_EQ(h.engine().stats().sessions, 2U);

  // A resume that cannot replay starts a fresh session, but for the same held device.
  h.drop(back);
  h.resume(back, Seq{999});
  EXPECT_FALSE(h.last_welcome().resumed);
  EXPECT_EQ(h.last_welcome().device_id, "a2");
  EXPECT_EQ(h.engine().stats().sessions, 2U);
  h.expect_all_quiet();
}

TEST(EngineLimits, AHeldDeviceIdTakesOverInsteadOfCounting) {
  EngineHarness h(limits(2, 5));
  auto a1 = h.connect("alice", "a1");
  auto a2 = h.connect("alice", "a2");
  h.connect("alice", "a2");  // the same phone, a new socket: replaces, not added
  EXPECT_EQ(h.closed_with(a2), CloseCode::replaced);
  h.drop(a1);
  h.connect("alice", "a1");  // a held but detached device comes back without resuming
  EXPECT_EQ(h.engine().stats().sessions, 2U);
  EXPECT_EQ(h.engine().stats().detached_sessions, 0U);
  expect_refused(h, 2, "alice", "a3");
}

TEST(EngineLimits, ACleanCloseFreesAPlace) {
  EngineHarness h(limits(2, 5));
  h.connect("alice", "a1");
  h.disconnect(h.connect("alice", "a2"));
  h.connect("alice", "a3");
  EXPECT_EQ(h.engine().stats().sessions, 2U);
}

TEST(EngineLimits, AnExpiredResumeWindowFreesAPlace) {
  EngineConfig config = limits(2, 5);
  config.resume_window = Millis(10'000);
  EngineHarness h(config);
  h.connect("alice", "a1");
  h.drop(h.connect("alice", "a2"));
  h.advance(Millis(9'999));
  expect_refused(h, 2, "alice", "a3");
  h.advance(Millis(1));
  h.connect("alice", "a3");
  EXPECT_EQ(h.engine().stats().sessions, 2U);
}

TEST(EngineLimits, DeviceLimitIsPerUser) {
  EngineHarness h(limits(1, 5));
  h.connect("alice", "phone");
  h.connect("bob", "phone");
  expect_refused(h, 1, "alice", "laptop");
  h.connect("carol", "laptop");
  expect_refused(h, 1, "bob", "laptop");
  EXPECT_EQ(h.engine().stats().sessions, 3U);
}

// ---- ringing calls per user --------------------------------------------------------------

// Alice has two calls ringing (to bob and carol), the limit; dave is free to be called.
struct AtRingingLimit {
  EngineHarness h{limits(10, 2)};
  ConnId alice = h.connect("alice");
  ConnId bob = h.connect("bob");
  ConnId carol = h.connect("carol");
  ConnId dave = h.connect("dave");
  std::string to_bob = h.ring(alice, "bob", {bob});
  std::string to_carol = h.ring(alice, "carol", {carol});

  void expect_limited(ConnId from) {
    const auto changes = h.changes().size();
    const auto calls = h.engine().call_count();
    h.send(from, call_to("dave"), "over-" + std::to_string(changes));
    auto e = h.next_error(from, ErrorCode::rate_limited);
    EXPECT_EQ(e.id, "over-" + std::to_string(changes));
    EXPECT_EQ(e.message, "too many ringing calls (limit 2)");
    h.expect_all_quiet();  // nobody rang, nobody heard
    EXPECT_EQ(h.changes().size(), changes);
    EXPECT_EQ(h.engine().call_count(), calls);
  }
  void expect_allowed() { h.ring(alice, "dave", {dave}); }
};

TEST(EngineLimits, TheCallOverTheRingingLimitIsRateLimited) {
  AtRingingLimit t;
  t.expect_limited(t.alice);
  // Others are not: bob may still call, and be called.
  t.h.ring(t.bob, "dave", {t.dave});
  t.h.ring(t.carol, "bob", {t.bob});
}

TEST(EngineLimits, AnAnswerFreesAPlace) {
  AtRingingLimit t;
  t.h.answer(t.bob, t.alice, t.to_bob);
  // Alice is busy now; once that call ends (it no longer rang), one call still rings.
  t.h.send(t.bob, HangupCommand{t.to_bob, std::nullopt});
  t.h.next_ack(t.bob);
  t.h.next_ended(t.bob, EndReason::completed);
  t.h.next_ended(t.alice, EndReason::completed);
  t.expect_allowed();
  t.expect_limited(t.alice);
}

TEST(EngineLimits, ARejectFreesAPlace) {
  AtRingingLimit t;
  t.h.send(t.carol, RejectCommand{t.to_carol, RejectReason::declined});
  t.h.next_ack(t.carol);
  t.h.next_ended(t.carol, EndReason::declined);
  t.h.next_ended(t.alice, EndReason::declined);
  t.expect_allowed();
  t.expect_limited(t.alice);
}

TEST(EngineLimits, ARingTimeoutFreesAPlace) {
  AtRingingLimit t;
  auto& h = t.h;
  h.advance(Millis(30'000));  // the default ring timeout
  h.next_ended(t.alice, EndReason::no_answer);
  h.next_ended(t.alice, EndReason::no_answer);
  h.next_ended(t.bob, EndReason::no_answer);
  h.next_ended(t.carol, EndReason::no_answer);
  t.expect_allowed();
  h.place_call(t.alice, "bob");
  h.next_event<CallEvent>(t.bob);
  t.expect_limited(t.alice);
}

TEST(EngineLimits, AHangupFreesAPlace) {
  AtRingingLimit t;
  t.h.send(t.alice, HangupCommand{t.to_bob, std::nullopt});
  t.h.next_ack(t.alice);
  t.h.next_ended(t.alice, EndReason::canceled);
  t.h.next_ended(t.bob, EndReason::canceled);
  t.expect_allowed();
  t.expect_limited(t.alice);
}

TEST(EngineLimits, CallsThatEndAtOnceNeverCount) {
  AtRingingLimit t;
  t.h.send(t.alice, HangupCommand{t.to_carol, std::nullopt});
  t.h.next_ack(t.alice);
  t.h.next_ended(t.alice, EndReason::canceled);
  t.h.next_ended(t.carol, EndReason::canceled);
  t.h.place_call(t.alice, "nobody");  // no device: ends `unavailable` at once
  t.h.next_ended(t.alice, EndReason::unavailable);
  t.expect_allowed();
  t.expect_limited(t.alice);
}

TEST(EngineLimits, RetriesGetTheirOriginalAnswer) {
  AtRingingLimit t;
  auto& h = t.h;
  h.send(t.alice, call_to("dave"), "first");
  EXPECT_EQ(h.next_error(t.alice, ErrorCode::rate_limited).id, "first");
  h.send(t.alice, HangupCommand{t.to_bob, std::nullopt});
  h.next_ack(t.alice);
  h.next_ended(t.alice, EndReason::canceled);
  h.next_ended(t.bob, EndReason::canceled);
  // Resent with its id, a refused command gets its original answer and still does not run,
  // though a place is free now (a new command id is a new attempt).
  h.send(t.alice, call_to("dave"), "first");
  EXPECT_EQ(h.next_error(t.alice, ErrorCode::rate_limited).id, "first");
  h.expect_all_quiet();

  h.send(t.alice, call_to("dave"), "placed");  // takes the free place
  const auto placed = h.next_ack(t.alice).call_id;
  h.next_event<CallEvent>(t.dave);
  // Back at the limit, the command that placed a call, resent, gets its ack again...
  h.send(t.alice, call_to("dave"), "placed");
  EXPECT_EQ(h.next_ack(t.alice).call_id, placed);
  // ...and so does a new command with the same callId: it is the same call.
  CallCommand again = call_to("dave");
  again.call_id = placed;
  h.send(t.alice, again, "again");
  EXPECT_EQ(h.next_ack(t.alice).call_id, placed);
  h.expect_all_quiet();
  EXPECT_EQ(h.engine().stats().ringing_calls, 2U);
}

TEST(EngineLimits, UserCommandsCountAndAreCounted) {
  EngineHarness h(limits(10, 2));
  auto alice = h.connect("alice");
  auto bob = h.connect("bob");
  auto carol = h.connect("carol");
  auto dave = h.connect("dave");
  h.ring(alice, "bob", {bob});  // from a device
  h.send_as_user("alice", call_to("carol"));
  const auto deviceless = h.next_ack(kRest).call_id.value_or("");
  h.next_event<CallEvent>(carol);

  h.send_as_user("alice", call_to("dave"), "rest-over");
  auto e = h.next_error(kRest, ErrorCode::rate_limited);
  EXPECT_EQ(e.id, "rest-over");
  EXPECT_EQ(e.message, "too many ringing calls (limit 2)");
  h.send(alice, call_to("dave"));
  h.next_error(alice, ErrorCode::rate_limited);
  h.expect_all_quiet();

  h.send(carol, RejectCommand{deviceless, RejectReason::declined});
  h.next_ack(carol);
  h.next_ended(carol, EndReason::declined);
  h.next_ended(alice, EndReason::declined);  // a deviceless leg: every device of alice
  h.send_as_user("alice", call_to("dave"));
  h.next_ack(kRest);
  h.next_event<CallEvent>(dave);
  h.expect_all_quiet();
}

}  // namespace
}  // namespace switchboard::testing
