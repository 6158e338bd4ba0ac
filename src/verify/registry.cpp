#include "relay/verify/registry.hpp"

#include <algorithm>
#include <stdexcept>

#include "relay/verify/error.hpp"

namespace relay::verify {

void Registry::add(ProviderEntry entry) {
  const auto it = std::lower_bound(
      entries_.begin(), entries_.end(), entry.info.name,
      [](const ProviderEntry& e, const std::string& name) { return e.info.name < name; });
  if (it != entries_.end() && it->info.name == entry.info.name) {
    throw std::logic_error("webhook provider '" + entry.info.name + "' is registered twice");
  }
  if (entry.factory == nullptr) {
    throw std::logic_error("webhook provider '" + entry.info.name + "' has no factory");
  }
  entries_.insert(it, std::move(entry));
}

const ProviderInfo* Registry::find(std::string_view provider) const {
  const auto it = std::lower_bound(
      entries_.begin(), entries_.end(), provider,
      [](const ProviderEntry& e, std::string_view name) { return e.info.name < name; });
  return it != entries_.end() && it->info.name == provider ? &it->info : nullptr;
}

std::string Registry::known_names() const {
  std::string out;
  for (const auto& e : entries_) {
    if (!out.empty()) out += ", ";
    out += e.info.name;
  }
  return out;
}

std::vector<ProviderInfo> Registry::providers() const {
  std::vector<ProviderInfo> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.info);
  return out;
}

core::Fallible<VerifierPtr> Registry::create(std::string_view provider,
                                             const VerifierOptions& options) const {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const ProviderEntry& e) { return e.info.name == provider; });
  if (it == entries_.end()) {
    return core::Failure{.code = VerifyErrc::unknown_provider,
                         .message = "unknown webhook provider '" + std::string{provider} +
                                    "'; known providers: " + known_names() +
                                    " (or 'hmac' with header/algorithm/encoding options)"};
  }
  if (it->info.needs_secret && options.secret.empty()) {
    return core::Failure{
        .code = VerifyErrc::missing_secret,
        .message = "webhook provider '" + std::string{provider} +
                   "' needs a secret: pass --verify-webhook-secret (or 'secret:' under "
                   "verify_webhook in relay.yml); env:NAME and file:PATH work too"};
  }
  if (options.tolerance && options.tolerance->count() < 0) {
    return core::Failure{.code = VerifyErrc::invalid_option,
                         .message = "the webhook timestamp tolerance must not be negative"};
  }
  return it->factory(provider, options);
}

}  // namespace relay::verify
