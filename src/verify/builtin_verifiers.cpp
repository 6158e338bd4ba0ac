// The explicit list of built-in providers (STYLE.md §3.3): provider_list.inc is included twice,
// once to declare each family's entry function and once to register every provider.
#include "providers/provider_entry.hpp"
#include "relay/verify/registry.hpp"

namespace relay::verify {
namespace providers {
#define RELAY_PROVIDER(name, family) ProviderEntry family##_entry(std::string_view provider);
#include "providers/provider_list.inc"
#undef RELAY_PROVIDER
}  // namespace providers

const Registry& builtin_registry() {
  static const Registry registry = [] {
    Registry r;
#define RELAY_PROVIDER(name, family) r.add(providers::family##_entry(name));
#include "providers/provider_list.inc"
#undef RELAY_PROVIDER
    return r;
  }();
  return registry;
}

}  // namespace relay::verify
