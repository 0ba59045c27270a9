// Test-only JWT material: key pairs generated at run time with OpenSSL 3 (never committed),
// tokens signed by libjwt, and tokens assembled by hand for the malformed and malicious
// cases. Header-only so that the unit and the integration tests can share it; single thread.
#pragma once

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace switchboard::testing::jwt_keys {

struct KeyPair {
  std::string private_pem;  // PKCS#8, what libjwt signs with
  std::string public_pem;   // SubjectPublicKeyInfo, what the server verifies with
};

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline std::string to_pem(EVP_PKEY* key, bool private_key) {
  std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  const int ok =
      private_key ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                  : PEM_write_bio_PUBKEY(bio.get(), key);
  if (ok != 1) throw std::runtime_error("PEM_write failed");
  char* data = nullptr;
  const long size = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, static_cast<void*>(&data));
  return std::string(data, static_cast<std::size_t>(size));
}

inline KeyPair key_pair(EVP_PKEY* raw) {
  const PkeyPtr key(raw);
  if (!key) throw std::runtime_error("key generation failed");
  return KeyPair{to_pem(key.get(), true), to_pem(key.get(), false)};
}

inline KeyPair rsa_key_pair(std::size_t bits) {
  return key_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
}
// `curve`: "P-256", "P-384", ...
inline KeyPair ec_key_pair(const char* curve) {
  return key_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}
inline KeyPair ed25519_key_pair() {
  return key_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

// Generated once per test binary: RSA key generation takes a noticeable fraction of a second.
inline const KeyPair& rsa2048() {
  static const KeyPair kKeys = rsa_key_pair(2048);
  return kKeys;
}
inline const KeyPair& ec_p256() {
  static const KeyPair kKeys = ec_key_pair("P-256");
  return kKeys;
}

// A token signed by libjwt: `alg` "HS256", "RS256", "ES256", ... with `key` the secret or
// the private PEM, or "none". `claims` is a JSON object, copied verbatim.
inline std::string sign(const std::string& alg, const std::string& key,
                        const nlohmann::json& claims) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  const std::unique_ptr<jwt_t, void (*)(jwt_t*)> jwt(raw, &jwt_free);
  if (jwt_add_grants_json(jwt.get(), claims.dump().c_str()) != 0) {
    throw std::runtime_error("jwt_add_grants_json failed");
  }
  const jwt_alg_t algorithm = alg == "none" ? JWT_ALG_NONE : jwt_str_alg(alg.c_str());
  const bool keyless = algorithm == JWT_ALG_NONE;
  if (jwt_set_alg(jwt.get(), algorithm,
                  keyless ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
                  keyless ? 0 : static_cast<int>(key.size())) != 0) {
    throw std::runtime_error("jwt_set_alg failed for " + alg);
  }
  char* encoded = jwt_encode_str(jwt.get());
  if (encoded == nullptr) throw std::runtime_error("jwt_encode_str failed for " + alg);
  std::string token(encoded);
  std::free(encoded);
  return token;
}

inline std::string base64url(std::string_view bytes) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (const char c : bytes) {
    bits = (bits << 8U) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> static_cast<unsigned>(count)) & 0x3FU]);
    }
    bits &= 0xFFU;
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6U - static_cast<unsigned>(count))) & 0x3FU]);
  return out;
}

// header.claims.signature from raw texts, for tokens libjwt would not produce.
inline std::string assemble(std::string_view header, std::string_view claims,
                            std::string_view signature) {
  std::string token = base64url(header);
  token += '.';
  token += base64url(claims);
  token += '.';
  token += base64url(signature);
  return token;
}

// An ES256 token signed by OpenSSL itself (DER signature converted to JWS's R||S), to show
// that what other issuers produce verifies, not only what libjwt produces.
inline std::string sign_es256_with_openssl(const std::string& private_pem,
                                           const nlohmann::json& claims) {
  const std::string input =
      base64url(R"({"alg":"ES256","typ":"JWT"})") + "." + base64url(claims.dump());
  std::unique_ptr<BIO, int (*)(BIO*)> bio(
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())), &BIO_free);
  const PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::size_t der_size = 0;
  if (!key || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_size,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign failed");
  }
  std::string der(der_size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_size,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign failed");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, void (*)(ECDSA_SIG*)> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_size)), &ECDSA_SIG_free);
  if (!sig) throw std::runtime_error("d2i_ECDSA_SIG failed");
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(raw.data() + 32), 32);
  return input + "." + base64url(raw);
}

}  // namespace switchboard::testing::jwt_keys
