// GET /metrics on the server under test, parsed into "name{labels}" -> value. Runs its
// request on the soak Loop; the callback runs there too.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "bench/loadkit/transport.hpp"
#include "tests/soak/common.hpp"

namespace switchboard::soak {

using loadkit::http_get;
using loadkit::Loop;

using Metrics = std::map<std::string, std::int64_t>;

// Prometheus text with integer samples; nullopt if any sample line does not parse.
std::optional<Metrics> parse_metrics(const std::string& body);

// nullopt when the request failed or the body did not parse.
void fetch_metrics(Loop& loop, std::uint16_t port,
                   std::function<void(std::optional<Metrics>)> done);

// A sample's value, or -1 when it is missing.
std::int64_t sample(const Metrics& m, const std::string& name);

}  // namespace switchboard::soak
