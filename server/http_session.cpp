// One of the two translation units that include Beast (with websocket_session.cpp).
#include "server/http_session.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "server/websocket_session.hpp"

namespace switchboard::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace urls = boost::urls;
using tcp = net::ip::tcp;

// A client gets this long to send its request headers; slow-loris sockets are dropped.
constexpr auto kRequestTimeout = std::chrono::seconds(10);
// Upgrade and health-check requests are tiny; anything bigger is not for us.
constexpr std::uint32_t kHeaderLimit = 8 * 1024;
constexpr std::uint64_t kBodyLimit = 4 * 1024;

using Response = http::response<http::string_body>;

std::string describe(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "?";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

AuthQuery auth_query(const urls::url_view& url) {
  AuthQuery query;
  // '+' stays a plus: it is legal in ids, and spaces never are.
  for (const urls::param& p : url.params(urls::encoding_opts(false, false, false))) {
    if (!p.has_value) continue;
    auto assign_first = [&](std::optional<std::string>& slot) {
      if (!slot) slot = p.value;
    };
    if (p.key == "user") assign_first(query.user);
    if (p.key == "token") assign_first(query.token);
    if (p.key == "device") assign_first(query.device);
  }
  return query;
}

class HttpSession final : public std::enable_shared_from_this<HttpSession>, public TrackedSession {
 public:
  HttpSession(tcp::socket socket, SessionRegistry& registry)
      : peer_(describe(socket)), stream_(std::move(socket)), registry_(registry) {
    registry_.add(*this);
  }
  ~HttpSession() override { registry_.remove(*this); }

  void run() { do_read(); }

  void shut_down() override {
    if (!handed_off_) stream_.cancel();
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::end_of_stream) return close_socket();
    if (ec) {
      spdlog::debug("http {}: read failed: {}", peer_, ec.message());
      return close_socket();
    }
    handle(parser_->release());
  }

  void handle(http::request<http::string_body> request) {
    if (registry_.stopping()) return respond(request, http::status::service_unavailable, "");
    auto url = urls::parse_origin_form(request.target());
    if (!url) return respond(request, http::status::bad_request, "malformed request target");
    const auto path = url->encoded_path();

    if (path == "/healthz") {
      if (request.method() != http::verb::get) {
        return respond(request, http::status::method_not_allowed, "use GET");
      }
      return respond(request, http::status::ok, "");
    }
    if (path != "/v1/ws") return respond(request, http::status::not_found, "not found");
    // RFC 6455 section 4.2.1: the handshake must be a GET with Upgrade/Connection headers.
    if (!beast::websocket::is_upgrade(request)) {
      return respond(request, http::status::upgrade_required, "WebSocket upgrade required");
    }
    if (registry_.websocket_count() >= registry_.config().max_connections) {
      spdlog::warn("http {}: refusing upgrade, {} connections open", peer_,
                   registry_.websocket_count());
      return respond(request, http::status::service_unavailable, "server full");
    }
    auto auth = registry_.auth().authenticate(auth_query(*url));
    if (auto* failure = std::get_if<AuthFailure>(&auth)) {
      spdlog::info("http {}: upgrade refused ({}): {}", peer_, failure->status, failure->message);
      return respond(request, static_cast<http::status>(failure->status), failure->message);
    }
    handed_off_ = true;
    stream_.expires_never();  // the WebSocket stream keeps its own timeouts
    start_websocket_session(std::move(stream_), std::move(request),
                            std::move(std::get<Identity>(auth)), peer_, registry_);
  }

  // Healthy answers carry {"status":"ok"}; refusals {"error":"..."}.
  void respond(const http::request<http::string_body>& request, http::status status,
               const std::string& error) {
    auto response = std::make_shared<Response>(status, request.version());
    response->set(http::field::server, "switchboard");
    response->set(http::field::content_type, "application/json");
    response->set(http::field::cache_control, "no-store");
    if (status == http::status::upgrade_required) {
      response->set(http::field::upgrade, "websocket");
      response->set(http::field::connection, "Upgrade");
    }
    if (status == http::status::method_not_allowed) response->set(http::field::allow, "GET");
    response->body() =
        status == http::status::ok
            ? std::string(R"({"status":"ok"})")
            : nlohmann::json{{"error",
                              error.empty() ? std::string(http::obsolete_reason(status)) : error}}
                  .dump();
    // Refused upgrades end the connection: a client that failed once will reconnect anyway.
    response->keep_alive(status == http::status::ok && request.keep_alive());
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, std::size_t) {
                        self->on_write(ec, response->keep_alive());
                      });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    if (ec || !keep_alive || registry_.stopping()) return close_socket();
    do_read();
  }

  void close_socket() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  std::string peer_;
  beast::tcp_stream stream_;
  SessionRegistry& registry_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool handed_off_ = false;
};

}  // namespace

void start_http_session(tcp::socket socket, SessionRegistry& registry) {
  std::make_shared<HttpSession>(std::move(socket), registry)->run();
}

}  // namespace switchboard::server
