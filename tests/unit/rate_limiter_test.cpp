// RateLimiter on a manual clock: the token bucket, refusals, and when refusals become abuse.
#include "protocol/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace switchboard {
namespace {

using Verdict = RateLimiter::Verdict;

// Sends `count` messages at `now`, returning how many got each verdict.
struct Tally {
  int admitted = 0;
  int refused = 0;
  int abusive = 0;
};
Tally send(RateLimiter& limiter, int count, Millis now) {
  Tally tally;
  for (int i = 0; i < count; ++i) {
    switch (limiter.admit(now)) {
      case Verdict::admit:
        ++tally.admitted;
        break;
      case Verdict::refuse:
        ++tally.refused;
        break;
      case Verdict::abuse:
        ++tally.abusive;
        break;
    }
  }
  return tally;
}

TEST(RateLimiter, BurstIsAdmittedAtOnceThenRefused) {
  RateLimiter limiter(50, 200, Millis{0});
  const auto tally = send(limiter, 201, Millis{0});
  EXPECT_EQ(tally.admitted, 200);
  EXPECT_EQ(tally.refused, 1);
  EXPECT_EQ(tally.abusive, 0);
}

TEST(RateLimiter, RefillsAtTheRate) {
  RateLimiter limiter(50, 200, Millis{0});
  send(limiter, 200, Millis{0});
  // 50 per second: one token every 20 ms.
  EXPECT_EQ(limiter.admit(Millis{19}), Verdict::refuse);
  EXPECT_EQ(limiter.admit(Millis{20}), Verdict::admit);
  EXPECT_EQ(limiter.admit(Millis{20}), Verdict::refuse);
  EXPECT_EQ(limiter.admit(Millis{60}), Verdict::admit);
  EXPECT_EQ(limiter.admit(Millis{60}), Verdict::admit);
  EXPECT_EQ(limiter.admit(Millis{60}), Verdict::refuse);
  // A long pause fills the bucket up to the burst, not beyond.
  const auto tally = send(limiter, 250, Millis{100'000});
  EXPECT_EQ(tally.admitted, 200);
}

TEST(RateLimiter, SteadyTrafficAtTheRateIsNeverRefused) {
  RateLimiter limiter(50, 200, Millis{0});
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_EQ(limiter.admit(Millis{i * 20}), Verdict::admit) << i;
  }
}

TEST(RateLimiter, SlightlyHotClientIsRefusedButNeverClosed) {
  RateLimiter limiter(50, 200, Millis{0});
  // ~56 messages per second for ten minutes: ~6 refusals a second, which refill faster.
  Tally total;
  for (int ms = 0; ms < 600'000; ms += 18) {
    const auto verdict = limiter.admit(Millis{ms});
    if (verdict == Verdict::refuse) ++total.refused;
    if (verdict == Verdict::abuse) ++total.abusive;
  }
  EXPECT_GT(total.refused, 0);
  EXPECT_EQ(total.abusive, 0);
}

TEST(RateLimiter, FloodBecomesAbuseAfterTheRefusalBurst) {
  RateLimiter limiter(50, 200, Millis{0});
  const auto tally = send(limiter, 401, Millis{0});
  EXPECT_EQ(tally.admitted, 200);
  EXPECT_EQ(tally.refused, 200);
  EXPECT_EQ(tally.abusive, 1);
}

TEST(RateLimiter, SustainedDoubleRateIsAbuseWithinSeconds) {
  RateLimiter limiter(50, 200, Millis{0});
  int abuse_at_ms = -1;
  for (int ms = 0; ms < 60'000 && abuse_at_ms < 0; ms += 10) {  // 100 per second
    if (limiter.admit(Millis{ms}) == Verdict::abuse) abuse_at_ms = ms;
  }
  ASSERT_GT(abuse_at_ms, 0);
  EXPECT_LT(abuse_at_ms, 15'000);
}

TEST(RateLimiter, ClockGoingBackwardsRefillsNothing) {
  RateLimiter limiter(1, 10, Millis{5'000});
  EXPECT_EQ(send(limiter, 10, Millis{5'000}).admitted, 10);
  EXPECT_EQ(limiter.admit(Millis{0}), Verdict::refuse);
  // One second after 5 s, not six after 0: one token.
  EXPECT_EQ(limiter.admit(Millis{6'000}), Verdict::admit);
  EXPECT_EQ(limiter.admit(Millis{6'000}), Verdict::refuse);
}

}  // namespace
}  // namespace switchboard
