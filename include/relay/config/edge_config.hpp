#pragma once

#include <memory>
#include <string>
#include <vector>

#include "relay/config/config_source.hpp"
#include "relay/config/diagnostic.hpp"
#include "relay/edge/edge_options.hpp"

namespace relay::config {

// The edge config file(s) (relay edge --config edge.yml), validated into EdgeOptions.
struct EdgeConfigLoad {
  edge::EdgeOptions options;
  std::string log;
  std::string log_level;
  std::string log_format;
  Diagnostics diagnostics;
  [[nodiscard]] bool ok() const { return !diagnostics.has_errors(); }
};

EdgeConfigLoad parse_edge_config(const std::vector<std::shared_ptr<const ConfigSource>>& sources);
EdgeConfigLoad load_edge_config(const std::vector<std::string>& paths);

}  // namespace relay::config
