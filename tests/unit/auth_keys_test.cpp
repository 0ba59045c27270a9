// Authenticator with a PEM public key: RS256 for an RSA key, ES256 for an EC P-256 key, each
// pinned, and the algorithm-confusion attacks refused. Keys are generated at test time.
#include <gtest/gtest.h>
#include <jwt.h>

#include <stdexcept>
#include <string>
#include <variant>

#include "server/auth.hpp"
#include "server/jwt_verifier.hpp"
#include "tests/unit/jwt_test_keys.hpp"

namespace switchboard::server::auth_keys_test {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;
using std::chrono::system_clock;
namespace keys = testing::jwt_keys;

constexpr long kNow = 1'700'000'000;
const std::string kSecret = "a-shared-secret-that-is-not-configured-here";

Authenticator with_key(const std::string& public_pem) {
  Config config;
  config.jwt_public_key_pem = public_pem;
  return Authenticator(config, [] { return system_clock::time_point(seconds(kNow)); });
}

Json alice() {
  return {{"sub", "alice"}, {"exp", kNow + 60}};
}

AuthQuery with_token(std::string token) {
  AuthQuery q;
  q.token = std::move(token);
  return q;
}

void expect_user(const Authenticator& auth, const std::string& token) {
  const auto result = auth.authenticate(with_token(token));
  ASSERT_TRUE(std::holds_alternative<Identity>(result))
      << std::get<AuthFailure>(result).code << ": " << std::get<AuthFailure>(result).message;
  EXPECT_EQ(std::get<Identity>(result).user_id, "alice");
  EXPECT_EQ(std::get<Identity>(result).expires_at, static_cast<double>(kNow + 60));
}

void expect_refused(const Authenticator& auth, const std::string& token, const std::string& code) {
  const auto result = auth.authenticate(with_token(token));
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(result)) << "accepted; expected " << code;
  EXPECT_EQ(std::get<AuthFailure>(result).status, 401u);
  EXPECT_EQ(std::get<AuthFailure>(result).code, code) << std::get<AuthFailure>(result).message;
}

// libjwt verifies with whatever alg the header names: given the public PEM as the key, it
// accepts an HS256 token whose HMAC secret is that PEM. This is what the pinning prevents.
void expect_libjwt_would_accept(const std::string& token, const std::string& key) {
  jwt_t* raw = nullptr;
  EXPECT_EQ(jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key.data()),
                       static_cast<int>(key.size())),
            0);
  jwt_free(raw);
}

TEST(JwtKeyAuth, Rs256WithAnRsaKey) {
  const auto auth = with_key(keys::rsa2048().public_pem);
  EXPECT_FALSE(auth.dev_mode());
  expect_user(auth, keys::sign("RS256", keys::rsa2048().private_pem, alice()));
  const auto claims =
      auth.verify(keys::sign("RS256", keys::rsa2048().private_pem, alice()), TokenUse::apikey);
  ASSERT_TRUE(std::holds_alternative<TokenClaims>(claims));
  EXPECT_EQ(std::get<TokenClaims>(claims).sub, "alice");
}

TEST(JwtKeyAuth, Es256WithAnEcKey) {
  const auto auth = with_key(keys::ec_p256().public_pem);
  expect_user(auth, keys::sign("ES256", keys::ec_p256().private_pem, alice()));
  // A signature made by OpenSSL directly: the JWS R||S encoding other issuers use.
  expect_user(auth, keys::sign_es256_with_openssl(keys::ec_p256().private_pem, alice()));
}

TEST(JwtKeyAuth, AnRsaKeyAllowsOnlyRs256) {
  const auto& rsa = keys::rsa2048();
  const auto auth = with_key(rsa.public_pem);
  const std::string confused = keys::sign("HS256", rsa.public_pem, alice());
  expect_libjwt_would_accept(confused, rsa.public_pem);
  expect_refused(auth, confused, "wrong_algorithm");
  expect_refused(auth, keys::sign("HS512", rsa.public_pem, alice()), "wrong_algorithm");
  expect_refused(auth, keys::sign("HS256", kSecret, alice()), "wrong_algorithm");
  expect_refused(auth, keys::sign("RS384", rsa.private_pem, alice()), "wrong_algorithm");
  expect_refused(auth, keys::sign("RS512", rsa.private_pem, alice()), "wrong_algorithm");
  expect_refused(auth, keys::sign("ES256", keys::ec_p256().private_pem, alice()),
                 "wrong_algorithm");
  expect_refused(auth, keys::sign("none", "", alice()), "wrong_algorithm");
}

TEST(JwtKeyAuth, AnEcKeyAllowsOnlyEs256) {
  const auto& ec = keys::ec_p256();
  const auto auth = with_key(ec.public_pem);
  const std::string confused = keys::sign("HS256", ec.public_pem, alice());
  expect_libjwt_would_accept(confused, ec.public_pem);
  expect_refused(auth, confused, "wrong_algorithm");
  expect_refused(auth, keys::sign("HS384", kSecret, alice()), "wrong_algorithm");
  expect_refused(auth, keys::sign("RS256", keys::rsa2048().private_pem, alice()),
                 "wrong_algorithm");
  expect_refused(auth, keys::sign("ES384", keys::ec_key_pair("P-384").private_pem, alice()),
                 "wrong_algorithm");
  expect_refused(auth, keys::sign("none", "", alice()), "wrong_algorithm");
}

TEST(JwtKeyAuth, AnotherKeysSignatureIsABadSignature) {
  const auto other_ec = keys::ec_key_pair("P-256");
  expect_refused(with_key(keys::ec_p256().public_pem),
                 keys::sign("ES256", other_ec.private_pem, alice()), "bad_signature");
  const auto other_rsa = keys::rsa_key_pair(2048);
  expect_refused(with_key(keys::rsa2048().public_pem),
                 keys::sign("RS256", other_rsa.private_pem, alice()), "bad_signature");
}

TEST(JwtKeyAuth, TamperedClaimsAreABadSignature) {
  const auto auth = with_key(keys::rsa2048().public_pem);
  const std::string good = keys::sign("RS256", keys::rsa2048().private_pem, alice());
  Json bob = alice();
  bob["sub"] = "bob";
  const std::string forged = good.substr(0, good.find('.') + 1) + keys::base64url(bob.dump()) +
                             good.substr(good.rfind('.'));
  expect_refused(auth, forged, "bad_signature");
}

TEST(JwtKeyAuth, ClaimsAreCheckedAsWithASecret) {
  const auto auth = with_key(keys::ec_p256().public_pem);
  Json expired = alice();
  expired["exp"] = kNow - 60;
  expect_refused(auth, keys::sign("ES256", keys::ec_p256().private_pem, expired), "token_expired");
  Json early = alice();
  early["nbf"] = kNow + 60;
  expect_refused(auth, keys::sign("ES256", keys::ec_p256().private_pem, early),
                 "token_not_yet_valid");
}

TEST(JwtKeyAuth, PublicKeyInspection) {
  EXPECT_EQ(std::get<JwtKeyType>(inspect_public_key(keys::rsa2048().public_pem)),
            JwtKeyType::rsa_public);
  EXPECT_EQ(std::get<JwtKeyType>(inspect_public_key(keys::ec_p256().public_pem)),
            JwtKeyType::ec_p256_public);
  const auto why = [](const std::string& pem) {
    auto result = inspect_public_key(pem);
    return std::holds_alternative<std::string>(result) ? std::get<std::string>(result)
                                                       : std::string("accepted");
  };
  EXPECT_NE(why(keys::rsa_key_pair(1024).public_pem).find("1024 bits"), std::string::npos);
  EXPECT_NE(why(keys::ec_key_pair("P-384").public_pem).find("secp384r1"), std::string::npos);
  EXPECT_NE(why(keys::ed25519_key_pair().public_pem).find("neither"), std::string::npos);
  EXPECT_NE(why(keys::ec_p256().private_pem).find("not a PEM public key"), std::string::npos);
  EXPECT_NE(why("hello").find("not a PEM public key"), std::string::npos);
  EXPECT_NE(why("").find("not a PEM public key"), std::string::npos);
}

TEST(JwtKeyAuth, UnusableKeyConfigurationsThrowAtConstruction) {
  Config both;
  both.jwt_secret = kSecret;
  both.jwt_public_key_pem = keys::ec_p256().public_pem;
  EXPECT_THROW(Authenticator{both}, std::invalid_argument);
  Config weak;
  weak.jwt_public_key_pem = keys::rsa_key_pair(1024).public_pem;
  EXPECT_THROW(Authenticator{weak}, std::invalid_argument);
  Config garbage;
  garbage.jwt_public_key_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  EXPECT_THROW(Authenticator{garbage}, std::invalid_argument);
}

}  // namespace
}  // namespace switchboard::server::auth_keys_test
