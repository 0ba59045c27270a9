// Authenticator: dev mode (?user=) and shared-secret JWTs (HS256/384/512): every refusal code,
// exp/nbf with leeway, aud/iss for user tokens only, the user claim, and a Supabase-shaped
// token. A fixed wall clock, no sleeps. Public keys (RS256/ES256): auth_keys_test.cpp.
#include "server/auth.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "tests/unit/jwt_test_keys.hpp"

namespace switchboard::server {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;
using std::chrono::system_clock;
namespace keys = testing::jwt_keys;

constexpr long kNow = 1'700'000'000;  // seconds since the epoch
const std::string kSecret = "test-secret-with-enough-entropy-0123456789";

Config secret_config() {
  Config config;
  config.jwt_secret = kSecret;
  return config;
}

Authenticator authenticator(const Config& config = secret_config()) {
  return Authenticator(config, [] { return system_clock::time_point(seconds(kNow)); });
}

Json alice(Json extra = Json::object()) {
  Json claims = {{"sub", "alice"}, {"exp", kNow + 60}};
  claims.update(extra);
  return claims;
}

std::string token(const Json& claims = alice(), const std::string& alg = "HS256",
                  const std::string& key = kSecret) {
  return keys::sign(alg, key, claims);
}

AuthQuery with_user(std::optional<std::string> user,
                    std::optional<std::string> device = std::nullopt) {
  AuthQuery q;
  q.user = std::move(user);
  q.device = std::move(device);
  return q;
}

AuthQuery with_token(std::string token, std::optional<std::string> device = std::nullopt) {
  AuthQuery q;
  q.token = std::move(token);
  q.device = std::move(device);
  return q;
}

void expect_identity(const AuthResult& result, const std::string& user, const std::string& device,
                     std::optional<double> expires_at = static_cast<double>(kNow + 60)) {
  ASSERT_TRUE(std::holds_alternative<Identity>(result))
      << std::get<AuthFailure>(result).code << ": " << std::get<AuthFailure>(result).message;
  EXPECT_EQ(std::get<Identity>(result).user_id, user);
  EXPECT_EQ(std::get<Identity>(result).device_id, device);
  EXPECT_EQ(std::get<Identity>(result).expires_at, expires_at);
}

// Also checks that the message does not quote the token (or its signature).
template <typename Result>
void expect_failure(const Result& result, unsigned status, const std::string& code,
                    const std::string& presented = "") {
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(result)) << "accepted; expected " << code;
  const auto& failure = std::get<AuthFailure>(result);
  EXPECT_EQ(failure.code, code) << failure.message;
  EXPECT_EQ(failure.status, status) << failure.code << ": " << failure.message;
  EXPECT_FALSE(failure.message.empty());
  std::string needle = presented.substr(presented.rfind('.') + 1);
  if (needle.size() < 8) needle = presented;
  if (needle.size() >= 8) {
    EXPECT_EQ(failure.message.find(needle), std::string::npos) << failure.message;
  }
}

void expect_refused(const Authenticator& auth, const std::string& presented,
                    const std::string& code, unsigned status = 401) {
  expect_failure(auth.authenticate(with_token(presented)), status, code, presented);
}

// ---- dev mode --------------------------------------------------------------------------------

TEST(DevAuth, TrustsAWellFormedUser) {
  const Authenticator auth(Config{});
  EXPECT_TRUE(auth.dev_mode());
  expect_identity(auth.authenticate(with_user("alice")), "alice", "", std::nullopt);
  expect_identity(auth.authenticate(with_user("a.b_c~d@e+f-9", "phone-1")), "a.b_c~d@e+f-9",
                  "phone-1", std::nullopt);
}

TEST(DevAuth, MissingUserIs401) {
  const Authenticator auth(Config{});
  expect_failure(auth.authenticate(AuthQuery{}), 401, "missing_user");
  expect_failure(auth.authenticate(with_user(std::nullopt, "phone")), 401, "missing_user");
  // A token means nothing without a key: dev mode still wants ?user=.
  expect_failure(auth.authenticate(with_token(token())), 401, "missing_user");
  expect_failure(auth.verify(token(), TokenUse::apikey), 401, "no_verification_key");
  expect_failure(auth.user_of(token()), 401, "no_verification_key");
}

TEST(DevAuth, MalformedIdsAre400) {
  const Authenticator auth(Config{});
  expect_failure(auth.authenticate(with_user("")), 400, "bad_user_id");
  expect_failure(auth.authenticate(with_user("has space")), 400, "bad_user_id");
  expect_failure(auth.authenticate(with_user(std::string(129, 'a'))), 400, "bad_user_id");
  expect_failure(auth.authenticate(with_user("ok", "bad/device")), 400, "bad_device_id");
  expect_failure(auth.authenticate(with_user("ok", "")), 400, "bad_device_id");
  expect_identity(auth.authenticate(with_user(std::string(128, 'a'))), std::string(128, 'a'), "",
                  std::nullopt);
}

// ---- shared secret ---------------------------------------------------------------------------

TEST(JwtAuth, ValidTokenYieldsUserDeviceAndExpiry) {
  const auto auth = authenticator();
  EXPECT_FALSE(auth.dev_mode());
  expect_identity(auth.authenticate(with_token(token())), "alice", "");
  expect_identity(auth.authenticate(with_token(token(), "laptop")), "alice", "laptop");
  const auto claims = auth.verify(token(), TokenUse::user);
  ASSERT_TRUE(std::holds_alternative<TokenClaims>(claims));
  EXPECT_EQ(std::get<TokenClaims>(claims).sub, "alice");
  EXPECT_EQ(std::get<TokenClaims>(claims).exp, kNow + 60);
  EXPECT_EQ(std::get<std::string>(auth.user_of(token())), "alice");
}

TEST(JwtAuth, UserParameterIsIgnored) {
  const auto auth = authenticator();
  AuthQuery q = with_token(token());
  q.user = "mallory";
  expect_identity(auth.authenticate(q), "alice", "");
  expect_failure(auth.authenticate(with_user("mallory")), 401, "missing_token");
}

TEST(JwtAuth, MissingOrEmptyTokenIs401) {
  const auto auth = authenticator();
  expect_failure(auth.authenticate(AuthQuery{}), 401, "missing_token");
  expect_failure(auth.authenticate(with_token("")), 401, "missing_token");
  expect_failure(auth.verify("", TokenUse::apikey), 401, "missing_token");
}

TEST(JwtAuth, EveryHmacAlgorithmWorksWithTheSecret) {
  const auto auth = authenticator();
  for (const char* alg : {"HS256", "HS384", "HS512"}) {
    expect_identity(auth.authenticate(with_token(token(alice(), alg))), "alice", "");
    expect_refused(auth, token(alice(), alg, "another-secret-0123456789abcdef"), "bad_signature");
  }
}

TEST(JwtAuth, UnsignedAndPublicKeyAlgorithmsAreRefused) {
  const auto auth = authenticator();
  expect_refused(auth, token(alice(), "none"), "wrong_algorithm");
  // alg none with a signature attached, and the names in the wrong case.
  const std::string claims = alice().dump();
  for (const char* header : {R"({"alg":"none"})", R"({"alg":"None","typ":"JWT"})",
                             R"({"alg":"hs256","typ":"JWT"})", R"({"alg":"RS256"})"}) {
    expect_refused(auth, keys::assemble(header, claims, "signature"), "wrong_algorithm");
  }
  expect_refused(auth, token(alice(), "RS256", keys::rsa2048().private_pem), "wrong_algorithm");
  expect_refused(auth, token(alice(), "ES256", keys::ec_p256().private_pem), "wrong_algorithm");
}

TEST(JwtAuth, ExpiryWithTheDefaultLeewayOfTenSeconds) {
  const auto auth = authenticator();
  expect_identity(auth.authenticate(with_token(token(alice({{"exp", kNow - 9}})))), "alice", "",
                  kNow - 9);
  expect_identity(auth.authenticate(with_token(token(alice({{"exp", kNow - 9.5}})))), "alice", "",
                  kNow - 9.5);
  expect_refused(auth, token(alice({{"exp", kNow - 10}})), "token_expired");
  expect_refused(auth, token(alice({{"exp", kNow - 3600}})), "token_expired");
  expect_failure(auth.verify(token(alice({{"exp", kNow - 11}})), TokenUse::apikey), 401,
                 "token_expired");
}

TEST(JwtAuth, ExpiryWithoutLeeway) {
  Config config = secret_config();
  config.jwt_leeway = Millis{0};
  const auto auth = authenticator(config);
  expect_refused(auth, token(alice({{"exp", kNow}})), "token_expired");
  expect_refused(auth, token(alice({{"exp", kNow - 1}})), "token_expired");
  expect_identity(auth.authenticate(with_token(token(alice({{"exp", kNow + 1}})))), "alice", "",
                  kNow + 1);
  // RFC 7519 NumericDate may be fractional.
  expect_identity(auth.authenticate(with_token(token(alice({{"exp", kNow + 0.5}})))), "alice", "",
                  kNow + 0.5);
}

TEST(JwtAuth, MissingOrNonNumericExpIs401) {
  const auto auth = authenticator();
  Json no_exp = alice();
  no_exp.erase("exp");
  expect_refused(auth, token(no_exp), "missing_exp");
  for (const Json& exp : {Json("1999999999"), Json(true), Json(nullptr), Json::array()}) {
    expect_refused(auth, token(alice({{"exp", exp}})), "missing_exp");
  }
}

TEST(JwtAuth, NotBeforeWithLeeway) {
  const auto auth = authenticator();
  expect_identity(auth.authenticate(with_token(token(alice({{"nbf", kNow + 10}})))), "alice", "");
  expect_identity(auth.authenticate(with_token(token(alice({{"nbf", kNow - 100}})))), "alice", "");
  expect_refused(auth, token(alice({{"nbf", kNow + 10.5}})), "token_not_yet_valid");
  expect_refused(auth, token(alice({{"nbf", kNow + 11}})), "token_not_yet_valid");
  expect_refused(auth, token(alice({{"nbf", "soon"}})), "malformed_token");

  Config strict = secret_config();
  strict.jwt_leeway = Millis{0};
  expect_identity(authenticator(strict).authenticate(with_token(token(alice({{"nbf", kNow}})))),
                  "alice", "");
  expect_refused(authenticator(strict), token(alice({{"nbf", kNow + 1}})), "token_not_yet_valid");
}

TEST(JwtAuth, AudienceWhenConfigured) {
  Config config = secret_config();
  config.jwt_audience = "authenticated";
  const auto auth = authenticator(config);
  expect_identity(auth.authenticate(with_token(token(alice({{"aud", "authenticated"}})))), "alice",
                  "");
  expect_identity(
      auth.authenticate(with_token(token(alice({{"aud", {"other", 7, "authenticated"}}})))),
      "alice", "");
  expect_refused(auth, token(), "wrong_audience");
  expect_refused(auth, token(alice({{"aud", "anon"}})), "wrong_audience");
  expect_refused(auth, token(alice({{"aud", "Authenticated"}})), "wrong_audience");
  expect_refused(auth, token(alice({{"aud", {"other", "anon"}}})), "wrong_audience");
  expect_refused(auth, token(alice({{"aud", Json::array()}})), "wrong_audience");
  expect_refused(auth, token(alice({{"aud", 1}})), "wrong_audience");
  // Without --jwt-audience any aud (or none) will do.
  expect_identity(authenticator().authenticate(with_token(token(alice({{"aud", "x"}})))), "alice",
                  "");
}

TEST(JwtAuth, IssuerWhenConfigured) {
  Config config = secret_config();
  config.jwt_issuer = "https://ref.supabase.co/auth/v1";
  const auto auth = authenticator(config);
  expect_identity(
      auth.authenticate(with_token(token(alice({{"iss", "https://ref.supabase.co/auth/v1"}})))),
      "alice", "");
  expect_refused(auth, token(), "wrong_issuer");
  expect_refused(auth, token(alice({{"iss", "https://ref.supabase.co/auth/v1/"}})), "wrong_issuer");
  expect_refused(auth, token(alice({{"iss", "supabase"}})), "wrong_issuer");
  expect_refused(auth, token(alice({{"iss", Json::array({"https://ref.supabase.co/auth/v1"})}})),
                 "wrong_issuer");
}

TEST(JwtAuth, ApikeyUseSkipsAudienceAndIssuerButVouchesForNobody) {
  Config config = secret_config();
  config.jwt_audience = "authenticated";
  config.jwt_issuer = "https://ref.supabase.co/auth/v1";
  const auto auth = authenticator(config);
  const std::string foreign = token(alice({{"aud", "other"}, {"iss", "elsewhere"}}));
  const auto as_apikey = auth.verify(foreign, TokenUse::apikey);
  ASSERT_TRUE(std::holds_alternative<TokenClaims>(as_apikey));
  EXPECT_FALSE(std::get<TokenClaims>(as_apikey).sub);  // not a user token here
  expect_failure(auth.verify(foreign, TokenUse::user), 401, "wrong_audience");
  expect_failure(auth.user_of(foreign), 401, "wrong_audience");

  const std::string own =
      token(alice({{"aud", "authenticated"}, {"iss", "https://ref.supabase.co/auth/v1"}}));
  for (const TokenUse use : {TokenUse::user, TokenUse::apikey}) {
    const auto claims = auth.verify(own, use);
    ASSERT_TRUE(std::holds_alternative<TokenClaims>(claims));
    EXPECT_EQ(std::get<TokenClaims>(claims).sub, "alice");
  }
  // Signature and lifetime still count for an apikey.
  expect_failure(
      auth.verify(token(alice(), "HS256", "wrong-secret-0123456789abcdef"), TokenUse::apikey), 401,
      "bad_signature");
  expect_failure(auth.verify(token(alice({{"exp", kNow - 60}})), TokenUse::apikey), 401,
                 "token_expired");
}

TEST(JwtAuth, UserClaim) {
  const auto auth = authenticator();
  Json no_sub = alice();
  no_sub.erase("sub");
  expect_refused(auth, token(no_sub), "missing_user_claim");
  for (const Json& sub : {Json(42), Json(nullptr), Json::array({"alice"}), Json(false)}) {
    expect_refused(auth, token(alice({{"sub", sub}})), "missing_user_claim");
  }
  expect_refused(auth, token(alice({{"sub", "not a valid id"}})), "bad_user_id", 400);
  expect_refused(auth, token(alice({{"sub", ""}})), "bad_user_id", 400);
  expect_refused(auth, token(alice({{"sub", std::string(129, 'a')}})), "bad_user_id", 400);
}

TEST(JwtAuth, CustomUserClaim) {
  Config config = secret_config();
  config.jwt_user_claim = "uid";
  const auto auth = authenticator(config);
  expect_identity(auth.authenticate(with_token(token(alice({{"uid", "bob"}})))), "bob", "");
  expect_refused(auth, token(), "missing_user_claim");
  expect_refused(auth, token(alice({{"uid", 7}})), "missing_user_claim");
  const auto claims = auth.verify(token(alice({{"uid", "bob"}})), TokenUse::apikey);
  ASSERT_TRUE(std::holds_alternative<TokenClaims>(claims));
  EXPECT_EQ(std::get<TokenClaims>(claims).sub, "bob");
}

TEST(JwtAuth, MalformedDeviceWithValidTokenIs400) {
  expect_failure(authenticator().authenticate(with_token(token(), "a/b")), 400, "bad_device_id");
}

TEST(JwtAuth, MalformedTokens) {
  const auto auth = authenticator();
  const std::string good = token();
  const std::string header = good.substr(0, good.find('.'));
  const std::string signature = good.substr(good.rfind('.') + 1);
  const std::string claims = alice().dump();
  for (const std::string& bad : {
           std::string("garbage"), std::string("a.b.c"), std::string(".."),
           good.substr(0, good.rfind('.')),                                     // two parts
           good + ".x",                                                         // four parts
           std::string(4096, 'A'), good + std::string(16 * 1024, 'A'),          // too long
           header + "=." + good.substr(good.find('.') + 1),                     // padding
           keys::assemble("not json", claims, "sig"),                           //
           keys::assemble(R"({"alg":"HS256"})", "[1,2]", "sig"),                // claims array
           keys::assemble(R"({"typ":"JWT"})", claims, "sig"),                   // no alg
           keys::assemble(R"({"alg":256})", claims, "sig"),                     //
           keys::assemble(R"({"alg":"HS256","crit":["b64"]})", claims, "sig"),  //
           header + "." + keys::base64url(claims) + ".a+b/",  // base64, not base64url
       }) {
    expect_refused(auth, bad, "malformed_token");
  }
}

TEST(JwtAuth, TamperedTokensAreBadSignatures) {
  const auto auth = authenticator();
  const std::string alice_token = token();
  const std::string bob = token(alice({{"sub", "bob"}}));
  // Bob's header and claims with Alice's signature.
  expect_refused(auth, bob.substr(0, bob.rfind('.')) + alice_token.substr(alice_token.rfind('.')),
                 "bad_signature");
  expect_refused(auth, alice_token.substr(0, alice_token.size() - 3), "bad_signature");
  expect_refused(auth, alice_token.substr(0, alice_token.rfind('.') + 1), "bad_signature");
}

// What supabase-js sends: a user's access token, signed with the project's JWT secret, and
// the project's anon key as apikey (no sub, no aud, another iss).
TEST(JwtAuth, SupabaseTokensWorkUnchanged) {
  Config config = secret_config();
  config.jwt_audience = "authenticated";
  config.jwt_issuer = "https://abcdefghijklmnopqrst.supabase.co/auth/v1";
  const auto auth = authenticator(config);
  const Json access = {{"aud", "authenticated"},
                       {"exp", kNow + 3600},
                       {"iat", kNow},
                       {"iss", "https://abcdefghijklmnopqrst.supabase.co/auth/v1"},
                       {"sub", "4f1c2a9e-8d7b-4c1e-9f3a-2b6d5e8a7c10"},
                       {"email", "alice@example.com"},
                       {"phone", ""},
                       {"app_metadata", {{"provider", "email"}, {"providers", {"email"}}}},
                       {"user_metadata", Json::object()},
                       {"role", "authenticated"},
                       {"aal", "aal1"},
                       {"amr", {{{"method", "password"}, {"timestamp", kNow}}}},
                       {"session_id", "0d6f2c1e-3b4a-4c5d-8e9f-a0b1c2d3e4f5"},
                       {"is_anonymous", false}};
  expect_identity(auth.authenticate(with_token(token(access))),
                  "4f1c2a9e-8d7b-4c1e-9f3a-2b6d5e8a7c10", "", kNow + 3600);

  const Json anon = {{"iss", "supabase"},
                     {"ref", "abcdefghijklmnopqrst"},
                     {"role", "anon"},
                     {"iat", kNow - 86400},
                     {"exp", kNow + 10 * 365 * 86400}};
  const auto apikey = auth.verify(token(anon), TokenUse::apikey);
  ASSERT_TRUE(std::holds_alternative<TokenClaims>(apikey));
  EXPECT_FALSE(std::get<TokenClaims>(apikey).sub);
  expect_failure(auth.user_of(token(anon)), 401, "wrong_audience");
}

constexpr double kNowS = 1'700'000'000.0;  // kNow, as exp claims are read

// When a connection's credentials lapse (PROTOCOL.md "Token expiry"): the same exp + leeway the
// upgrade was checked against, fractions kept, absurd exps clamped instead of overflowing.
TEST(AuthLifetime, ValidUntilAddsTheLeeway) {
  Config config = secret_config();
  config.jwt_leeway = Millis(10'000);
  const Authenticator auth = authenticator(config);
  EXPECT_EQ(auth.valid_until(kNowS + 60), system_clock::time_point(seconds(kNow + 70)));
  EXPECT_EQ(auth.valid_until(kNowS + 0.5),
            system_clock::time_point(seconds(kNow + 10)) + std::chrono::milliseconds(500));
  config.jwt_leeway = Millis(0);
  EXPECT_EQ(authenticator(config).valid_until(kNowS + 60),
            system_clock::time_point(seconds(kNow + 60)));
  EXPECT_GT(auth.valid_until(1e300), system_clock::time_point(seconds(kNow + 3'600LL * 24 * 365)));
  EXPECT_EQ(auth.valid_until(-1e300), system_clock::time_point{});
}

TEST(AuthLifetime, UserInCarriesTheExp) {
  const Authenticator auth = authenticator();
  const auto result = auth.user_in(token(alice({{"exp", kNow + 42}})));
  ASSERT_TRUE(std::holds_alternative<Identity>(result));
  EXPECT_EQ(std::get<Identity>(result).user_id, "alice");
  EXPECT_EQ(std::get<Identity>(result).expires_at, kNowS + 42);
  expect_failure(auth.user_in(token(alice({{"exp", kNow - 60}}))), 401, "token_expired");
}

}  // namespace
}  // namespace switchboard::server
