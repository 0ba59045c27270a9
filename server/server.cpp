#include "server/server.hpp"

#include <memory>
#include <optional>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/auth.hpp"
#include "server/hub.hpp"
#include "server/listener.hpp"
#include "server/session_registry.hpp"
#include "server/tls_context.hpp"

namespace switchboard::server {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

EngineConfig engine_config(const Config& config) {
  EngineConfig engine;
  engine.ring_timeout = config.ring_timeout;
  engine.ended_retention = config.ended_retention;
  engine.heartbeat_ms = config.heartbeat.count();
  engine.resume_window = config.resume_window;
  engine.resume_buffer = config.resume_buffer;
  engine.resume_buffer_bytes = config.resume_buffer_bytes;
  engine.reconnect_grace = config.reconnect_grace;
  engine.caller_grace = config.caller_grace;
  engine.ring_offline = config.ring_offline;
  engine.max_devices_per_user = config.max_devices_per_user;
  engine.max_ringing_per_user = config.max_ringing_per_user;
  return engine;
}

}  // namespace

// Members are torn down by hand in ~Impl: sessions still owned by pending handlers die with
// the io_context and call into the hub and registry on their way out, so those must outlive
// it, while every timer and socket must die before it.
struct Server::Impl {
  explicit Impl(Config c)
      : config(std::move(c)),
        auth(config),
        ioc(std::in_place, 1),
        hub(std::in_place, ioc->get_executor(), engine_config(config)),
        tls(config.tls_cert_file.empty()
                ? nullptr
                : make_tls_context(config.tls_cert_file, config.tls_key_file)),
        registry(config, auth, *hub, topics, tls.get()),
        listener(std::in_place, *ioc, registry),
        shutdown_timer(std::in_place, *ioc) {}

  ~Impl() {
    registry.detach();
    hub->shutdown();
    listener.reset();
    shutdown_timer.reset();
    ioc.reset();
    hub.reset();
  }

  void start();
  void begin_stop();

  Config config;
  Authenticator auth;
  std::optional<net::io_context> ioc;
  std::optional<Hub> hub;
  TopicRegistry topics;
  std::unique_ptr<net::ssl::context> tls;  // wss:// when --tls-cert is set
  SessionRegistry registry;
  std::optional<Listener> listener;
  std::optional<net::steady_timer> shutdown_timer;
  std::uint16_t port = 0;
  bool stop_requested = false;
};

void Server::Impl::start() {
  boost::system::error_code ec;
  tcp::resolver resolver(*ioc);
  const auto results =
      resolver.resolve(config.host, std::to_string(config.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("cannot resolve listen address " + config.host + ": " +
                             (ec ? ec.message() : "no addresses"));
  }
  const tcp::endpoint endpoint = results.begin()->endpoint();
  if (auth.dev_mode()) {
    if (!endpoint.address().is_loopback() && !config.allow_insecure_dev_auth) {
      throw std::runtime_error(
          "refusing dev-mode auth (no --jwt-secret or --jwt-public-key: anyone can claim any "
          "user) on non-loopback "
          "address " +
          config.host +
          "; set --jwt-secret or --jwt-public-key, or pass --allow-insecure-dev-auth");
    }
    spdlog::warn(
        "DEV-MODE AUTH: no --jwt-secret or --jwt-public-key, so clients name their own user "
        "and anyone can act as anyone. Never run this way in production.");
  }
  try {
    listener->listen(endpoint);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot listen on " + config.host + ":" + std::to_string(config.port) +
                             ": " + e.code().message());
  }
  port = listener->local_endpoint().port();
  listener->start();
}

void Server::Impl::begin_stop() {
  if (stop_requested) return;
  stop_requested = true;
  spdlog::info("shutting down: closing {} connection(s)", registry.websocket_count());
  listener->stop();
  shutdown_timer->expires_after(config.shutdown_timeout);
  shutdown_timer->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    spdlog::warn("shutdown timeout: dropping {} connection(s)", registry.websocket_count());
    ioc->stop();
  });
  registry.begin_shutdown([this] {
    shutdown_timer->cancel();
    ioc->stop();
  });
}

Server::Server(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() = default;

void Server::start() {
  impl_->start();
}

std::uint16_t Server::port() const {
  return impl_->port;
}

void Server::run() {
  impl_->ioc->run();
  spdlog::info("stopped");
}

void Server::stop() {
  net::post(*impl_->ioc, [impl = impl_.get()] { impl->begin_stop(); });
}

}  // namespace switchboard::server
