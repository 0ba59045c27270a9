// Starts the WebSocket session for an authenticated upgrade request (the only caller is the
// HTTP session), speaking the protocol of the handler it makes. The session owns itself and its
// handler; io_context thread only. Includes Beast's core and HTTP headers, so keep it out of
// everything but the two session .cpp files.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "server/frame_sink.hpp"
#include "server/session_registry.hpp"
#include "server/write_behind_stream.hpp"

namespace switchboard::server {

using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

// A wss:// connection: TLS over the write-behind layer, so that corked frames are encrypted
// into one buffer and leave in one send().
using TlsStream = boost::beast::ssl_stream<WriteBehindStream>;

// Makes the session's protocol handler, given the session's sink (called once, at once).
using HandlerFactory = std::function<std::unique_ptr<ProtocolHandler>(FrameSink&)>;

// `subprotocol`: the Sec-WebSocket-Protocol to answer with (empty: none).
void start_websocket_session(boost::beast::tcp_stream stream, const UpgradeRequest& request,
                             const std::string& subprotocol, const HandlerFactory& make_handler,
                             std::string peer, SessionRegistry& registry);
// The same over TLS, after the TLS handshake and the HTTP request.
void start_websocket_session(TlsStream stream, const UpgradeRequest& request,
                             const std::string& subprotocol, const HandlerFactory& make_handler,
                             std::string peer, SessionRegistry& registry);

}  // namespace switchboard::server
