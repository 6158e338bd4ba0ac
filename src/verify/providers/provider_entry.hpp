#pragma once

// What each provider file gives builtin_verifiers.cpp: one ProviderEntry function per family.
#include <string>
#include <string_view>

#include "relay/verify/hmac_spec.hpp"
#include "relay/verify/registry.hpp"

namespace relay::verify::providers {

const HmacSpec* find_hmac_spec(std::string_view name);
// Headers and algorithm text of a table row, for `relay providers`.
ProviderInfo describe_hmac_spec(const HmacSpec& spec);

}  // namespace relay::verify::providers
