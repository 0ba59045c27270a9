// Authenticator: dev mode (?user=) and JWT mode (?token=, HS256 only, sub + exp), on a fixed
// wall clock. Test tokens are minted with libjwt itself.
#include "server/auth.hpp"

#include <gtest/gtest.h>
#include <jwt.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <variant>

namespace switchboard::server {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr long kNow = 1'700'000'000;  // seconds since the epoch
const std::string kSecret = "test-secret-with-enough-entropy-0123456789";

Authenticator jwt_authenticator() {
  return Authenticator(kSecret, [] { return system_clock::time_point(seconds(kNow)); });
}

struct TokenSpec {
  jwt_alg_t alg = JWT_ALG_HS256;
  std::string key = kSecret;
  std::optional<std::string> sub = "alice";
  std::optional<long> exp = kNow + 60;
  std::string extra_grants_json;  // added verbatim, e.g. R"({"exp": 1.5})"
};

std::string make_token(const std::function<void(TokenSpec&)>& tweak = nullptr) {
  TokenSpec spec;
  if (tweak) tweak(spec);
  jwt_t* raw = nullptr;
  EXPECT_EQ(jwt_new(&raw), 0);
  std::unique_ptr<jwt_t, void (*)(jwt_t*)> jwt(raw, &jwt_free);
  if (spec.sub) {
    EXPECT_EQ(jwt_add_grant(jwt.get(), "sub", spec.sub->c_str()), 0);
  }
  if (spec.exp) {
    EXPECT_EQ(jwt_add_grant_int(jwt.get(), "exp", *spec.exp), 0);
  }
  if (!spec.extra_grants_json.empty()) {
    EXPECT_EQ(jwt_add_grants_json(jwt.get(), spec.extra_grants_json.c_str()), 0);
  }
  const auto* key =
      spec.alg == JWT_ALG_NONE ? nullptr : reinterpret_cast<const unsigned char*>(spec.key.data());
  const int key_len = spec.alg == JWT_ALG_NONE ? 0 : static_cast<int>(spec.key.size());
  EXPECT_EQ(jwt_set_alg(jwt.get(), spec.alg, key, key_len), 0);
  char* encoded = jwt_encode_str(jwt.get());
  EXPECT_NE(encoded, nullptr);
  std::string token = encoded != nullptr ? encoded : "";
  std::free(encoded);
  return token;
}

AuthQuery query(std::optional<std::string> user, std::optional<std::string> device = std::nullopt) {
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

void expect_identity(const AuthResult& result, const std::string& user, const std::string& device) {
  ASSERT_TRUE(std::holds_alternative<Identity>(result))
      << std::get<AuthFailure>(result).status << " " << std::get<AuthFailure>(result).message;
  EXPECT_EQ(std::get<Identity>(result).user_id, user);
  EXPECT_EQ(std::get<Identity>(result).device_id, device);
}

void expect_failure(const AuthResult& result, unsigned status) {
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(result))
      << "accepted as " << std::get<Identity>(result).user_id;
  EXPECT_EQ(std::get<AuthFailure>(result).status, status) << std::get<AuthFailure>(result).message;
  EXPECT_FALSE(std::get<AuthFailure>(result).message.empty());
}

// ---- dev mode --------------------------------------------------------------------------------

TEST(DevAuth, TrustsAWellFormedUser) {
  const Authenticator auth(Config{});
  EXPECT_TRUE(auth.dev_mode());
  expect_identity(auth.authenticate(query("alice")), "alice", "");
  expect_identity(auth.authenticate(query("a.b_c~d@e+f-9", "phone-1")), "a.b_c~d@e+f-9", "phone-1");
}

TEST(DevAuth, MissingUserIs401) {
  const Authenticator auth("");
  expect_failure(auth.authenticate(AuthQuery{}), 401);
  expect_failure(auth.authenticate(query(std::nullopt, "phone")), 401);
  // A token means nothing without a secret: dev mode still wants ?user=.
  expect_failure(auth.authenticate(with_token(make_token())), 401);
}

TEST(DevAuth, MalformedIdsAre400) {
  const Authenticator auth("");
  expect_failure(auth.authenticate(query("")), 400);
  expect_failure(auth.authenticate(query("has space")), 400);
  expect_failure(auth.authenticate(query(std::string(129, 'a'))), 400);
  expect_failure(auth.authenticate(query("ok", "bad/device")), 400);
  expect_failure(auth.authenticate(query("ok", "")), 400);
  expect_identity(auth.authenticate(query(std::string(128, 'a'))), std::string(128, 'a'), "");
}

// ---- JWT mode --------------------------------------------------------------------------------

TEST(JwtAuth, ValidTokenYieldsSubAndDevice) {
  const auto auth = jwt_authenticator();
  EXPECT_FALSE(auth.dev_mode());
  expect_identity(auth.authenticate(with_token(make_token())), "alice", "");
  expect_identity(auth.authenticate(with_token(make_token(), "laptop")), "alice", "laptop");
}

TEST(JwtAuth, UserParameterIsIgnored) {
  const auto auth = jwt_authenticator();
  AuthQuery q = with_token(make_token());
  q.user = "mallory";
  expect_identity(auth.authenticate(q), "alice", "");
  expect_failure(auth.authenticate(query("mallory")), 401);
}

TEST(JwtAuth, MissingOrEmptyTokenIs401) {
  const auto auth = jwt_authenticator();
  expect_failure(auth.authenticate(AuthQuery{}), 401);
  expect_failure(auth.authenticate(with_token("")), 401);
}

TEST(JwtAuth, WrongSecretIs401) {
  expect_failure(jwt_authenticator().authenticate(
                     with_token(make_token([&](TokenSpec& s) { s.key = "other"; }))),
                 401);
}

TEST(JwtAuth, ExpiredTokenIs401) {
  const auto auth = jwt_authenticator();
  expect_failure(auth.authenticate(with_token(make_token([&](TokenSpec& s) { s.exp = kNow - 1; }))),
                 401);
  expect_failure(auth.authenticate(with_token(make_token([&](TokenSpec& s) { s.exp = kNow; }))),
                 401);
  expect_identity(
      auth.authenticate(with_token(make_token([&](TokenSpec& s) { s.exp = kNow + 1; }))), "alice",
      "");
}

TEST(JwtAuth, FractionalExpIsANumericDate) {
  const auto auth = jwt_authenticator();
  const auto future = std::to_string(kNow) + ".5";
  expect_identity(auth.authenticate(with_token(make_token([&](TokenSpec& s) {
    s.exp = std::nullopt;
    s.extra_grants_json = R"({"exp":)" + future + "}";
  }))),
                  "alice", "");
}

TEST(JwtAuth, MissingOrNonNumericExpIs401) {
  const auto auth = jwt_authenticator();
  expect_failure(
      auth.authenticate(with_token(make_token([&](TokenSpec& s) { s.exp = std::nullopt; }))), 401);
  expect_failure(auth.authenticate(with_token(make_token([&](TokenSpec& s) {
    s.exp = std::nullopt;
    s.extra_grants_json = R"({"exp":"1999999999"})";
  }))),
                 401);
}

TEST(JwtAuth, AlgNoneIs401) {
  expect_failure(jwt_authenticator().authenticate(
                     with_token(make_token([&](TokenSpec& s) { s.alg = JWT_ALG_NONE; }))),
                 401);
}

TEST(JwtAuth, OtherHmacAlgorithmsAre401EvenWithTheRightSecret) {
  const auto auth = jwt_authenticator();
  expect_failure(
      auth.authenticate(with_token(make_token([&](TokenSpec& s) { s.alg = JWT_ALG_HS512; }))), 401);
  expect_failure(
      auth.authenticate(with_token(make_token([&](TokenSpec& s) { s.alg = JWT_ALG_HS384; }))), 401);
}

TEST(JwtAuth, SubClaim) {
  const auto auth = jwt_authenticator();
  expect_failure(
      auth.authenticate(with_token(make_token([&](TokenSpec& s) { s.sub = std::nullopt; }))), 401);
  expect_failure(auth.authenticate(with_token(make_token([&](TokenSpec& s) {
    s.sub = std::nullopt;
    s.extra_grants_json = R"({"sub":42})";
  }))),
                 401);
  expect_failure(
      auth.authenticate(with_token(make_token([&](TokenSpec& s) { s.sub = "not a valid id"; }))),
      400);
  expect_failure(auth.authenticate(with_token(make_token([&](TokenSpec& s) { s.sub = ""; }))), 400);
}

TEST(JwtAuth, MalformedDeviceWithValidTokenIs400) {
  expect_failure(jwt_authenticator().authenticate(with_token(make_token(), "a/b")), 400);
}

TEST(JwtAuth, MalformedTokensAre401) {
  const auto auth = jwt_authenticator();
  const std::string good = make_token();
  for (const std::string& token : {std::string("garbage"), std::string("a.b.c"), std::string(".."),
                                   good.substr(0, good.size() - 3), good + "x",
                                   good.substr(0, good.rfind('.')), std::string(4096, 'A')}) {
    expect_failure(auth.authenticate(with_token(token)), 401);
  }
}

TEST(JwtAuth, TamperedPayloadIs401) {
  const auto auth = jwt_authenticator();
  const std::string alice = make_token();
  const std::string bob = make_token([&](TokenSpec& s) { s.sub = "bob"; });
  // Bob's header and payload with Alice's signature.
  const std::string forged = bob.substr(0, bob.rfind('.')) + alice.substr(alice.rfind('.'));
  expect_failure(auth.authenticate(with_token(forged)), 401);
}

}  // namespace
}  // namespace switchboard::server
