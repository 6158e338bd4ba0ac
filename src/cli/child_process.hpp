#pragma once

#include <string>
#include <vector>

namespace relay::cli {

// Runs argv[0] (looked up in PATH) with our stdin/stdout/stderr and waits for it. Returns its
// exit status, 128 + the signal that ended it, or 127 when it could not be started.
int run_child(const std::vector<std::string>& argv);

}  // namespace relay::cli
