// Serves plain HTTP on an accepted socket (GET /healthz, GET /metrics, refusals) and turns an
// authenticated `GET /v1/ws` upgrade into a WebSocket session. The session owns itself (kept alive
// by its pending handlers). Beast stays out of this header; io_context thread only.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "server/session_registry.hpp"

namespace switchboard::server {

void start_http_session(boost::asio::ip::tcp::socket socket, SessionRegistry& registry);

}  // namespace switchboard::server
