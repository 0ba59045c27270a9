// One of the two translation units that include Beast (with websocket_session.cpp). Plain and
// TLS sessions are the same template, instantiated once for each stream.
#include "server/http_session.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "server/metrics.hpp"
#include "server/native_connection.hpp"
#include "server/realtime_connection.hpp"
#include "server/realtime_rest.hpp"
#include "server/upgrade_headers.hpp"
#include "server/upgrade_query.hpp"
#include "server/websocket_session.hpp"

namespace switchboard::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace urls = boost::urls;
using tcp = net::ip::tcp;

// Upgrade and health-check requests are tiny; anything bigger is not for us. Bodies (the
// Realtime REST API's) are held to the WebSocket message limit.
constexpr std::uint32_t kHeaderLimit = 8 * 1024;
// Browsers may cache a CORS preflight answer this long (seconds).
constexpr std::string_view kPreflightMaxAge = "86400";

using Response = http::response<http::string_body>;

std::string describe(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "?";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

// Stream: beast::tcp_stream (http://, ws://) or TlsStream (https://, wss://); one body of code
// for both, which differs only in the TLS handshake before the first request.
template <class Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>>,
                          public TrackedSession {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  HttpSession(Stream stream, std::string peer, SessionRegistry& registry)
      : peer_(std::move(peer)),
        stream_(std::move(stream)),
        idle_timer_(stream_.get_executor()),
        registry_(registry) {
    registry_.add(*this);
  }
  ~HttpSession() override { registry_.remove(*this); }

  void run() {
    // A send in flight under TLS keeps the session (and the stream it lives in) alive.
    if constexpr (kTls) stream_.next_layer().set_owner(this->shared_from_this());
    wait_for_request();
  }

  void shut_down() override {
    if (handed_off_) return;
    idle_timer_.cancel();
    tcp_layer().cancel();
  }

 private:
  // Nobody has said who they are before a request arrives: a connection silent for
  // --idle-timeout (before its first request, or between keep-alive requests) is dropped.
  void wait_for_request() {
    if (buffer_.size() > 0) return do_read();  // a pipelined request is here already
    if constexpr (kTls) {
      // Decrypted bytes may wait inside OpenSSL where a socket wait cannot see them: after
      // the handshake, the read itself is bounded by the idle time instead.
      if (tls_ready_) return do_read(registry_.config().idle_timeout);
    }
    idle_timer_.expires_after(registry_.config().idle_timeout);
    idle_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return;
      spdlog::debug("http {}: idle, closing", self->peer_);
      self->close_socket();
    });
    tcp_layer().socket().async_wait(tcp::socket::wait_read,
                                    [self = this->shared_from_this()](beast::error_code ec) {
                                      self->idle_timer_.cancel();
                                      if (ec) return self->close_socket();
                                      self->on_readable();
                                    });
  }

  void on_readable() {
    if constexpr (kTls) {
      if (!tls_ready_) {
        tcp_layer().expires_after(registry_.config().handshake_timeout);
        stream_.async_handshake(boost::asio::ssl::stream_base::server,
                                [self = this->shared_from_this()](beast::error_code ec) {
                                  if (ec) {
                                    spdlog::debug("https {}: TLS handshake failed: {}", self->peer_,
                                                  ec.message());
                                    return self->close_socket();
                                  }
                                  self->tls_ready_ = true;
                                  self->do_read();
                                });
        return;
      }
    }
    do_read();
  }

  // Once a request has begun, it must be complete within --handshake-timeout (the WebSocket
  // handshake then gets as long again): slow-loris clients are dropped.
  void do_read() { do_read(registry_.config().handshake_timeout); }
  void do_read(Millis timeout) {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(registry_.config().max_message_bytes);
    tcp_layer().expires_after(timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::end_of_stream) return close_socket();
    if (ec == http::error::body_limit) {
      // Only REST calls have bodies worth sending; say why rather than just hang up.
      cors_ = false;
      return respond(parser_->get(), http::status::payload_too_large,
                     "request body over " + std::to_string(registry_.config().max_message_bytes) +
                         " bytes (--max-message-bytes)");
    }
    if (ec) {
      spdlog::debug("http {}: read failed: {}", peer_, ec.message());
      return close_socket();
    }
    handle(parser_->release());
  }

  void handle(const http::request<http::string_body>& request) {
    cors_ = false;
    if (registry_.stopping()) return respond(request, http::status::service_unavailable, "");
    auto url = urls::parse_origin_form(request.target());
    if (!url) return respond(request, http::status::bad_request, "malformed request target");
    const auto path = url->encoded_path();
    const std::vector<std::string> segments(url->segments().begin(), url->segments().end());
    if (auto route = broadcast_route(segments)) return handle_rest(request, std::move(*route));

    if (path == "/healthz" || path == "/metrics") {
      if (request.method() != http::verb::get) {
        return respond(request, http::status::method_not_allowed, "use GET");
      }
      if (path == "/metrics") return respond_metrics(request);
      return respond(request, http::status::ok, "");
    }
    const bool realtime = is_realtime_socket(segments);
    if (path != "/v1/ws" && !realtime) {
      return respond(request, http::status::not_found, "not found");
    }
    // RFC 6455 section 4.2.1: the handshake must be a GET with Upgrade/Connection headers.
    if (!beast::websocket::is_upgrade(request)) {
      return respond(request, http::status::upgrade_required, "WebSocket upgrade required");
    }
    // Browsers let any page open a WebSocket anywhere (no CORS), with the user's cookies but
    // also with tokens the page holds: --allowed-origin names the apps that may (RFC 6455
    // section 10.2).
    if (!origin_allowed(registry_.config().allowed_origins, origin_of(request))) {
      return refuse_upgrade(request, http::status::forbidden,
                            "origin not allowed (--allowed-origin)", "origin_not_allowed");
    }
    if (registry_.websocket_count() >= registry_.config().max_connections) {
      spdlog::warn("http {}: refusing upgrade, {} connections open", peer_,
                   registry_.websocket_count());
      return refuse_upgrade(request, http::status::service_unavailable, "server full",
                            "server_full");
    }
    const auto query = parse_upgrade_query(request.target());
    if (!query) {
      return refuse_upgrade(request, http::status::bad_request, "malformed query",
                            "malformed_query");
    }
    if (realtime) return upgrade_realtime(request, *query);
    AuthQuery credentials = query->auth;
    std::string subprotocol;
    take_header_token(request, credentials, subprotocol);
    // Credentials first, so that a client without them always gets 401, whatever else it sent.
    auto auth = registry_.auth().authenticate(credentials);
    if (auto* failure = std::get_if<AuthFailure>(&auth)) {
      return refuse_upgrade(request, static_cast<http::status>(failure->status), failure->message,
                            failure->code);
    }
    auto resume = resume_request(*query);
    if (auto* bad = std::get_if<BadQuery>(&resume)) {
      return refuse_upgrade(request, http::status::bad_request, bad->message, "bad_resume");
    }
    auto identity = std::move(std::get<Identity>(auth));
    auto resume_from = std::move(std::get<std::optional<ResumeRequest>>(resume));
    hand_off(request, subprotocol, [&](FrameSink& sink) -> std::unique_ptr<ProtocolHandler> {
      return std::make_unique<NativeConnection>(sink, registry_.hub(), registry_.auth(),
                                                std::move(identity), std::move(resume_from), peer_,
                                                codec_limits(registry_.config()));
    });
  }

  // A token the query did not carry may come in `Authorization: Bearer` or, from browsers
  // (which cannot set headers on a WebSocket), as `Sec-WebSocket-Protocol: bearer, <token>`;
  // the latter needs `bearer` echoed back.
  static void take_header_token(const http::request<http::string_body>& request,
                                AuthQuery& credentials, std::string& subprotocol) {
    if (auto it = request.find(http::field::sec_websocket_protocol); it != request.end()) {
      if (auto token = subprotocol_token(it->value())) {
        subprotocol = kBearerSubprotocol;
        if (!credentials.token) credentials.token = std::move(token);
      }
    }
    if (credentials.token) return;
    if (auto it = request.find(http::field::authorization); it != request.end()) {
      credentials.token = bearer_token(it->value());
    }
  }

  static std::optional<std::string_view> origin_of(const http::request<http::string_body>& r) {
    auto it = r.find(http::field::origin);
    if (it == r.end()) return std::nullopt;
    return std::string_view(it->value());
  }

  void upgrade_realtime(const http::request<http::string_body>& request,
                        const UpgradeQuery& query) {
    auto upgrade = realtime_upgrade(query, registry_.auth());
    if (auto* failure = std::get_if<AuthFailure>(&upgrade)) {
      return refuse_upgrade(request, static_cast<http::status>(failure->status), failure->message,
                            failure->code);
    }
    hand_off(request, {}, [&](FrameSink& sink) -> std::unique_ptr<ProtocolHandler> {
      return std::make_unique<RealtimeConnection>(
          sink, registry_, std::move(std::get<RealtimeUpgrade>(upgrade)), peer_);
    });
  }

  void hand_off(const http::request<http::string_body>& request, const std::string& subprotocol,
                const HandlerFactory& make_handler) {
    handed_off_ = true;
    tcp_layer().expires_never();  // the WebSocket stream keeps its own timeouts
    start_websocket_session(std::move(stream_), request, subprotocol, make_handler, peer_,
                            registry_);
  }

  // The Realtime REST API. Browsers call it cross-origin with bearer tokens (no cookies), so
  // any origin may, after a preflight.
  void handle_rest(const http::request<http::string_body>& request,
                   std::vector<std::string> route) {
    cors_ = true;
    const auto origin = origin_of(request);
    if (!origin_allowed(registry_.config().allowed_origins, origin)) {
      return respond(request, http::status::forbidden, "origin not allowed (--allowed-origin)",
                     "origin_not_allowed");
    }
    // With --allowed-origin, name the caller's origin rather than "*" (and say it varies).
    cors_origin_ = registry_.config().allowed_origins.empty() || !origin ? std::string("*")
                                                                         : std::string(*origin);
    if (request.method() == http::verb::options) {
      return write(request, http::status::no_content, "application/json", "");
    }
    if (request.method() != http::verb::post) {
      return respond(request, http::status::method_not_allowed, "use POST");
    }
    RestRequest rest;
    rest.route = std::move(route);
    if (auto it = request.find(http::field::authorization); it != request.end()) {
      rest.bearer = bearer_token(it->value());
    }
    if (auto it = request.find("apikey"); it != request.end()) {
      rest.apikey = std::string(it->value());
    }
    rest.body = request.body();
    auto response = handle_broadcast_request(rest, registry_);
    write(request, static_cast<http::status>(response.status), "application/json",
          std::move(response.body));
  }

  // Logged with the reason and never the credentials: tokens are secrets, and logs travel.
  void refuse_upgrade(const http::request<http::string_body>& request, http::status status,
                      const std::string& error, const std::string& code) {
    registry_.upgrade_refused();
    spdlog::info("http {}: upgrade refused ({} {}): {}", peer_, static_cast<unsigned>(status), code,
                 error);
    respond(request, status, error, code);
  }

  void respond_metrics(const http::request<http::string_body>& request) {
    MetricsSnapshot snapshot;
    snapshot.websocket_connections = registry_.websocket_count();
    snapshot.connections_total = registry_.connections_total();
    snapshot.upgrades_refused_total = registry_.upgrades_refused_total();
    snapshot.engine = registry_.hub().stats();
    write(request, http::status::ok, kMetricsContentType, render_metrics(snapshot));
  }

  // Healthy answers carry {"status":"ok"}; refusals {"error":"<for people>","code":"<for
  // programs>"} (the code when there is one).
  void respond(const http::request<http::string_body>& request, http::status status,
               const std::string& error, const std::string& code = {}) {
    if (status == http::status::ok) {
      return write(request, status, "application/json", R"({"status":"ok"})");
    }
    nlohmann::json body{
        {"error", error.empty() ? std::string(http::obsolete_reason(status)) : error}};
    if (!code.empty()) body["code"] = code;
    write(request, status, "application/json", body.dump());
  }

  void write(const http::request<http::string_body>& request, http::status status,
             std::string_view content_type, std::string body) {
    auto response = std::make_shared<Response>(status, request.version());
    response->set(http::field::server, "switchboard");
    response->set(http::field::content_type, content_type);
    response->set(http::field::cache_control, "no-store");
    if (status == http::status::upgrade_required) {
      response->set(http::field::upgrade, "websocket");
      response->set(http::field::connection, "Upgrade");
    }
    if (status == http::status::method_not_allowed) {
      response->set(http::field::allow, cors_ ? "POST, OPTIONS" : "GET");
    }
    if (cors_) {
      response->set(http::field::access_control_allow_origin, cors_origin_);
      if (cors_origin_ != "*") response->set(http::field::vary, "Origin");
      response->set(http::field::access_control_allow_methods, "POST, OPTIONS");
      response->set(http::field::access_control_allow_headers,
                    "authorization, apikey, content-type, x-client-info");
      response->set(http::field::access_control_max_age, kPreflightMaxAge);
    }
    response->body() = std::move(body);
    // Refused upgrades end the connection: a client that failed once will reconnect anyway.
    // REST calls keep it whatever their answer: they are ordinary requests.
    response->keep_alive((status == http::status::ok || cors_) && request.keep_alive());
    response->prepare_payload();
    http::async_write(
        stream_, *response,
        [self = this->shared_from_this(), response](beast::error_code ec, std::size_t) {
          self->on_write(ec, response->keep_alive());
        });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    if (ec || !keep_alive || registry_.stopping()) return close_socket();
    wait_for_request();
  }

  void close_socket() {
    beast::error_code ignored;
    // Under TLS this skips close_notify: the peer learns from the TCP FIN all the same, and
    // a peer that stopped reading cannot hold the session open waiting for its reply.
    tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp_layer().close();
  }

  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  std::string peer_;
  Stream stream_;
  net::steady_timer idle_timer_;
  SessionRegistry& registry_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool handed_off_ = false;
  bool tls_ready_ = false;  // TLS only: the handshake is done
  bool cors_ = false;       // the request being answered is a REST call
  std::string cors_origin_ = "*";
};

}  // namespace

void start_http_session(tcp::socket socket, SessionRegistry& registry) {
  std::string peer = describe(socket);
  if (registry.tls() != nullptr) {
    std::make_shared<HttpSession<TlsStream>>(
        TlsStream(beast::tcp_stream(std::move(socket)), *registry.tls()), std::move(peer), registry)
        ->run();
    return;
  }
  std::make_shared<HttpSession<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)),
                                                   std::move(peer), registry)
      ->run();
}

}  // namespace switchboard::server
