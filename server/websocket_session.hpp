// Starts the WebSocket session for an authenticated upgrade request (the only caller is the
// HTTP session). The session owns itself; io_context thread only. Includes Beast's core and
// HTTP headers, so keep it out of everything but the two session .cpp files.
#pragma once

#include <optional>
#include <string>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "protocol/engine.hpp"
#include "server/auth.hpp"
#include "server/session_registry.hpp"

namespace switchboard::server {

using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

// `resume`: the client's `session` + `lastSeq`, already validated; handed to the engine.
void start_websocket_session(boost::beast::tcp_stream stream, const UpgradeRequest& request,
                             Identity identity, std::optional<ResumeRequest> resume,
                             std::string peer, SessionRegistry& registry);

}  // namespace switchboard::server
