#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace relay::cli {

// `--edge HOST:PORT` (repeatable: the agent holds sessions to several edges at once) and
// `--ha-connections N` (1..8), shared by `relay http` and `relay start`.
void add_edge_flags(CLI::App& command, std::vector<std::string>& edges, std::size_t& ha_connections,
                    const std::string& edge_help =
                        "The edge's agent listener HOST:PORT (default: an embedded edge on "
                        "loopback); repeat it to hold sessions to several edges at once");

}  // namespace relay::cli
