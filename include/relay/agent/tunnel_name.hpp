#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace relay::agent {

// The tunnel name a `--url` value asks for: "myhook", "myhook.relay.example.com" or
// "https://myhook.relay.example.com" all ask for "myhook". Empty input: empty (random name).
// nullopt (and `error` set) when the name is not a valid DNS label.
std::optional<std::string> requested_tunnel_name(std::string_view url, std::string& error);

}  // namespace relay::agent
