#pragma once

#include <string>

namespace relay::cli {

// What a systemd unit of relay runs. config/relay.service and config/relay-edge.service are
// this function's output for the system defaults (an e2e test keeps them in step).
struct ServiceUnitSpec {
  bool edge = false;       // relay-edge.service (`relay edge`) instead of relay.service
  bool user_mode = false;  // a `systemctl --user` unit: no dedicated user, no system sandbox
  std::string binary = "/usr/bin/relay";
  std::string config;  // the config file passed with --config
};

std::string service_unit_name(const ServiceUnitSpec& spec);  // "relay.service"
std::string render_service_unit(const ServiceUnitSpec& spec);

}  // namespace relay::cli
