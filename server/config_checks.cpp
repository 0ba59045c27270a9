// Origins are compared as the strings browsers send, so they are checked and lower-cased
// here once instead of being parsed on every upgrade.
#include "server/config_checks.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace switchboard::server {
namespace {

bool is_alpha(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_hex_or(char c, std::string_view extra) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0 ||
         extra.find(c) != std::string_view::npos;
}

// RFC 3986 section 3.1.
bool is_scheme(std::string_view scheme) {
  return !scheme.empty() && is_alpha(scheme.front()) &&
         std::all_of(scheme.begin(), scheme.end(),
                     [](char c) { return is_alnum(c) || c == '+' || c == '-' || c == '.'; });
}

// A DNS name or IPv4 address, or a bracketed IPv6 address. No wildcards: a browser never
// sends one.
bool is_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    const auto inner = host.substr(1, host.size() - 2);
    return std::all_of(inner.begin(), inner.end(), [](char c) { return is_hex_or(c, ":."); });
  }
  return !host.empty() && host.front() != '.' && host.front() != '-' &&
         std::all_of(host.begin(), host.end(),
                     [](char c) { return is_alnum(c) || c == '-' || c == '.'; });
}

bool is_port(std::string_view port) {
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit)) {
    return false;
  }
  const int value = std::stoi(std::string(port));
  return value >= 1 && value <= 65535;
}

}  // namespace

std::optional<std::string> normalize_origin(std::string_view text) {
  const auto separator = text.find("://");
  if (separator == std::string_view::npos) return std::nullopt;
  const auto scheme = text.substr(0, separator);
  const auto authority = text.substr(separator + 3);
  if (!is_scheme(scheme)) return std::nullopt;

  // An IPv6 literal has colons of its own; the port is what follows its closing bracket.
  const auto bracket = authority.rfind(']');
  const auto colon = authority.rfind(':');
  std::string_view host = authority;
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    if (!is_port(authority.substr(colon + 1))) return std::nullopt;
  }
  if (!is_host(host)) return std::nullopt;

  std::string origin(text);
  std::transform(origin.begin(), origin.end(), origin.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return origin;
}

std::optional<std::string> read_text_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return text;
}

}  // namespace switchboard::server
