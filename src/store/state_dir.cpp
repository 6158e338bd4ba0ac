#include "relay/store/state_dir.hpp"

#include <unistd.h>

#include <cstdlib>

namespace relay::store {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

}  // namespace

StateDir resolve_edge_state_dir(const std::string& configured) {
  if (!configured.empty()) return {configured, true};
  if (auto dir = env("RELAY_STATE_DIR"); !dir.empty()) return {dir, true};
  // systemd sets it from StateDirectory= (config/relay-edge.service passes --state-dir too), and
  // made the directory with StateDirectoryMode: it is the unit's choice, not relay's to change.
  if (auto dir = env("STATE_DIRECTORY"); !dir.empty()) return {dir.substr(0, dir.find(':')), true};
  if (::geteuid() == 0) return {"/var/lib/relay-edge", false};
  if (auto xdg = env("XDG_STATE_HOME"); !xdg.empty() && xdg.front() == '/') {
    return {xdg + "/relay/edge", false};
  }
  auto home = env("HOME");
  return {(home.empty() ? std::string("/tmp") : home) + "/.local/state/relay/edge", false};
}

}  // namespace relay::store
