// The Supabase Realtime REST broadcast API (PROTOCOL.md "Supabase Realtime"): what realtime-js
// POSTs when a channel is not joined yet (`/realtime/v1/api/broadcast`) or when the app calls
// httpSend() (`/realtime/v1/api/broadcast/<topic>/events/<event>`). `call-signal` messages run
// in the call engine for the token's user as a whole; others are plain broadcast. No Beast:
// the HTTP session routes here. io_context thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/session_registry.hpp"

namespace switchboard::server {

struct RestRequest {
  // The decoded path segments after ".../api/broadcast": none for the batch endpoint, or
  // {<topic>, "events", <event>}.
  std::vector<std::string> route;
  std::optional<std::string> bearer;  // Authorization: Bearer <token>
  std::optional<std::string> apikey;  // the apikey header
  std::string_view body;
};

struct RestResponse {
  unsigned status = 202;
  std::string body;  // JSON
};

RestResponse handle_broadcast_request(const RestRequest& request, SessionRegistry& registry);

// Routes, on decoded path segments, under any base path (a reverse proxy's, or Supabase's
// project URL layout): `.../realtime/v1/websocket` is the Realtime socket, and
// `.../realtime/v1/api/broadcast[/...]` the REST API, whose segments after it are returned.
bool is_realtime_socket(const std::vector<std::string>& segments);
std::optional<std::vector<std::string>> broadcast_route(const std::vector<std::string>& segments);

}  // namespace switchboard::server
