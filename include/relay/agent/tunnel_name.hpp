#pragma once

#include <string>
#include <string_view>

#include "relay/core/failure.hpp"

namespace relay::agent {

// The tunnel name a `--url` value asks for: "myhook", "myhook.relay.example.com" or
// "https://myhook.relay.example.com" all ask for "myhook". Empty input: empty (random name).
// A failure saying how to write it when the name is not a valid DNS label.
core::Fallible<std::string> requested_tunnel_name(std::string_view url);

}  // namespace relay::agent
