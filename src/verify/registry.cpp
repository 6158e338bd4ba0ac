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

VerifierPtr Registry::create(std::string_view provider, const VerifierOptions& options,
                             std::string& error) const {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const ProviderEntry& e) { return e.info.name == provider; });
  if (it == entries_.end()) {
    error = "unknown webhook provider '" + std::string{provider} +
            "'; known providers: " + known_names() +
            " (or 'hmac' with header/algorithm/encoding options)";
    return nullptr;
  }
  if (it->info.needs_secret && options.secret.empty()) {
    error = "webhook provider '" + std::string{provider} +
            "' needs a secret: pass --verify-webhook-secret (or 'secret:' under verify_webhook "
            "in relay.yml); env:NAME and file:PATH work too";
    return nullptr;
  }
  if (options.tolerance && options.tolerance->count() < 0) {
    error = "the webhook timestamp tolerance must not be negative";
    return nullptr;
  }
  auto created = it->factory(provider, options, error);
  if (!created) {
    if (error.empty()) error = created.error().message();
    return nullptr;
  }
  return std::move(*created);
}

core::Result<VerifierPtr> Registry::create(std::string_view provider,
                                           const VerifierOptions& options) const {
  std::string error;
  auto verifier = create(provider, options, error);
  if (verifier) return verifier;
  if (!contains(provider)) return VerifyErrc::unknown_provider;
  if (options.secret.empty()) return VerifyErrc::missing_secret;
  return error.find("tolerance") != std::string::npos ? VerifyErrc::invalid_option
                                                      : VerifyErrc::invalid_secret;
}

}  // namespace relay::verify
