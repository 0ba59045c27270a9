// wss:// (--tls-cert, --tls-key): a throwaway self-signed certificate made at test time, a call
// placed between two TLS clients that verify it, and the refusals: TLS 1.1, and plain text on
// the TLS port. The TLS WebSocket client is here, not in ws_test_client: only this file needs
// it, and every Beast translation unit costs compile time.
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "tests/integration/test_server.hpp"

namespace switchboard::testing {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// A self-signed EC P-256 certificate for 127.0.0.1, valid for a day, written as PEM files.
struct Certificate {
  std::string cert_file;
  std::string key_file;
};

template <class T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;

bool write_pem(const std::string& path, auto&& write) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return false;
  const bool ok = write(file) == 1;
  std::fclose(file);
  return ok;
}

std::optional<Certificate> make_certificate(const std::filesystem::path& dir) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  X509Ptr cert(X509_new());
  if (!key || !cert) return std::nullopt;
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
  if (san == nullptr) return std::nullopt;
  X509_add_ext(cert.get(), san, -1);
  X509_EXTENSION_free(san);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return std::nullopt;

  Certificate files{(dir / "cert.pem").string(), (dir / "key.pem").string()};
  if (!write_pem(files.cert_file, [&](FILE* f) { return PEM_write_X509(f, cert.get()); }) ||
      !write_pem(files.key_file, [&](FILE* f) {
        return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
      })) {
    return std::nullopt;
  }
  return files;
}

// A blocking wss:// client: every call drives its own io_context up to a deadline.
class TlsClient {
 public:
  // `max_version`: the highest TLS version offered (to check that old ones are refused).
  TlsClient(const std::string& ca_file, int max_version = 0) : ctx_(ssl::context::tls_client) {
    ctx_.load_verify_file(ca_file);
    ctx_.set_verify_mode(ssl::verify_peer);
    if (max_version != 0) {
      SSL_CTX_set_min_proto_version(ctx_.native_handle(), 0);
      SSL_CTX_set_max_proto_version(ctx_.native_handle(), max_version);
      // OpenSSL 3 refuses TLS 1.1 at its default security level; the server must refuse it
      // on its own.
      SSL_CTX_set_security_level(ctx_.native_handle(), 0);
    }
    ws_.emplace(ioc_, ctx_);
  }

  // TCP connect, TLS handshake (verifying the certificate for 127.0.0.1), WebSocket upgrade.
  // Empty on success, else what failed.
  std::string connect(std::uint16_t port, const std::string& query) {
    auto& tls = ws_->next_layer();
    std::string failed;
    beast::get_lowest_layer(*ws_).expires_after(kDefaultTimeout);
    beast::get_lowest_layer(*ws_).async_connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
          if (ec) {
            failed = "connect: " + ec.message();
            return;
          }
          SSL_set1_host(tls.native_handle(), "127.0.0.1");
          tls.async_handshake(ssl::stream_base::client, [&](beast::error_code tls_ec) {
            if (tls_ec) {
              failed = "tls: " + tls_ec.message();
              return;
            }
            beast::get_lowest_layer(*ws_).expires_never();
            ws_->async_handshake("127.0.0.1", "/v1/ws?" + query, [&](beast::error_code ws_ec) {
              if (ws_ec) failed = "upgrade: " + ws_ec.message();
            });
          });
        });
    ioc_.run_for(kDefaultTimeout);
    ioc_.restart();
    return failed;
  }

  bool send(const Json& message) {
    bool ok = false;
    const std::string text = message.dump();
    ws_->async_write(net::buffer(text), [&](beast::error_code ec, std::size_t) { ok = !ec; });
    ioc_.run_for(kDefaultTimeout);
    ioc_.restart();
    return ok;
  }

  // The next message, or null past the deadline.
  Json recv() {
    Json message;
    buffer_.clear();
    ws_->async_read(buffer_, [&](beast::error_code ec, std::size_t) {
      if (!ec) message = Json::parse(beast::buffers_to_string(buffer_.data()), nullptr, false);
    });
    ioc_.run_for(kDefaultTimeout);
    ioc_.restart();
    return message;
  }

  // Skips anything else until a message of this type arrives (null past the deadline).
  Json expect(const std::string& type) {
    for (int i = 0; i < 10; ++i) {
      Json message = recv();
      if (message.is_null() || message.value("type", "") == type) return message;
    }
    return nullptr;
  }

 private:
  net::io_context ioc_;
  ssl::context ctx_;
  std::optional<websocket::stream<beast::ssl_stream<beast::tcp_stream>>> ws_;
  beast::flat_buffer buffer_;
};

class TlsTest : public IntegrationTest {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("switchboard_tls_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto cert = make_certificate(dir_);
    ASSERT_TRUE(cert.has_value());
    cert_ = *cert;
    server::Config config = test_config();
    config.tls_cert_file = cert_.cert_file;
    config.tls_key_file = cert_.key_file;
    start_server(config);
  }
  void TearDown() override {
    IntegrationTest::TearDown();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  Certificate cert_;
};

TEST_F(TlsTest, CallOverTls) {
  TlsClient alice(cert_.cert_file);
  TlsClient bob(cert_.cert_file);
  ASSERT_EQ(alice.connect(port(), "user=alice&device=a1"), "");
  ASSERT_EQ(bob.connect(port(), "user=bob&device=b1"), "");
  ASSERT_EQ(alice.expect("welcome").value("userId", ""), "alice");
  ASSERT_EQ(bob.expect("welcome").value("userId", ""), "bob");

  ASSERT_TRUE(alice.send({{"type", "call"}, {"id", "c1"}, {"to", "bob"}}));
  const Json ack = alice.expect("ack");
  const std::string call_id = ack.value("callId", "");
  ASSERT_FALSE(call_id.empty()) << ack.dump();
  const Json ringing = bob.expect("call");
  EXPECT_EQ(ringing.value("callId", ""), call_id);
  EXPECT_EQ(ringing.value("from", ""), "alice");

  ASSERT_TRUE(bob.send({{"type", "answer"}, {"id", "a1"}, {"callId", call_id}}));
  EXPECT_EQ(alice.expect("answer").value("callId", ""), call_id);
  ASSERT_TRUE(alice.send(
      {{"type", "signal"}, {"callId", call_id}, {"data", {{"sdp", std::string(20'000, 'x')}}}}));
  EXPECT_EQ(bob.expect("signal").value("data", Json())["sdp"].get<std::string>().size(), 20'000U);
  ASSERT_TRUE(bob.send({{"type", "hangup"}, {"callId", call_id}}));
  EXPECT_EQ(alice.expect("ended").value("reason", ""), "completed");
}

TEST_F(TlsTest, Tls11IsRefused) {
  TlsClient old(cert_.cert_file, TLS1_1_VERSION);
  const std::string failed = old.connect(port(), "user=alice");
  EXPECT_NE(failed.find("tls:"), std::string::npos) << failed;
}

TEST_F(TlsTest, PlainTextOnTheTlsPortGetsNothing) {
  const HttpResult plain = http_get(port(), "/healthz", Millis{2'000});
  EXPECT_EQ(plain.status, 0) << plain.body;
}

}  // namespace
}  // namespace switchboard::testing
