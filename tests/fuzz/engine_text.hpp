// Engine inputs and actions as text, for fuzz_engine: a command as the JSON a client would send
// (some steps feed it through the codec), and one-line descriptions printed when the
// environment variable SWITCHBOARD_FUZZ_TRACE is set, which show what a crash input did, step
// by step, without a debugger. Pure functions.
#pragma once

#include <string>

#include "protocol/engine.hpp"

namespace switchboard::fuzz {

// The JSON text of a command, as a client would send it (data included).
std::string to_text(const Command& cmd);

std::string describe(const Input& input);
std::string describe(const Action& action);

}  // namespace switchboard::fuzz
