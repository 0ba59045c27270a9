// Accepts TCP connections and hands each to a new HTTP session. Owns the acceptor and a
// back-off timer. Use on the server's io_context thread only (construct anywhere).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/session_registry.hpp"

namespace switchboard::server {

class Listener {
 public:
  Listener(boost::asio::io_context& ioc, SessionRegistry& registry);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Opens, binds and listens; throws boost::system::system_error on failure.
  void listen(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void start() { do_accept(); }
  void stop();

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  SessionRegistry& registry_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  bool stopped_ = false;
};

}  // namespace switchboard::server
