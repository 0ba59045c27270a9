// Internal to parse_config(): turning the stored option values into a checked Config.
// Start-up only; the functions throw ConfigError, which parse_config() turns into exit code 2.
#pragma once

#include <boost/program_options/variables_map.hpp>

#include <string>

#include "server/config.hpp"

namespace switchboard::server::config_detail {

// The one option that takes several values: repeated flags, a comma-separated environment
// variable, or an array in the file.
inline constexpr const char* kListOption = "allowed-origin";

// Exceptions are fine at start-up, and they keep each check to one line.
struct ConfigError {
  std::string message;
};

// Every option in `vm` range-checked and applied over the Config{} defaults; key files are
// read (and a JWT public key checked) here.
Config to_config(const boost::program_options::variables_map& vm);

}  // namespace switchboard::server::config_detail
