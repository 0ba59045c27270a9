#include "server/upgrade_headers.hpp"

#include <algorithm>
#include <cctype>

#include "server/config_checks.hpp"

namespace switchboard::server {
namespace {

constexpr std::string_view kSpaces = " \t";

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(kSpaces);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpaces);
  return text.substr(first, last - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<std::string> bearer_token(std::string_view authorization) {
  const std::string_view value = trim(authorization);
  const auto space = value.find_first_of(kSpaces);
  if (space == std::string_view::npos || !iequals(value.substr(0, space), "Bearer")) {
    return std::nullopt;
  }
  const std::string_view token = trim(value.substr(space));
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

std::optional<std::string> subprotocol_token(std::string_view protocols) {
  const auto comma = protocols.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  if (!iequals(trim(protocols.substr(0, comma)), kBearerSubprotocol)) return std::nullopt;
  std::string_view rest = protocols.substr(comma + 1);
  rest = rest.substr(0, rest.find(','));  // any further entries are not ours
  const std::string_view token = trim(rest);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

bool origin_allowed(const std::vector<std::string>& allowed,
                    std::optional<std::string_view> origin) {
  if (allowed.empty() || !origin) return true;
  // Browsers send the serialised origin; normalising still matters for odd letter case.
  const auto normalized = normalize_origin(*origin);
  if (!normalized) return false;  // "null" (sandboxed frames, file://) or garbage
  return std::find(allowed.begin(), allowed.end(), *normalized) != allowed.end();
}

}  // namespace switchboard::server
