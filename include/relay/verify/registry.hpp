#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/failure.hpp"
#include "relay/verify/verifier.hpp"

namespace relay::verify {

// What `relay providers` and docs show about one provider.
struct ProviderInfo {
  std::string name;
  std::string headers;                        // e.g. "TikTok-Signature"
  std::string algorithm;                      // e.g. "HMAC-SHA256 over <t>.<body>, hex"
  std::string handshake;                      // "" when the provider has none
  std::chrono::seconds default_tolerance{0};  // 0: the scheme has no timestamp
  bool needs_secret = true;
};

struct ProviderEntry {
  ProviderInfo info;
  VerifierFactory factory = nullptr;
};

// Provider name → factory. Filled once at start-up, read-only afterwards.
class Registry {
 public:
  // Throws std::logic_error on a duplicate name: a programming error caught by a unit test.
  void add(ProviderEntry entry);

  // A failure's message is for the user: an unknown provider lists the known ones; a missing
  // secret says which flag to pass. Its code (a VerifyErrc) says which of these it was.
  [[nodiscard]] core::Fallible<VerifierPtr> create(std::string_view provider,
                                                   const VerifierOptions& options) const;

  [[nodiscard]] std::vector<ProviderInfo> providers() const;  // sorted by name
  [[nodiscard]] const ProviderInfo* find(std::string_view provider) const;
  [[nodiscard]] bool contains(std::string_view provider) const { return find(provider) != nullptr; }
  // "aftership, airship, ..." for error messages.
  [[nodiscard]] std::string known_names() const;

 private:
  std::vector<ProviderEntry> entries_;  // sorted by name
};

// Every built-in provider (src/verify/providers/provider_list.inc).
const Registry& builtin_registry();

}  // namespace relay::verify
