// Reads the headers of an upgrade (or REST) request that carry credentials or say where a
// browser request comes from: `Authorization: Bearer`, `Sec-WebSocket-Protocol: bearer,
// <token>` (for browsers, which cannot set headers on a WebSocket) and `Origin`. Pure
// functions without Beast, unit-tested directly; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::server {

// The subprotocol a token offered through Sec-WebSocket-Protocol travels under; the server
// must echo it, or browsers fail the connection (RFC 6455 section 4.1, step 6 of the client).
inline constexpr std::string_view kBearerSubprotocol = "bearer";

// The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive,
// RFC 6750 section 2.1); nothing for another scheme or an empty token.
std::optional<std::string> bearer_token(std::string_view authorization);

// The token of a `Sec-WebSocket-Protocol: bearer, <token>` header value: the list's first
// entry is `bearer` and its second the token. Nothing otherwise.
std::optional<std::string> subprotocol_token(std::string_view protocols);

// Whether a request from `origin` may proceed: always when no origins are configured or the
// request has no Origin header (not a browser: browsers always send one on WebSocket and
// cross-origin requests); otherwise only when it is one of `allowed`, which hold origins in
// the lower-case form config_checks.hpp's normalize_origin() gives.
bool origin_allowed(const std::vector<std::string>& allowed,
                    std::optional<std::string_view> origin);

}  // namespace switchboard::server
