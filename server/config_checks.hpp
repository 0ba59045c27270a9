// Checks of option values that are more than a number in a range: origins and files. Pure
// functions (apart from reading the file), used by parse_config() at start-up.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchboard::server {

// `text` as an origin in the lower-case form browsers send in the Origin header (RFC 6454
// section 6.2), e.g. "https://app.example.com:8443"; nothing when it is not scheme://host
// with an optional port and no path, query, fragment or user info.
std::optional<std::string> normalize_origin(std::string_view text);

// The whole content of a regular file; nothing when it cannot be read.
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace switchboard::server
