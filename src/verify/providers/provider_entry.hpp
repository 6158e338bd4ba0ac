#pragma once

// What the provider files give builtin_verifiers.cpp: one ProviderEntry function per family of
// provider_list.inc, and the HMAC table.
#include <string>
#include <string_view>

#include "relay/verify/hmac_spec.hpp"
#include "relay/verify/registry.hpp"

namespace relay::verify::providers {

// Registers every hmac_table.cpp row that `registry` does not have yet (call it after the
// families of provider_list.inc, which may wrap a row).
void add_hmac_table(Registry& registry);
const HmacSpec* find_hmac_spec(std::string_view name);
// Headers and algorithm text of a table row, for `relay providers`.
ProviderInfo describe_hmac_spec(const HmacSpec& spec);

}  // namespace relay::verify::providers
