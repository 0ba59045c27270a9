#include "server/listener.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "server/http_session.hpp"

namespace switchboard::server {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// Running out of file descriptors makes accept fail at once, again and again; pausing a
// little lets closing connections free some instead of spinning the loop.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

}  // namespace

Listener::Listener(net::io_context& ioc, SessionRegistry& registry)
    : ioc_(ioc), registry_(registry), acceptor_(ioc), backoff_(ioc) {}

void Listener::listen(const tcp::endpoint& endpoint) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
}

void Listener::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void Listener::do_accept() {
  if (stopped_) return;
  acceptor_.async_accept(ioc_, [this](const boost::system::error_code& ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void Listener::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
  if (stopped_ || ec == net::error::operation_aborted) return;
  if (ec) {
    spdlog::warn("accept failed: {}", ec.message());
    backoff_.expires_after(kAcceptBackoff);
    backoff_.async_wait([this](const boost::system::error_code& wait_ec) {
      if (!wait_ec) do_accept();
    });
    return;
  }
  boost::system::error_code option_ec;
  // Signaling messages are small and latency-bound: never wait for Nagle's algorithm.
  socket.set_option(tcp::no_delay(true), option_ec);
  if (option_ec) spdlog::debug("TCP_NODELAY failed: {}", option_ec.message());
  start_http_session(std::move(socket), registry_);
  do_accept();
}

}  // namespace switchboard::server
