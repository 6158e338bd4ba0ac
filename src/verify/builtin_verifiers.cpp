// The explicit list of built-in providers (STYLE.md §3.3): provider_list.inc is included twice,
// once to declare each family's entry function and once to register those providers; then every
// row of the HMAC table (hmac_table.cpp) that no family took.
#include "relay/verify/registry.hpp"
#include "verify/providers/provider_entry.hpp"

namespace relay::verify {
namespace providers {
#define RELAY_PROVIDER(name, family) ProviderEntry family##_entry(std::string_view provider);
#include "verify/providers/provider_list.inc"
#undef RELAY_PROVIDER
}  // namespace providers

const Registry& builtin_registry() {
  static const Registry registry = [] {
    Registry r;
#define RELAY_PROVIDER(name, family) r.add(providers::family##_entry(name));
#include "verify/providers/provider_list.inc"
#undef RELAY_PROVIDER
    providers::add_hmac_table(r);
    return r;
  }();
  return registry;
}

}  // namespace relay::verify
