#pragma once

#include <memory>
#include <string>
#include <vector>

#include "relay/config/diagnostic.hpp"

namespace relay::config {

// The text of one config file and what matters about the file itself.
struct ConfigSource {
  std::string name;  // the path as the user gave it (shown in messages)
  std::string text;
  bool world_readable = false;  // mode o+r: inline secrets get a warning
};

// Reads each file; an unreadable file is an error diagnostic naming the path and the fix.
std::vector<std::shared_ptr<const ConfigSource>> read_sources(const std::vector<std::string>& paths,
                                                              Diagnostics& diagnostics);

}  // namespace relay::config
