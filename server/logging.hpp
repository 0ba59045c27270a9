// Process-wide spdlog set-up from the configuration (level, text or JSON lines on stdout).
// Call once from main() before anything logs; not thread-safe against concurrent logging.
#pragma once

#include "server/config.hpp"

namespace switchboard::server {

void setup_logging(const Config& config);

}  // namespace switchboard::server
