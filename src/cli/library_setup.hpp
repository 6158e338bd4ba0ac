#pragma once

namespace relay::cli {

// Process-wide settings of the libraries relay links, made once in main() before any command
// runs: the one place that owns the whole process.
void configure_libraries();

}  // namespace relay::cli
