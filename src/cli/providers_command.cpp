// `relay providers`: the built-in webhook verifiers, their headers, algorithms and handshakes.
#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "relay/verify/registry.hpp"

namespace relay::cli {

void add_providers_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "providers", "List the webhook providers relay verifies (--verify-webhook NAME)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print a JSON array instead of a table");
  cmd->footer(
      "Use a name with 'relay http 3000 --verify-webhook NAME --verify-webhook-secret env:NAME',\n"
      "'verify_webhook: {provider: NAME, secret: S}' in relay.yml, or 'relay webhook verify "
      "NAME'.\n"
      "Details per provider: docs/providers.md.");
  cmd->callback([&ctx, json] {
    ctx.apply_logging();
    const auto providers = verify::builtin_registry().providers();
    if (*json) {
      auto out = nlohmann::json::array();
      for (const auto& p : providers) {
        out.push_back({{"name", p.name},
                       {"headers", p.headers},
                       {"algorithm", p.algorithm},
                       {"handshake", p.handshake},
                       {"default_tolerance_seconds", p.default_tolerance.count()},
                       {"needs_secret", p.needs_secret}});
      }
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::size_t name_w = 8;
    std::size_t header_w = 7;
    for (const auto& p : providers) {
      name_w = std::max(name_w, p.name.size());
      header_w = std::min<std::size_t>(std::max(header_w, p.headers.size()), 48);
    }
    const auto pad = [](std::string s, std::size_t w) {
      if (s.size() < w) s.append(w - s.size(), ' ');
      return s;
    };
    std::cout << pad("PROVIDER", name_w) << "  " << pad("HEADERS", header_w) << "  "
              << "ALGORITHM  [HANDSHAKE]\n";
    for (const auto& p : providers) {
      std::cout << pad(p.name, name_w) << "  " << pad(p.headers, header_w) << "  " << p.algorithm;
      if (p.default_tolerance.count() > 0) {
        std::cout << ", tolerance " << p.default_tolerance.count() << " s";
      }
      if (!p.handshake.empty()) std::cout << "  [" << p.handshake << "]";
      std::cout << "\n";
    }
  });
}

}  // namespace relay::cli
