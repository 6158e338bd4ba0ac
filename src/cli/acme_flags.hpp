#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "relay/edge/edge_options.hpp"

namespace relay::cli {

// operations: acme. The `relay edge` flags for automatic certificates (docs/deployment.md).
// Unset flags leave the value from edge.yml, or the default, alone.
struct AcmeFlags {
  std::optional<std::string> email;
  std::optional<std::string> directory;
  std::optional<std::string> ca_file;
  std::optional<std::size_t> orders_per_hour;
  std::optional<std::string> challenge;
};

void add_acme_flags(CLI::App& command, AcmeFlags& flags);

// Applies the given flags over `options`; throws CLI::ValidationError naming a bad flag.
void apply_acme_flags(const AcmeFlags& flags, edge::EdgeOptions& options);

}  // namespace relay::cli
