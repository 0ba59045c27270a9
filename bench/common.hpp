// Shared vocabulary of switchboard-bench: the load-client kit's clock and JSON helpers,
// brought into the bench's namespace. Header only; plain values, usable from any thread.
#pragma once

#include "bench/loadkit/common.hpp"

namespace switchboard::bench {

using loadkit::Clock;
using loadkit::Json;
using loadkit::json_bool;
using loadkit::json_int;
using loadkit::json_str;
using loadkit::Micros;
using loadkit::Millis;
using loadkit::steady_us;
using loadkit::us_between;

}  // namespace switchboard::bench
