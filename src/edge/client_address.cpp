#include "edge/client_address.hpp"

#include <optional>
#include <string>

namespace relay::edge {

namespace ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "203.0.113.9", "203.0.113.9:5123", "[2001:db8::1]:5123" or "2001:db8::1" → the address.
std::optional<ip::address> parse_entry(std::string_view entry) {
  entry = trim(entry);
  if (!entry.empty() && entry.front() == '[') {
    auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    entry = entry.substr(1, close - 1);
  } else if (auto colon = entry.find(':'); colon != std::string_view::npos &&
                                           entry.find(':', colon + 1) == std::string_view::npos) {
    entry = entry.substr(0, colon);  // IPv4 with a port
  }
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(entry), ec);
  if (ec) return std::nullopt;
  return canonical_address(address);
}

}  // namespace

ip::address decide_client_address(const ip::address& peer,
                                  const std::vector<std::string_view>& forwarded_for,
                                  const CidrSet& trusted) {
  ip::address client = canonical_address(peer);
  if (!trusted.contains(client)) return client;
  // Right to left over the fields, then over each field's entries.
  for (std::size_t i = forwarded_for.size(); i-- > 0;) {
    std::string_view rest = forwarded_for[i];
    while (!rest.empty()) {
      auto comma = rest.rfind(',');
      std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
      if (trim(entry).empty()) continue;
      auto address = parse_entry(entry);
      if (!address) return client;
      client = *address;
      if (!trusted.contains(client)) return client;
    }
  }
  return client;
}

}  // namespace relay::edge
