#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace relay::cli {

// --state-dir and --config of the operator commands that open a running edge's state database
// (`relay edge names`, `relay edge queue`).
struct EdgeStateDirFlags {
  std::string state_dir;
  std::string config;
};

void add_edge_state_dir_flags(CLI::App& cmd, EdgeStateDirFlags& flags);

// --state-dir, else the state_dir of --config, else the edge's default. nullopt: the config
// file did not load (its diagnostics are printed to stderr).
std::optional<std::string> resolve_edge_state_dir(const EdgeStateDirFlags& flags);

}  // namespace relay::cli
