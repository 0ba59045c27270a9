// Credentials and origins from upgrade headers (server/upgrade_headers.hpp).
#include "server/upgrade_headers.hpp"

#include <gtest/gtest.h>

namespace switchboard::server {
namespace {

TEST(UpgradeHeadersTest, BearerToken) {
  EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearer_token("bearer   abc "), "abc");
  EXPECT_EQ(bearer_token("BEARER\tabc"), "abc");
  EXPECT_FALSE(bearer_token("Basic dXNlcjpwYXNz"));
  EXPECT_FALSE(bearer_token("Bearer"));
  EXPECT_FALSE(bearer_token("Bearer   "));
  EXPECT_FALSE(bearer_token("Bearerabc"));
  EXPECT_FALSE(bearer_token(""));
}

TEST(UpgradeHeadersTest, SubprotocolToken) {
  EXPECT_EQ(subprotocol_token("bearer, abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(subprotocol_token("bearer,abc"), "abc");
  EXPECT_EQ(subprotocol_token(" Bearer , abc , chat"), "abc");
  EXPECT_FALSE(subprotocol_token("bearer"));
  EXPECT_FALSE(subprotocol_token("bearer, "));
  EXPECT_FALSE(subprotocol_token("chat, bearer, abc"));
  EXPECT_FALSE(subprotocol_token("chat"));
  EXPECT_FALSE(subprotocol_token(""));
}

TEST(UpgradeHeadersTest, AnyOriginWhenNoneConfigured) {
  EXPECT_TRUE(origin_allowed({}, "https://evil.example"));
  EXPECT_TRUE(origin_allowed({}, std::nullopt));
}

TEST(UpgradeHeadersTest, OnlyConfiguredOriginsWhenSome) {
  const std::vector<std::string> allowed{"https://app.example.com", "http://localhost:5173"};
  EXPECT_TRUE(origin_allowed(allowed, "https://app.example.com"));
  EXPECT_TRUE(origin_allowed(allowed, "HTTPS://App.Example.com"));
  EXPECT_TRUE(origin_allowed(allowed, "http://localhost:5173"));
  EXPECT_FALSE(origin_allowed(allowed, "http://localhost:5174"));
  EXPECT_FALSE(origin_allowed(allowed, "https://app.example.com.evil.example"));
  EXPECT_FALSE(origin_allowed(allowed, "http://app.example.com"));
  EXPECT_FALSE(origin_allowed(allowed, "null"));
  EXPECT_FALSE(origin_allowed(allowed, ""));
  // Not a browser: nothing to check.
  EXPECT_TRUE(origin_allowed(allowed, std::nullopt));
}

}  // namespace
}  // namespace switchboard::server
