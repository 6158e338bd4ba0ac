#include "edge/bound_policies.hpp"

#include "relay/core/log.hpp"

namespace relay::edge {

void record_bound_policies(BufferPolicies& policies, store::PolicyStore* persistent,
                           spdlog::logger& log,
                           const std::vector<net::protocol::TunnelRequest>& tunnels,
                           const std::vector<std::string>& names) {
  const std::size_t count = std::min(tunnels.size(), names.size());
  for (std::size_t i = 0; i < count; ++i) {
    const core::BufferPolicy policy = tunnels[i].buffer.value_or(core::BufferPolicy{});
    const bool was_buffered = policies.find(names[i]) != nullptr;
    policies.set(names[i], policy);
    if (persistent != nullptr) {
      if (auto saved = persistent->save(names[i], policy); !saved) {
        core::log_event(log, spdlog::level::err, "buffer policy not saved",
                        {{"tunnel", names[i]},
                         {"error", saved.error().message()},
                         {"effect", "applies until the edge restarts"}});
      }
    }
    if (policy.enabled()) {
      core::log_event(log, spdlog::level::info, "tunnel buffered",
                      {{"tunnel", names[i]},
                       {"mode", std::string(core::to_string(policy.mode))},
                       {"persisted", persistent != nullptr ? "yes" : "no (anonymous)"}});
    } else if (was_buffered) {
      core::log_event(log, spdlog::level::info, "tunnel no longer buffered",
                      {{"tunnel", names[i]}});
    }
  }
}

}  // namespace relay::edge
