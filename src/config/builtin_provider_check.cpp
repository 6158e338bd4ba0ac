#include "relay/config/agent_config.hpp"
#include "relay/verify/registry.hpp"

namespace relay::config {

ProviderCheck builtin_provider_check() {
  return [](std::string_view provider) -> std::optional<std::string> {
    const auto& registry = verify::builtin_registry();
    if (registry.contains(provider)) return std::nullopt;
    return "unknown provider '" + std::string{provider} +
           "'; expected one of: " + registry.known_names() + " (see `relay providers`)";
  };
}

}  // namespace relay::config
