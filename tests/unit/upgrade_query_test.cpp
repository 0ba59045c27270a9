// parse_upgrade_query() and resume_request(): what a `GET /v1/ws` query string turns into,
// and which resume parameters are refused with 400.
#include "server/upgrade_query.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace switchboard::server {
namespace {

UpgradeQuery parse(std::string_view encoded_query) {
  const std::string target = "/v1/ws?" + std::string(encoded_query);
  auto query = parse_upgrade_query(target);
  if (!query) {
    ADD_FAILURE() << "unparsable target: " << target;
    return {};
  }
  return *query;
}

std::optional<ResumeRequest> resume_ok(std::string_view encoded) {
  auto result = resume_request(parse(encoded));
  if (auto* bad = std::get_if<BadQuery>(&result)) {
    ADD_FAILURE() << encoded << " refused: " << bad->message;
    return std::nullopt;
  }
  return std::get<std::optional<ResumeRequest>>(result);
}

std::string resume_refused(std::string_view encoded) {
  auto result = resume_request(parse(encoded));
  if (auto* bad = std::get_if<BadQuery>(&result)) return bad->message;
  ADD_FAILURE() << encoded << " was accepted";
  return {};
}

TEST(UpgradeQueryTest, ReadsEveryKnownParameterDecoded) {
  const UpgradeQuery q =
      parse("user=al%69ce&token=a.b.c&device=ph+one&session=s%2D1&lastSeq=42&other=x");
  EXPECT_EQ(q.auth.user, "alice");
  EXPECT_EQ(q.auth.token, "a.b.c");
  EXPECT_EQ(q.auth.device, "ph+one");  // '+' is a legal id character, not a space
  EXPECT_EQ(q.session, "s-1");
  EXPECT_EQ(q.last_seq, "42");
}

TEST(UpgradeQueryTest, FirstOccurrenceWinsAndValuelessParametersAreIgnored) {
  const UpgradeQuery q = parse("user&user=bob&user=eve&session=a&session=b&lastSeq=1&lastSeq=2");
  EXPECT_EQ(q.auth.user, "bob");
  EXPECT_EQ(q.session, "a");
  EXPECT_EQ(q.last_seq, "1");
  EXPECT_FALSE(q.auth.token);
  EXPECT_FALSE(q.auth.device);
}

TEST(UpgradeQueryTest, EmptyQueryHasNothing) {
  const UpgradeQuery q = parse("");
  EXPECT_FALSE(q.auth.user);
  EXPECT_FALSE(q.session);
  EXPECT_FALSE(q.last_seq);
}

TEST(UpgradeQueryTest, ParameterNamesAreCaseSensitive) {
  const UpgradeQuery q = parse("Session=a&lastseq=1");
  EXPECT_FALSE(q.session);
  EXPECT_FALSE(q.last_seq);
}

TEST(UpgradeQueryTest, NoQueryAtAll) {
  const auto q = parse_upgrade_query("/v1/ws");
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->auth.user);
}

TEST(UpgradeQueryTest, InvalidTargetsAreRejected) {
  EXPECT_FALSE(parse_upgrade_query("/v1/ws?user=%zz"));
  EXPECT_FALSE(parse_upgrade_query("/v1/ws?user=a b"));
  EXPECT_FALSE(parse_upgrade_query("http://example.com/v1/ws?user=a"));  // not origin form
}

// Beast's request target is a view into the header buffer, with " HTTP/1.1" right after it.
TEST(UpgradeQueryTest, StopsAtTheEndOfAViewThatIsNotNulTerminated) {
  const std::string request_line = "/v1/ws?session=s1&lastSeq=5&user=bob HTTP/1.1\r\n";
  const auto q =
      parse_upgrade_query(std::string_view(request_line).substr(0, request_line.find(' ')));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->auth.user, "bob");
  EXPECT_EQ(q->session, "s1");
  EXPECT_EQ(q->last_seq, "5");
}

TEST(ResumeRequestTest, NeitherParameterMeansAFreshSession) {
  EXPECT_EQ(resume_ok("user=alice&device=phone"), std::nullopt);
}

TEST(ResumeRequestTest, BothParametersMakeARequest) {
  const auto r = resume_ok("user=alice&session=3f2a9c_Z-.~&lastSeq=17");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->session_id, "3f2a9c_Z-.~");
  EXPECT_EQ(r->last_seq, 17u);
}

TEST(ResumeRequestTest, LastSeqRange) {
  EXPECT_EQ(resume_ok("session=s&lastSeq=0")->last_seq, 0u);
  EXPECT_EQ(resume_ok("session=s&lastSeq=007")->last_seq, 7u);
  EXPECT_EQ(resume_ok("session=s&lastSeq=9007199254740992")->last_seq, kMaxLastSeq);
  EXPECT_EQ(kMaxLastSeq, 9007199254740992u);
}

TEST(ResumeRequestTest, OnlyOneOfThePairIsRefused) {
  EXPECT_NE(resume_refused("session=s").find("together"), std::string::npos);
  EXPECT_NE(resume_refused("lastSeq=3").find("together"), std::string::npos);
  // A value-less parameter counts as absent, so its partner stands alone.
  EXPECT_NE(resume_refused("session&lastSeq=3").find("together"), std::string::npos);
}

TEST(ResumeRequestTest, MalformedSessionIdsAreRefused) {
  for (const char* query : {"session=&lastSeq=1", "session=a%20b&lastSeq=1",
                            "session=a%2Fb&lastSeq=1", "session=%C3%A9&lastSeq=1"}) {
    EXPECT_NE(resume_refused(query).find("session"), std::string::npos) << query;
  }
  const std::string too_long = "session=" + std::string(kMaxIdLength + 1, 'a') + "&lastSeq=1";
  EXPECT_NE(resume_refused(too_long).find("session"), std::string::npos);
  const std::string longest = "session=" + std::string(kMaxIdLength, 'a') + "&lastSeq=1";
  EXPECT_TRUE(resume_ok(longest));
}

TEST(ResumeRequestTest, MalformedLastSeqIsRefused) {
  for (const char* value : {"", "-1", "+1", "1.0", "1e3", "0x10", "%201", "1%20", "%2B1", "12abc",
                            "abc", "9007199254740993", "18446744073709551615",
                            "18446744073709551616", "99999999999999999999999"}) {
    const std::string query = std::string("session=s&lastSeq=") + value;
    EXPECT_NE(resume_refused(query).find("lastSeq"), std::string::npos) << query;
  }
}

}  // namespace
}  // namespace switchboard::server
