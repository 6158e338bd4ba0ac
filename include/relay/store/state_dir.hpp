#pragma once

#include <string>

namespace relay::store {

// Where `relay edge` keeps its state, and whether relay chose it (then a directory that is open
// to others is made private) or the user did (then relay only warns).
struct StateDir {
  std::string path;
  bool chosen_by_user = false;
};

// In order: `configured` (--state-dir, edge.yml state_dir); $RELAY_STATE_DIR; $STATE_DIRECTORY
// (systemd's StateDirectory=); /var/lib/relay-edge when running as root;
// $XDG_STATE_HOME/relay/edge;
// ~/.local/state/relay/edge. The same order as the agent's state directory, one level down.
StateDir resolve_edge_state_dir(const std::string& configured);

}  // namespace relay::store
