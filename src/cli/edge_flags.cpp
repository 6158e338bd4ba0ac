#include "cli/edge_flags.hpp"

namespace relay::cli {

namespace {

constexpr std::size_t kMaxHaConnections = 8;

// A whole number from 1 to kMaxHaConnections; CLI11 prefixes the flag's name to the message.
CLI::Validator ha_connections_check() {
  return {[](std::string& value) -> std::string {
            std::size_t used = 0;
            unsigned long n = 0;
            try {
              n = std::stoul(value, &used);
            } catch (const std::exception&) {
              used = 0;
            }
            if (used == 0 || used != value.size() || n < 1 || n > kMaxHaConnections) {
              return "expected a whole number from 1 to " + std::to_string(kMaxHaConnections) +
                     " (sessions held at once, each to a different edge), got '" + value + "'";
            }
            return {};
          },
          "1..8"};
}

}  // namespace

void add_edge_flags(CLI::App& command, std::vector<std::string>& edges, std::size_t& ha_connections,
                    const std::string& edge_help) {
  // One value per --edge: `--edge a:4443 3000` must not take the upstream as a second edge.
  command.add_option("--edge", edges, edge_help)->allow_extra_args(false);
  command
      .add_option("--ha-connections", ha_connections,
                  "Sessions held at once, each to a different edge or edge address (1..8; "
                  "default 2 with two or more --edge, else 1)")
      ->check(ha_connections_check());
}

}  // namespace relay::cli
